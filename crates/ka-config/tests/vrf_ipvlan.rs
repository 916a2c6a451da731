//! `vrf` and `use_ipvlan` in a vrrp_instance, with keepalived 2.2.7's checks and
//! messages (vrrp_vrf_handler, vrrp_ipvlan_handler, vrrp_complete_instance, vrrp_end_handler;
//! `name` and `group` from 2.3.0), and keepalived 2.2.8's unicast instances without an
//! interface. What the daemon does with them: integration/vrf.sh (VM), integration/noif.sh.

use std::net::IpAddr;

use ka_config::model::IpvlanMode;
use ka_config::{dump, parse_str, Options, Severity};

fn parse(text: &str) -> ka_config::Loaded {
    parse_str("/k.conf", text, &Options::default())
}

fn messages(text: &str) -> Vec<(u32, Severity, String)> {
    parse(text)
        .diagnostics
        .iter()
        .map(|d| (d.pos.line, d.severity, d.message.clone()))
        .collect()
}

fn unicast(extra: &str) -> String {
    format!("vrrp_instance U {{\n    virtual_router_id 5\n{extra}    unicast_src_ip 10.0.0.1\n    unicast_peer {{\n        10.0.0.2\n    }}\n    virtual_ipaddress {{\n        10.0.0.100/24 dev eth0\n    }}\n}}\n")
}

#[test]
fn vrf_on_a_unicast_instance_without_an_interface() {
    let text = unicast("    vrf red\n");
    let l = parse(&text);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let i = &l.config.instances[0];
    assert_eq!(i.vrf.as_deref(), Some("red"));
    assert_eq!(i.interface, None);
    assert!(dump::dump(&l.config).contains("vrf red"));
}

#[test]
fn vrf_is_refused_beside_an_interface_or_without_unicast() {
    // interface before vrf: the handler's message on the vrf line.
    let m = messages(&unicast("    interface eth0\n    vrf red\n"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, 4);
    assert_eq!(
        m[0].2,
        "(U) Cannot specify VRF interface and interface - ignoring"
    );
    // interface after vrf: vrrp_complete_instance clears it.
    let text = unicast("    vrf red\n    interface eth0\n");
    let m = messages(&text);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        m[0].2,
        "(U) vrf can only be specified without interface - clearing"
    );
    assert_eq!(parse(&text).config.instances[0].vrf, None);
    // Multicast.
    let text = "vrrp_instance M {\n    interface eth0\n    virtual_router_id 5\n    vrf red\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n}\n";
    let m = messages(text);
    assert_eq!(
        m[0].2,
        "(M) Cannot specify VRF interface and interface - ignoring"
    );
    // Twice, too long, the loopback.
    let m = messages(&unicast(
        "    vrf red\n    vrf blue\n    vrf abcdefghijklmnopq\n    vrf lo\n",
    ));
    let lines: Vec<&str> = m.iter().map(|x| x.2.as_str()).collect();
    assert_eq!(
        lines,
        [
            "(U) VRF interface already specified as 'red' - ignoring",
            "(U) VRF interface name 'abcdefghijklmnopq' too long - ignoring",
            "(U) VRF interface already specified as 'red' - ignoring",
        ]
    );
}

#[test]
fn a_vip_without_an_interface_on_an_instance_without_one_is_removed() {
    let text = "vrrp_instance U {\n    virtual_router_id 5\n    unicast_src_ip 10.0.0.1\n    unicast_peer {\n        10.0.0.2\n    }\n    virtual_ipaddress {\n        10.0.0.100/24 dev eth0\n        10.0.0.101/24\n    }\n    virtual_ipaddress_excluded {\n        10.0.0.102/24\n    }\n}\n";
    let m = messages(text);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        (m[0].0, m[0].2.as_str()),
        (9, "(U): no interface for vip 10.0.0.101 - removing")
    );
    assert_eq!(
        (m[1].0, m[1].2.as_str()),
        (12, "(U): no interface for evip 10.0.0.102 - removing")
    );
    let i = &parse(text).config.instances[0];
    assert_eq!(i.vips.len(), 1);
    assert!(i.excluded_vips.is_empty());
}

fn ipvlan(line: &str) -> String {
    format!("vrrp_instance I {{\n    interface eth0\n    virtual_router_id 6\n    {line}\n    virtual_ipaddress {{\n        10.0.0.101/24\n    }}\n}}\n")
}

