//! The wanted IPVS table and the reconciliation against the kernel's, without a kernel.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ka_check::ipvs::{layout, reconcile, Wanted};
use ka_check::ipvs::{Cmd, Dest, Forward, SvcKey, Table, SVC_F_ONEPACKET, SVC_F_PERSISTENT};
use ka_check::service::{Action, Pool};

fn config(text: &str) -> ka_config::model::Config {
    let l = ka_config::parse_str("/k.conf", text, &ka_config::Options::default());
    assert!(
        !l.diagnostics
            .iter()
            .any(|d| d.severity == ka_config::diag::Severity::Error),
        "{:?}",
        l.diagnostics
    );
    l.config
}

/// The pool and the wanted table after start-up, as the checker child builds them.
fn started(text: &str) -> (Pool, Wanted) {
    let c = config(text);
    let (vs, _) = ka_check::config::build(&c);
    let mut pool = Pool::new(vs);
    let mut w = Wanted::new(layout(&c));
    feed(&mut w, pool.start());
    (pool, w)
}

fn feed(w: &mut Wanted, acts: Vec<Action>) {
    for a in acts {
        if let Action::Ipvs(op) = a {
            w.apply(&op);
        }
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const TWO: &str = r#"
virtual_server 10.0.0.1 80 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 10.0.1.1 80 {
        weight 2
        uthreshold 100
        lthreshold 10
        TCP_CHECK { }
    }
    real_server 10.0.1.2 80 {
        weight 3
        inhibit_on_failure
        TCP_CHECK { }
    }
}
"#;

fn key() -> SvcKey {
    SvcKey::Addr {
        protocol: 6,
        addr: ip("10.0.0.1"),
        port: 80,
    }
}

#[test]
fn the_configuration_becomes_services_and_destinations() {
    let (_, w) = started(TWO);
    let t = w.table();
    let (svc, dests) = &t[&key()];
    assert_eq!(svc.sched, "wrr");
    assert_eq!(svc.flags, SVC_F_PERSISTENT);
    assert_eq!(svc.timeout, 300);
    assert_eq!(svc.netmask, 0xffff_ff00);
    assert_eq!(
        dests[&(ip("10.0.1.1"), 80)],
        Dest {
            addr: ip("10.0.1.1"),
            port: 80,
            forward: Forward::Route,
            weight: 2,
            u_threshold: 100,
            l_threshold: 10,
        }
    );
    assert_eq!(dests[&(ip("10.0.1.2"), 80)].weight, 3);
}

#[test]
fn an_empty_kernel_gets_everything_and_a_matching_one_nothing() {
    // keepalived ipwrapper.c init_services: the service, then each live real server.
    let (_, w) = started(TWO);
    let mut kernel = Table::new();
    let cmds = reconcile(&w.table(), &kernel);
    assert!(matches!(cmds[0], Cmd::NewService(_)));
    assert_eq!(
        cmds.iter()
            .filter(|c| matches!(c, Cmd::NewDest(..)))
            .count(),
        2
    );
    for c in &cmds {
        record(&mut kernel, c);
    }
    // A restarted checker (same states) finds its table in place: nothing removed or
    // re-added.
    assert_eq!(reconcile(&w.table(), &kernel), vec![]);
}

#[test]
fn failure_removes_or_inhibits_and_recovery_restores() {
    let (mut pool, mut w) = started(TWO);
    let mut kernel = Table::new();
    for c in reconcile(&w.table(), &kernel) {
        record(&mut kernel, &c);
    }
    // ipwrapper.c perform_svr_state: down → DEL_DEST, or weight 0 with inhibit_on_failure.
    feed(&mut w, pool.checker_changed(0, 0, 0, false, "refused"));
    feed(&mut w, pool.checker_changed(0, 1, 0, false, "refused"));
    let cmds = reconcile(&w.table(), &kernel);
    assert_eq!(
        cmds,
        vec![
            Cmd::SetDest(
                key(),
                Dest {
                    addr: ip("10.0.1.2"),
                    port: 80,
                    forward: Forward::Route,
                    weight: 0,
                    u_threshold: 0,
                    l_threshold: 0
                }
            ),
            Cmd::DelDest(key(), ip("10.0.1.1"), 80),
        ]
    );
    for c in &cmds {
        record(&mut kernel, c);
    }
    feed(&mut w, pool.checker_changed(0, 0, 0, true, ""));
    feed(&mut w, pool.checker_changed(0, 1, 0, true, ""));
    let cmds = reconcile(&w.table(), &kernel);
    assert_eq!(cmds.len(), 2);
    assert!(matches!(&cmds[0], Cmd::NewDest(_, d) if d.addr == ip("10.0.1.1") && d.weight == 2));
    assert!(matches!(&cmds[1], Cmd::SetDest(_, d) if d.addr == ip("10.0.1.2") && d.weight == 3));
}

#[test]
fn drift_in_the_kernel_is_corrected_and_foreign_services_left_alone() {
    let (_, w) = started(TWO);
    let mut kernel = Table::new();
    for c in reconcile(&w.table(), &kernel) {
        record(&mut kernel, &c);
    }
    // Someone changed the scheduler, a weight, and added a destination and a service.
    let (svc, dests) = kernel.get_mut(&key()).unwrap();
    svc.sched = "rr".into();
    dests.get_mut(&(ip("10.0.1.1"), 80)).unwrap().weight = 9;
    let stray = Dest {
        addr: ip("10.0.1.9"),
        port: 80,
        forward: Forward::Route,
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
    };
    dests.insert((stray.addr, 80), stray);
    let foreign = SvcKey::Fwmark {
        ipv6: false,
        mark: 7,
    };
    let mut fs = kernel[&key()].0.clone();
    fs.key = foreign.clone();
    kernel.insert(foreign, (fs, BTreeMap::new()));
    let cmds = reconcile(&w.table(), &kernel);
    assert!(matches!(&cmds[0], Cmd::SetService(s) if s.sched == "wrr"));
    assert!(matches!(&cmds[1], Cmd::SetDest(_, d) if d.weight == 2));
    assert_eq!(cmds[2], Cmd::DelDest(key(), ip("10.0.1.9"), 80));
    assert_eq!(cmds.len(), 3, "the fwmark service is not ours: {cmds:?}");
}

#[test]
fn sorry_server_replaces_the_pool_when_quorum_is_lost() {
    let (mut pool, mut w) = started(
        r#"
virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    sorry_server 10.0.9.9 8080
    real_server 10.0.1.1 80 { TCP_CHECK { } }
    real_server 10.0.1.2 80 { TCP_CHECK { } }
}
"#,
    );
    let dests = |w: &Wanted| -> Vec<(IpAddr, u16, u32)> {
        w.dests(0)
            .values()
            .map(|d| (d.addr, d.port, d.weight))
            .collect()
    };
    assert_eq!(
        dests(&w),
        vec![(ip("10.0.1.1"), 80, 1), (ip("10.0.1.2"), 80, 1)]
    );
    // ipwrapper.c update_quorum_state: below quorum the live servers leave, the sorry
    // server comes in; back above it they swap again.
    feed(&mut w, pool.checker_changed(0, 0, 0, false, "refused"));
    assert_eq!(dests(&w), vec![(ip("10.0.9.9"), 8080, 1)]);
    feed(&mut w, pool.checker_changed(0, 0, 0, true, ""));
    assert_eq!(
        dests(&w),
        vec![(ip("10.0.1.1"), 80, 1), (ip("10.0.1.2"), 80, 1)]
    );
}

