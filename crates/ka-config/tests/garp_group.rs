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
