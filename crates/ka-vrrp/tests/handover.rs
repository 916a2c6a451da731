//! A reload's hand-over: what a MASTER that carries on lets go of, as actions naming it
//! (keepalived clear_diff_vrrp_vip / clear_diff_vrrp_vroutes).

use ka_config::{parse_str, Options};
use ka_vrrp::instance::Event;
use ka_vrrp::sync::Target;
use ka_vrrp::{Action, Time};

fn load(text: &str) -> ka_config::Config {
    let l = parse_str("k.conf", text, &Options::default());
    assert_eq!(l.errors(), 0, "{:?}", l.short());
    l.config
}

const OLD: &str = r#"
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
        10.0.0.2/24
    }
    virtual_routes {
        10.9.0.0/16 via 10.0.0.254
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    virtual_ipaddress {
        10.0.0.3/24
    }
}
vrrp_instance VI_3 {
    interface eth0
    virtual_router_id 53
    virtual_ipaddress {
        10.0.0.4/24
        10.0.0.5/24
    }
}
"#;

const NEW: &str = r#"
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
    }
}
vrrp_instance VI_3 {
    interface eth0
    virtual_router_id 53
    virtual_ipaddress {
        10.0.0.4/24
    }
}
"#;

#[test]
fn a_carrying_master_lets_go_of_what_the_new_configuration_drops() {
    let (old, new) = (load(OLD), load(NEW));
    let plan = ka_vrrp::reload::plan(&old, &new);
    assert_eq!(plan.removed.deleted, vec!["VI_2".to_string()]);
    let mut r = ka_vrrp::config::router(&old, &|_| "10.0.0.9".parse().unwrap());
    // VI_1 and VI_2 are MASTER, VI_3 BACKUP.
    r.handle(Time(1), 0, Event::Resume);
    r.handle(Time(1), 1, Event::Resume);
    r.handle(Time(1), 2, Event::Start);
    let acts = r.let_go(&plan.removed);
    let shown: Vec<String> = acts
        .iter()
        .map(|(t, a)| {
            let who = match t {
                Target::Instance(i) => r.instances[*i].name().to_string(),
                Target::Group(_) => "group".into(),
                Target::Router => "router".into(),
            };
            match a {
                Action::Vips { add, addresses } => format!(
                    "{who} vips add={add} {:?}",
                    addresses
                        .iter()
                        .map(|a| format!(
                            "{}/{} dev {}",
                            a.addr,
                            a.prefix,
                            a.dev.as_deref().unwrap_or("?")
                        ))
                        .collect::<Vec<_>>()
                ),
                Action::Routes { add, routes } => {
                    format!("{who} routes add={add} {}", routes.len())
                }
                Action::Rules { add, rules } => format!("{who} rules add={add} {}", rules.len()),
                other => format!("{who} {other:?}"),
            }
        })
        .collect();
    // VI_2 is deleted (its own path), VI_3 is not MASTER: only VI_1 lets go.
    assert_eq!(
        shown,
        vec![
            "VI_1 vips add=false [\"10.0.0.2/24 dev eth0\"]".to_string(),
            "VI_1 routes add=false 1".to_string(),
        ]
    );
}

#[test]
fn bare_addresses_are_host_routes_on_the_instance_s_interface() {
    let h = ka_vrrp::action::Held::addresses(&[
        "192.0.2.1".parse().unwrap(),
        "fd00::1".parse().unwrap(),
    ]);
    let got: Vec<(String, u8, Option<String>)> = h
        .addresses
        .iter()
        .map(|a| (a.addr.to_string(), a.prefix, a.dev.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("192.0.2.1".into(), 32, None),
            ("fd00::1".into(), 128, None)
        ]
    );
    assert!(h.routes.is_empty() && h.rules.is_empty());
}