#[test]
fn groups_fwmarks_and_ipv6() {
    let c = config(
        r#"
virtual_server_group web {
    192.168.0.10-12 80
    fwmark 5 inet6
}
virtual_server group web {
    protocol TCP
    ops
    real_server 192.168.1.1 80 { }
}
virtual_server fwmark 9 {
    ip_family inet6
    persistence_timeout 60
    persistence_granularity 64
    real_server 2001:db8::1 0 { }
}
virtual_server 2001:db8::80 443 {
    protocol TCP
    lb_kind NAT
    real_server 2001:db8::2 443 { }
}
"#,
    );
    let l = layout(&c);
    let keys: Vec<String> = l[0].services.iter().map(|s| s.key.to_string()).collect();
    assert_eq!(
        keys,
        vec![
            "TCP 192.168.0.10:80",
            "TCP 192.168.0.11:80",
            "TCP 192.168.0.12:80",
            "FWM 5 IPv6"
        ]
    );
    assert!(l[0].services.iter().all(|s| s.flags == SVC_F_ONEPACKET));
    let f = &l[1].services[0];
    assert_eq!(
        f.key,
        SvcKey::Fwmark {
            ipv6: true,
            mark: 9
        }
    );
    assert_eq!((f.timeout, f.netmask), (60, 64));
    let v6 = &l[2].services[0];
    assert_eq!(v6.netmask, 128, "IPv6 granularity is a prefix length");
    assert_eq!(l[2].rs[0].forward, Forward::Masq);
}

