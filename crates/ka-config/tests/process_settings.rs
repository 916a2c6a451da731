//! global_defs' per-process keywords (keepalived global_parser.c): values, keepalived's
//! range handling, and the dump's round trip.

use ka_config::model::ProcessSettings;
use ka_config::{dump, parse_str, Options, Severity};

fn parse(g: &str) -> ka_config::Loaded {
    parse_str(
        "p.conf",
        &format!("global_defs {{\n{g}\n}}\n"),
        &Options::default(),
    )
}

fn messages(l: &ka_config::Loaded) -> Vec<String> {
    l.diagnostics.iter().map(|d| d.message.clone()).collect()
}

#[test]
fn each_keyword_sets_its_process() {
    let l = parse(
        "vrrp_priority -5\nchecker_priority 3\nvrrp_rt_priority 50\nvrrp_rlimit_rttime 20000\n\
         vrrp_no_swap\nchecker_cpu_affinity 1 0\nvrrp_process_name vrrp1\nprocess_name ka\numask 027",
    );
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let g = &l.config.global;
    assert_eq!(
        g.vrrp_process,
        ProcessSettings {
            priority: Some(-5),
            rt_priority: Some(50),
            rlimit_rttime: Some(20000),
            no_swap: true,
            cpu_affinity: vec![],
            name: Some("vrrp1".into()),
            max_auto_priority: 0,
            min_auto_priority_delay: None,
        }
    );
    assert_eq!(g.checker_process.priority, Some(3));
    assert_eq!(g.checker_process.cpu_affinity, vec![1, 0]);
    assert!(!g.checker_process.no_swap);
    assert_eq!(g.process_name.as_deref(), Some("ka"));
    assert_eq!(g.umask, Some(0o027));
    // And back through -d.
    let text = dump::dump(&l.config);
    let again = parse_str("d.conf", &text, &Options::default());
    assert_eq!(again.config, l.config, "{text}");
}

#[test]
fn keepalived_ranges_and_messages() {
    // Real-time priority: clamped to SCHED_RR's range with keepalived's words.
    let l = parse("vrrp_rt_priority 150\nchecker_rt_priority 0");
    assert_eq!(l.config.global.vrrp_process.rt_priority, Some(99));
    assert_eq!(l.config.global.checker_process.rt_priority, Some(1));
    let m = messages(&l);
    assert!(
        m[0].contains("greater than maximum 99 - setting to maximum"),
        "{m:?}"
    );
    assert!(
        m[1].contains("less than minimum 1 - setting to minimum"),
        "{m:?}"
    );
    // Nice value out of range: an error, unchanged.
    let l = parse("vrrp_priority 20");
    assert_eq!(l.config.global.vrrp_process.priority, None);
    assert_eq!(l.diagnostics[0].severity, Severity::Error);
    // The deprecated spelling, a minimum of 2, and process_names.
    let l = parse("checker_rlimit_rtime 1\nprocess_names");
    assert_eq!(l.config.global.checker_process.rlimit_rttime, Some(2));
    assert!(messages(&l)[0].contains("is deprecated - please use 'checker_rlimit_rttime'"));
    assert_eq!(
        l.config.global.vrrp_process.name.as_deref(),
        Some("keepalived_vrrp")
    );
    assert_eq!(
        l.config.global.checker_process.name.as_deref(),
        Some("keepalived_lvs")
    );
    // A name over 15 characters is cut.
    let l = parse("process_name a_very_long_process_name");
    assert_eq!(
        l.config.global.process_name.as_deref(),
        Some("a_very_long_pro")
    );
    assert!(messages(&l)[0].contains("more than 15 characters, truncating"));
}

#[test]
fn umask_as_keepalived_reads_it() {
    for (text, want) in [
        ("umask 022", Some(0o022)),
        ("umask 0x12", Some(0o022)),
        ("umask 18", Some(0o022)),
        ("umask IWGRP|IWOTH", Some(0o022)),
        ("umask IRWXU", None),
        ("umask IWGRP IWOTH", None),
        ("umask 0777", Some(0o777)),
        ("umask 01777", None),
    ] {
        let l = parse(text);
        assert_eq!(l.config.global.umask, want, "{text}: {:?}", messages(&l));
        assert_eq!(want.is_none(), !l.diagnostics.is_empty(), "{text}");
    }
}

