//! keepalived 2.2.8–2.4.0 keywords, from the configuration to the running instance, each
//! with the behaviour that is its meaning (on a virtual clock): owner_ignore_adverts and
//! vrrp_owner_ignore_adverts (2.3.3), timer_expired_backup / thread_timer_expired
//! (2.2.8), v3_checksum_as_v2 in an instance (2.2.8), no_virtual_ipaddress (2.2.8) and
//! vrrp_delay_after_boot (2.4.0).

use std::time::Duration;

use ka_config::{dump, parse_str, Loaded, Options};
use ka_vrrp::instance::{Reason, State};
use ka_vrrp::packet::{Auth, Envelope, Packet, Repr, Version};
use ka_vrrp::rx::Received;
use ka_vrrp::sync::{Router, Target};
use ka_vrrp::{Action, Time};

fn load(text: &str) -> Loaded {
    parse_str("k.conf", text, &Options::default())
}

fn messages(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(|d| d.message.clone()).collect()
}

fn router(l: &Loaded) -> Router {
    ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap())
}

fn instance(body: &str) -> String {
    format!(
        "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n{body}\n    virtual_ipaddress {{\n        192.0.2.1\n    }}\n}}\n"
    )
}

fn s(secs: f64) -> Time {
    Time((secs * 1e6) as u64)
}

/// Started at 0 and run in 10 ms steps to `until`.
fn run(r: &mut Router, from: f64, until: f64) -> Vec<(Target, Action)> {
    let mut out = Vec::new();
    let mut t = from;
    while t < until {
        t += 0.01;
        out.extend(r.tick(s(t)));
    }
    out
}

fn start(r: &mut Router) {
    for i in 0..r.instances.len() {
        r.handle(s(0.0), i, ka_vrrp::instance::Event::Start);
    }
}

fn advert_from(src: &str, priority: u8) -> Vec<u8> {
    Repr {
        version: Version::V2,
        vrid: 1,
        priority,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec!["192.0.2.1".parse().unwrap()],
    }
    .to_bytes(&Envelope {
        src: src.parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
    })
}

fn received<'a>(src: &str, vrrp: &'a [u8]) -> Received<'a> {
    Received {
        src: src.parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
        ttl: 255,
        vrrp,
        ipv4: None,
    }
}