/// What the kernel does with a command it accepts, on a copy of its table (the tests' kernel).
fn record(kernel: &mut Table, cmd: &Cmd) {
    match cmd {
        Cmd::NewService(s) | Cmd::SetService(s) => {
            let e = kernel
                .entry(s.key.clone())
                .or_insert_with(|| (s.clone(), BTreeMap::new()));
            e.0 = s.clone();
        }
        Cmd::DelService(k) => {
            kernel.remove(k);
        }
        Cmd::NewDest(k, d) | Cmd::SetDest(k, d) => {
            if let Some((_, ds)) = kernel.get_mut(k) {
                ds.insert((d.addr, d.port), d.clone());
            }
        }
        Cmd::DelDest(k, a, p) => {
            if let Some((_, ds)) = kernel.get_mut(k) {
                ds.remove(&(*a, *p));
            }
        }
        Cmd::Flush => kernel.clear(),
        Cmd::Timeouts(..) | Cmd::NewDaemon(_) | Cmd::DelDaemon(_) => {}
    }
}

#[test]
fn ranges_granularity_port_zero_and_scheduler_flags() {
    let c = config(
        r#"
virtual_server_group v6 {
    fd00::1-3 80
}
virtual_server group v6 {
    protocol TCP
    real_server fd00::10 80 { }
}
virtual_server 10.0.0.1 0 {
    protocol TCP
    lb_algo sh
    sh-port
    sh-fallback
    real_server 10.0.1.1 0 { }
}
virtual_server 10.0.0.2 80 {
    protocol TCP
    persistence_timeout 100
    persistence_granularity 24
    real_server 10.0.1.2 80 { }
}
virtual_server 10.0.0.3 80 {
    protocol TCP
    persistence_timeout 100
    persistence_granularity 0
    real_server 10.0.1.3 80 { }
}
virtual_server 10.0.0.4 80 {
    protocol TCP
    persistence_timeout 100
    persistence_granularity 33
    real_server 10.0.1.4 80 { }
}
virtual_server fd00::5 80 {
    protocol TCP
    persistence_timeout 100
    persistence_granularity 255.255.255.0
    real_server fd00::15 80 { }
}
virtual_server fwmark 6 {
    real_server fd00::16 80 { }
}
virtual_server_group v4 {
    10.0.0.7 80
}
virtual_server group v4 {
    protocol TCP
    persistence_timeout 100
    persistence_granularity 255.255.255.0
    real_server 10.0.1.7 80 { }
}
virtual_server fwmark 8 {
    real_server 10.0.1.8 80 { }
}
"#,
    );
    let l = layout(&c);
    // An IPv6 range: one service per address.
    let keys: Vec<String> = l[0].services.iter().map(|s| s.key.to_string()).collect();
    assert_eq!(
        keys,
        vec!["TCP [fd00::1]:80", "TCP [fd00::2]:80", "TCP [fd00::3]:80"]
    );
    // Port 0: persistent for 360 s though no persistence_timeout is given (the
    // configuration sets it, with keepalived's warning); sh-port and
    // sh-fallback are the scheduler's flags 1 and 2.
    let p0 = &l[1].services[0];
    assert_eq!(p0.timeout, 360);
    assert_eq!(
        p0.flags,
        SVC_F_PERSISTENT | ka_check::ipvs::SVC_F_SCHED1 | ka_check::ipvs::SVC_F_SCHED2
    );
    // persistence_granularity as a prefix length for IPv4 up to 32, else the whole
    // address; a dotted mask means nothing to an IPv6 service (the whole address).
    assert_eq!(l[2].services[0].netmask, 0xffff_ff00);
    assert_eq!(l[3].services[0].netmask, 0);
    assert_eq!(l[4].services[0].netmask, u32::MAX);
    assert_eq!(l[5].services[0].netmask, 128);
    // A fwmark service without ip_family is IPv6 when its real servers are.
    assert_eq!(
        l[6].services[0].key,
        SvcKey::Fwmark {
            ipv6: true,
            mark: 6
        }
    );
    assert_eq!(
        l[8].services[0].key,
        SvcKey::Fwmark {
            ipv6: false,
            mark: 8
        }
    );
    // keepalived 2.2.7 gives a group's services no granularity.
    assert_eq!(l[7].services[0].netmask, u32::MAX);
}

