//! Scheduler flags as keepalived 2.2.7's lbflags_handler reads them: by the scheduler set
//! when the flag's line comes.

use ka_config::{dump, parse_str, Options};

fn flags(body: &str) -> (u8, Vec<String>) {
    let text = format!(
        "virtual_server 192.0.2.1 80 {{\n{body}\n    protocol TCP\n    lb_kind NAT\n    real_server 192.0.2.2 80 {{\n    }}\n}}\n"
    );
    let l = parse_str("f.conf", &text, &Options::default());
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
    (
        l.config.virtual_servers[0].sched_flags,
        l.diagnostics.iter().map(|d| d.message.clone()).collect(),
    )
}

#[test]
fn flags_by_scheduler() {
    assert_eq!(
        flags("    lb_algo sh\n    sh-port\n    sh-fallback").0,
        0b011
    );
    assert_eq!(flags("    lb_algo mh\n    mh-fallback").0, 0b001);
    assert_eq!(flags("    lb_algo rr\n    flag-3\n    flag-1").0, 0b101);
    // The other scheduler's names are ignored without a word; before lb_algo (or with
    // another scheduler) they are an error, as keepalived reports them.
    let (f, d) = flags("    lb_algo sh\n    mh-port");
    assert_eq!((f, d.len()), (0, 0));
    let (f, d) = flags("    sh-port\n    lb_algo sh");
    assert_eq!(f, 0);
    assert!(
        d.iter()
            .any(|m| m == "sh-port only applies to sh scheduler - ignoring"),
        "{d:?}"
    );
}

#[test]
fn sorry_server_method() {
    let text = "virtual_server 192.0.2.1 80 {\n    lb_kind NAT\n    protocol TCP\n    sorry_server 192.0.2.9 80\n    sorry_server_lvs_method DR\n    real_server 192.0.2.2 80 {\n    }\n}\n";
    let l = parse_str("s.conf", text, &Options::default());
    let s = l.config.virtual_servers[0].sorry_server.as_ref().unwrap();
    assert_eq!(s.lb_kind, Some(ka_config::model::LbKind::Dr));
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
    // Before any sorry_server: keepalived's error.
    let l = parse_str(
        "s.conf",
        &text.replace("    sorry_server 192.0.2.9 80\n", ""),
        &Options::default(),
    );
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.message == "sorry_server forwarding used without sorry_server"));
}

#[test]
fn checker_log_all_failures_applies_to_every_checker() {
    // keepalived (check_tcp.c and the others): a failure is logged when the global
    // checker_log_all_failures or the checker's own log_all_failures is set.
    let conf = |global: &str, own: &str| {
        format!(
            "global_defs {{\n{global}\n}}\nvirtual_server 192.0.2.1 80 {{\n    protocol TCP\n    real_server 192.0.2.2 80 {{\n        TCP_CHECK {{\n{own}\n        }}\n    }}\n    real_server 192.0.2.3 80 {{\n        TCP_CHECK {{\n        }}\n    }}\n}}\n"
        )
    };
    let logs = |global: &str, own: &str| {
        let l = parse_str("f.conf", &conf(global, own), &Options::default());
        assert_eq!(l.errors(), 0, "{:?}", l.short());
        let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
        assert_eq!(again.config, l.config);
        l.config.virtual_servers[0]
            .real_servers
            .iter()
            .map(|r| r.checkers[0].common.log_all_failures)
            .collect::<Vec<_>>()
    };
    assert_eq!(logs("", ""), vec![false, false]);
    assert_eq!(logs("", "log_all_failures"), vec![true, false]);
    assert_eq!(logs("    checker_log_all_failures", ""), vec![true, true]);
    assert_eq!(
        logs("    checker_log_all_failures", "log_all_failures off"),
        vec![true, true]
    );
}
