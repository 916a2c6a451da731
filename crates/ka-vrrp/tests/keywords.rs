//! Instance keywords from the configuration to the running instance, as keepalived
//! resolves them (vrrp.c vrrp_complete_instance), and through the dump's round trip:
//! notify_priority_changes (instance, else sync group, else global_defs'
//! vrrp_notify_priority_changes), notify_master_rx_lower_pri, unicast_fault_no_peer,
//! notify_deleted.

use ka_config::{dump, parse_str, Options};

const CONF: &str = r#"
global_defs {
    vrrp_notify_priority_changes
}
vrrp_sync_group G {
    group {
        A
        B
    }
    notify_priority_changes off
}
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance B {
    interface eth0
    virtual_router_id 2
    notify_priority_changes on
    notify_master_rx_lower_pri "/usr/local/bin/take-back B"
    virtual_ipaddress {
        192.0.2.2
    }
}
vrrp_instance C {
    interface eth0
    virtual_router_id 3
    virtual_ipaddress {
        192.0.2.3
    }
}
vrrp_instance D {
    interface eth0
    virtual_router_id 4
    notify_priority_changes false
    virtual_ipaddress {
        192.0.2.4
    }
}
"#;

fn resolved(text: &str) -> Vec<(String, bool)> {
    let l = parse_str("n.conf", text, &Options::default());
    assert!(l.diagnostics.is_empty(), "{:?}", l.short());
    let r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    r.instances
        .iter()
        .map(|i| (i.cfg.name.clone(), i.cfg.notify_priority_changes))
        .collect()
}

#[test]
fn instance_then_group_then_global() {
    let want = vec![
        ("A".to_string(), false), // the group's off over the global on
        ("B".to_string(), true),  // its own on over the group's off
        ("C".to_string(), true),  // no group: the global default
        ("D".to_string(), false), // its own off over the global on
    ];
    assert_eq!(resolved(CONF), want);
    // The canonical dump says the same.
    let l = parse_str("n.conf", CONF, &Options::default());
    assert_eq!(resolved(&dump::dump(&l.config)), want);
}

#[test]
fn off_by_default() {
    let text = CONF.replace("    vrrp_notify_priority_changes\n", "");
    let got = resolved(&text);
    assert_eq!(got[2], ("C".to_string(), false));
}

#[test]
fn notify_master_rx_lower_pri_reaches_the_instance_and_survives_the_dump() {
    let l = parse_str("n.conf", CONF, &Options::default());
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    for c in [&l.config, &again.config] {
        let r = ka_vrrp::config::router(c, &|_| "10.0.0.1".parse().unwrap());
        let b = &r.instances[1];
        assert_eq!(b.cfg.name, "B");
        assert_eq!(
            b.cfg
                .notifies
                .master_rx_lower_pri
                .as_ref()
                .map(|s| s.argv.clone()),
            Some(vec![
                "/usr/local/bin/take-back".to_string(),
                "B".to_string()
            ])
        );
        assert!(r.instances[0].cfg.notifies.master_rx_lower_pri.is_none());
    }
}

#[test]
fn unicast_fault_no_peer_is_a_fault_only_without_peers() {
    let text = |peers: &str| {
        format!(
            "vrrp_instance U {{\n    interface eth0\n    virtual_router_id 9\n    unicast_fault_no_peer\n{peers}    virtual_ipaddress {{\n        192.0.2.9\n    }}\n}}\n"
        )
    };
    for (peers, fault) in [
        ("", true),
        ("    unicast_peer {\n        10.0.0.2\n    }\n", false),
    ] {
        let l = parse_str("u.conf", &text(peers), &Options::default());
        assert!(l.diagnostics.is_empty(), "{:?}", l.short());
        for c in [
            l.config.clone(),
            parse_str("d.conf", &dump::dump(&l.config), &Options::default()).config,
        ] {
            assert!(c.instances[0].unicast_fault_no_peer);
            let r = ka_vrrp::config::router(&c, &|_| "10.0.0.1".parse().unwrap());
            assert_eq!(
                r.instances[0].cfg.no_unicast_peers_fault, fault,
                "peers: {peers:?}"
            );
        }
    }
}

