//! The instance rules one by one, on a virtual clock, each citing the RFC section or the
//! keepalived function it follows.

use std::net::IpAddr;
use std::time::Duration;

use ka_vrrp::error::DecodeError;
use ka_vrrp::instance::{Event, Instance, InstanceConfig, State, TrackStatus, TrackerId};
use ka_vrrp::packet::{Auth, Envelope, Repr, Version};
use ka_vrrp::rx::{AuthConfig, Received};
use ka_vrrp::script::{ScriptAction, ScriptConfig, ScriptEvent, ScriptTracker, Status};
use ka_vrrp::{ip, Action, Time};

const ME: [u8; 4] = [10, 0, 0, 1];
const PEER: [u8; 4] = [10, 0, 0, 2];
const LOW: [u8; 4] = [10, 0, 0, 0];
const VIP: [u8; 4] = [192, 168, 1, 10];

fn a(x: [u8; 4]) -> IpAddr {
    IpAddr::from(x)
}

/// The VIP added or removed, as the actions name it.
fn vips(add: bool) -> Action {
    ka_vrrp::action::Held::addresses(&[a(VIP)]).vips(add)
}

/// Gratuitous ARPs for the VIP, `repeat` rounds.
fn garp(repeat: u32) -> Action {
    ka_vrrp::action::Held::addresses(&[a(VIP)]).garp(repeat)
}

fn s(secs: f64) -> Time {
    Time((secs * 1e6) as u64)
}

fn inst(prio: u8) -> Instance {
    Instance::new(InstanceConfig::simple(
        "VI_1",
        51,
        prio,
        a(ME),
        vec![a(VIP)],
    ))
}

/// An advert from `src` with `prio`, as bytes a raw socket would deliver.
fn advert(src: [u8; 4], prio: u8) -> Vec<u8> {
    advert_v(src, prio, Version::V2, 100)
}

fn advert_v(src: [u8; 4], prio: u8, version: Version, cs: u16) -> Vec<u8> {
    let repr = Repr {
        version,
        vrid: 51,
        priority: prio,
        adver_int_cs: cs,
        auth: Auth::None,
        addrs: vec![a(VIP)],
    };
    let env = Envelope {
        src: a(src),
        dst: a([224, 0, 0, 18]),
    };
    let vrrp = repr.to_bytes(&env);
    let std::net::IpAddr::V4(s4) = a(src) else {
        unreachable!()
    };
    ip::build_ipv4(s4, [224, 0, 0, 18].into(), 1, 255, None, false, &vrrp)
}

fn feed(i: &mut Instance, now: Time, bytes: &[u8]) -> Vec<Action> {
    let rx = Received::from_ipv4(bytes).unwrap();
    i.handle(now, Event::Packet(&rx))
}

/// Runs timers until `end`, collecting actions.
fn run(i: &mut Instance, end: Time) -> Vec<Action> {
    let mut out = Vec::new();
    while let Some(t) = i.next_deadline() {
        if t > end {
            break;
        }
        out.extend(i.handle(t, Event::Timer));
    }
    out
}

fn sent(acts: &[Action]) -> Vec<u8> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Send { priority, .. } => Some(*priority),
            _ => None,
        })
        .collect()
}

#[test]
fn timers_rfc3768_6_1() {
    // RFC 3768 6.1: Skew_Time = (256 - Priority) / 256; Master_Down = 3 × Adver + Skew.
    let i = inst(100);
    assert_eq!(i.skew(), Duration::from_micros(156 * 1_000_000 / 256));
    assert_eq!(i.master_down(), Duration::from_secs(3) + i.skew());
}

#[test]
fn timers_rfc5798_6_1_use_the_interval() {
    // RFC 5798 6.1: Skew_Time = ((256 - Priority) × Master_Adver_Interval) / 256.
    let mut c = InstanceConfig::simple("VI_1", 51, 200, a(ME), vec![a(VIP)]);
    c.version = Version::V3;
    c.adver_int = Duration::from_millis(50);
    let i = Instance::new(c);
    assert_eq!(i.skew(), Duration::from_micros(56 * 50_000 / 256));
    assert_eq!(i.master_down(), Duration::from_millis(150) + i.skew());
}

#[test]
fn v3_backup_adopts_the_masters_interval() {
    // RFC 5798 6.4.2: Master_Adver_Interval := the advert's Max Advertise Interval.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.version = Version::V3;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(0.1), &advert_v(PEER, 200, Version::V3, 50));
    assert_eq!(i.master_down(), Duration::from_millis(1500) + i.skew());
    assert_eq!(i.next_deadline(), Some(s(0.1) + i.master_down()));
}

#[test]
fn start_backup_then_master_after_master_down() {
    // keepalived vrrp_init_state: everyone but the owner starts BACKUP for Master_Down.
    let mut i = inst(100);
    let acts = i.handle(s(0.0), Event::Start);
    assert_eq!(i.state(), State::Backup);
    assert!(acts.iter().any(
        |a| matches!(a, Action::Log { line, .. } if line == "(VI_1) Entering BACKUP STATE (init)")
    ));
    let down = i.master_down();
    let acts = run(&mut i, s(0.0) + down);
    assert_eq!(i.state(), State::Master);
    // vrrp_state_goto_master: the advert goes out before the addresses are added.
    let send = acts
        .iter()
        .position(|a| matches!(a, Action::Send { .. }))
        .unwrap();
    let vips = acts
        .iter()
        .position(|a| matches!(a, Action::Vips { add: true, .. }))
        .unwrap();
    assert!(send < vips);
    assert!(acts.contains(&garp(5)));
}

#[test]
fn state_master_does_not_shorten_the_wait() {
    // keepalived: `state MASTER` with a priority below 255 still waits Master_Down.
    let mut c = InstanceConfig::simple("VI_1", 51, 150, a(ME), vec![a(VIP)]);
    c.want_master = true;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.next_deadline(), Some(s(0.0) + i.master_down()));
}

#[test]
fn owner_takes_over_at_once() {
    // keepalived vrrp_init_state: the address owner (255) goes MASTER after ~1 µs.
    let mut c = InstanceConfig::simple("VI_1", 51, 255, a(ME), vec![a(VIP)]);
    c.want_master = true;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    run(&mut i, Time(1));
    assert_eq!(i.state(), State::Master);
}

#[test]
fn backup_accepts_higher_or_equal_and_resets_its_timer() {
    // RFC 5798 6.4.2 / keepalived vrrp_state_backup: priority >= ours resets the timer.
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(2.0), &advert(PEER, 100));
    assert_eq!(i.next_deadline(), Some(s(2.0) + i.master_down()));
    assert_eq!(i.master(), Some(a(PEER)));
    run(&mut i, s(5.0));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn backup_ignores_lower_priority_and_preempts() {
    // RFC 5798 6.4.2: with preemption, a lower-priority advert is discarded.
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    let deadline = i.next_deadline();
    feed(&mut i, s(1.0), &advert(PEER, 50));
    assert_eq!(i.next_deadline(), deadline, "timer not reset");
}

#[test]
fn nopreempt_accepts_lower_priority() {
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.nopreempt = true;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(1.0), &advert(PEER, 50));
    assert_eq!(i.next_deadline(), Some(s(1.0) + i.master_down()));
}

