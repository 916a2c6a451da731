//! keepalived 2.4's `auth_hmac` block: read with keepalived's checks and messages
//! (vrrp_parser.c, vrrp_complete_instance), printed back by `-d`, and a warning that says
//! what not acting on it means.

use ka_config::{dump, parse_str, Options, Severity};

fn conf(block: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n{extra}    auth_hmac {{\n{block}    }}\n    virtual_ipaddress {{\n        192.0.2.1\n    }}\n}}\n"
    )
}

fn messages(text: &str) -> Vec<(u32, Severity, String)> {
    parse_str("/k.conf", text, &Options::default())
        .diagnostics
        .iter()
        .filter(|d| !d.message.contains("eth0"))
        .map(|d| (d.pos.line, d.severity, d.message.clone()))
        .collect()
}

const KEY1: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn a_valid_block_is_read_and_the_warning_says_it_is_not_acted_on() {
    let text = conf(
        &format!("        key 1 {KEY1}\n        key 2 0123456789abcdef0123456789abcdef\n        active_key 2\n        anti_replay monotonic\n        time_window 9\n        mode permissive\n"),
        "",
    );
    let l = parse_str("/k.conf", &text, &Options::default());
    let h = l.config.instances[0].auth_hmac.clone().unwrap();
    assert_eq!(h.keys.len(), 2);
    assert_eq!(h.active_key, 2);
    assert!(!h.anti_replay_time);
    assert_eq!(h.time_window, Some(9));
    assert_eq!(h.mode, "permissive");
    let m = messages(&text);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, 5);
    assert!(m[0].2.contains("not implemented by keepalived-rs"), "{m:?}");
    assert!(m[0].2.contains("mode enforce drops them"), "{m:?}");
    // -d prints it back, and that reads the same.
    let d = dump::dump(&l.config);
    assert!(d.contains("auth_hmac {"), "{d}");
    let again = parse_str("/d.conf", &d, &Options::default());
    assert_eq!(again.config.instances[0].auth_hmac, Some(h));
}

#[test]
fn keepalived_24s_checks() {
    let bad = conf(
        "        key 0 0123456789abcdef0123456789abcdef\n        key 1 short\n        key 3\n        key 4 0123456789abcdef0123456789abcdef\n        key 4 0123456789abcdef0123456789abcdef\n        active_key 300\n        time_window 0\n        anti_replay sometimes\n        mode strict\n        active_key 4\n",
        "",
    );
    let m: Vec<String> = messages(&bad).into_iter().map(|(_, _, m)| m).collect();
    for want in [
        "(VI_1) auth_hmac key id '0' must be between 1 and 255",
        "(VI_1) auth_hmac key 1 length 5 not in range [32, 64]",
        "(VI_1) auth_hmac key needs an id and a value",
        "(VI_1) duplicate auth_hmac key id 4",
        "(VI_1) auth_hmac active_key '300' must be between 1 and 255",
        "(VI_1) auth_hmac time_window '0' must be between 1 and 300 seconds",
        "(VI_1) auth_hmac anti_replay 'sometimes' must be time or monotonic",
        "(VI_1) auth_hmac mode 'strict' must be enforce, permissive or receive-only",
    ] {
        assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:?}");
    }
    // No active key among the keys: the extension is dropped.
    let none = conf(&format!("        key 1 {KEY1}\n"), "");
    let l = parse_str("/k.conf", &none, &Options::default());
    assert_eq!(l.config.instances[0].auth_hmac, None);
    assert!(messages(&none)
        .iter()
        .any(|(_, _, m)| m == "(VI_1) auth_hmac active_key 0 is not defined, disabling extension"));
    // With `authentication`: the legacy one goes.
    let both = conf(
        &format!("        key 1 {KEY1}\n        active_key 1\n"),
        "    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n",
    );
    let l = parse_str("/k.conf", &both, &Options::default());
    assert_eq!(l.config.instances[0].auth, None);
    assert!(messages(&both).iter().any(|(_, _, x)| x
        == "(VI_1) auth_hmac cannot be combined with authentication, dropping legacy auth"));
    // Strict mode: mode enforce.
    let strict = conf(
        &format!("        key 1 {KEY1}\n        active_key 1\n        mode receive-only\n"),
        "    strict_mode\n",
    );
    let l = parse_str("/k.conf", &strict, &Options::default());
    assert_eq!(
        l.config.instances[0].auth_hmac.as_ref().unwrap().mode,
        "enforce"
    );
    assert!(messages(&strict)
        .iter()
        .any(|(_, _, x)| x == "(VI_1) strict mode requires auth_hmac mode enforce"));
}
