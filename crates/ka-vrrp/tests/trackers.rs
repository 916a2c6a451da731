//! Trackers as keepalived resolves them (vrrp_track.c): each tracked object's weight (the
//! instance's line, else the object's own), its reverse flag (either place), its starting
//! status; none inside a sync group (weights 0).

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
    assert_eq!(l.errors(), 0, "{:?}", l.short());
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
    // In a sync group the weights are 0 (keepalived ignores them there); reverse stays.
    let mut got = trackers(&r.instances[1]);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (id("i", "eth0"), 0, false, TrackStatus::Up),
        (id("s", "chk"), 0, true, TrackStatus::Unknown),
        (id("p", "p"), 0, true, TrackStatus::Unknown),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
}