#[test]
fn preempt_delay_accepts_adverts_until_it_ends() {
    // keepalived: the first lower-priority advert starts preempt_delay; adverts are
    // accepted until it expires, then ignored.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.preempt_delay = Duration::from_secs(10);
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(1.0), &advert(PEER, 50));
    assert_eq!(
        i.next_deadline(),
        Some(s(1.0) + i.master_down()),
        "accepted (window opened)"
    );
    feed(&mut i, s(9.0), &advert(PEER, 50));
    // The window ends at 11 s; the next deadline is the window or master down.
    let down_at = s(9.0) + i.master_down();
    feed(&mut i, s(11.5), &advert(PEER, 50));
    assert!(
        i.next_deadline().unwrap() <= down_at,
        "not reset after the window"
    );
}

#[test]
fn priority_zero_means_skew_time() {
    // RFC 5798 6.4.2: priority 0 → Master_Down_Timer := Skew_Time.
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(1.0), &advert(PEER, 200));
    feed(&mut i, s(1.5), &advert(PEER, 0));
    assert_eq!(i.next_deadline(), Some(s(1.5) + i.skew()));
}

#[test]
fn a_reloads_successor_keeps_the_backups_master_down_deadline() {
    // A priority-0 advert reached the retiring child: its successor must not wait a
    // whole Master_Down_Interval again.
    let mut old = inst(100);
    old.handle(s(0.0), Event::Start);
    feed(&mut old, s(1.0), &advert(PEER, 200));
    feed(&mut old, s(1.5), &advert(PEER, 0));
    let left = old.master_down_left(s(1.6)).unwrap();
    assert_eq!(left, old.skew() - Duration::from_millis(100));
    let mut new = inst(100);
    new.handle(s(1.7), Event::StartBackup { left });
    assert_eq!(new.state(), State::Backup);
    assert_eq!(new.next_deadline(), Some(s(1.7) + left));
    run(&mut new, s(1.7) + left);
    assert_eq!(new.state(), State::Master);
    // A deadline further than a full interval is not taken: the wait never grows.
    let mut new = inst(100);
    new.handle(
        s(0.0),
        Event::StartBackup {
            left: Duration::from_secs(60),
        },
    );
    assert_eq!(new.next_deadline(), Some(s(0.0) + new.master_down()));
    // Only a BACKUP has one to hand over.
    let mut m = master(100);
    assert_eq!(m.master_down_left(s(10.0)), None);
    m.handle(s(10.0), Event::Timer);
    assert_eq!(m.master_down_left(s(10.0)), None);
}

fn master(prio: u8) -> Instance {
    let mut i = inst(prio);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    i
}

#[test]
fn master_yields_to_higher_priority_without_priority_zero() {
    // RFC 5798 6.4.3; keepalived: no priority-0 advert, VIPs removed, notify BACKUP.
    let mut i = master(100);
    let acts = feed(&mut i, s(5.0), &advert(PEER, 150));
    assert_eq!(i.state(), State::Backup);
    assert!(sent(&acts).is_empty());
    assert!(acts.contains(&vips(false)));
}

#[test]
fn master_answers_lower_priority_at_once() {
    // keepalived vrrp_state_master_rx: lower priority → advert now + GARP, stay MASTER.
    let mut i = master(100);
    let acts = feed(&mut i, s(4.5), &advert(PEER, 50));
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![100]);
    assert!(acts.contains(&garp(5)));
}

#[test]
fn lower_prio_no_advert() {
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.lower_prio_no_advert = true;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert!(sent(&feed(&mut i, s(4.5), &advert(PEER, 50))).is_empty());
}

#[test]
fn equal_priority_tie_break_on_primary_address() {
    // RFC 5798 6.4.3: equal priority, the higher primary address wins.
    let mut i = master(100);
    feed(&mut i, s(4.5), &advert(LOW, 100));
    assert_eq!(i.state(), State::Master, "10.0.0.0 < 10.0.0.1: we stay");
    feed(&mut i, s(4.6), &advert(PEER, 100));
    assert_eq!(i.state(), State::Backup, "10.0.0.2 > 10.0.0.1: we yield");
}

#[test]
fn master_answers_priority_zero_with_an_advert() {
    let mut i = master(100);
    let acts = feed(&mut i, s(4.5), &advert(PEER, 0));
    assert_eq!(sent(&acts), vec![100]);
    assert_eq!(i.state(), State::Master);
    assert!(logs(&acts)
        .contains(&"(VI_1) Master received priority 0 advertisement, sending advert".into()));
}

#[test]
fn two_owners_keepalived_2_2_7_drops_to_254() {
    let mut c = InstanceConfig::simple("VI_1", 51, 255, a(ME), vec![a(VIP)]);
    c.want_master = true;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    run(&mut i, Time(1));
    let acts = feed(&mut i, s(0.5), &advert(PEER, 255));
    assert!(logs(&acts).contains(&"(VI_1) WARNING - other router 10.0.0.2 is also an address owner (priority 255); reducing our priority to 254".into()), "{:?}", logs(&acts));
    assert_eq!(i.effective_priority(), 254);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn stop_sends_priority_zero_and_removes_vips() {
    let mut i = master(100);
    let acts = i.handle(s(5.0), Event::Stop);
    assert_eq!(sent(&acts), vec![0]);
    assert!(acts.contains(&vips(false)));
    assert_eq!(i.state(), State::Stop);
}

#[test]
fn effective_priority_from_trackers_clamped() {
    // keepalived vrrp_set_effective_priority: base + Σ weights, clamped to 1..254.
    let mut i = inst(100);
    i.add_tracker(TrackerId::Script("up".into()), 20, false, TrackStatus::Up);
    i.add_tracker(
        TrackerId::Script("down".into()),
        -30,
        false,
        TrackStatus::Down,
    );
    i.add_tracker(
        TrackerId::Interface("eth1".into()),
        10,
        true,
        TrackStatus::Down,
    );
    i.add_tracker(TrackerId::File("f".into()), 3, false, TrackStatus::Value(4));
    i.handle(s(0.0), Event::Start);
    assert_eq!(i.effective_priority(), 100 + 20 - 30 + 10 + 12);
    i.handle(
        s(0.1),
        Event::Tracker {
            id: TrackerId::Script("up".into()),
            status: TrackStatus::Down,
        },
    );
    assert_eq!(i.effective_priority(), 100 - 30 + 10 + 12);
    i.handle(
        s(0.2),
        Event::Tracker {
            id: TrackerId::File("f".into()),
            status: TrackStatus::Value(100),
        },
    );
    assert_eq!(i.effective_priority(), 254, "clamped");
    i.handle(
        s(0.3),
        Event::Tracker {
            id: TrackerId::File("f".into()),
            status: TrackStatus::Value(-100),
        },
    );
    assert_eq!(i.effective_priority(), 1, "clamped");
}

#[test]
fn owner_priority_is_never_changed_by_trackers() {
    let mut i = Instance::new(InstanceConfig::simple("VI_1", 51, 255, a(ME), vec![a(VIP)]));
    i.add_tracker(
        TrackerId::Script("down".into()),
        -30,
        false,
        TrackStatus::Down,
    );
    assert_eq!(i.effective_priority(), 255);
}

#[test]
fn weight_zero_tracker_fault_and_recovery() {
    // Section 4.4: a master going FAULT sends priority 0 and drops its VIPs; leaving FAULT
    // goes BACKUP with the full Master_Down.
    let mut i = inst(100);
    i.add_tracker(
        TrackerId::Interface("eth0".into()),
        0,
        false,
        TrackStatus::Up,
    );
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    let acts = i.handle(
        s(5.0),
        Event::Tracker {
            id: TrackerId::Interface("eth0".into()),
            status: TrackStatus::Down,
        },
    );
    assert_eq!(i.state(), State::Fault);
    assert_eq!(sent(&acts), vec![0]);
    assert!(acts.contains(&vips(false)));
    assert!(i.next_deadline().is_none(), "no adverts in FAULT");
    assert!(
        feed(&mut i, s(5.5), &advert(PEER, 50)).is_empty(),
        "packets ignored in FAULT"
    );
    i.handle(
        s(6.0),
        Event::Tracker {
            id: TrackerId::Interface("eth0".into()),
            status: TrackStatus::Up,
        },
    );
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.next_deadline(), Some(s(6.0) + i.master_down()));
}

