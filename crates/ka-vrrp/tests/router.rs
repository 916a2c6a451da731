//! The Router's entry points each reach the instances they concern and no other: a packet
//! its VRID on its interface and family, a bad packet every instance on the interface, an
//! address removed the masters holding it there, stop everyone, a reload's deletion the
//! instances it names, let_go what a carrying master drops.

use std::net::IpAddr;

use ka_config::{parse_str, Options};
use ka_vrrp::error::DecodeError;
use ka_vrrp::instance::{Event, State};
use ka_vrrp::packet::{Auth, Envelope, Repr, Version};
use ka_vrrp::rx::Received;
use ka_vrrp::sync::{Router, Target};
use ka_vrrp::{Action, Time};

const CONF: &str = r#"
vrrp_instance A {
    state MASTER
    interface eth0
    virtual_router_id 1
    priority 150
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance B {
    state MASTER
    interface eth0
    virtual_router_id 2
    priority 150
    virtual_ipaddress {
        192.0.2.2
        192.0.2.22 dev eth1
    }
}
vrrp_instance C {
    state MASTER
    interface eth1
    virtual_router_id 1
    priority 150
    virtual_ipaddress {
        192.0.2.3
    }
}
vrrp_instance D {
    state MASTER
    interface eth0
    virtual_router_id 1
    priority 150
    version 3
    virtual_ipaddress {
        2001:db8::1
    }
}
"#;

fn router() -> Router {
    router_of(CONF)
}

fn router_of(conf: &str) -> Router {
    let l = parse_str("k.conf", conf, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    ka_vrrp::config::router(&l.config, &|m| {
        if m.name == "D" {
            "fe80::1".parse().unwrap()
        } else {
            "10.0.0.1".parse().unwrap()
        }
    })
}

fn s(secs: f64) -> Time {
    Time((secs * 1e6) as u64)
}

/// Every instance MASTER.
fn masters() -> Router {
    let r = started(router());
    for i in &r.instances {
        assert_eq!(i.state(), State::Master, "{}", i.name());
    }
    r
}

/// Started and run for 5 s with no peer.
fn started(mut r: Router) -> Router {
    for i in 0..r.instances.len() {
        r.handle(s(0.0), i, Event::Start);
    }
    let mut t = 0.0;
    while t < 5.0 {
        t += 0.05;
        r.tick(s(t));
    }
    r
}

fn advert(vrid: u8, src: &str, dst: &str, addrs: &[&str], version: Version) -> Vec<u8> {
    let repr = Repr {
        version,
        vrid,
        priority: 50,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
    };
    let env = Envelope {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
    };
    repr.to_bytes(&env)
}

fn received<'a>(src: &str, dst: &str, vrrp: &'a [u8]) -> Received<'a> {
    Received {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        ttl: 255,
        vrrp,
        ipv4: None,
    }
}

fn targets(acts: &[(Target, Action)]) -> Vec<usize> {
    let mut t: Vec<usize> = acts
        .iter()
        .filter_map(|(t, _)| match t {
            Target::Instance(i) => Some(*i),
            _ => None,
        })
        .collect();
    t.dedup();
    t
}

fn rcvd(r: &Router) -> Vec<u64> {
    r.instances.iter().map(|i| i.stats.advert_rcvd).collect()
}

#[test]
fn a_packet_reaches_its_vrid_on_its_interface_and_family() {
    let mut r = masters();
    let v4 = advert(1, "10.0.0.2", "224.0.0.18", &["192.0.2.1"], Version::V2);
    r.packet(s(6.0), "eth0", &received("10.0.0.2", "224.0.0.18", &v4));
    assert_eq!(rcvd(&r), vec![1, 0, 0, 0], "A only: VRID 1 on eth0, IPv4");
    let v4c = advert(1, "10.0.0.2", "224.0.0.18", &["192.0.2.3"], Version::V2);
    r.packet(s(6.1), "eth1", &received("10.0.0.2", "224.0.0.18", &v4c));
    assert_eq!(rcvd(&r), vec![1, 0, 1, 0], "C: VRID 1 on eth1");
    let v6 = advert(1, "fe80::2", "ff02::12", &["2001:db8::1"], Version::V3);
    r.packet(s(6.2), "eth0", &received("fe80::2", "ff02::12", &v6));
    assert_eq!(rcvd(&r), vec![1, 0, 1, 1], "D: VRID 1 on eth0, IPv6");
    // keepalived's STATS_CLEAR: every counter back to zero.
    r.clear_stats();
    assert_eq!(rcvd(&r), vec![0, 0, 0, 0]);
    assert!(r.instances.iter().all(|i| i.stats.advert_sent == 0));
}