fn logs(acts: &[(Target, Action)]) -> Vec<String> {
    acts.iter()
        .filter_map(|(_, a)| match a {
            Action::Log { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

fn sends(acts: &[(Target, Action)]) -> usize {
    acts.iter()
        .filter(|(_, a)| matches!(a, Action::Send { .. }))
        .count()
}

// ---- owner_ignore_adverts ----

/// The owner (priority 255, 10.0.0.1) hears another owner with a higher address: by the
/// RFC's tie-break it would go BACKUP; ignoring adverts, it stays MASTER.
fn owner_hears_higher_owner(text: &str) -> (Router, Vec<(Target, Action)>) {
    let l = load(text);
    let mut r = router(&l);
    start(&mut r);
    run(&mut r, 0.0, 1.0);
    assert_eq!(r.instances[0].state(), State::Master);
    let pkt = advert_from("10.0.0.2", 255);
    let mut out = r.packet(s(1.5), "eth0", &received("10.0.0.2", &pkt));
    out.extend(r.packet(s(1.6), "eth0", &received("10.0.0.2", &pkt)));
    (r, out)
}

#[test]
fn an_owner_ignoring_adverts_stays_master_and_says_so_once_a_second() {
    let (r, out) =
        owner_hears_higher_owner(&instance("    priority 255\n    owner_ignore_adverts"));
    assert!(r.instances[0].cfg.owner_ignore_adverts);
    assert_eq!(r.instances[0].state(), State::Master);
    assert_eq!(
        r.instances[0].stats.advert_rcvd, 0,
        "dropped before it counts"
    );
    assert_eq!(
        logs(&out),
        vec!["(A) Dropping packet(s) from 10.0.0.2 since we are address owner".to_string()]
    );
    // Without the keyword the owner yields to the higher address (the control).
    let (r, _) = owner_hears_higher_owner(&instance("    priority 255"));
    assert!(!r.instances[0].cfg.owner_ignore_adverts);
    assert_eq!(r.instances[0].state(), State::Backup);
    assert_eq!(r.instances[0].stats.advert_rcvd, 2);
}

#[test]
fn who_ignores_adverts() {
    // global_defs' vrrp_owner_ignore_adverts reaches owners only.
    let text = format!(
        "global_defs {{\n    vrrp_owner_ignore_adverts\n}}\n{}{}",
        instance("    priority 255"),
        instance("    priority 100")
            .replace("vrrp_instance A", "vrrp_instance B")
            .replace("router_id 1", "router_id 2")
    );
    let l = load(&text);
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let r = router(&l);
    assert!(r.instances[0].cfg.owner_ignore_adverts);
    assert!(!r.instances[1].cfg.owner_ignore_adverts);
    // Strict mode makes the owner ignore them (RFC 5798 6.4.3).
    let l = load(&instance("    priority 255\n    strict_mode"));
    assert!(router(&l).instances[0].cfg.owner_ignore_adverts);
    // Not an owner: keepalived's warning, off.
    let l = load(&instance("    priority 100\n    owner_ignore_adverts"));
    assert!(!router(&l).instances[0].cfg.owner_ignore_adverts);
    assert_eq!(
        messages(&l),
        vec!["(A) ignoring owner_ignore_adverts since priority is not 255".to_string()]
    );
    // An explicit off for an owner stands, except in strict mode.
    let l = load(&instance("    priority 255\n    owner_ignore_adverts off"));
    assert!(!router(&l).instances[0].cfg.owner_ignore_adverts);
    let l = load(&instance(
        "    priority 255\n    strict_mode\n    owner_ignore_adverts off",
    ));
    assert!(router(&l).instances[0].cfg.owner_ignore_adverts);
    assert!(messages(&l)[0].contains("strict_mode with priority 255 requires owner_ignore_adverts"));
    // Through the dump and back.
    let l = load(&instance("    priority 255\n    owner_ignore_adverts"));
    let again = load(&dump::dump(&l.config));
    assert_eq!(again.config, l.config);
}

// ---- timer_expired_backup ----

fn late_master(body: &str) -> Router {
    let l = load(&instance(body));
    let mut r = router(&l);
    start(&mut r);
    // BACKUP, no master: MASTER after the master-down interval (3 s + skew).
    run(&mut r, 0.0, 5.0);
    assert_eq!(r.instances[0].state(), State::Master);
    r
}

#[test]
fn a_master_that_woke_after_a_backup_would_have_taken_over_goes_backup() {
    let body = "    priority 100\n    nopreempt\n    timer_expired_backup 200";
    let mut r = late_master(body);
    assert_eq!(r.instances[0].cfg.timer_expired_backup, Some(200));
    let next = r.next_deadline().expect("the next advert");
    // A router of priority 200 takes over 3 intervals + (256-200)/256 s after our last
    // advert, i.e. 2 s + 218.75 ms after the next one was due.
    let bound = Duration::from_micros(2_000_000 + 218_750);
    // Woken just short of that: the advert goes out, still MASTER.
    let mut early = late_master(body);
    let out = early.tick(next + (bound - Duration::from_millis(1)));
    assert_eq!(early.instances[0].state(), State::Master);
    assert_eq!(sends(&out), 1);
    // Woken at it: BACKUP, no advert, keepalived's log line and the reason.
    let out = r.tick(next + bound);
    assert_eq!(r.instances[0].state(), State::Backup);
    assert_eq!(sends(&out), 0);
    assert!(
        logs(&out).contains(&"VRRP thread timer expired 2.218750 seconds ago".to_string()),
        "{:?}",
        logs(&out)
    );
    assert_eq!(r.instances[0].last_reason(), Some(&Reason::LateTimer));
    // Nobody else took over: it is MASTER again after a master-down interval.
    let t = (next + bound).0 as f64 / 1e6;
    run(&mut r, t, t + 4.0);
    assert_eq!(r.instances[0].state(), State::Master);
}

#[test]
fn timer_expired_backup_defaults_and_needs_nopreempt() {
    let l = load(&instance(
        "    priority 100\n    nopreempt\n    timer_expired_backup",
    ));
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    assert_eq!(router(&l).instances[0].cfg.timer_expired_backup, Some(254));
    let again = load(&dump::dump(&l.config));
    assert_eq!(again.config, l.config);
    // The old name, with keepalived's request to change it.
    let l = load(&instance(
        "    priority 100\n    nopreempt\n    thread_timer_expired 150",
    ));
    assert_eq!(router(&l).instances[0].cfg.timer_expired_backup, Some(150));
    assert!(messages(&l)[0]
        .contains("thread_timer_expired - please replace with keyword 'timer_expired_backup'"));
    // Without nopreempt: keepalived's warning, off; and the late master advertises.
    let l = load(&instance("    priority 100\n    timer_expired_backup 200"));
    assert_eq!(
        messages(&l),
        vec!["(A) expired_timer_backup requires nopreempt - resetting".to_string()]
    );
    let mut r = late_master("    priority 100\n    timer_expired_backup 200");
    let next = r.next_deadline().unwrap();
    let out = r.tick(next + Duration::from_secs(10));
    assert_eq!(r.instances[0].state(), State::Master);
    assert_eq!(sends(&out), 1);
    // Out of range.
    let l = load(&instance(
        "    priority 100\n    nopreempt\n    timer_expired_backup 255",
    ));
    assert_eq!(router(&l).instances[0].cfg.timer_expired_backup, None);
    assert!(messages(&l)[0].contains("must be between 1 & 254"));
}

// ---- v3_checksum_as_v2 in an instance ----

#[test]
fn an_instance_checksums_as_v2_by_its_own_keyword_else_the_global_one() {
    let b = instance("    priority 150\n    version 3\n    v3_checksum_as_v2")
        .replace("vrrp_instance A", "vrrp_instance B")
        .replace("router_id 1", "router_id 2");
    let text = format!("{}{b}", instance("    priority 150\n    version 3"));
    let l = load(&text);
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let mut r = router(&l);
    assert!(!r.instances[0].cfg.v3_checksum_as_v2);
    assert!(r.instances[1].cfg.v3_checksum_as_v2);
    start(&mut r);
    let out = run(&mut r, 0.0, 5.0);
    // Each instance's first advert: B's checksum leaves the pseudo-header out.
    for (inst, as_v2) in [(0usize, false), (1, true)] {
        let pkt = out
            .iter()
            .find_map(|(t, a)| match (t, a) {
                (Target::Instance(i), Action::Send { packet, .. }) if *i == inst => {
                    Some(packet.clone())
                }
                _ => None,
            })
            .expect("an advert");
        let vrrp = &pkt[20..];
        let p = Packet::new_checked(vrrp).unwrap();
        let mut zeroed = vrrp.to_vec();
        zeroed[6..8].fill(0);
        let plain = ka_vrrp::checksum::data(&zeroed);
        assert_eq!(p.checksum() == plain, as_v2, "instance {inst}");
    }
    // global_defs' v3_checksum_as_v2 reaches every instance, and an instance may turn it off.
    let text = format!(
        "global_defs {{\n    v3_checksum_as_v2\n}}\n{}",
        instance("    version 3").replace("version 3", "version 3\n    v3_checksum_as_v2 off")
    );
    let l = load(&text);
    assert!(!router(&l).instances[0].cfg.v3_checksum_as_v2);
    let l = load(&format!(
        "global_defs {{\n    v3_checksum_as_v2\n}}\n{}",
        instance("    version 3")
    ));
    assert!(router(&l).instances[0].cfg.v3_checksum_as_v2);
    assert_eq!(load(&dump::dump(&l.config)).config, l.config);
}

// ---- no_virtual_ipaddress ----

#[test]
fn an_instance_without_vips_on_purpose_runs_without_a_warning() {
    let text = "vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    priority 150\n    no_virtual_ipaddress\n}\n";
    let l = load(text);
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let mut r = router(&l);
    start(&mut r);
    let out = run(&mut r, 0.0, 5.0);
    assert_eq!(r.instances[0].state(), State::Master);
    let advert = out
        .iter()
        .find_map(|(_, a)| match a {
            Action::Send { packet, .. } => Some(packet.clone()),
            _ => None,
        })
        .expect("adverts");
    assert_eq!(Packet::new_checked(&advert[20..]).unwrap().naddr(), 0);
    assert_eq!(load(&dump::dump(&l.config)).config, l.config);
    // Without it, the warning; with strict mode, keepalived clears it: both warnings.
    let l = load(&text.replace("    no_virtual_ipaddress\n", ""));
    assert_eq!(
        messages(&l),
        vec!["(A) No VIP specified; at least one is required".to_string()]
    );
    let l = load(&text.replace(
        "no_virtual_ipaddress",
        "no_virtual_ipaddress\n    strict_mode",
    ));
    let m = messages(&l);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter().any(|x| x.contains(
            "no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress"
        )),
        "{m:?}"
    );
    assert!(m.iter().any(|x| x.contains("No VIP specified")), "{m:?}");
}

// ---- vrrp_delay_after_boot ----

#[test]
fn the_delay_after_boot_counts_from_boot_and_the_longer_delay_wins() {
    let l = load("global_defs {\n    vrrp_startup_delay 5\n    vrrp_delay_after_boot 60\n}\n");
    assert!(l.diagnostics.is_empty(), "{:?}", messages(&l));
    let g = &l.config.global;
    let delay = |up: u64| ka_vrrp::config::startup_delay(g, Duration::from_secs(up));
    assert_eq!(delay(10), Duration::from_secs(50), "50 s of the 60 s left");
    assert_eq!(
        delay(57),
        Duration::from_secs(5),
        "the startup delay is longer"
    );
    assert_eq!(delay(3600), Duration::from_secs(5), "long after boot");
    let l = load("global_defs {\n    vrrp_delay_after_boot 60\n}\n");
    let g = &l.config.global;
    assert_eq!(
        ka_vrrp::config::startup_delay(g, Duration::from_secs(3600)),
        Duration::ZERO
    );
    assert_eq!(load(&dump::dump(&l.config)).config, l.config);
}

/// vrrp_rx_bufs_policy, vrrp_rx_bufs_multiplier and kernel_rx_buf_size: a receive
/// socket's buffer is the sum over the instances on it (keepalived vrrp_scheduler.c).
#[test]
fn a_receive_sockets_buffer_sums_its_instances_as_the_policy_says() {
    use ka_vrrp::config::{advert_len, rx_buf_size};
    let l = load(
        "global_defs {\n    vrrp_rx_bufs_policy ADVERT\n    vrrp_rx_bufs_multiplier 4\n}\n\
         vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    virtual_ipaddress {\n        192.0.2.1/24\n        192.0.2.2/24\n    }\n}\n\
         vrrp_instance B {\n    interface eth0\n    virtual_router_id 2\n    priority 100\n    version 3\n    kernel_rx_buf_size 1000\n    virtual_ipaddress {\n        192.0.2.3/24\n    }\n}\n\
         vrrp_instance C {\n    interface eth0\n    virtual_router_id 3\n    priority 100\n    version 3\n    virtual_ipaddress {\n        2001:db8::1/64\n    }\n}\n",
    );
    assert_eq!(messages(&l), Vec::<String>::new());
    let c = &l.config;
    let resolved: Vec<_> = c
        .instances
        .iter()
        .map(|m| ka_vrrp::config::instance_config(m, &c.global, "192.0.2.9".parse().unwrap()))
        .collect();
    let [a, b, c6] = [&resolved[0], &resolved[1], &resolved[2]];
    // IPv4 header, VRRP header, two addresses, v2's authentication data.
    assert_eq!(advert_len(a), 20 + 8 + 8 + 8);
    assert_eq!(advert_len(b), 20 + 8 + 4);
    assert_eq!(advert_len(c6), 8 + 16);
    assert_eq!(rx_buf_size(&c.global, &[a, b], 1500), 4 * 44 + 1000);
    let mut g = c.global.clone();
    g.vrrp_rx_bufs_policy = ka_config::model::RxBufsPolicy::Mtu;
    assert_eq!(rx_buf_size(&g, &[a, c6], 1500), 2 * 4 * 1500);
    g.vrrp_rx_bufs_policy = ka_config::model::RxBufsPolicy::Size(3000);
    assert_eq!(rx_buf_size(&g, &[a, b], 1500), 3000 + 1000);
    g.vrrp_rx_bufs_policy = ka_config::model::RxBufsPolicy::System;
    assert_eq!(rx_buf_size(&g, &[a, c6], 1500), 0, "the kernel's default");
}

/// fifo_write_vrrp_states_on_reload (keepalived vrrp_init_state): after a reload each
/// group's state, and each instance's that did not change and is not MASTER.
#[test]
fn a_reload_writes_the_states_that_did_not_change_to_the_fifo() {
    let l = load(
        "vrrp_sync_group G {\n    group {\n        A\n        B\n    }\n}\n\
         vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}\n\
         vrrp_instance B {\n    interface eth0\n    virtual_router_id 2\n    priority 90\n    virtual_ipaddress {\n        192.0.2.2/24\n    }\n}\n",
    );
    let mut r = router(&l);
    let _ = r.begin(Time(0), std::time::Duration::ZERO);
    let lines = |r: &Router, kept: &dyn Fn(usize) -> bool| -> Vec<String> {
        r.reload_fifo_lines(kept)
            .into_iter()
            .map(|(_, a)| match a {
                Action::Fifo { line } => line,
                other => panic!("not a FIFO line: {other:?}"),
            })
            .collect()
    };
    assert_eq!(
        lines(&r, &|n| n == 0),
        vec![
            "GROUP \"G\" BACKUP 0\n".to_string(),
            "INSTANCE \"A\" BACKUP 100\n".to_string()
        ],
        "B changed state in the reload: its transition wrote its own line"
    );
    // MASTERs write none (keepalived 2.2.7 writes only in its BACKUP/FAULT branch).
    let _ = r.tick(Time(10_000_000));
    assert_eq!(r.instances[0].state(), ka_vrrp::instance::State::Master);
    assert_eq!(
        lines(&r, &|_| true),
        vec!["GROUP \"G\" MASTER 0\n".to_string()]
    );
}

/// A BACKUP carried over a reload keeps its state as keepalived's vrrp_init_state does:
/// no "(init)" line, no notify, no FIFO line; its group is BACKUP too, and with
/// fifo_write_vrrp_states_on_reload the states go to the FIFO.
#[test]
fn a_backup_carried_over_a_reload_is_not_notified_again() {
    let l = load(
        "vrrp_sync_group G {\n    group {\n        A\n        B\n    }\n    notify /bin/true\n}\n\
         vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    notify /bin/true\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}\n\
         vrrp_instance B {\n    interface eth0\n    virtual_router_id 2\n    priority 90\n    virtual_ipaddress {\n        192.0.2.2/24\n    }\n}\n",
    );
    let mut r = router(&l);
    let left = std::time::Duration::from_millis(700);
    let mut acts = r.handle(Time(0), 0, ka_vrrp::instance::Event::StartBackup { left });
    acts.extend(r.handle(Time(0), 1, ka_vrrp::instance::Event::StartBackup { left }));
    assert!(
        acts.iter().all(|(_, a)| !matches!(
            a,
            Action::Log { .. } | Action::Notify { .. } | Action::Fifo { .. }
        )),
        "{acts:?}"
    );
    assert_eq!(r.instances[0].state(), ka_vrrp::instance::State::Backup);
    assert_eq!(r.groups[0].state(), ka_vrrp::state::State::Backup);
    assert_eq!(r.reload_fifo_lines(&|_| true).len(), 3);
    // The carried deadline holds: master down at 0.7 s, not 3.6 s.
    let acts = r.tick(Time(700_000));
    assert_eq!(
        r.instances[0].state(),
        ka_vrrp::instance::State::Master,
        "{acts:?}"
    );
}

/// garp_extra_if all SECS (keepalived vrrp_send_vmac_update): while MASTER, one GARP
/// this often for the first VIP on each interface other than the instance's own.
#[test]
fn garp_extra_if_refreshes_the_other_interfaces_while_master() {
    let conf = |extra: &str| {
        format!(
            "vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    advert_int 1\n    garp_master_delay 0\n    {extra}\n    virtual_ipaddress {{\n        192.0.2.1/24\n        198.51.100.1/24 dev eth1\n        198.51.100.2/24 dev eth1\n    }}\n    virtual_ipaddress_excluded {{\n        203.0.113.1/24 dev eth2\n    }}\n}}\n"
        )
    };
    let extra_garps = |text: &str| -> Vec<(u64, Vec<String>)> {
        let l = load(text);
        assert_eq!(messages(&l), Vec::<String>::new());
        let mut r = router(&l);
        let mut seen = Vec::new();
        let mut acts = r.begin(Time(0), std::time::Duration::ZERO);
        for ms in (0..=25_000u64).step_by(100) {
            acts.extend(r.tick(Time(ms * 1000)));
            for (_, a) in acts.drain(..) {
                if let Action::Garp {
                    repeat: 1,
                    addresses,
                } = a
                {
                    let list = addresses
                        .iter()
                        .map(|a| format!("{} {}", a.addr, a.dev.as_deref().unwrap_or("")))
                        .collect();
                    seen.push((ms, list));
                }
            }
        }
        seen
    };
    let with_all = extra_garps(&conf("garp_extra_if all 10"));
    let want = vec![
        "198.51.100.1 eth1".to_string(),
        "203.0.113.1 eth2".to_string(),
    ];
    // MASTER after 3.6 s (3 intervals and the skew): rounds 10 s apart from there.
    assert_eq!(
        with_all.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        vec![want.clone(), want]
    );
    assert_eq!(with_all[1].0 - with_all[0].0, 10_000);
    // Without `all` keepalived sends only on the VMACs made for single addresses: none
    // here; with use_vmac_addr, eth1's and eth2's addresses have one each.
    assert!(extra_garps(&conf("garp_extra_if 10")).is_empty());
    assert!(extra_garps(&conf("")).is_empty());
    let want: Vec<Vec<String>> =
        vec![vec!["198.51.100.1 eth1".into(), "203.0.113.1 eth2".into()]; 2];
    let on_vmacs = extra_garps(&conf("garp_extra_if 10\n    use_vmac_addr"));
    assert_eq!(
        on_vmacs.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        want
    );
}

// ---- use_vmac_addr, use_vmac on an address line, vmac_addr_prefix ----

/// keepalived vrrp_complete_instance and create_vmac_name: which addresses get a VMAC of
/// their own, one per interface and VRID, named PREFIX.VRID unless that name is taken.
#[test]
fn address_vmacs_as_keepalived_makes_them() {
    let text = "global_defs {\n    vmac_addr_prefix av\n}\n\
        vrrp_instance A {\n    interface eth0\n    virtual_router_id 7\n    use_vmac_addr\n    virtual_ipaddress {\n        192.0.2.1/24\n        198.51.100.1/24 dev eth1\n        198.51.100.2/24 dev eth1\n        203.0.113.1/24 dev eth2 no_track\n    }\n}\n\
        vrrp_instance B {\n    interface eth0\n    virtual_router_id 8\n    virtual_ipaddress {\n        192.0.2.2/24\n        192.0.2.3/24 use_vmac\n        198.51.100.9/24 dev eth1\n    }\n}\n\
        vrrp_instance C {\n    interface eth0\n    virtual_router_id 9\n    use_vmac\n    virtual_ipaddress {\n        192.0.2.4/24 use_vmac\n    }\n}\n";
    let l = load(text);
    assert_eq!(
        messages(&l),
        vec!["(C) use_vmac specified for VIP/eVIP 192.0.2.4 and vrrp instance".to_string()]
    );
    let c = &l.config;
    let on = |i: usize, k: usize| {
        ka_vrrp::config::on_addr_vmac(&c.instances[i], &c.instances[i].vips[k])
    };
    // A: its own interface's address stays; the others get one. B: only the address
    // line with use_vmac. C: the instance's VMAC carries it.
    assert_eq!(
        (on(0, 0), on(0, 1), on(0, 2), on(0, 3)),
        (false, true, true, true)
    );
    assert_eq!((on(1, 0), on(1, 1), on(1, 2)), (false, true, false));
    assert!(!on(2, 0));
    // av.7 is an interface someone else has: the next name.
    let taken = |name: &str, _: [u8; 6]| name == "av.7";
    let v = ka_vrrp::config::address_vmacs(c, &taken);
    let got: Vec<(String, String, Vec<usize>, bool)> = v
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                v.base.clone(),
                v.instances.clone(),
                v.tracked,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("av1.7".into(), "eth1".into(), vec![0], true),
            ("av2.7".into(), "eth2".into(), vec![0], false),
            ("av.8".into(), "eth0".into(), vec![1], true),
        ]
    );
    assert_eq!(v[0].mac, [0, 0, 0x5e, 0, 1, 7]);
    // Without vmac_addr_prefix: vmac_prefix's, else "vrrp".
    let plain = load(&text.replacen("global_defs {\n    vmac_addr_prefix av\n}\n", "", 1));
    let v = ka_vrrp::config::address_vmacs(&plain.config, &|_, _| false);
    assert_eq!(v[0].name, "vrrp.7");
}

// ---- old_unicast_checksum ----

/// The checksum of each unicast advert `acts` sends: summed over the peer (standard) or
/// over the multicast group (keepalived before 1.3.6).
fn sums(acts: &[(Target, Action)]) -> Vec<&'static str> {
    acts.iter()
        .filter_map(|(_, a)| match a {
            Action::Send { packet, .. } => Some(packet),
            _ => None,
        })
        .map(|p| {
            let rx = Received::from_ipv4(p).unwrap();
            let pkt = Packet::new_checked(rx.vrrp).unwrap();
            let over = |dst: &str| Envelope {
                src: rx.src,
                dst: dst.parse().unwrap(),
            };
            if Repr::parse(&pkt, &over("10.0.0.2"), false).is_ok() {
                "standard"
            } else if Repr::parse(&pkt, &over("224.0.0.18"), false).is_ok() {
                "old"
            } else {
                "bad"
            }
        })
        .collect()
}