#[test]
fn unknown_weight_zero_script_keeps_the_instance_out() {
    // Section 4.3: weight-0 scripts that have not run keep the instance in FAULT.
    let mut i = inst(100);
    i.add_tracker(
        TrackerId::Script("chk".into()),
        0,
        false,
        TrackStatus::Unknown,
    );
    i.handle(s(0.0), Event::Start);
    assert_eq!(i.state(), State::Fault);
    i.handle(
        s(0.5),
        Event::Tracker {
            id: TrackerId::Script("chk".into()),
            status: TrackStatus::Up,
        },
    );
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn notify_arguments_as_keepalived() {
    // Section 6: notify_master gets only its argv; notify gets INSTANCE name STATE prio;
    // the FIFO line is `INSTANCE "name" STATE prio`.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.notifies.master = Some(Box::new(ka_vrrp::instance::NotifyScript::new(vec![
        "/etc/keepalived/notify.sh".into(),
        "master".into(),
    ])));
    c.notifies.generic = Some(Box::new(ka_vrrp::instance::NotifyScript::new(vec![
        "/etc/keepalived/all.sh".into(),
    ])));
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    let acts = run(&mut i, s(4.0));
    let notifies: Vec<&Vec<String>> = acts
        .iter()
        .filter_map(|a| match a {
            Action::Notify { argv, .. } => Some(argv),
            _ => None,
        })
        .collect();
    assert_eq!(
        notifies[0],
        &vec!["/etc/keepalived/notify.sh".to_string(), "master".into()]
    );
    assert_eq!(
        notifies[1],
        &[
            "/etc/keepalived/all.sh",
            "INSTANCE",
            "VI_1",
            "MASTER",
            "100"
        ]
        .map(String::from)
        .to_vec()
    );
    assert!(acts.contains(&Action::Fifo {
        line: "INSTANCE \"VI_1\" MASTER 100\n".into()
    }));
}

#[test]
fn garp_schedule() {
    // Section 4.6: 5 rounds now, 5 more after garp_master_delay, then every refresh.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.garp.master_refresh = Duration::from_secs(60);
    c.garp.master_refresh_repeat = 2;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    let down = i.master_down();
    let t0 = s(0.0) + down;
    run(&mut i, t0);
    let acts = run(&mut i, t0 + Duration::from_secs(5));
    assert!(acts.contains(&garp(5)), "second burst after 5 s");
    let acts = run(&mut i, t0 + Duration::from_secs(60));
    assert!(acts.contains(&garp(2)), "refresh");
}

#[test]
fn resume_starts_as_master_without_a_garp_storm() {
    let mut i = inst(100);
    let acts = i.handle(s(0.0), Event::Resume);
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent(&acts), vec![100]);
    assert!(!acts
        .iter()
        .any(|a| matches!(a, Action::Garp { .. } | Action::Vips { .. })));
}

#[test]
fn resume_with_a_failed_weight_zero_tracker_drops_the_vips_through_fault() {
    // A restarted or reloaded child resumes a MASTER whose weight-0 tracker is down now:
    // keepalived section 4.4, a master entering FAULT sends priority 0 and drops its VIPs.
    let mut i = inst(100);
    i.add_tracker(
        TrackerId::Interface("eth0".into()),
        0,
        false,
        TrackStatus::Down,
    );
    let acts = i.handle(s(0.0), Event::Resume);
    assert_eq!(i.state(), State::Fault);
    assert_eq!(sent(&acts), vec![0]);
    assert!(acts.contains(&vips(false)));
}

#[test]
fn reload_delete_sends_priority_zero_and_notifies_fault() {
    // keepalived clear_diff_vrrp: a deleted MASTER sends priority 0, drops its VIPs and is
    // notified FAULT.
    let mut i = master(100);
    let acts = i.handle(s(5.0), Event::Delete);
    assert_eq!(sent(&acts), vec![0]);
    assert!(acts.contains(&vips(false)));
    assert!(acts.contains(&Action::StateChanged {
        state: State::Fault,
        priority: 100
    }));
    assert_eq!(i.state(), State::Stop);
    assert!(i.next_deadline().is_none());
    // A deleted BACKUP sends nothing.
    let mut b = inst(100);
    b.handle(s(0.0), Event::Start);
    assert!(sent(&b.handle(s(1.0), Event::Delete)).is_empty());
}

#[test]
fn advert_now_before_a_handover() {
    // keepalived reload_vrrp_thread: every MASTER adverts once before reloading; the next
    // advert is one interval later. A BACKUP sends nothing.
    let mut i = master(100);
    let acts = i.handle(s(5.3), Event::AdvertNow);
    assert_eq!(sent(&acts), vec![100]);
    assert_eq!(i.next_deadline(), Some(s(6.3)));
    let mut b = inst(100);
    b.handle(s(0.0), Event::Start);
    assert!(b.handle(s(1.0), Event::AdvertNow).is_empty());
}

#[test]
fn bad_packets_are_counted_and_change_nothing() {
    let mut i = master(100);
    let mut bytes = advert(PEER, 200);
    bytes[20 + 6] ^= 0xff; // break the VRRP checksum
    let acts = feed(&mut i, s(4.5), &bytes);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats.checksum_err, 1);
    assert!(acts.iter().all(|a| matches!(a, Action::Log { .. })));
    // Logging is rate-limited: a second bad packet within a second logs nothing.
    assert!(feed(&mut i, s(4.6), &bytes).is_empty());
    assert_eq!(i.stats.checksum_err, 2);
}

