//! The seed deployments as named scenarios on the simulated LAN: each node loads its own
//! keepalived.conf (through ka-config, as the daemon will), and the steady states and
//! failovers are the ones the operators expect.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ka_config::Options;
use ka_vrrp::config;
use ka_vrrp::instance::{Event, State, TrackStatus, TrackerId};
use ka_vrrp::script::{ScriptAction, ScriptEvent, ScriptTracker, Status};
use ka_vrrp::sim::Lan;
use ka_vrrp::sync::Router;
use ka_vrrp::Time;

fn load(name: &str) -> ka_config::Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ka-config/tests/fixtures/seed")
        .join(name);
    let l = ka_config::load(&path, &Options::default());
    assert!(!l.fatal, "{name}");
    l.config
}

/// The node's address on each interface: 10.<if>.0.<node>.
fn router(c: &ka_config::Config, node: u8) -> Router {
    config::router(c, &|m| {
        let ifn = m
            .interface
            .as_deref()
            .and_then(|i| {
                i.trim_start_matches(|c: char| c.is_alphabetic())
                    .parse()
                    .ok()
            })
            .unwrap_or(0u8);
        IpAddr::from([10, ifn, 0, node])
    })
}

fn state(l: &Lan, n: usize, name: &str) -> State {
    l.state(n, name).unwrap()
}

/// Marks every script tracker of every instance on node `n` with `status`.
fn scripts(l: &mut Lan, n: usize, script: &str, status: TrackStatus) {
    let count = l.nodes[n].router.instances.len();
    for i in 0..count {
        l.event(
            n,
            i,
            Event::Tracker {
                id: TrackerId::Script(script.into()),
                status,
            },
        );
    }
}

#[test]
fn dual_network_dual_master() {
    // seed-dual-network-ka67/68: each node is master of one VIP per network.
    let mut l = Lan::new(7);
    let a = l.add("ka67", router(&load("seed-dual-network-ka67.conf"), 67));
    let b = l.add("ka68", router(&load("seed-dual-network-ka68.conf"), 68));
    l.start(a);
    l.start(b);
    // chk_nginx (weight -10) has no result yet: it counts 0 until it runs.
    scripts(&mut l, a, "chk_nginx", TrackStatus::Up);
    scripts(&mut l, b, "chk_nginx", TrackStatus::Up);
    l.run_for(Duration::from_secs(10));
    for (inst, master) in [
        ("External_1", a),
        ("External_2", b),
        ("Internal_1", a),
        ("Internal_2", b),
    ] {
        assert_eq!(state(&l, master, inst), State::Master, "{inst}");
        assert_eq!(state(&l, 1 - master, inst), State::Backup, "{inst}");
    }
    // nginx dies on ka67: weight -10 takes 100 to 90, below ka68's 95.
    scripts(&mut l, a, "chk_nginx", TrackStatus::Down);
    l.run_for(Duration::from_secs(5));
    for inst in ["External_1", "External_2", "Internal_1", "Internal_2"] {
        assert_eq!(state(&l, b, inst), State::Master, "{inst} moved to ka68");
    }
    // ka68 dies altogether: ka67 (priority 90 and 95-10) takes everything.
    l.kill(b);
    l.run_for(Duration::from_secs(5));
    for inst in ["External_1", "External_2", "Internal_1", "Internal_2"] {
        assert_eq!(state(&l, a, inst), State::Master, "{inst} back on ka67");
    }
    // The notify scripts got exactly their configured argv.
    let argv: Vec<&Vec<String>> = l.nodes[a].notifies.iter().map(|(_, v)| v).collect();
    assert!(argv.contains(&&vec![
        "/etc/keepalived/notify.sh".to_string(),
        "master".into()
    ]));
    assert!(argv.contains(&&vec![
        "/etc/keepalived/notify.sh".to_string(),
        "backup".into()
    ]));
}

