//! Property tests on the simulated LAN (virtual clock, real advert bytes): convergence
//! after loss, delay, reordering and partitions; takeover deadlines; preemption; sync
//! groups that never split.

use std::net::IpAddr;
use std::time::Duration;

use ka_vrrp::instance::{Event, Instance, InstanceConfig, State, TrackStatus, TrackerId};
use ka_vrrp::sim::Lan;
use ka_vrrp::sync::{GroupNotifies, Router, SyncGroup};
use ka_vrrp::Time;
use proptest::prelude::*;

fn node_addr(n: usize) -> IpAddr {
    IpAddr::from([10, 0, 0, 1 + n as u8])
}

fn single(n: usize, vrid: u8, prio: u8) -> Router {
    let cfg = InstanceConfig::simple(
        "VI_1",
        vrid,
        prio,
        node_addr(n),
        vec![IpAddr::from([192, 168, 1, vrid])],
    );
    Router::new(vec![Instance::new(cfg)], vec![])
}

fn lan(prios: &[u8], seed: u64) -> Lan {
    let mut l = Lan::new(seed);
    for (n, p) in prios.iter().enumerate() {
        l.add(&format!("n{n}"), single(n, 51, *p));
        l.start(n);
    }
    l
}

fn max_down(l: &Lan) -> Duration {
    l.nodes
        .iter()
        .map(|n| n.router.instances[0].master_down())
        .max()
        .unwrap()
}

/// RFC 5798 6.4.3 election: the highest priority, then the highest address.
fn expected_master(prios: &[u8], alive: &[bool]) -> usize {
    (0..prios.len())
        .filter(|&n| alive[n])
        .max_by_key(|&n| (prios[n], n))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Once the network heals, exactly one master holds the VRID within
    /// master_down_interval plus one advert (plus the network delay), and it is the right one.
    #[test]
    fn one_master_after_the_network_heals(
        prios in prop::collection::vec(1u8..=254, 2..5),
        seed in any::<u64>(),
        loss in 0.0f64..0.6,
        jitter_ms in 0u64..400,
        chaos_s in 1u64..30,
        partitions in prop::collection::vec(0u32..3, 5),
    ) {
        let mut l = lan(&prios, seed);
        l.loss = loss;
        l.delay = (Duration::ZERO, Duration::from_millis(jitter_ms));
        for (n, p) in partitions.iter().take(prios.len()).enumerate() {
            l.nodes[n].partition = *p;
        }
        l.run_for(Duration::from_secs(chaos_s));
        // Heal.
        l.loss = 0.0;
        l.delay = (Duration::from_micros(100), Duration::from_micros(100));
        for n in &mut l.nodes {
            n.partition = 0;
        }
        let healed = l.now;
        let bound = max_down(&l) + Duration::from_secs(1) + Duration::from_millis(2);
        l.run_until(healed + bound);
        let masters = l.masters(51);
        prop_assert_eq!(masters.len(), 1, "masters {:?} at {:?} (healed at {:?})", masters, l.now, healed);
        let alive = vec![true; prios.len()];
        // With equal top priorities the address breaks the tie; a node that is master
        // with the top priority is the only possible winner.
        prop_assert_eq!(prios[masters[0]], prios[expected_master(&prios, &alive)]);
        prop_assert_eq!(l.holders(51), masters.clone(), "the master holds the VIP, nobody else");
        // And it stays so.
        l.run_for(Duration::from_secs(10));
        prop_assert_eq!(l.masters(51), masters);
    }

    /// A dead master is replaced within master_down_interval + 1 ms of virtual time.
    #[test]
    fn dead_master_replaced_within_master_down(
        prios in prop::collection::vec(1u8..=254, 2..5),
        seed in any::<u64>(),
        kill_after_ms in 0u64..1000,
    ) {
        let mut l = lan(&prios, seed);
        l.run_for(Duration::from_secs(10));
        let m = l.masters(51);
        prop_assert_eq!(m.len(), 1);
        l.run_for(Duration::from_millis(kill_after_ms));
        let killed_at = l.now;
        l.kill(m[0]);
        let mut alive = vec![true; prios.len()];
        alive[m[0]] = false;
        let next = expected_master(&prios, &alive);
        let down = l.nodes[next].router.instances[0].master_down();
        l.run_until(killed_at + down + Duration::from_millis(1));
        prop_assert_eq!(l.masters(51), vec![next]);
        let took = l.entered(next, "VI_1", State::Master).unwrap() - killed_at;
        prop_assert!(took <= down + Duration::from_millis(1), "took {:?}, bound {:?}", took, down);
    }

    /// A graceful stop (priority 0) is taken over within Skew_Time.
    #[test]
    fn graceful_stop_taken_over_within_skew(prios in prop::collection::vec(1u8..=254, 2..5), seed in any::<u64>()) {
        let mut l = lan(&prios, seed);
        l.run_for(Duration::from_secs(10));
        let m = l.masters(51)[0];
        let stopped_at = l.now;
        l.stop(m);
        let mut alive = vec![true; prios.len()];
        alive[m] = false;
        let next = expected_master(&prios, &alive);
        let skew = l.nodes[next].router.instances[0].skew();
        l.run_until(stopped_at + skew + Duration::from_millis(1));
        prop_assert_eq!(l.masters(51), vec![next]);
    }
}