#[test]
fn receive_checks_in_keepalived_order() {
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.auth = AuthConfig::Pass(*b"secret\0\0");
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    let mk = |prio: u8, auth: Auth, ttl: u8, cs: u16| {
        let repr = Repr {
            version: Version::V2,
            vrid: 51,
            priority: prio,
            adver_int_cs: cs,
            auth,
            addrs: vec![a(VIP)],
        };
        let vrrp = repr.to_bytes(&Envelope {
            src: a(PEER),
            dst: a([224, 0, 0, 18]),
        });
        ip::build_ipv4(
            [10, 0, 0, 2].into(),
            [224, 0, 0, 18].into(),
            1,
            ttl,
            None,
            false,
            &vrrp,
        )
    };
    let cases = [
        (
            mk(200, Auth::pass("secret"), 254, 100),
            DecodeError::BadTtl(254),
        ),
        (
            mk(200, Auth::None, 255, 100),
            DecodeError::AuthTypeMismatch { ours: 1, theirs: 0 },
        ),
        (
            mk(200, Auth::pass("wrong"), 255, 100),
            DecodeError::AuthFailure,
        ),
        (
            mk(200, Auth::pass("secret"), 255, 200),
            DecodeError::IntervalMismatch {
                ours_cs: 100,
                theirs_cs: 200,
            },
        ),
    ];
    for (bytes, want) in cases {
        let rx = Received::from_ipv4(&bytes).unwrap();
        let cfg = ka_vrrp::rx::RxConfig {
            version: Version::V2,
            auth: AuthConfig::Pass(*b"secret\0\0"),
            adver_int_cs: 100,
            vips: vec![a(VIP)],
            peers: vec![],
            check_unicast_src: false,
            v3_checksum_as_v2: false,
            unicast_checksum: ka_vrrp::rx::UnicastChecksum::Standard,
        };
        assert_eq!(ka_vrrp::rx::check(&cfg, &rx, true).unwrap_err(), want);
        feed(&mut i, s(1.0), &bytes);
    }
    assert_eq!(i.stats.ip_ttl_err, 1);
    assert_eq!(i.stats.authtype_mismatch, 1);
    assert_eq!(i.stats.auth_failure, 1);
    assert_eq!(i.stats.advert_interval_err, 1);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn address_list_mismatch_drops_in_keepalived_2_2_7() {
    // Trap 12: a different VIP list is KO.
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    let repr = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 200,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec![],
    };
    let vrrp = repr.to_bytes(&Envelope {
        src: a(PEER),
        dst: a([224, 0, 0, 18]),
    });
    let bytes = ip::build_ipv4(
        [10, 0, 0, 2].into(),
        [224, 0, 0, 18].into(),
        1,
        255,
        None,
        false,
        &vrrp,
    );
    let deadline = i.next_deadline();
    feed(&mut i, s(1.0), &bytes);
    assert_eq!(i.stats.addr_list_err, 1);
    assert_eq!(i.next_deadline(), deadline);
}

fn script(rise: u32, fall: u32) -> ScriptTracker {
    ScriptTracker::new(ScriptConfig {
        name: "chk".into(),
        argv: vec!["/bin/true".into()],
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        rise,
        fall,
        init_fail: false,
        user: None,
    })
}

#[test]
fn script_first_result_decides_then_rise_and_fall() {
    // keepalived vrrp_script: the first result decides; then fall/rise consecutive ones.
    let mut sc = script(2, 2);
    assert_eq!(
        sc.handle(s(0.0), ScriptEvent::Start),
        vec![ScriptAction::Run {
            argv: vec!["/bin/true".into()]
        }]
    );
    assert_eq!(
        sc.handle(s(0.1), ScriptEvent::Exited { success: true }),
        vec![ScriptAction::Changed(Status::Good)]
    );
    assert_eq!(
        sc.next_deadline(),
        Some(s(2.0)),
        "next run one interval after the last start"
    );
    assert_eq!(sc.streak(), 0);
    sc.handle(s(2.0), ScriptEvent::Timer);
    assert!(
        sc.handle(s(2.1), ScriptEvent::Exited { success: false })
            .is_empty(),
        "one failure is not enough"
    );
    assert_eq!(sc.streak(), 1, "one failure toward fall");
    sc.handle(s(4.0), ScriptEvent::Timer);
    assert_eq!(
        sc.handle(s(4.1), ScriptEvent::Exited { success: false }),
        vec![ScriptAction::Changed(Status::Bad)]
    );
    assert_eq!(
        sc.streak(),
        0,
        "the status changed: the streak starts again"
    );
    sc.handle(s(6.0), ScriptEvent::Timer);
    assert!(sc
        .handle(s(6.1), ScriptEvent::Exited { success: true })
        .is_empty());
    assert_eq!(sc.streak(), 1);
    sc.handle(s(8.0), ScriptEvent::Timer);
    assert_eq!(
        sc.handle(s(8.1), ScriptEvent::Exited { success: true }),
        vec![ScriptAction::Changed(Status::Good)]
    );
}

#[test]
fn script_timeout_is_a_failure() {
    let mut sc = script(1, 1);
    sc.handle(s(0.0), ScriptEvent::Start);
    assert_eq!(sc.next_deadline(), Some(s(1.0)));
    let acts = sc.handle(s(1.0), ScriptEvent::Timer);
    assert_eq!(
        acts,
        vec![ScriptAction::Kill, ScriptAction::Changed(Status::Bad)]
    );
}

#[test]
fn script_init_fail_starts_bad() {
    let mut c = script(1, 1).cfg;
    c.init_fail = true;
    assert_eq!(ScriptTracker::new(c).status(), Status::Bad);
}

#[test]
fn unicast_sends_one_copy_per_peer() {
    // keepalived vrrp_send_adv: a separate packet to each unicast peer.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.peers = vec![
        ka_vrrp::rx::Peer {
            addr: a(PEER),
            min_ttl: 0,
            max_ttl: 255,
        },
        ka_vrrp::rx::Peer {
            addr: a([10, 0, 0, 3]),
            min_ttl: 0,
            max_ttl: 255,
        },
    ];
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    let acts = run(&mut i, s(4.0));
    let dsts: Vec<IpAddr> = acts
        .iter()
        .filter_map(|x| match x {
            Action::Send { dst, .. } => Some(*dst),
            _ => None,
        })
        .collect();
    assert_eq!(dsts, vec![a(PEER), a([10, 0, 0, 3])]);
}

#[test]
fn startup_delay_postpones_everything() {
    use ka_vrrp::sync::Router;
    let mut r = Router::new(vec![inst(100)], vec![]);
    assert!(r.begin(s(0.0), Duration::from_secs(10)).is_empty());
    assert_eq!(r.instances[0].state(), State::Init);
    assert_eq!(r.next_deadline(), Some(s(10.0)));
    r.tick(s(10.0));
    assert_eq!(r.instances[0].state(), State::Backup);
}

#[test]
fn vip_removed_externally_retakes_after_skew() {
    // keepalived set_vrrp_backup: BACKUP with Master_Down = Skew_Time.
    let mut i = master(100);
    i.handle(s(5.0), Event::VipRemoved);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.next_deadline(), Some(s(5.0) + i.skew()));
}

#[test]
fn v3_checksum_without_pseudo_header_rfc9568() {
    // Sent as configured (v3_checksum_as_v2); accepted on receive either way.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.version = Version::V3;
    c.v3_checksum_as_v2 = true;
    let mut tx = Instance::new(c);
    let acts = tx.handle(s(0.0), Event::Resume);
    let Some(Action::Send { packet, .. }) = acts.first() else {
        panic!("{acts:?}")
    };
    assert_eq!(
        ka_vrrp::checksum::data(&packet[20..]),
        0,
        "plain Internet checksum"
    );
    let mut c = InstanceConfig::simple("VI_1", 51, 50, a(PEER), vec![a(VIP)]);
    c.version = Version::V3;
    let mut rx = Instance::new(c);
    rx.handle(s(0.0), Event::Start);
    feed(&mut rx, s(0.5), packet);
    assert_eq!(rx.stats.advert_rcvd, 1);
    assert_eq!(rx.master(), Some(a(ME)));
}

