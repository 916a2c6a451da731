//! keepalived 2.2.7's garp_group (vrrp_parser.c): intervals, interfaces, and its errors.

use std::time::Duration;

use ka_config::{dump, parse_str, Options};

#[test]
fn intervals_and_interfaces() {
    let text = "garp_group {\n    garp_interval 0.05\n    gna_interval 0.000250\n    interface eth1\n    interfaces {\n        eth2\n        eth3\n    }\n}\ngarp_group {\n    gna_interval 0.1\n    interface eth1\n    interface eth4\n}\ngarp_group {\n    interface eth5\n}\n";
    let l = parse_str("g.conf", text, &Options::default());
    let g = &l.config.garp_groups;
    assert_eq!(g.len(), 2, "the group without an interval is dropped");
    assert_eq!(g[0].garp_interval, Duration::from_millis(50));
    assert_eq!(g[0].gna_interval, Duration::from_micros(250));
    assert_eq!(g[0].interfaces, ["eth1", "eth2", "eth3"]);
    assert_eq!(g[1].interfaces, ["eth4"], "eth1 stays in the first group");
    let msgs: Vec<(u32, &str)> = l
        .diagnostics
        .iter()
        .map(|d| (d.pos.line, d.message.as_str()))
        .collect();
    assert!(
        msgs.contains(&(12, "garp_group already specified for eth1 - ignoring")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(17, "garp group 0 does not have any delay set - removing")),
        "{msgs:?}"
    );
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
}

/// interface_up_down_delays and linkbeat_interfaces, with keepalived's messages.
#[test]
fn link_delays_and_linkbeat() {
    use ka_config::model::LinkbeatType;
    let text = "interface_up_down_delays {\n    eth0 2\n    eth1 0.5 1.5\n    eth2\n    eth3 300\n}\nlinkbeat_interfaces {\n    eth0\n    eth1 ETHTOOL\n    eth2 BOGUS\n}\nlinkbeat_use_polling\n";
    let l = parse_str("l.conf", text, &Options::default());
    let d = &l.config.interface_delays;
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0].down, d[0].up),
        (Duration::from_secs(2), Duration::ZERO)
    );
    assert_eq!(
        (d[1].down, d[1].up),
        (Duration::from_millis(500), Duration::from_millis(1500))
    );
    let msgs: Vec<(u32, &str)> = l
        .diagnostics
        .iter()
        .map(|d| (d.pos.line, d.message.as_str()))
        .collect();
    assert!(
        msgs.contains(&(4, "No timeouts specified for eth2 up/down delays")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(5, "Invalid down delay 300 for eth3")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(10, "extra characters BOGUS in linkbeat interface")),
        "{msgs:?}"
    );
    let lb = &l.config.linkbeat_interfaces;
    assert_eq!(lb.len(), 3);
    assert_eq!(lb[1].kind, Some(LinkbeatType::Ethtool));
    assert!(l.config.global.linkbeat_use_polling);
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
}

/// net_namespace_ipvs: a name, none (PID 1's namespace), a duplicate.
#[test]
fn net_namespace_ipvs() {
    let l = parse_str(
        "n.conf",
        "net_namespace_ipvs lvs\nnet_namespace_ipvs other\n",
        &Options::default(),
    );
    assert_eq!(l.config.global.net_namespace_ipvs.as_deref(), Some("lvs"));
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.message == "Duplicate net_namespace_ipvs definition other - ignoring"));
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
    let l = parse_str("n.conf", "net_namespace_ipvs\n", &Options::default());
    assert_eq!(l.config.global.net_namespace_ipvs.as_deref(), Some(""));
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config);
}