#[test]
fn notify_deleted_with_or_without_a_script() {
    for (line, script) in [
        ("    notify_deleted\n", None),
        (
            "    notify_deleted \"/usr/local/bin/gone D\"\n",
            Some(vec!["/usr/local/bin/gone".to_string(), "D".to_string()]),
        ),
    ] {
        let text = format!(
            "vrrp_instance D {{\n    interface eth0\n    virtual_router_id 9\n{line}    virtual_ipaddress {{\n        192.0.2.9\n    }}\n}}\n"
        );
        let l = parse_str("d.conf", &text, &Options::default());
        assert!(l.diagnostics.is_empty(), "{:?}", l.short());
        for c in [
            l.config.clone(),
            parse_str("e.conf", &dump::dump(&l.config), &Options::default()).config,
        ] {
            let r = ka_vrrp::config::router(&c, &|_| "10.0.0.1".parse().unwrap());
            let i = &r.instances[0];
            assert!(i.cfg.notify_deleted, "{line}");
            assert_eq!(
                i.cfg.notifies.deleted.as_ref().map(|s| s.argv.clone()),
                script
            );
        }
    }
    // Off unless given.
    let l = parse_str("n.conf", CONF, &Options::default());
    let r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    assert!(!r.instances[0].cfg.notify_deleted);
}