#[test]
fn last_transition_and_master_priority_as_keepalived_reports_them() {
    // vrrp_json.c: last_transition is when the current state was entered; master_priority
    // the priority of the last advert accepted from a master (vrrp.c vrrp_state_backup).
    let mut i = inst(100);
    assert_eq!(i.last_transition(), None);
    assert_eq!(i.master_priority(), 0);
    i.handle(s(1.0), Event::Start);
    assert_eq!(i.last_transition(), Some(s(1.0)));
    feed(&mut i, s(2.0), &advert(PEER, 150));
    assert_eq!(i.master_priority(), 150);
    // Still BACKUP: the transition time does not move.
    assert_eq!(i.last_transition(), Some(s(1.0)));
    let down = i.master_down();
    run(&mut i, s(2.0) + down);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.last_transition(), Some(s(2.0) + down));
    i.clear_stats();
    assert_eq!(i.stats, ka_vrrp::Stats::default());
}

#[test]
fn a_carried_script_status_counts_rise_and_fall_from_there() {
    // A successor's tracker starts from its predecessor's status: a good script stays
    // good on its next success (no change reported), and one failure with fall 2 does
    // not fail it yet.
    let mut sc = script(2, 2);
    sc.carry(true);
    assert_eq!(sc.status(), Status::Good);
    sc.handle(s(0.0), ScriptEvent::Start);
    let acts = sc.handle(s(0.1), ScriptEvent::Exited { success: true });
    assert!(!acts.iter().any(|a| matches!(a, ScriptAction::Changed(_))));
    sc.handle(s(2.0), ScriptEvent::Timer);
    let acts = sc.handle(s(2.1), ScriptEvent::Exited { success: false });
    assert!(!acts.iter().any(|a| matches!(a, ScriptAction::Changed(_))));
    assert_eq!(sc.status(), Status::Good);
}

fn fifo_lines(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Fifo { line } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

fn tracker_to(i: &mut Instance, now: Time, status: TrackStatus) -> Vec<Action> {
    i.handle(
        now,
        Event::Tracker {
            id: TrackerId::Script("chk".into()),
            status,
        },
    )
}

#[test]
fn notify_priority_changes_writes_fifo_lines_keepalived_words() {
    // keepalived vrrp_set_effective_priority → send_instance_priority_notifies:
    // `INSTANCE "VI_1" MASTER_PRIORITY 90` as MASTER, BACKUP_PRIORITY otherwise.
    let mut cfg = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    cfg.notify_priority_changes = true;
    let mut i = Instance::new(cfg);
    i.add_tracker(TrackerId::Script("chk".into()), -10, false, TrackStatus::Up);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    let acts = tracker_to(&mut i, s(5.0), TrackStatus::Down);
    assert_eq!(
        fifo_lines(&acts),
        vec!["INSTANCE \"VI_1\" MASTER_PRIORITY 90\n"]
    );
    assert!(acts.contains(&Action::Log {
        level: ka_vrrp::action::Level::Info,
        line: "(VI_1) Changing effective priority from 100 to 90".into()
    }));
    // The same status again: no change, no line.
    assert!(fifo_lines(&tracker_to(&mut i, s(5.5), TrackStatus::Down)).is_empty());
    // As BACKUP (a higher priority master appeared).
    feed(&mut i, s(6.0), &advert(PEER, 150));
    assert_eq!(i.state(), State::Backup);
    let acts = tracker_to(&mut i, s(6.5), TrackStatus::Up);
    assert_eq!(
        fifo_lines(&acts),
        vec!["INSTANCE \"VI_1\" BACKUP_PRIORITY 100\n"]
    );
}

#[test]
fn without_notify_priority_changes_no_fifo_line() {
    let mut i = inst(100);
    i.add_tracker(TrackerId::Script("chk".into()), -10, false, TrackStatus::Up);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    let acts = tracker_to(&mut i, s(5.0), TrackStatus::Down);
    assert_eq!(i.effective_priority(), 90);
    assert!(fifo_lines(&acts).is_empty());
}

#[test]
fn a_backups_master_down_deadline_moves_with_its_priority() {
    // keepalived vrrp_set_effective_priority: ms_down_timer recomputed and the running
    // timer moved by the difference (Skew_Time = (256 - prio) / 256 s).
    let mut i = inst(100);
    i.add_tracker(TrackerId::Script("chk".into()), -56, false, TrackStatus::Up);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(1.0), &advert(PEER, 150));
    assert_eq!(i.state(), State::Backup);
    let before = i.next_deadline().unwrap();
    tracker_to(&mut i, s(1.5), TrackStatus::Down);
    // 100 → 44: Skew_Time grows by 56/256 s.
    let after = i.next_deadline().unwrap();
    assert_eq!(after - before, Duration::from_micros(56 * 1_000_000 / 256));
}

#[test]
fn master_hearing_a_lower_priority_master_writes_the_fifo_line_and_runs_its_script() {
    // keepalived vrrp.c (the lower-priority branch of the master's advert handling):
    // send_event_notify runs notify_master_rx_lower_pri as configured and writes
    // `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100` to the FIFOs, the script or not.
    let mut cfg = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    cfg.notifies.master_rx_lower_pri = Some(Box::new(ka_vrrp::instance::NotifyScript {
        argv: vec!["/usr/local/bin/take-back".into(), "VI_1".into()],
        user: None,
        group: None,
    }));
    let mut i = Instance::new(cfg);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    let acts = feed(&mut i, s(5.0), &advert(PEER, 50));
    assert_eq!(i.state(), State::Master);
    assert_eq!(
        fifo_lines(&acts),
        vec!["INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n"]
    );
    assert!(acts.contains(&Action::Notify {
        argv: vec!["/usr/local/bin/take-back".into(), "VI_1".into()],
        user: None,
        group: None,
    }));
    // Without the script: the FIFO line alone. A higher priority advert: neither.
    let mut i = master(100);
    let acts = feed(&mut i, s(5.0), &advert(PEER, 50));
    assert_eq!(fifo_lines(&acts).len(), 1);
    assert!(!acts.iter().any(|a| matches!(a, Action::Notify { .. })));
    let acts = feed(&mut i, s(6.0), &advert(PEER, 150));
    assert!(!fifo_lines(&acts).iter().any(|l| l.contains("RX_LOWER")));
}

#[test]
fn unicast_fault_no_peer_without_peers_stays_in_fault() {
    // keepalived vrrp_complete_instance: "Cannot use unicast without any peers - going to
    // fault state" (a configuration fault: nothing brings it out).
    let mut cfg = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    cfg.no_unicast_peers_fault = true;
    let mut i = Instance::new(cfg);
    i.add_tracker(TrackerId::Script("chk".into()), 10, false, TrackStatus::Up);
    let acts = i.handle(s(0.0), Event::Start);
    assert_eq!(i.state(), State::Fault);
    assert!(acts.contains(&Action::Log {
        level: ka_vrrp::action::Level::Info,
        line: "(VI_1) Cannot use unicast without any peers - going to fault state".into()
    }));
    run(&mut i, s(10.0));
    tracker_to(&mut i, s(11.0), TrackStatus::Down);
    tracker_to(&mut i, s(12.0), TrackStatus::Up);
    run(&mut i, s(20.0));
    assert_eq!(i.state(), State::Fault);
    assert!(sent(&run(&mut i, s(30.0))).is_empty());
}

fn notify_script(path: &str) -> Option<Box<ka_vrrp::instance::NotifyScript>> {
    Some(Box::new(ka_vrrp::instance::NotifyScript {
        argv: vec![path.into()],
        user: None,
        group: None,
    }))
}