#[test]
fn sync_groups_move_together() {
    // seed-sync-groups-ka67 on both nodes, ka68 with the priorities swapped by its own
    // file would be the mirror; here the ka67 file and a copy with lower priorities.
    let c67 = load("seed-sync-groups-ka67.conf");
    let mut c68 = c67.clone();
    for i in &mut c68.instances {
        i.priority = if i.priority == 100 { 95 } else { 100 };
        i.state = if i.priority == 100 {
            ka_config::model::InitialState::Master
        } else {
            ka_config::model::InitialState::Backup
        };
    }
    let mut l = Lan::new(9);
    let a = l.add("ka67", router(&c67, 67));
    let b = l.add("ka68", router(&c68, 68));
    l.start(a);
    l.start(b);
    l.run_for(Duration::from_secs(10));
    assert_eq!(
        (state(&l, a, "External_1"), state(&l, a, "Internal_1")),
        (State::Master, State::Master)
    );
    assert_eq!(
        (state(&l, b, "External_2"), state(&l, b, "Internal_2")),
        (State::Master, State::Master)
    );
    // Internal_1's link fails on ka67: the whole VG_1 goes to ka68.
    let idx = l.nodes[a]
        .router
        .instances
        .iter()
        .position(|i| i.name() == "Internal_1")
        .unwrap();
    l.event(
        a,
        idx,
        Event::Tracker {
            id: TrackerId::Interface("eth2".into()),
            status: TrackStatus::Down,
        },
    );
    assert_eq!(
        state(&l, a, "External_1"),
        State::Fault,
        "a FAULT in one member faults the group"
    );
    l.run_for(Duration::from_secs(5));
    assert_eq!(
        (state(&l, b, "External_1"), state(&l, b, "Internal_1")),
        (State::Master, State::Master)
    );
    // Group notifies follow the instance notifies, with the FIFO's GROUP lines.
    assert!(l.nodes[a]
        .fifo
        .iter()
        .any(|f| f == "GROUP \"VG_1\" FAULT 0\n"));
}

#[test]
fn nginx_check_script_weight_and_fall_rise() {
    // seed-nginx-chk: the check runs every 3 s; here with the dual-network script
    // semantics (weight -10, fall 2, rise 2) driven through the script state machine.
    let c = load("seed-dual-network-ka67.conf");
    let s = c.scripts.iter().find(|s| s.name == "chk_nginx").unwrap();
    let mut t = ScriptTracker::new(config::script_config(s));
    assert_eq!((s.weight, s.fall, s.rise), (-10, 2, 2));
    let mut now = Time::ZERO;
    let mut results = vec![];
    for ok in [true, false, false, true, true] {
        for a in t.handle(
            now,
            if now == Time::ZERO {
                ScriptEvent::Start
            } else {
                ScriptEvent::Timer
            },
        ) {
            assert!(matches!(a, ScriptAction::Run { .. }));
        }
        results.extend(t.handle(
            now + Duration::from_millis(10),
            ScriptEvent::Exited { success: ok },
        ));
        now = now + s.interval;
    }
    assert_eq!(
        results,
        vec![
            ScriptAction::Changed(Status::Good),
            ScriptAction::Changed(Status::Bad),
            ScriptAction::Changed(Status::Good)
        ]
    );
}

#[test]
fn redis_master_and_slave_lvs_dr() {
    // seed-redis-master / seed-redis-slave1: both say MASTER for VI_1 at priority 160;
    // equal priority, so the higher address wins and the other stays backup.
    let mut l = Lan::new(11);
    let m = l.add("master", router(&load("seed-redis-master.conf"), 2));
    let s = l.add("slave1", router(&load("seed-redis-slave1.conf"), 3));
    l.start(m);
    l.start(s);
    l.run_for(Duration::from_secs(10));
    assert_eq!(
        l.masters(100),
        vec![s],
        "10.0.0.3 > 10.0.0.2 at equal priority"
    );
    assert_eq!(l.masters(101), vec![s], "VI_2 exists only on the slave");
    l.stop(s);
    l.run_for(Duration::from_secs(2));
    assert_eq!(
        l.masters(100),
        vec![m],
        "priority 0 from the stopped node: quick takeover"
    );
}