#[test]
fn log_unknown_vrids_logs_adverts_no_instance_takes() {
    // keepalived vrrp_read_dispatcher_thread: an advert for a VRID no instance has on the
    // interface is ignored, and logged with log_unknown_vrids.
    let conf = |global: &str| {
        format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance A {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 192.0.2.1\n }}\n}}\n"
        )
    };
    let advert = |vrid: u8| {
        let repr = ka_vrrp::packet::Repr {
            version: ka_vrrp::packet::Version::V2,
            vrid,
            priority: 100,
            adver_int_cs: 100,
            auth: ka_vrrp::packet::Auth::None,
            addrs: vec!["192.0.2.1".parse().unwrap()],
        };
        let env = ka_vrrp::packet::Envelope {
            src: "10.0.0.2".parse().unwrap(),
            dst: "224.0.0.18".parse().unwrap(),
        };
        ka_vrrp::ip::build_ipv4(
            [10, 0, 0, 2].into(),
            [224, 0, 0, 18].into(),
            1,
            255,
            None,
            false,
            &repr.to_bytes(&env),
        )
    };
    let logs = |global: &str, vrid: u8, ifname: &str| {
        let l = parse_str("k.conf", &conf(global), &Options::default());
        assert_eq!(l.errors(), 0, "{:?}", l.short());
        let mut r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
        let bytes = advert(vrid);
        let rx = ka_vrrp::rx::Received::from_ipv4(&bytes).unwrap();
        r.packet(ka_vrrp::Time(1), ifname, &rx)
            .into_iter()
            .filter_map(|(_, a)| match a {
                ka_vrrp::Action::Log { line, .. } => Some(line),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let said = "Unknown VRID(9) received on interface(eth0). ignoring...";
    assert_eq!(logs("    log_unknown_vrids", 9, "eth0"), vec![said]);
    assert!(logs("    router_id x", 9, "eth0").is_empty());
    // VRID 1 is A's, but not on eth1.
    assert_eq!(
        logs("    log_unknown_vrids", 1, "eth1"),
        vec!["Unknown VRID(1) received on interface(eth1). ignoring..."]
    );
    assert!(!logs("    log_unknown_vrids", 1, "eth0")
        .iter()
        .any(|l| l.contains("Unknown VRID")));
}

#[test]
fn vmac_names_from_the_prefix() {
    // keepalived create_vmac_name: PREFIX.VRID (vmac_prefix, default vrrp), the prefix cut
    // to fit 15 bytes; a name given with use_vmac stands.
    let text = |global: &str, vmac: &str| {
        format!(
            "{global}vrrp_instance A {{\n    interface eth0\n    virtual_router_id 200\n    use_vmac {vmac}\n    virtual_ipaddress {{\n        192.0.2.1\n    }}\n}}\n"
        )
    };
    let name = |t: String| {
        let l = parse_str("v.conf", &t, &Options::default());
        assert!(l.diagnostics.is_empty(), "{:?}", l.short());
        ka_vrrp::config::vmac_ifname(&l.config.global, &l.config.instances[0])
    };
    assert_eq!(name(text("", "")), Some("vrrp.200".into()));
    assert_eq!(
        name(text("global_defs {\n    vmac_prefix vm\n}\n", "")),
        Some("vm.200".into())
    );
    assert_eq!(
        name(text(
            "global_defs {\n    vmac_prefix averyverylongprefix\n}\n",
            ""
        )),
        Some("averyverylo.200".into())
    );
    assert_eq!(
        name(text("global_defs {\n    vmac_prefix vm\n}\n", "mine")),
        Some("mine".into())
    );
    let l = parse_str(
        "v.conf",
        "global_defs {\n    vmac_prefix a\n    vmac_prefix b\n}\n",
        &Options::default(),
    );
    assert_eq!(
        l.diagnostics[0].message,
        "vmac prefix has already been specified - ignoring b"
    );
    assert_eq!(l.config.global.vmac_prefix.as_deref(), Some("a"));
}

/// track_src_ip: with a configured source the instance tracks that address (weight 0:
/// FAULT while it is gone, as keepalived); without one keepalived clears the keyword.
#[test]
fn track_src_ip_tracks_the_configured_source() {
    use ka_vrrp::instance::{State, TrackStatus, TrackerId};
    use ka_vrrp::Time;
    let conf = |src: &str| {
        format!(
            "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    priority 100\n{src}    track_src_ip\n    virtual_ipaddress {{\n        192.0.2.1/24\n    }}\n}}\n"
        )
    };
    let l = parse_str(
        "s.conf",
        &conf("    mcast_src_ip 192.0.2.5\n"),
        &Options::default(),
    );
    assert!(l.diagnostics.is_empty());
    assert!(l.config.instances[0].track_src_ip);
    assert!(dump::dump(&l.config).contains("\n    track_src_ip\n"));
    let primary = |_: &ka_config::model::VrrpInstance| "192.0.2.9".parse().unwrap();
    let mut r = ka_vrrp::config::router(&l.config, &primary);
    let id = TrackerId::SourceAddress("192.0.2.5".into());
    assert!(r.instances[0].tracks(&id));
    r.begin(Time(0), std::time::Duration::ZERO);
    r.tracker(Time(1_000), &id, TrackStatus::Down);
    assert_eq!(r.instances[0].state(), State::Fault);
    r.tracker(Time(2_000), &id, TrackStatus::Up);
    assert_eq!(r.instances[0].state(), State::Backup);
    let l = parse_str("s.conf", &conf(""), &Options::default());
    assert!(l.diagnostics.is_empty());
    assert!(!l.config.instances[0].track_src_ip);
    let r = ka_vrrp::config::router(&l.config, &primary);
    assert_eq!(r.instances[0].trackers().count(), 1, "its interface only");
}

/// native_ipv6: an instance without VIPs (no_virtual_ipaddress) is IPv6 and VRRPv3
/// (IPv6 multicast group, link-local source); with IPv4 VIPs keepalived's error.
#[test]
fn native_ipv6_makes_an_instance_ipv6_without_vips() {
    let conf = |extra: &str, vip: &str| {
        format!(
            "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    priority 100\n{extra}    virtual_ipaddress {{\n{vip}    }}\n}}\n"
        )
    };
    let primary = |m: &ka_config::model::VrrpInstance| -> std::net::IpAddr {
        if m.is_ipv6() {
            "fe80::1".parse().unwrap()
        } else {
            "192.0.2.9".parse().unwrap()
        }
    };
    let l = parse_str(
        "n.conf",
        &conf("    native_ipv6\n    no_virtual_ipaddress\n", ""),
        &Options::default(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let m = &l.config.instances[0];
    assert!(m.native_ipv6 && m.is_ipv6());
    assert_eq!(m.version, 3);
    assert!(dump::dump(&l.config).contains("\n    native_ipv6\n"));
    let c = ka_vrrp::config::instance_config(m, &l.config.global, primary(m));
    assert!(c.ipv6);
    assert_eq!(
        c.mcast_group,
        "ff02::12".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(c.src, "fe80::1".parse::<std::net::IpAddr>().unwrap());
    // The same instance without the keyword is IPv4.
    let l = parse_str(
        "n.conf",
        &conf("    no_virtual_ipaddress\n", ""),
        &Options::default(),
    );
    let m = &l.config.instances[0];
    let c = ka_vrrp::config::instance_config(m, &l.config.global, primary(m));
    assert!(!c.ipv6);
    assert_eq!(
        c.mcast_group,
        "224.0.0.18".parse::<std::net::IpAddr>().unwrap()
    );
    // With IPv4 VIPs: keepalived's error, and the instance stays IPv4.
    let l = parse_str(
        "n.conf",
        &conf("    native_ipv6\n", "        192.0.2.1/24\n"),
        &Options::default(),
    );
    let msgs: Vec<&str> = l.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs, ["(A) Cannot specify native_ipv6 with IPv4 addresses"]);
    assert!(!l.config.instances[0].is_ipv6());
}
