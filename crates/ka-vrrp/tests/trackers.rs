//! Trackers as keepalived resolves them (vrrp_track.c): each tracked object's weight (the
//! instance's line, else the object's own), its reverse flag (either place), its starting
//! status; in a sync group, keepalived's rules for a member's own weights and the group's
//! trackers on every member (vrrp.c vrrp_complete_instance, sync_group_tracking_init).

use ka_config::{parse_str, Options};
use ka_vrrp::instance::{TrackStatus, TrackerId};

const CONF: &str = r#"
vrrp_script chk {
    script "/bin/true"
    weight -10 reverse
}
vrrp_script plain {
    script "/bin/true"
    weight 5
}
vrrp_track_file f {
    file "/tmp/ka-trackers-test"
    weight 3 reverse
    init_file 7
}
vrrp_track_process p {
    process nginx
    weight 4
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_script {
        chk
        plain weight 20 reverse
    }
    track_file {
        f
    }
    track_process {
        p weight 9
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    track_script {
        chk
    }
    track_process {
        p reverse
    }
    virtual_ipaddress {
        192.0.2.2
    }
}
vrrp_sync_group G {
    group {
        VI_2
    }
}
"#;

fn trackers(i: &ka_vrrp::instance::Instance) -> Vec<(TrackerId, i32, bool, TrackStatus)> {
    i.trackers()
        .map(|(id, t)| (id.clone(), t.weight, t.reverse, t.status))
        .collect()
}

#[test]
fn weights_reverse_flags_and_starting_status() {
    let l = parse_str("k.conf", CONF, &Options::default());
    // keepalived 2.2.7 reports the weighted script of a sync group's member and drops it.
    assert_eq!(
        l.short()
            .iter()
            .filter(|d| d.contains("error"))
            .collect::<Vec<_>>(),
        vec![
            "k.conf:40:9: error: (VI_2) ignoring tracked script chk with weights due to SYNC group"
        ]
    );
    let r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    let id = |k: &str, n: &str| match k {
        "s" => TrackerId::Script(n.into()),
        "f" => TrackerId::File(n.into()),
        "p" => TrackerId::Process(n.into()),
        _ => TrackerId::Interface(n.into()),
    };
    let mut got = trackers(&r.instances[0]);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (id("i", "eth0"), 0, false, TrackStatus::Up),
        (id("s", "chk"), -10, true, TrackStatus::Unknown),
        (id("s", "plain"), 20, true, TrackStatus::Unknown),
        (id("f", "f"), 3, true, TrackStatus::Value(7)),
        (id("p", "p"), 9, false, TrackStatus::Unknown),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
    // In a sync group a weighted script goes (its failure changes nothing); a tracked
    // process keeps its weight (keepalived 2.2.7 does not touch processes there).
    let mut got = trackers(&r.instances[1]);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (id("i", "eth0"), 0, false, TrackStatus::Up),
        (id("p", "p"), 4, true, TrackStatus::Unknown),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
}

const GROUPED: &str = r#"
vrrp_script own {
    script "/bin/true"
    weight 10
}
vrrp_script grp {
    script "/bin/true"
}
vrrp_track_file f {
    file "/tmp/ka-trackers-test"
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_script {
        grp weight -30
    }
    track_interface {
        eth1 weight -5
        eth0 weight 7
    }
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_script {
        own
    }
    track_file {
        f
    }
    track_interface {
        eth2 weight 9
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance VI_2 {
    interface eth0
    dont_track_primary
    virtual_router_id 52
    track_script {
        grp
    }
    virtual_ipaddress {
        192.0.2.2
    }
}
"#;

fn sorted(i: &ka_vrrp::instance::Instance) -> Vec<(TrackerId, i32, bool, TrackStatus)> {
    let mut t = trackers(i);
    t.sort_by(|a, b| a.0.cmp(&b.0));
    t
}

fn order(
    mut v: Vec<(TrackerId, i32, bool, TrackStatus)>,
) -> Vec<(TrackerId, i32, bool, TrackStatus)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_sync_groups_trackers_join_every_member() {
    let l = parse_str("k.conf", GROUPED, &Options::default());
    let errors: Vec<_> = l
        .short()
        .into_iter()
        .filter(|d| !d.contains("note:"))
        .collect();
    assert_eq!(
        errors,
        vec![
            "k.conf:22:9: error: (VI_1) track_interface eth0 is configured on VRRP instance and sync group. Remove vrrp instance or sync group config",
            "k.conf:29:9: error: (VI_1) ignoring tracked script own with weights due to SYNC group",
            "k.conf:32:9: error: (VI_1) ignoring weight from tracked file f due to SYNC group. specify weight 0",
            "k.conf:35:9: error: (VI_1) ignoring eth2 tracked interface weight due to SYNC group",
        ]
    );
    // VI_2 tracks grp itself, unweighted: it stays unweighted (keepalived uses the group's
    // weight only where the member's entry has one), with a note.
    assert!(
        l.short().iter().any(|d| d
            == "k.conf:18:9: note: (VI_2) track_script grp is configured on VRRP instance and sync group. Remove vrrp instance config"),
        "{:?}",
        l.short()
    );
    let r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    let s = |n: &str| TrackerId::Script(n.into());
    let i = |n: &str| TrackerId::Interface(n.into());
    // VI_1: its own interface stays unweighted (the group's weight 7 does not apply), its
    // weighted script is gone, its file and interface lost their weights; the group's
    // script and eth1 joined with the group's weights.
    assert_eq!(
        sorted(&r.instances[0]),
        order(vec![
            (i("eth0"), 0, false, TrackStatus::Up),
            (i("eth1"), -5, false, TrackStatus::Up),
            (i("eth2"), 0, false, TrackStatus::Up),
            (s("grp"), -30, false, TrackStatus::Unknown),
            (TrackerId::File("f".into()), 0, false, TrackStatus::Value(0)),
        ])
    );
    // VI_2 (dont_track_primary): the group's eth0 weight applies to it; its own
    // unweighted grp stays unweighted.
    assert_eq!(
        sorted(&r.instances[1]),
        order(vec![
            (i("eth0"), 7, false, TrackStatus::Up),
            (i("eth1"), -5, false, TrackStatus::Up),
            (s("grp"), 0, false, TrackStatus::Unknown),
        ])
    );
    // On the clock: the group's script failing takes 30 from VI_1's priority; VI_2, whose
    // own unweighted entry for it keepalived keeps, goes to FAULT.
    let mut r = r;
    let t0 = ka_vrrp::time::Time::ZERO;
    for n in 0..2 {
        r.handle(t0, n, ka_vrrp::instance::Event::Start);
    }
    r.tracker(t0, &s("grp"), TrackStatus::Up);
    assert_eq!(r.instances[0].effective_priority(), 100);
    r.tracker(t0, &s("grp"), TrackStatus::Down);
    assert_eq!(r.instances[0].effective_priority(), 70);
    assert_eq!(r.instances[1].state(), ka_vrrp::instance::State::Fault);
    // With sync_group_tracking_weight the members keep their own weights.
    let kept = GROUPED.replace(
        "    track_script {\n        grp weight -30",
        "    sync_group_tracking_weight\n    track_script {\n        grp weight -30",
    );
    let l = parse_str("k.conf", &kept, &Options::default());
    assert!(
        !l.short().iter().any(|d| d.contains("SYNC group")),
        "{:?}",
        l.short()
    );
    let r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    assert_eq!(
        sorted(&r.instances[0]),
        order(vec![
            (i("eth0"), 0, false, TrackStatus::Up),
            (i("eth1"), -5, false, TrackStatus::Up),
            (i("eth2"), 9, false, TrackStatus::Up),
            (s("grp"), -30, false, TrackStatus::Unknown),
            (s("own"), 10, false, TrackStatus::Unknown),
            (TrackerId::File("f".into()), 1, false, TrackStatus::Value(0)),
        ])
    );
}

#[test]
fn a_member_still_failing_keeps_its_fault_when_another_recovers() {
    let conf = r#"
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_interface {
        eth1
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    track_interface {
        eth2
    }
    virtual_ipaddress {
        192.0.2.2
    }
}
"#;
    let l = parse_str("k.conf", conf, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    let mut r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    assert!(!r.instances[0].tracks(&TrackerId::Interface("eth2".into())));
    assert!(r.instances[1].tracks(&TrackerId::Interface("eth2".into())));
    let t0 = ka_vrrp::time::Time::ZERO;
    for n in 0..2 {
        r.handle(t0, n, ka_vrrp::instance::Event::Start);
    }
    let iface = |n: &str| TrackerId::Interface(n.into());
    use ka_vrrp::instance::State;
    r.tracker(t0, &iface("eth1"), TrackStatus::Down);
    assert_eq!(r.instances[0].state(), State::Fault);
    assert_eq!(r.instances[1].state(), State::Fault, "the group follows");
    r.tracker(t0, &iface("eth2"), TrackStatus::Down);
    r.tracker(t0, &iface("eth1"), TrackStatus::Up);
    assert!(r.instances[1].own_fault());
    assert!(!r.instances[0].own_fault());
    assert_eq!(
        r.instances[1].state(),
        State::Fault,
        "its own tracker is still down"
    );
    r.tracker(t0, &iface("eth2"), TrackStatus::Up);
    assert_eq!(r.instances[0].state(), State::Backup);
    assert_eq!(r.instances[1].state(), State::Backup);
}

/// track_group (keepalived vrrp_static_track.c): each member instance tracks the
/// interface of every static address, route and rule naming the group, as with weight 0;
/// `no_track` lines, other groups and instances outside the group do not.
#[test]
fn a_track_group_makes_its_members_track_static_interfaces() {
    let conf = r#"
track_group TG {
    group {
        VI_1
        NOPE
    }
}
track_group OTHER {
    group {
        VI_2
    }
}
static_ipaddress {
    192.0.2.50/24 dev eth5 track_group TG
    192.0.2.51/24 dev eth6 track_group TG no_track
}
static_routes {
    198.51.100.0/24 via 192.0.2.254 dev eth7 track_group TG
    203.0.113.0/24 via 192.0.2.254 dev eth8 track_group OTHER
}
static_rules {
    from 192.0.2.0/24 table 100 iif eth9 track_group TG
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_interface {
        eth7 weight 10
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    virtual_ipaddress {
        192.0.2.2
    }
}
"#;
    let l = parse_str("g.conf", conf, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    assert!(
        l.diagnostics.iter().any(|d| d.message
            == "vrrp instance NOPE specified in track group TG doesn't exist - ignoring"),
        "{:?}",
        l.short()
    );
    let mut r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    let iface = |n: &str| TrackerId::Interface(n.into());
    let t = trackers(&r.instances[0]);
    let w = |n: &str| t.iter().find(|x| x.0 == iface(n)).map(|x| x.1);
    assert_eq!(w("eth5"), Some(0));
    assert_eq!(w("eth6"), None, "no_track");
    assert_eq!(w("eth7"), Some(10), "track_interface keeps its weight");
    assert_eq!(w("eth8"), None, "another group");
    assert_eq!(w("eth9"), Some(0), "a rule's iif");
    assert!(r.instances[1].tracks(&iface("eth8")));
    assert!(!r.instances[1].tracks(&iface("eth5")));
    let t0 = ka_vrrp::time::Time::ZERO;
    for n in 0..2 {
        r.handle(t0, n, ka_vrrp::instance::Event::Start);
    }
    use ka_vrrp::instance::State;
    r.tracker(t0, &iface("eth5"), TrackStatus::Down);
    assert_eq!(r.instances[0].state(), State::Fault);
    assert_eq!(r.instances[1].state(), State::Backup);
    r.tracker(t0, &iface("eth5"), TrackStatus::Up);
    assert_eq!(r.instances[0].state(), State::Backup);
}

/// keepalived reads a static line's track_group where the line is: a group defined below
/// it is "not found", and a route without a device cannot have one.
#[test]
fn track_group_errors_as_keepalived() {
    let conf = "static_ipaddress {\n    192.0.2.50/24 dev eth5 track_group LATE\n}\nstatic_routes {\n    198.51.100.0/24 via 192.0.2.254 track_group LATE\n}\ntrack_group LATE {\n    group {\n        VI_1\n    }\n}\ntrack_group LATE {\n    group {\n        VI_1\n    }\n}\nstatic_routes {\n    203.0.113.0/24 via 192.0.2.254 track_group LATE\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\n";
    let l = parse_str("e.conf", conf, &Options::default());
    let msgs: Vec<(u32, &str)> = l
        .diagnostics
        .iter()
        .map(|d| (d.pos.line, d.message.as_str()))
        .collect();
    assert!(
        msgs.contains(&(2, "track_group LATE not found")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(5, "track_group LATE not found")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(12, "track_group LATE already defined")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&(
            18,
            "Static route cannot have track group if no oif specified"
        )),
        "{msgs:?}"
    );
    assert_eq!(l.config.static_addresses[0].track_group, None);
}
