//! keepalived.stats and keepalived.data as keepalived 2.2.7 lays them out (vrrp_print.c).

use ka_config::{parse_str, Options};

const CONF: &str = r#"
global_defs {
    router_id lb1
    notification_email {
        ops@example.com
    }
    notification_email_from ka@example.com
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    preempt_delay 5
    debug 3
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
}
"#;

#[test]
fn stats_and_data_in_keepalived_s_layout() {
    let l = parse_str("k.conf", CONF, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    let mut r = ka_vrrp::config::router(&l.config, &|_| "10.0.0.1".parse().unwrap());
    r.instances[0].stats.advert_sent = 7;
    r.instances[0].stats.checksum_err = 2;
    let stats = ka_vrrp::dump::stats(&r);
    assert!(
        stats.starts_with(
            "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 7\n  Became master: 0\n"
        ),
        "{stats}"
    );
    assert!(
        stats.contains("  Other Errors:\n    Checksum: 2\n"),
        "{stats}"
    );
    let data = ka_vrrp::dump::data(&l.config, &r, "host.example");
    for line in [
        "------< Global definitions >------\n",
        " Router ID = lb1\n",
        " Email notification from = ka@example.com\n",
        " Email notification = ops@example.com\n",
        " Send advert after receive lower priority advert = true\n",
        "   Preempt = enabled\n",
        "   Preempt delay = 5 secs\n",
        "------< VRRP Topology >------\n",
        " VRRP Instance = VI_1\n",
        "   State = INIT\n",
        "   Wantstate = BACKUP\n",
        "   Interface = eth0\n",
        "   Using src_ip = 10.0.0.1\n",
        "   Multicast address 224.0.0.18\n",
        "   Virtual Router ID = 51\n",
        "   Priority = 150\n",
        "   Authentication type = SIMPLE_PASSWORD\n",
        "   Debug level = 3\n",
        "   Virtual IP (1):\n",
        "     192.0.2.10/24 dev eth0 scope global\n",
    ] {
        assert!(data.contains(line), "{line:?} missing from\n{data}");
    }
}