/// Debian's keepalived 2.2.7 is built with nftables and without iptables: `vrrp_iptables`
/// (with chains or without) warns and means the nftables table "keepalived";
/// `nftables` after it is "already specified"; `nftables` resets the priority to -1 as
/// keepalived's handler does.
#[test]
fn vrrp_iptables_means_nftables_as_debians_keepalived() {
    for text in ["vrrp_iptables", "vrrp_iptables INPUT OUTPUT"] {
        let l = parse(text);
        assert_eq!(
            messages(&l),
            vec!["iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option".to_string()],
            "{text}"
        );
        assert_eq!(l.config.global.nftables.as_deref(), Some("keepalived"));
    }
    let l = parse("vrrp_iptables\nnftables other");
    assert_eq!(messages(&l)[1], "nftables already specified - ignoring");
    assert_eq!(l.config.global.nftables.as_deref(), Some("keepalived"));
    let l = parse("nftables_priority -5\nnftables fw\nnftables_counters");
    let g = &l.config.global;
    assert_eq!(
        (
            g.nftables.as_deref(),
            g.nftables_priority,
            g.nftables_counters
        ),
        (Some("fw"), -1, true)
    );
    let l = parse("nftables\nnftables_priority -5\nnftables_ifindex");
    let g = &l.config.global;
    assert_eq!(
        (
            g.nftables.as_deref(),
            g.nftables_priority,
            g.nftables_ifindex
        ),
        (Some("keepalived"), -5, true)
    );
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let d = dump::dump(&l.config);
    assert!(
        d.contains("\n    nftables keepalived\n    nftables_priority -5\n"),
        "{d}"
    );
    let l = parse("nftables_priority x");
    assert_eq!(
        messages(&l),
        vec!["invalid nftables chain priority 'x'".to_string()]
    );
}

#[test]
fn auto_priority_reaches_both_children() {
    // keepalived: no argument is SCHED_RR's maximum; the delay is in microseconds.
    let l = parse("max_auto_priority\nmin_auto_priority_delay 200000");
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    for ps in [
        &l.config.global.vrrp_process,
        &l.config.global.checker_process,
    ] {
        assert_eq!(ps.max_auto_priority, 99);
        assert_eq!(ps.min_auto_priority_delay, Some(200_000));
    }
    let text = dump::dump(&l.config);
    let again = parse_str("d.conf", &text, &Options::default());
    assert_eq!(again.config, l.config, "{text}");
    // -1 disables, as 0 does.
    let l = parse("max_auto_priority -1");
    assert_eq!(l.config.global.vrrp_process.max_auto_priority, 0);
    assert!(l.diagnostics.is_empty());
    // Out of range: keepalived's words, unchanged.
    let l = parse("max_auto_priority 100\nmin_auto_priority_delay 0\nmin_auto_priority_delay");
    assert_eq!(l.config.global.vrrp_process.max_auto_priority, 0);
    assert_eq!(l.config.global.vrrp_process.min_auto_priority_delay, None);
    let m = messages(&l);
    assert!(
        m[0].contains("max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring"),
        "{m:?}"
    );
    assert!(
        m[1].contains("min_auto_priority_delay '0' must be in [1, 10000000] - ignoring"),
        "{m:?}"
    );
    assert!(
        m[2].contains("min_auto_priority_delay requires delay time"),
        "{m:?}"
    );
    assert!(l.diagnostics.iter().all(|d| d.severity == Severity::Error));
}

/// net_namespace, instance, use_pid_dir and namespace_with_ipsets: top-level keywords as
/// in keepalived (unknown inside global_defs), keepalived's warnings for a duplicate and
/// a missing name; a namespace or an instance implies use_pid_dir.
#[test]
fn where_the_daemon_runs_is_top_level() {
    let l = parse_str(
        "w.conf",
        "net_namespace blue\nnet_namespace green\ninstance one\ninstance\nnamespace_with_ipsets\n",
        &Options::default(),
    );
    assert_eq!(
        messages(&l),
        vec![
            "Duplicate net_namespace definition green - ignoring".to_string(),
            "instance name missing - ignoring".to_string(),
        ]
    );
    let g = &l.config.global;
    assert_eq!(
        (
            g.net_namespace.as_deref(),
            g.instance.as_deref(),
            g.use_pid_dir
        ),
        (Some("blue"), Some("one"), true)
    );
    let d = dump::dump(&l.config);
    assert!(d.starts_with("net_namespace blue\ninstance one\n"), "{d}");
    let again = parse_str("d.conf", &d, &Options::default());
    assert_eq!(again.config.global, l.config.global);
    let l = parse("net_namespace blue\nuse_pid_dir");
    assert_eq!(l.diagnostics.len(), 2, "{:?}", messages(&l));
    assert!(l.config.global.net_namespace.is_none() && !l.config.global.use_pid_dir);
    let l = parse_str("u.conf", "use_pid_dir\n", &Options::default());
    assert!(l.config.global.use_pid_dir && l.diagnostics.is_empty());
    assert!(dump::dump(&l.config).starts_with("use_pid_dir\n"));
}