fn unicast_owner(extra: &str) -> Router {
    let l = load(&instance(&format!(
        "    priority 255\n    version 3\n    unicast_src_ip 10.0.0.1\n    unicast_peer {{\n        10.0.0.2\n    }}\n{extra}"
    )));
    assert_eq!(messages(&l), Vec::<String>::new());
    let mut r = router(&l);
    start(&mut r);
    r
}

/// keepalived's default: a peer that sums the old way switches the instance to it
/// ("Setting unicast VRRPv3 checksum to old version"); `old_unicast_checksum` sums the
/// old way from the start; `never` refuses the old sum (a checksum error).
#[test]
fn old_unicast_checksum_is_detected_configured_or_refused() {
    let old_from_peer = Repr {
        version: Version::V3,
        vrid: 1,
        priority: 100,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec!["192.0.2.1".parse().unwrap()],
    }
    .to_bytes(&Envelope {
        src: "10.0.0.2".parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
    });
    let to_us = |vrrp: &[u8]| Received {
        src: "10.0.0.2".parse().unwrap(),
        dst: "10.0.0.1".parse().unwrap(),
        ttl: 255,
        vrrp: vrrp.to_vec().leak(),
        ipv4: None,
    };
    let mut r = unicast_owner("");
    assert_eq!(sums(&run(&mut r, 0.0, 1.05)), ["standard", "standard"]);
    let out = r.packet(s(1.1), "eth0", &to_us(&old_from_peer));
    assert_eq!(
        logs(&out)[0],
        "(A) Setting unicast VRRPv3 checksum to old version"
    );
    // Its answer to the lower priority, and the adverts after, are summed the old way.
    assert_eq!(sums(&out), ["old"]);
    let later = sums(&run(&mut r, 1.1, 2.2));
    assert!(
        !later.is_empty() && later.iter().all(|s| *s == "old"),
        "{later:?}"
    );
    assert_eq!(r.instances[0].stats.checksum_err, 0);

    let mut r = unicast_owner("    old_unicast_checksum\n");
    assert_eq!(sums(&run(&mut r, 0.0, 1.05)), ["old", "old"]);

    let mut r = unicast_owner("    old_unicast_checksum never\n");
    run(&mut r, 0.0, 1.05);
    let out = r.packet(s(1.1), "eth0", &to_us(&old_from_peer));
    assert!(logs(&out).iter().all(|l| !l.contains("old version")));
    assert_eq!(r.instances[0].stats.checksum_err, 1);
    let later = sums(&run(&mut r, 1.1, 2.2));
    assert!(
        !later.is_empty() && later.iter().all(|s| *s == "standard"),
        "{later:?}"
    );
}