fn notified(acts: &[Action]) -> Vec<Vec<String>> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Notify { argv, .. } => Some(argv.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_deleted_instance_notifies_fault_the_old_way_without_its_fault_script() {
    // keepalived send_instance_notifies: the state script is chosen while the state is
    // still DELETED (script_deleted, unset), then the state becomes FAULT for the generic
    // script and the FIFOs: notify_fault does not run.
    let mut cfg = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    cfg.notifies.fault = notify_script("/bin/fault");
    cfg.notifies.generic = notify_script("/bin/generic");
    let mut i = Instance::new(cfg);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    let acts = i.handle(s(5.0), Event::Delete);
    assert_eq!(
        notified(&acts),
        vec![vec![
            "/bin/generic".to_string(),
            "INSTANCE".into(),
            "VI_1".into(),
            "FAULT".into(),
            "100".into()
        ]]
    );
    assert_eq!(fifo_lines(&acts), vec!["INSTANCE \"VI_1\" FAULT 100\n"]);
}

#[test]
fn notify_deleted_notifies_deleted_and_runs_its_script() {
    let mut cfg = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    cfg.notify_deleted = true;
    cfg.notifies.fault = notify_script("/bin/fault");
    cfg.notifies.deleted = notify_script("/bin/deleted");
    cfg.notifies.generic = notify_script("/bin/generic");
    let mut i = Instance::new(cfg);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    let acts = i.handle(s(5.0), Event::Delete);
    assert_eq!(sent(&acts), vec![0], "priority 0 as without it");
    assert_eq!(
        notified(&acts),
        vec![
            vec!["/bin/deleted".to_string()],
            vec![
                "/bin/generic".to_string(),
                "INSTANCE".into(),
                "VI_1".into(),
                "DELETED".into(),
                "100".into()
            ]
        ]
    );
    assert_eq!(fifo_lines(&acts), vec!["INSTANCE \"VI_1\" DELETED 100\n"]);
}

#[test]
fn a_tracker_s_part_of_the_priority() {
    // keepalived vrrp_track.c / track_file.c: weight 0 faults, a positive weight counts
    // while up, a negative one while down, reverse swaps up and down; a file's value is
    // multiplied by its weight.
    use ka_vrrp::instance::Tracker;
    let t = |weight: i32, reverse: bool, status: TrackStatus| {
        Tracker {
            weight,
            reverse,
            status,
        }
        .contribution()
    };
    use TrackStatus::{Down, Unknown, Up, Value};
    assert_eq!(t(0, false, Up), Some(0));
    assert_eq!(t(0, false, Down), None);
    assert_eq!(t(0, true, Up), None);
    assert_eq!(t(0, true, Down), Some(0));
    assert_eq!(t(10, false, Up), Some(10));
    assert_eq!(t(10, false, Down), Some(0));
    assert_eq!(t(10, true, Down), Some(10));
    assert_eq!(t(-10, false, Up), Some(0));
    assert_eq!(t(-10, false, Down), Some(-10));
    assert_eq!(t(-10, true, Up), Some(-10));
    assert_eq!(
        t(0, false, Unknown),
        None,
        "no result yet keeps a weight-0 tracker down"
    );
    assert_eq!(t(5, false, Unknown), Some(0));
    assert_eq!(t(0, false, Value(0)), Some(0));
    assert_eq!(t(0, false, Value(3)), None);
    assert_eq!(t(0, true, Value(0)), None);
    assert_eq!(t(0, true, Value(3)), Some(0));
    assert_eq!(t(3, false, Value(2)), Some(6));
    assert_eq!(t(3, true, Value(2)), Some(-6));
    assert_eq!(t(-3, false, Value(-2)), Some(6));
}

#[test]
fn why_an_instance_is_in_its_state() {
    use ka_vrrp::instance::Reason;
    let mut i = inst(100);
    assert_eq!(i.last_reason(), None, "never left INIT");
    i.handle(s(0.0), Event::Start);
    assert_eq!(i.last_reason(), Some(&Reason::Startup));
    for (r, text) in [
        (Reason::Startup, "startup"),
        (Reason::MasterDown, "master down timer expired"),
        (Reason::PriorityZero, "master sent priority 0"),
        (Reason::Owner, "address owner"),
        (Reason::HigherPriority, "higher priority advert"),
        (
            Reason::Tracker {
                id: TrackerId::Script("chk".into()),
                up: false,
            },
            "script chk failed",
        ),
        (
            Reason::Tracker {
                id: TrackerId::Interface("eth1".into()),
                up: true,
            },
            "interface eth1 recovered",
        ),
        (
            Reason::Tracker {
                id: TrackerId::File("f".into()),
                up: true,
            },
            "file f recovered",
        ),
        (
            Reason::Tracker {
                id: TrackerId::Process("p".into()),
                up: false,
            },
            "process p failed",
        ),
        (Reason::Resumed, "resumed by a successor process"),
        (Reason::SyncGroup, "sync group"),
        (Reason::VipRemoved, "a VIP was removed by someone else"),
        (Reason::Stopped, "stopped"),
        (Reason::Deleted, "removed by a reload"),
    ] {
        assert_eq!(r.to_string(), text);
    }
}

#[test]
fn a_v3_backup_adopts_the_master_s_interval() {
    // RFC 5798 6.4.2: Master_Adver_Interval from the advert.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.version = Version::V3;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    assert_eq!(
        i.master_adver_int(),
        Duration::from_secs(1),
        "ours until one is heard"
    );
    feed(&mut i, s(0.5), &advert_v(PEER, 200, Version::V3, 200));
    assert_eq!(i.master_adver_int(), Duration::from_secs(2));
}

