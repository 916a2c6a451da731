//! keepalived.json (SIGJSON) as keepalived 2.2.7 writes it (vrrp_json.c): per instance a
//! "data" object and a "stats" object; with json_version 2 inside {"vrrp": [...]}.

use ka_config::{parse_str, Options};
use ka_vrrp::instance::Event;
use ka_vrrp::Time;

const CONF: &str = r#"
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    use_vmac
    notify "/etc/keepalived/notify.sh"
    virtual_ipaddress {
        192.0.2.10/24 brd + dev eth0
        192.0.2.11
        192.0.2.12/24 brd -
    }
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 100
    virtual_ipaddress {
        fd00::10/64
    }
}
"#;

fn dump(text: &str, start: bool) -> serde_json::Value {
    let l = parse_str("k.conf", text, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    let mut r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    if start {
        r.handle(Time(1_000_000), 0, Event::Resume);
        r.handle(Time(1_000_000), 1, Event::Start);
    }
    r.instances[0].stats.advert_sent = 3;
    let text = ka_vrrp::json::dump(&l.config, &r, &|t| 1000.0 + t.micros() as f64 / 1e6, 999.0);
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn data_and_stats_of_each_instance() {
    let v = dump(CONF, true);
    let a = &v[0]["data"];
    assert_eq!(a["iname"], "VI_1");
    assert_eq!(a["state"], 2, "MASTER is 2");
    assert_eq!(a["wantstate"], 2);
    assert_eq!(a["vmac_ifname"], "vrrp.51");
    assert_eq!(
        a["ifp_ifname"], "vrrp.51",
        "a VMAC instance runs on its VMAC"
    );
    assert_eq!(a["vrid"], 51);
    assert_eq!(a["nopreempt"], false);
    assert_eq!(
        a["vips"][2],
        "192.0.2.12/24 brd 192.0.2.0 dev eth0 scope global set"
    );
    assert_eq!(a["base_priority"], 150);
    assert_eq!(
        a["vips"][0],
        "192.0.2.10/24 brd 192.0.2.255 dev eth0 scope global set"
    );
    assert_eq!(
        a["vips"][1], "192.0.2.11 dev eth0 scope global set",
        "a host address shows no prefix"
    );
    assert_eq!(v[0]["stats"]["advert_sent"], 3);
    let b = &v[1]["data"];
    assert_eq!(b["state"], 1, "BACKUP is 1");
    assert_eq!(b["vmac_ifname"], "");
    assert_eq!(b["ifp_ifname"], "eth1");
    assert_eq!(b["vips"][0], "fd00::10/64 dev eth1 scope global");
}

#[test]
fn before_the_first_transition_and_json_version_2() {
    let v = dump(CONF, false);
    assert_eq!(v[0]["data"]["state"], 0, "INIT is 0");
    assert_eq!(v[0]["data"]["wantstate"], 2, "state MASTER wants MASTER");
    assert_eq!(v[1]["data"]["wantstate"], 1);
    let v2 = dump(
        &format!("global_defs {{\n json_version 2\n}}\n{CONF}"),
        true,
    );
    assert_eq!(v2["vrrp"][0]["data"]["iname"], "VI_1");
}

#[test]
fn tracked_scripts_are_shown_by_their_commands() {
    // vrrp_json.c: each tracked script as its command line (cmd_str: each word quoted),
    // in the instance's order.
    let conf = r#"
vrrp_script one {
    script "/bin/true one"
}
vrrp_script two {
    script "/bin/true two"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_script {
        two
        one
    }
    virtual_ipaddress {
        192.0.2.10
    }
}
"#;
    let v = dump(conf, false);
    assert_eq!(
        v[0]["data"]["track_script"],
        serde_json::json!(["'/bin/true' 'two'", "'/bin/true' 'one'"])
    );
}