#[test]
fn a_bad_packet_counts_on_every_instance_of_its_interface() {
    let mut r = masters();
    let acts = r.bad_packet(s(6.0), "eth1", &DecodeError::TooShort);
    assert_eq!(targets(&acts), vec![2]);
    let counts =
        |r: &Router| -> Vec<u64> { r.instances.iter().map(|i| i.stats.packet_len_err).collect() };
    assert_eq!(counts(&r), vec![0, 0, 1, 0]);
    r.bad_packet(s(6.1), "eth0", &DecodeError::TooShort);
    assert_eq!(counts(&r), vec![1, 1, 1, 1]);
}

#[test]
fn an_address_removed_moves_the_masters_holding_it_there() {
    let mut r = masters();
    let on_eth1 = |_: usize, a: &ka_config::model::IpAddress| a.dev.as_deref() == Some("eth1");
    // 192.0.2.22 is B's, on eth1: B goes BACKUP to take it back; a removal on eth0 is
    // not B's address.
    let acts = r.address_removed(s(6.0), "192.0.2.22".parse().unwrap(), |_, a| {
        a.dev.as_deref() == Some("eth0")
    });
    assert!(acts.is_empty(), "{acts:?}");
    let acts = r.address_removed(s(6.0), "192.0.2.22".parse().unwrap(), on_eth1);
    assert_eq!(targets(&acts), vec![1]);
    assert!(acts
        .iter()
        .any(|(_, a)| matches!(a, Action::Log { line, .. }
        if line == "(B) VIP 192.0.2.22 was removed by someone else")));
    assert_eq!(r.instances[1].state(), State::Backup);
    // Nobody holds 192.0.2.99.
    assert!(r
        .address_removed(s(6.1), "192.0.2.99".parse().unwrap(), |_, _| true)
        .is_empty());
    // A BACKUP holding nothing is not moved.
    assert!(r
        .address_removed(s(6.2), "192.0.2.22".parse().unwrap(), on_eth1)
        .is_empty());
}

