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

fn vs(body: &str) -> (ka_config::model::VirtualServer, Vec<String>) {
    let text = format!(
        "virtual_server 192.0.2.1 80 {{\n    protocol TCP\n    lb_algo rr\n{body}\n    real_server 192.0.2.2 80 {{\n    }}\n}}\n"
    );
    let l = parse_str("v.conf", &text, &Options::default());
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config, "{}", dump::dump(&l.config));
    (
        l.config.virtual_servers[0].clone(),
        l.diagnostics.iter().map(|d| d.message.clone()).collect(),
    )
}

/// `lb_kind TUN type gue port 6080 csum` and the like, on the virtual server, a real
/// server and the sorry server, with keepalived svr_forwarding_handler's checks.
#[test]
fn tunnel_options() {
    use ka_config::model::{LbKind, Tunnel, TunnelCsum, TunnelType};
    let (v, d) = vs("    lb_kind TUN type gue port 6080 csum");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        v.lb_kind,
        LbKind::Tun(Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            csum: TunnelCsum::Csum
        })
    );
    let (v, _) = vs("    lb_kind TUN type gre remcsum");
    assert_eq!(v.lb_kind, LbKind::Tun(Tunnel::default()));
    let (v, _) = vs("    lb_kind TUN type gre csum");
    assert_eq!(
        v.lb_kind,
        LbKind::Tun(Tunnel {
            kind: TunnelType::Gre,
            port: 0,
            csum: TunnelCsum::Csum
        })
    );
    let (v, _) = vs(
        "    lb_kind TUN\n    sorry_server 192.0.2.9 80\n    sorry_server_lvs_method TUN type gre",
    );
    assert_eq!(
        v.sorry_server.unwrap().lb_kind,
        Some(LbKind::Tun(Tunnel {
            kind: TunnelType::Gre,
            ..Tunnel::default()
        }))
    );
    for (body, err) in [
        (
            "    lb_kind TUN type gre remcsum",
            "gre tunnels do not support remote checksum option.",
        ),
        (
            "    lb_kind TUN type ipip csum",
            "ipip tunnels do not support checksum option.",
        ),
        (
            "    lb_kind TUN type gue",
            "gue tunnels require port, otherwise cannot have port.",
        ),
        (
            "    lb_kind TUN port 80",
            "gue tunnels require port, otherwise cannot have port.",
        ),
        ("    lb_kind TUN type vxlan", "Unknown tunnel type vxlan"),
        (
            "    lb_kind TUN type gue port 0",
            "Invalid gue tunnel port 0",
        ),
        ("    lb_kind TUN bogus", "Invalid tunnel option bogus"),
        ("    lb_kind NAT bogus", "Invalid tunnel option bogus"),
    ] {
        let (v, d) = vs(body);
        assert!(d.iter().any(|m| m == err), "{body}: {d:?}");
        assert!(matches!(v.lb_kind, LbKind::Nat | LbKind::Tun(_)), "{body}");
    }
    // On a real server: its own options, the virtual server's otherwise.
    let text = "virtual_server 192.0.2.1 80 {\n    protocol TCP\n    lb_kind TUN type gue port 9\n    real_server 192.0.2.2 80 {\n        lvs_method TUN type gre\n    }\n    real_server 192.0.2.3 80 {\n    }\n}\n";
    let l = parse_str("r.conf", text, &Options::default());
    let v = &l.config.virtual_servers[0];
    assert_eq!(
        v.real_servers[0].lb_kind,
        Some(LbKind::Tun(Tunnel {
            kind: TunnelType::Gre,
            ..Tunnel::default()
        }))
    );
    assert_eq!(v.real_servers[1].lb_kind, None);
}

/// `persistence_engine` kept (15 bytes at most, as IP_VS_PENAME_MAXLEN); `hashed` sets no
/// flag and is an error outside sh and mh, as in keepalived 2.2.7.
#[test]
fn persistence_engine_and_hashed() {
    let (v, d) = vs("    lb_kind NAT\n    persistence_timeout 60\n    persistence_engine sip");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(v.persistence_engine.as_deref(), Some("sip"));
    let (v, d) = vs("    lb_kind NAT\n    persistence_engine abcdefghijklmnopq");
    assert_eq!(v.persistence_engine.as_deref(), Some("abcdefghijklmno"));
    assert!(d
        .iter()
        .any(|m| m.starts_with("persistence_name too long, truncating")));
    let (v, d) = vs("    lb_kind NAT\n    lb_algo sh\n    hashed");
    assert_eq!((v.sched_flags, d.len()), (0, 0), "{d:?}");
    let (v, d) = vs("    lb_kind NAT\n    hashed");
    assert_eq!(v.sched_flags, 0);
    assert!(d
        .iter()
        .any(|m| m == "hashed only applies to sh scheduler - ignoring"));
}