#[test]
fn use_ipvlan_reads_name_address_mode_and_group() {
    let l = parse(&ipvlan("use_ipvlan ipv6x 10.0.0.5/24 private"));
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let i = &l.config.instances[0];
    let v = i.use_ipvlan.as_ref().unwrap();
    assert_eq!(v.name.as_deref(), Some("ipv6x"));
    assert_eq!(v.address, Some(("10.0.0.5".parse::<IpAddr>().unwrap(), 24)));
    assert_eq!(v.mode, IpvlanMode::Private);
    // The ipvlan's address is the advert source when none is configured.
    assert_eq!(i.src_ip, Some("10.0.0.5".parse().unwrap()));
    assert!(dump::dump(&l.config).contains("use_ipvlan ipv6x 10.0.0.5/24 private"));

    // keepalived 2.3.0's `name NAME` and `group GID`; the mode defaults to bridge.
    let l = parse(&ipvlan("use_ipvlan 10.0.0.5 name ipv6y group 7"));
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let v = l.config.instances[0].use_ipvlan.clone().unwrap();
    assert_eq!(v.name.as_deref(), Some("ipv6y"));
    assert_eq!(v.group, Some(7));
    assert_eq!(v.mode, IpvlanMode::Bridge);
    assert_eq!(v.address.unwrap().1, 32);

    // An explicit source stays.
    let l = parse(&ipvlan(
        "use_ipvlan 10.0.0.5/24\n    unicast_src_ip 10.0.0.1",
    ));
    assert_eq!(
        l.config.instances[0].src_ip,
        Some("10.0.0.1".parse().unwrap())
    );
}

#[test]
fn use_ipvlan_complaints_as_keepalived() {
    let m = messages(&ipvlan(
        "use_ipvlan ipv6x 10.0.0.5/24 vepa bridge 10.0.0.6 other abcdefghijklmnopq",
    ));
    let lines: Vec<&str> = m.iter().map(|x| x.2.as_str()).collect();
    assert_eq!(
        lines,
        [
            "(I) ipvlan type already specified - ignoring 'bridge'",
            "(I) ipvlan address already specified - ignoring '10.0.0.6'",
            "(I) IPVLAN interface already specified - ignoring 'other'",
            "(I) IPVLAN interface already specified - ignoring 'abcdefghijklmnopq'",
        ]
    );
    // IPv4 needs an address: keepalived holds the instance in FAULT; it is left out here.
    let text = ipvlan("use_ipvlan ipv6x");
    let m = messages(&text);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].1, Severity::Error);
    assert!(
        m[0].2
            .starts_with("(I) IPv4 ipvlan requires a source ip address"),
        "{m:?}"
    );
    assert!(parse(&text).config.instances.is_empty());
    // With use_vmac: ipvlan wins (keepalived makes the ipvlan); vmac_xmit_base goes.
    let l = parse(&ipvlan(
        "use_vmac\n    vmac_xmit_base\n    use_ipvlan 10.0.0.5/24",
    ));
    let i = &l.config.instances[0];
    assert!(i.use_vmac.is_none() && !i.vmac_xmit_base && i.use_ipvlan.is_some());
    let lines: Vec<String> = l.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        lines,
        [
            "(I) use_vmac and use_ipvlan both given; using use_ipvlan",
            "(I) vmac_xmit_base is only valid with a vmac",
        ]
    );
    // Twice.
    let m = messages(&ipvlan(
        "use_ipvlan 10.0.0.5/24\n    use_ipvlan 10.0.0.6/24",
    ));
    assert_eq!(m[0].2, "(I) use_ipvlan already specified");
    // Without an interface (unicast): cleared.
    let m = messages(&unicast("    use_ipvlan 10.0.0.5/24\n"));
    assert_eq!(
        m[0].2,
        "(U): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"
    );
}

#[test]
fn a_route_in_a_vrf() {
    let text = unicast(
        "    virtual_routes {\n        10.91.0.0/16 via 10.0.0.254 dev eth0 vrf red\n    }\n",
    );
    let l = parse(&text);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let r = &l.config.instances[0].virtual_routes[0];
    assert_eq!(r.vrf.as_deref(), Some("red"));
    assert_eq!(r.table, None);
    assert!(dump::dump(&l.config).contains("vrf red"));
    // keepalived 2.2.7 parse_route: a VRF that does not exist drops the route.
    let opts = Options {
        interfaces: Some(["eth0".to_string()].into_iter().collect()),
        ..Options::default()
    };
    let l = parse_str("/k.conf", &text, &opts);
    let m: Vec<&str> = l.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(m, ["VRF red not found for route"]);
    assert!(l.config.instances[0].virtual_routes.is_empty());
}