#[test]
fn counters_mail_and_a_v2_interval_of_two_seconds() {
    // keepalived vrrp_stats: adverts sent, priority 0 sent, became / released master.
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.adver_int = Duration::from_secs(2);
    c.smtp_alert = true;
    let mut i = Instance::new(c);
    let mut acts = i.handle(s(0.0), Event::Start);
    acts.extend(run(&mut i, s(8.0)));
    assert_eq!(i.state(), State::Master);
    // The v2 interval field is in whole seconds (after the 20-byte IP header).
    let p = acts
        .iter()
        .find_map(|a| match a {
            Action::Send { packet, .. } => Some(packet.clone()),
            _ => None,
        })
        .expect("an advert");
    assert_eq!(p[20 + 5], 2, "advert interval 2 s");
    let sent_before = i.stats.advert_sent;
    assert_eq!(
        sent_before, 1,
        "one advert on becoming master, the next is 2 s later"
    );
    assert_eq!(i.stats.become_master, 1);
    acts.extend(i.handle(s(8.5), Event::Stop));
    assert_eq!(i.stats.release_master, 1);
    assert_eq!(i.stats.pri_zero_sent, 1);
    assert_eq!(i.stats.advert_sent, sent_before + 1);
    // One mail per state, each with keepalived's body.
    let bodies: Vec<String> = acts
        .iter()
        .filter_map(|a| match a {
            Action::Alert { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            "=> VRRP Instance is nolonger owning VRRP VIPs <=",
            "=> VRRP Instance is now owning VRRP VIPs <=",
            "=> VRRP Instance stopped <=",
        ]
    );
    let mut f = InstanceConfig::simple("VI_2", 52, 100, a(ME), vec![a(VIP)]);
    f.smtp_alert = true;
    let mut j = Instance::new(f);
    j.add_tracker(
        TrackerId::Interface("eth1".into()),
        0,
        false,
        TrackStatus::Down,
    );
    let acts = j.handle(s(0.0), Event::Start);
    assert!(acts.iter().any(
        |a| matches!(a, Action::Alert { body, .. } if body == "=> VRRP Instance is in FAULT state <=")
    ));
}

#[test]
fn bad_packets_are_counted_each_and_logged_once_a_second() {
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    let bad = |i: &mut Instance, t: f64| {
        i.handle(
            s(t),
            Event::Bad {
                src: Some(a(PEER)),
                error: DecodeError::BadChecksum,
            },
        )
        .into_iter()
        .filter(|a| matches!(a, Action::Log { .. }))
        .count()
    };
    assert_eq!(bad(&mut i, 1.0), 1, "the first is logged");
    assert_eq!(bad(&mut i, 1.5), 0, "within a second: counted, not logged");
    assert_eq!(bad(&mut i, 1.9), 0);
    assert_eq!(bad(&mut i, 2.1), 1, "a second later: logged again");
    assert_eq!(i.stats.checksum_err, 4);
}

#[test]
fn a_lower_priority_advert_s_delayed_garp_round() {
    // keepalived vrrp_garp_lower_prio_delay / _repeat: a MASTER that hears a lower
    // priority answers with GARPs now and again after the delay.
    let mut c = InstanceConfig::simple("VI_1", 51, 200, a(ME), vec![a(VIP)]);
    c.garp.lower_prio_repeat = 2;
    c.garp.lower_prio_delay = Duration::from_secs(5);
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    let acts = feed(&mut i, s(4.5), &advert(PEER, 100));
    assert!(acts.contains(&garp(2)), "{acts:?}");
    let later = run(&mut i, s(9.6));
    assert!(later.contains(&garp(2)), "and again 5 s later");
}

#[test]
fn received_adverts_counted_and_the_address_list_checked_as_keepalived() {
    // A BACKUP counts every advert it accepts, and priority 0 ones apart.
    let mut i = inst(100);
    i.handle(s(0.0), Event::Start);
    feed(&mut i, s(0.5), &advert(PEER, 150));
    feed(&mut i, s(1.0), &advert(PEER, 0));
    assert_eq!((i.stats.advert_rcvd, i.stats.pri_zero_rcvd), (2, 1));
    // skip_check_adv_addr: the known master's advert with another VIP list is accepted;
    // another sender's is dropped.
    let other_vips = |src: [u8; 4]| {
        let repr = Repr {
            version: Version::V2,
            vrid: 51,
            priority: 150,
            adver_int_cs: 100,
            auth: Auth::None,
            addrs: vec![a([192, 168, 1, 99])],
        };
        let env = Envelope {
            src: a(src),
            dst: a([224, 0, 0, 18]),
        };
        let std::net::IpAddr::V4(s4) = a(src) else {
            unreachable!()
        };
        ip::build_ipv4(
            s4,
            [224, 0, 0, 18].into(),
            1,
            255,
            None,
            false,
            &repr.to_bytes(&env),
        )
    };
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.skip_check_adv_addr = true;
    let mut j = Instance::new(c);
    j.handle(s(0.0), Event::Start);
    feed(&mut j, s(0.5), &advert(PEER, 150));
    feed(&mut j, s(1.0), &other_vips(PEER));
    assert_eq!(j.stats.addr_list_err, 0, "the known master: not checked");
    feed(&mut j, s(1.5), &other_vips([10, 0, 0, 3]));
    assert_eq!(j.stats.addr_list_err, 1, "someone else: checked");
}

#[test]
fn two_address_owners_and_a_master_hearing_priority_zero() {
    // keepalived 2.2.7: an owner that hears another owner drops to 254 at once.
    let mut o = inst(255);
    o.handle(s(0.0), Event::Start);
    run(&mut o, s(0.1));
    assert_eq!(o.state(), State::Master);
    feed(&mut o, s(0.5), &advert(LOW, 255));
    assert_eq!(o.effective_priority(), 254);
    // A master that is not the owner keeps its priority when an owner speaks.
    let mut m = inst(200);
    m.handle(s(0.0), Event::Start);
    run(&mut m, s(4.0));
    assert_eq!(m.state(), State::Master);
    feed(&mut m, s(4.5), &advert(PEER, 255));
    assert_eq!(m.effective_priority(), 200);
    // A master hearing priority 0 answers at once with its own advert.
    let mut n = inst(200);
    n.handle(s(0.0), Event::Start);
    run(&mut n, s(4.0));
    let acts = feed(&mut n, s(4.2), &advert(PEER, 0));
    assert_eq!(sent(&acts), vec![200]);
    assert_eq!(n.state(), State::Master);
}

#[test]
fn a_master_meeting_its_equal_and_a_higher_v3_master() {
    // RFC 5798 6.4.3: equal priority, the higher primary address wins.
    let mut m = inst(100);
    m.handle(s(0.0), Event::Start);
    run(&mut m, s(4.0));
    assert_eq!(m.state(), State::Master);
    feed(&mut m, s(4.2), &advert(LOW, 100));
    assert_eq!(m.state(), State::Master, "10.0.0.0 < 10.0.0.1: we stay");
    feed(&mut m, s(4.4), &advert(PEER, 100));
    assert_eq!(m.state(), State::Backup, "10.0.0.2 > 10.0.0.1: we yield");
    // A v3 master yielding adopts the new master's interval (RFC 5798 6.4.3).
    let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
    c.version = Version::V3;
    let mut v3 = Instance::new(c);
    v3.handle(s(0.0), Event::Start);
    run(&mut v3, s(4.0));
    assert_eq!(v3.state(), State::Master);
    feed(&mut v3, s(4.2), &advert_v(PEER, 200, Version::V3, 300));
    assert_eq!(v3.state(), State::Backup);
    assert_eq!(v3.master_adver_int(), Duration::from_secs(3));
    // lower_prio_repeat 0: no GARP round for a lower-priority advert.
    let mut c = InstanceConfig::simple("VI_1", 51, 200, a(ME), vec![a(VIP)]);
    c.garp.lower_prio_repeat = 0;
    let mut q = Instance::new(c);
    q.handle(s(0.0), Event::Start);
    run(&mut q, s(4.0));
    let acts = feed(&mut q, s(4.5), &advert(PEER, 100));
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Garp { .. })),
        "{acts:?}"
    );
}

