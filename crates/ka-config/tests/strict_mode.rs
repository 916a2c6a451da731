//! Strict mode as keepalived 2.2.7's vrrp_complete_instance applies it: each setting it
//! forbids is reset with keepalived's warning, and the defaults it changes.

use std::time::Duration;

use ka_config::model::{InitialState, VrrpInstance};
use ka_config::{parse_str, Options};

fn load(lines: &str) -> (VrrpInstance, Vec<String>) {
    let text = format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n{lines}    virtual_ipaddress {{\n        192.0.2.10/24\n    }}\n}}\n"
    );
    let l = parse_str("s.conf", &text, &Options::default());
    let msgs = l.diagnostics.iter().map(|d| d.message.clone()).collect();
    (l.config.instances[0].clone(), msgs)
}

#[test]
fn strict_mode_resets_what_it_forbids() {
    let (i, msgs) = load(
        "    strict_mode\n    state MASTER\n    priority 100\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n    preempt_delay 5\n    down_timer_adverts 5\n    garp_lower_prio_repeat 2\n    garp_lower_prio_delay 3\n    lower_prio_no_advert false\n    higher_prio_send_advert true\n",
    );
    assert_eq!(
        msgs,
        [
            "(VI_1) State MASTER must match being address owner",
            "(VI_1) Strict mode does not support authentication. Ignoring.",
            "(VI_1) preempt_delay is incompatible with strict mode - resetting",
            "(VI_1) down_timer_adverts is incompatible with strict mode - resetting",
            "(VI_1) Strict mode requires no repeat garps. resetting",
            "(VI_1) Strict mode requires no repeat garp delay. resetting",
            "(VI_1) Strict mode requires no lower priority advert. resetting",
            "(VI_1) strict mode requires higher_prio_send_advert to be clear. resetting",
        ]
        .map(String::from)
        .to_vec()
    );
    assert_eq!(i.state, InitialState::Backup);
    assert_eq!(i.auth, None);
    assert_eq!(i.preempt_delay, Duration::ZERO);
    assert_eq!(i.down_timer_adverts, 3);
    assert_eq!(i.garp.lower_prio_repeat, 0);
    assert_eq!(i.garp.lower_prio_delay, Duration::ZERO);
    assert!(i.lower_prio_no_advert);
    assert!(!i.higher_prio_send_advert);
    assert!(!i.accept);
}

#[test]
fn without_strict_mode_the_same_settings_stand() {
    let (i, msgs) = load(
        "    state BACKUP\n    priority 100\n    preempt_delay 5\n    down_timer_adverts 5\n    garp_lower_prio_repeat 2\n    higher_prio_send_advert true\n",
    );
    assert_eq!(msgs, Vec::<String>::new());
    assert_eq!(i.preempt_delay, Duration::from_secs(5));
    assert_eq!(i.down_timer_adverts, 5);
    assert_eq!(i.garp.lower_prio_repeat, 2);
    assert!(!i.lower_prio_no_advert);
    assert!(i.higher_prio_send_advert);
    assert!(i.accept);
    // strict_mode on the instance alone: the defaults change without a warning, and
    // the owner stays MASTER.
    let (i, msgs) = load("    strict_mode\n    version 3\n    priority 255\n");
    assert_eq!(msgs, Vec::<String>::new());
    assert_eq!(i.state, InitialState::Master);
    assert!(i.lower_prio_no_advert && i.accept, "the owner accepts");
}