#[test]
fn the_wanted_table_carries_weights_and_every_key() {
    let (_, mut w) = started(TWO);
    assert_eq!(w.keys(), vec![key()]);
    w.apply(&ka_check::service::IpvsOp::SetWeight {
        vs: 0,
        rs: 0,
        weight: 9,
    });
    let t = w.table();
    let d = &t[&key()].1[&(ip("10.0.1.1"), 80)];
    assert_eq!(d.weight, 9, "a weight change reaches the table");
    assert_eq!((d.u_threshold, d.l_threshold), (100, 10));
}

#[test]
fn the_sorry_server_s_weight() {
    let mut w = Wanted::new(layout(&config(
        r#"
virtual_server 10.0.0.1 80 {
    protocol TCP
    sorry_server 10.0.0.99 80
    real_server 10.0.1.1 80 { }
}
"#,
    )));
    w.apply(&ka_check::service::IpvsOp::AddSorry { vs: 0, weight: 0 });
    let t = w.table();
    assert_eq!(
        t[&key()].1[&(ip("10.0.0.99"), 80)].weight,
        0,
        "inhibited: weight 0"
    );
}

/// nftables_ipvs (keepalived check_nftables.c): a virtual server on a group of addresses
/// is one fwmark service per family the group has, with the group's first mark; without
/// the keyword, one service per address.
#[test]
fn nftables_ipvs_makes_a_group_one_fwmark_service_per_family() {
    let text = "global_defs {\n    nftables_ipvs\n}\n\
        virtual_server_group mixed {\n    10.50.1.1-3 443\n    fd00:50::1 443\n}\n\
        virtual_server group mixed {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server 10.51.1.1 443 {\n        TCP_CHECK { }\n    }\n}\n";
    let l = layout(&config(text));
    let keys: Vec<SvcKey> = l[0].services.iter().map(|s| s.key.clone()).collect();
    assert_eq!(
        keys,
        vec![
            SvcKey::Fwmark {
                ipv6: false,
                mark: 1000
            },
            SvcKey::Fwmark {
                ipv6: true,
                mark: 1000
            },
        ]
    );
    let plain = layout(&config(&text.replacen("    nftables_ipvs\n", "", 1)));
    assert_eq!(plain[0].services.len(), 4);
    assert!(plain[0]
        .services
        .iter()
        .all(|s| matches!(s.key, SvcKey::Addr { port: 443, .. })));
}