fn priority_zero_from(acts: &[(Target, Action)]) -> Vec<usize> {
    acts.iter()
        .filter_map(|(t, a)| match (t, a) {
            (Target::Instance(i), Action::Send { priority: 0, .. }) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn stop_reaches_everyone_and_delete_only_those_named() {
    let mut r = masters();
    let acts = r.delete(s(6.0), &["C".to_string()]);
    assert_eq!(priority_zero_from(&acts), vec![2]);
    assert_eq!(targets(&acts), vec![2]);
    let mut r = masters();
    let acts = r.stop(s(6.0));
    assert_eq!(priority_zero_from(&acts), vec![0, 1, 2, 3]);
}

#[test]
fn let_go_names_each_address_with_its_device() {
    let r = masters();
    let a = |addr: &str, dev: Option<&str>| {
        let ip: IpAddr = addr.parse().unwrap();
        let mut x = ka_vrrp::action::Held::addresses(&[ip]).addresses[0].clone();
        x.dev = dev.map(str::to_string);
        x
    };
    let removed = ka_vrrp::reload::Removed {
        vips: vec![(
            "B".into(),
            vec![a("192.0.2.2", None), a("192.0.2.22", Some("eth1"))],
        )],
        ..Default::default()
    };
    let acts = r.let_go(&removed);
    let [(
        Target::Instance(1),
        Action::Vips {
            add: false,
            addresses,
        },
    )] = &acts[..]
    else {
        panic!("{acts:?}")
    };
    let devs: Vec<_> = addresses.iter().map(|a| a.dev.as_deref()).collect();
    assert_eq!(
        devs,
        vec![Some("eth0"), Some("eth1")],
        "its own interface by default"
    );
}

#[test]
fn a_member_leaving_master_takes_its_group_along() {
    // keepalived vrrp_sync_backup: one member of a sync group goes BACKUP (a higher
    // priority router for its VRID), so do the others.
    let conf =
        format!("{CONF}\nvrrp_sync_group G {{\n    group {{\n        A\n        B\n    }}\n}}\n");
    let mut r = started(router_of(&conf));
    assert_eq!(r.instances[0].state(), State::Master);
    assert_eq!(r.instances[1].state(), State::Master);
    // A higher priority (200) for A's VRID.
    let higher = higher_for_a();
    r.packet(s(5.5), "eth0", &received("10.0.0.2", "224.0.0.18", &higher));
    assert_eq!(r.instances[0].state(), State::Backup);
    assert_eq!(r.instances[1].state(), State::Backup, "B follows A");
    assert_eq!(r.instances[2].state(), State::Master, "C is in no group");
}

/// An advert of priority 200 from 10.0.0.2 for A's VRID (1) and VIP.
fn higher_for_a() -> Vec<u8> {
    Repr {
        version: Version::V2,
        vrid: 1,
        priority: 200,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec!["192.0.2.1".parse().unwrap()],
    }
    .to_bytes(&Envelope {
        src: "10.0.0.2".parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
    })
}

/// Two instances X (index 0) and Y (index 1) in one sync group, no peer.
fn group_xy() -> Router {
    let conf = "
vrrp_sync_group G {
    group {
        X
        Y
    }
}
vrrp_instance X {
    interface eth0
    virtual_router_id 1
    priority 150
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance Y {
    interface eth0
    virtual_router_id 2
    priority 150
    virtual_ipaddress {
        192.0.2.2
    }
}
";
    router_of(conf)
}

#[test]
fn a_member_moved_by_its_group_records_when_and_why() {
    // The Router marks the transitions it causes: B goes BACKUP because A did, in the
    // same event, and its last transition is that moment.
    let conf =
        format!("{CONF}\nvrrp_sync_group G {{\n    group {{\n        A\n        B\n    }}\n}}\n");
    let mut r = started(router_of(&conf));
    let became_master = r.instances[1].last_transition().expect("B is MASTER");
    assert!(became_master > s(0.0) && became_master <= s(5.0));
    let higher = higher_for_a();
    r.packet(s(5.5), "eth0", &received("10.0.0.2", "224.0.0.18", &higher));
    assert_eq!(r.instances[1].state(), State::Backup);
    assert_eq!(r.instances[1].last_transition(), Some(s(5.5)));
    assert!(r.instances[1].last_reason().is_some());
}

#[test]
fn a_member_already_master_does_not_hold_its_group_back() {
    // X starts as a BACKUP, Y resumes MASTER beside it (a restarted child): when X's
    // master-down interval passes, Y counts as ready and X becomes MASTER; it does not
    // wait for a want Y will never send.
    // (X starts first: a member entering BACKUP takes a MASTER member along.)
    let mut r = group_xy();
    r.handle(s(0.0), 0, Event::Start);
    assert_eq!(r.instances[0].state(), State::Backup);
    r.handle(s(0.0), 1, Event::Resume);
    assert_eq!(r.instances[1].state(), State::Master);
    let md = r.instances[0].master_down();
    r.tick(Time(md.as_micros() as u64));
    assert_eq!(
        r.instances[0].state(),
        State::Master,
        "X joins Y at its master-down"
    );
}

#[test]
fn members_wanting_master_within_one_interval_go_together() {
    // Y's master-down interval ends first; X's ends 0.5 ms short of one more interval
    // later, before Y asks again: Y's want is still fresh, both become MASTER then.
    let mut r = group_xy();
    let md = r.instances[0].master_down().as_micros() as u64;
    r.handle(s(0.0), 1, Event::Start);
    r.tick(Time(md));
    assert_eq!(r.instances[1].state(), State::Backup, "Y waits for X");
    let x_start = Time(md - 500);
    r.handle(x_start, 0, Event::Start);
    let x_down = Time(2 * md - 500);
    r.tick(x_down);
    assert_eq!(r.instances[0].state(), State::Master);
    assert_eq!(r.instances[1].state(), State::Master);
    assert_eq!(r.instances[0].last_transition(), Some(x_down));
    assert_eq!(r.instances[1].last_transition(), Some(x_down));
}