#[test]
fn preemption_by_a_higher_priority_router() {
    // RFC 5798 6.4.2: a higher-priority backup ignores the master's adverts and takes over
    // when its Master_Down_Timer fires; the old master yields on its first advert.
    let mut l = Lan::new(1);
    l.add("low", single(0, 51, 100));
    l.start(0);
    l.run_for(Duration::from_secs(5));
    assert_eq!(l.masters(51), vec![0]);
    l.add("high", single(1, 51, 200));
    let joined = l.now;
    l.start(1);
    let down = l.nodes[1].router.instances[0].master_down();
    l.run_until(joined + down + Duration::from_millis(1));
    assert_eq!(l.masters(51), vec![1]);
    // Never both holding the VIP for more than one advert interval.
    let high_master = l.entered(1, "VI_1", State::Master).unwrap();
    let low_backup = l.entered(0, "VI_1", State::Backup).unwrap();
    assert!(low_backup - high_master <= Duration::from_secs(1));
}

#[test]
fn nopreempt_keeps_the_current_master() {
    let mut l = Lan::new(2);
    l.add("low", single(0, 51, 100));
    l.start(0);
    l.run_for(Duration::from_secs(5));
    let mut cfg = InstanceConfig::simple(
        "VI_1",
        51,
        200,
        node_addr(1),
        vec![IpAddr::from([192, 168, 1, 51])],
    );
    cfg.nopreempt = true;
    l.add("high", Router::new(vec![Instance::new(cfg)], vec![]));
    l.start(1);
    l.run_for(Duration::from_secs(30));
    assert_eq!(l.masters(51), vec![0]);
}

#[test]
fn preempt_delay_postpones_the_takeover() {
    let mut l = Lan::new(3);
    l.add("low", single(0, 51, 100));
    l.start(0);
    l.run_for(Duration::from_secs(5));
    let mut cfg = InstanceConfig::simple(
        "VI_1",
        51,
        200,
        node_addr(1),
        vec![IpAddr::from([192, 168, 1, 51])],
    );
    cfg.preempt_delay = Duration::from_secs(20);
    l.add("high", Router::new(vec![Instance::new(cfg)], vec![]));
    let joined = l.now;
    l.start(1);
    l.run_until(joined + Duration::from_secs(15));
    assert_eq!(l.masters(51), vec![0], "still waiting");
    l.run_until(
        joined
            + Duration::from_secs(20)
            + l.nodes[1].router.instances[0].master_down()
            + Duration::from_secs(1),
    );
    assert_eq!(l.masters(51), vec![1], "took over after the delay");
}

fn grouped(n: usize, prios: [u8; 2]) -> Router {
    let a = InstanceConfig::simple(
        "A",
        61,
        prios[0],
        node_addr(n),
        vec![IpAddr::from([192, 168, 61, 1])],
    );
    let b = InstanceConfig::simple(
        "B",
        62,
        prios[1],
        node_addr(n),
        vec![IpAddr::from([192, 168, 62, 1])],
    );
    let mut ia = Instance::new(a);
    ia.add_tracker(
        TrackerId::Interface("eth0".into()),
        0,
        false,
        TrackStatus::Up,
    );
    let mut ib = Instance::new(b);
    ib.add_tracker(
        TrackerId::Interface("eth1".into()),
        0,
        false,
        TrackStatus::Up,
    );
    Router::new(
        vec![ia, ib],
        vec![SyncGroup::new("G", vec![0, 1], GroupNotifies::default())],
    )
}

fn split(l: &Lan) -> Option<String> {
    for (k, n) in l.nodes.iter().enumerate() {
        if !n.alive {
            continue;
        }
        let s: Vec<State> = n.router.instances.iter().map(|i| i.state()).collect();
        let masters = s.iter().filter(|&&x| x == State::Master).count();
        if masters != 0 && masters != s.len() {
            return Some(format!("node {k} split: {s:?} at {:?}", l.now));
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Sync groups never split: on every node, the members are all MASTER or none is,
    /// whatever faults, kills and losses happen.
    #[test]
    fn sync_groups_never_split(
        seed in any::<u64>(),
        loss in 0.0f64..0.3,
        events in prop::collection::vec((0usize..2, 0usize..2, any::<bool>(), 100u64..5000), 0..12),
    ) {
        let mut l = Lan::new(seed);
        l.loss = loss;
        // As seed-sync-groups: one node prefers the whole group.
        l.add("n0", grouped(0, [150, 150]));
        l.add("n1", grouped(1, [100, 100]));
        l.start(0);
        l.start(1);
        let step = Duration::from_millis(50);
        let mut t = Time::ZERO;
        let run_checked = |l: &mut Lan, until: Time| -> Result<(), TestCaseError> {
            while l.now < until {
                let next = l.now + step;
                l.run_until(next);
                if let Some(s) = split(l) {
                    return Err(TestCaseError::fail(s));
                }
            }
            Ok(())
        };
        run_checked(&mut l, Time::ZERO + Duration::from_secs(8))?;
        for (node, inst, up, wait_ms) in events {
            let id = TrackerId::Interface(if inst == 0 { "eth0" } else { "eth1" }.into());
            let status = if up { TrackStatus::Up } else { TrackStatus::Down };
            l.event(node, inst, Event::Tracker { id, status });
            if let Some(s) = split(&l) {
                return Err(TestCaseError::fail(s));
            }
            t = l.now + Duration::from_millis(wait_ms);
            run_checked(&mut l, t)?;
        }
        // Everything back up: the group converges to one master node.
        for node in 0..2 {
            for (inst, ifname) in ["eth0", "eth1"].iter().enumerate() {
                l.event(node, inst, Event::Tracker { id: TrackerId::Interface(ifname.to_string()), status: TrackStatus::Up });
            }
        }
        l.loss = 0.0;
        let end = l.now + Duration::from_secs(15);
        run_checked(&mut l, end)?;
        let a = l.masters(61);
        let b = l.masters(62);
        prop_assert_eq!(a.len(), 1, "A masters {:?}", a);
        prop_assert_eq!(a, b);
        let _ = t;
    }
}