fn logs(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Log { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn priority_zero_adverts_are_counted_both_ways() {
    // keepalived's pri_zero_sent / pri_zero_rcvd: only priority-0 adverts count.
    let mut i = master(100);
    let sent0 = i.stats.advert_sent;
    feed(&mut i, s(4.5), &advert(PEER, 50));
    assert_eq!(i.stats.advert_sent, sent0 + 1);
    assert_eq!(i.stats.pri_zero_sent, 0);
    assert_eq!(i.stats.pri_zero_rcvd, 0);
    feed(&mut i, s(4.6), &advert(PEER, 0));
    assert_eq!(i.stats.pri_zero_rcvd, 1);
    assert_eq!(i.stats.advert_rcvd, 2);
    i.handle(s(5.0), Event::Stop);
    assert_eq!(i.stats.pri_zero_sent, 1);
}

#[test]
fn bad_packet_logs_are_limited_to_one_a_second_and_count_the_rest() {
    let mut i = master(100);
    let mut bytes = advert(PEER, 200);
    bytes[20 + 6] ^= 0xff;
    assert_eq!(logs(&feed(&mut i, s(4.0), &bytes)).len(), 1);
    assert!(feed(&mut i, s(4.3), &bytes).is_empty());
    assert!(feed(&mut i, s(4.6), &bytes).is_empty());
    // Exactly a second after the last report: reported again, with the two it held back.
    let l = logs(&feed(&mut i, s(5.0), &bytes));
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(l[0].ends_with("(2 more since the last report)"), "{l:?}");
}

#[test]
fn a_different_interval_is_logged_by_the_master_only() {
    // VRRPv3 accepts another interval (RFC 5798 6.4.2): a MASTER says so, a BACKUP
    // adopts it silently.
    let v3 = || {
        let mut c = InstanceConfig::simple("VI_1", 51, 100, a(ME), vec![a(VIP)]);
        c.version = Version::V3;
        Instance::new(c)
    };
    let mut i = v3();
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    let l = logs(&feed(&mut i, s(4.5), &advert_v(PEER, 50, Version::V3, 200)));
    assert!(
        l.contains(
            &"(VI_1) advertisement interval changed: mine=1000 milli-sec, rcved=2000 milli-sec"
                .into()
        ),
        "{l:?}"
    );
    let mut b = v3();
    b.handle(s(0.0), Event::Start);
    let l = logs(&feed(
        &mut b,
        s(0.5),
        &advert_v(PEER, 150, Version::V3, 200),
    ));
    assert_eq!(b.state(), State::Backup);
    assert!(
        !l.iter()
            .any(|l| l.contains("advertisement interval changed")),
        "{l:?}"
    );
}

#[test]
fn a_master_ignores_its_own_advert_looped_back() {
    // keepalived vrrp_state_master_rx: same priority from our own address.
    let mut i = master(100);
    let acts = feed(&mut i, s(4.5), &advert(ME, 100));
    assert_eq!(i.state(), State::Master);
    assert!(sent(&acts).is_empty());
    assert_eq!(
        logs(&acts),
        vec!["(VI_1) Received advert from 10.0.0.1 with same priority and our own IP address - check for duplicate addresses"]
    );
    // Another router with our priority and a higher address: not ours, we yield.
    feed(&mut i, s(4.6), &advert(PEER, 100));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn only_two_owners_demote_one() {
    // A non-owner master receiving priority 255 yields without changing its priority.
    let mut i = master(100);
    feed(&mut i, s(4.5), &advert(PEER, 255));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.effective_priority(), 100);
    // An owner hearing a lower priority stays the owner at 255.
    let mut c = InstanceConfig::simple("VI_1", 51, 255, a(ME), vec![a(VIP)]);
    c.want_master = true;
    let mut o = Instance::new(c);
    o.handle(s(0.0), Event::Start);
    run(&mut o, Time(1));
    assert_eq!(o.state(), State::Master);
    feed(&mut o, s(0.5), &advert(PEER, 100));
    assert_eq!(o.effective_priority(), 255);
    assert_eq!(o.state(), State::Master);
}

#[test]
fn the_owner_comes_back_from_fault_after_one_advert_and_its_skew() {
    // keepalived: an address owner entering BACKUP waits Adver_Interval + Skew_Time
    // (1 s + 1/256 s), not the Master_Down_Interval.
    let mut c = InstanceConfig::simple("VI_1", 51, 255, a(ME), vec![a(VIP)]);
    c.want_master = true;
    let mut i = Instance::new(c);
    i.add_tracker(
        TrackerId::Interface("eth0".into()),
        0,
        false,
        TrackStatus::Down,
    );
    i.handle(s(0.0), Event::Start);
    assert_eq!(i.state(), State::Fault);
    i.handle(
        s(10.0),
        Event::Tracker {
            id: TrackerId::Interface("eth0".into()),
            status: TrackStatus::Up,
        },
    );
    assert_eq!(i.state(), State::Backup);
    run(&mut i, s(11.0));
    assert_eq!(i.state(), State::Backup, "1 s < 1 s + 3.9 ms");
    run(&mut i, s(11.004));
    assert_eq!(i.state(), State::Master);
}

#[test]
fn ipv6_ties_break_on_the_higher_address() {
    let mine: IpAddr = "fe80::10".parse().unwrap();
    let mut c = InstanceConfig::simple("VI_6", 51, 100, mine, vec!["2001:db8::1".parse().unwrap()]);
    c.version = Version::V3;
    let mut i = Instance::new(c);
    i.handle(s(0.0), Event::Start);
    run(&mut i, s(4.0));
    assert_eq!(i.state(), State::Master);
    let adv = |src: &str| {
        let src: IpAddr = src.parse().unwrap();
        let repr = Repr {
            version: Version::V3,
            vrid: 51,
            priority: 100,
            adver_int_cs: 100,
            auth: Auth::None,
            addrs: vec!["2001:db8::1".parse().unwrap()],
        };
        let env = Envelope {
            src,
            dst: "ff02::12".parse().unwrap(),
        };
        (src, repr.to_bytes(&env))
    };
    // Lower and equal addresses: we stay (an equal one is our own, looped back).
    for a6 in ["fe80::f", "fe80::10"] {
        let (src, bytes) = adv(a6);
        let rx = Received {
            src,
            dst: "ff02::12".parse().unwrap(),
            ttl: 255,
            vrrp: &bytes,
            ipv4: None,
        };
        i.handle(s(4.5), Event::Packet(&rx));
        assert_eq!(i.state(), State::Master, "{a6}");
    }
    let (src, bytes) = adv("fe80::11");
    let rx = Received {
        src,
        dst: "ff02::12".parse().unwrap(),
        ttl: 255,
        vrrp: &bytes,
        ipv4: None,
    };
    i.handle(s(4.6), Event::Packet(&rx));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn states_are_named_as_keepalived_names_them() {
    let names: Vec<String> = [
        State::Init,
        State::Backup,
        State::Master,
        State::Fault,
        State::Stop,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names, ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"]);
}

/// A tracker declared twice keeps the last declaration (keepalived: a track_interface
/// naming the instance's own interface sets its weight), and they list in id order.
#[test]
fn a_tracker_declared_again_replaces_the_first_and_trackers_list_in_order() {
    let mut i = inst(100);
    i.add_tracker(TrackerId::Script("b".into()), 5, false, TrackStatus::Up);
    i.add_tracker(
        TrackerId::Interface("eth0".into()),
        0,
        false,
        TrackStatus::Up,
    );
    i.add_tracker(TrackerId::Script("a".into()), 7, false, TrackStatus::Up);
    i.add_tracker(
        TrackerId::Interface("eth0".into()),
        20,
        true,
        TrackStatus::Down,
    );
    let listed: Vec<(TrackerId, i32, bool)> = i
        .trackers()
        .map(|(id, t)| (id.clone(), t.weight, t.reverse))
        .collect();
    assert_eq!(
        listed,
        vec![
            (TrackerId::Script("a".into()), 7, false),
            (TrackerId::Script("b".into()), 5, false),
            (TrackerId::Interface("eth0".into()), 20, true),
        ]
    );
    assert!(i.tracks(&TrackerId::Script("a".into())));
    assert!(!i.tracks(&TrackerId::Script("c".into())));
}
