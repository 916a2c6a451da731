//! What a reload changes, computed from the running and the new configuration (pure):
//! which instances carry on (keepalived vrrp_exist), which are deleted, and what the
//! retiring child removes. The new child adds what is new when it starts.

use std::net::IpAddr;

use ka_config::model::{Config, IpAddress, VrrpInstance};
use ka_ipc::{Handover, InstanceState};

/// keepalived vrrp_exist: an instance is the same across a reload when these agree (its
/// name may change).
#[derive(Debug, PartialEq, Eq)]
struct Identity<'a> {
    vrid: u8,
    ipv6: bool,
    interface: Option<&'a str>,
    unicast: bool,
    unicast_src: Option<IpAddr>,
    vmac: bool,
    mcast_dst: Option<IpAddr>,
}

fn identity(i: &VrrpInstance) -> Identity<'_> {
    let unicast = !i.unicast_peers.is_empty();
    Identity {
        vrid: i.vrid,
        ipv6: i.vips.first().is_some_and(|a| a.addr.is_ipv6()),
        interface: i.interface.as_deref(),
        unicast,
        unicast_src: if unicast { i.src_ip } else { None },
        vmac: i.use_vmac.is_some(),
        mcast_dst: i.mcast_dst_ip,
    }
}

/// An address is the same one when address, prefix and device agree.
fn same_addr(a: &IpAddress, b: &IpAddress) -> bool {
    a.addr == b.addr && a.prefix == b.prefix && a.dev == b.dev
}

fn missing_addrs(old: &[IpAddress], new: &[IpAddress]) -> Vec<IpAddress> {
    old.iter()
        .filter(|a| !new.iter().any(|b| same_addr(a, b)))
        .cloned()
        .collect()
}

fn missing<T: PartialEq + Clone>(old: &[T], new: &[T]) -> Vec<T> {
    old.iter().filter(|r| !new.contains(r)).cloned().collect()
}

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// (old name, new name) of every instance that carries on.
    pub kept: Vec<(String, String)>,
    pub handover: Handover,
}

pub fn plan(old: &Config, new: &Config) -> Plan {
    let mut p = Plan::default();
    let mut taken = vec![false; new.instances.len()];
    for o in &old.instances {
        let id = identity(o);
        let found = new
            .instances
            .iter()
            .enumerate()
            .find(|(k, n)| !taken[*k] && identity(n) == id);
        let Some((k, n)) = found else {
            p.handover.deleted.push(o.name.clone());
            continue;
        };
        taken[k] = true;
        p.kept.push((o.name.clone(), n.name.clone()));
        let all = |i: &VrrpInstance| -> Vec<IpAddress> {
            i.vips
                .iter()
                .chain(i.excluded_vips.iter())
                .cloned()
                .collect()
        };
        let gone = missing_addrs(&all(o), &all(n));
        if !gone.is_empty() {
            p.handover.vips.push((o.name.clone(), gone));
        }
        let gone = missing(&o.virtual_routes, &n.virtual_routes);
        if !gone.is_empty() {
            p.handover.routes.push((o.name.clone(), gone));
        }
        let gone = missing(&o.virtual_rules, &n.virtual_rules);
        if !gone.is_empty() {
            p.handover.rules.push((o.name.clone(), gone));
        }
    }
    p.handover.static_addresses = missing_addrs(&old.static_addresses, &new.static_addresses);
    p.handover.static_routes = missing(&old.static_routes, &new.static_routes);
    p.handover.static_rules = missing(&old.static_rules, &new.static_rules);
    p
}

/// The retiring child's last states, renamed to the new configuration's instances;
/// deleted instances are dropped.
pub fn carry_states(plan: &Plan, states: &[InstanceState]) -> Vec<InstanceState> {
    plan.kept
        .iter()
        .filter_map(|(old, new)| {
            states
                .iter()
                .find(|s| &s.name == old)
                .map(|s| InstanceState {
                    name: new.clone(),
                    ..s.clone()
                })
        })
        .collect()
}

/// What the parent keeps of the carried states for a later restart: a master-down
/// deadline is good for this handover only (taken up by a crash successor much later it
/// would cut a backup's wait short while its master is alive).
pub fn remembered(carried: &[InstanceState]) -> Vec<InstanceState> {
    carried
        .iter()
        .map(|s| InstanceState {
            master_down_left_ms: None,
            ..s.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Config {
        let l = ka_config::parse_str("/k.conf", text, &Default::default());
        assert!(
            l.diagnostics.is_empty(),
            "{:?}",
            l.diagnostics
                .iter()
                .map(|d| d.short(&l.sources))
                .collect::<Vec<_>>()
        );
        l.config
    }

    fn inst(name: &str, vrid: u8, vips: &str, extra: &str) -> String {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n {extra}\n virtual_ipaddress {{\n{vips}\n }}\n}}\n"
        )
    }

    #[test]
    fn unchanged_config_keeps_everything_and_removes_nothing() {
        let c = inst("VI_1", 51, "10.0.0.1/24\n10.0.0.2/24", "");
        let p = plan(&load(&c), &load(&c));
        assert_eq!(p.kept, vec![("VI_1".to_string(), "VI_1".to_string())]);
        assert_eq!(p.handover, Handover::default());
    }

    #[test]
    fn instances_match_on_vrid_interface_and_family_not_name() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let new = load(&inst("renamed", 51, "10.0.0.1/24", ""));
        let p = plan(&old, &new);
        assert_eq!(p.kept, vec![("VI_1".to_string(), "renamed".to_string())]);
        let states = vec![InstanceState {
            name: "VI_1".into(),
            state: ka_ipc::VrrpState::Master,
            priority: 100,
            reason: String::new(),
            master_down_left_ms: None,
        }];
        assert_eq!(carry_states(&p, &states)[0].name, "renamed");
    }

    #[test]
    fn a_backups_deadline_goes_to_the_successor_only() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let p = plan(&old, &old);
        let states = vec![InstanceState {
            name: "VI_1".into(),
            state: ka_ipc::VrrpState::Backup,
            priority: 100,
            reason: String::new(),
            master_down_left_ms: Some(420),
        }];
        let carried = carry_states(&p, &states);
        assert_eq!(carried[0].master_down_left_ms, Some(420));
        let kept = remembered(&carried);
        assert_eq!(kept[0].master_down_left_ms, None);
        assert_eq!(kept[0].state, ka_ipc::VrrpState::Backup);
    }

    #[test]
    fn another_vrid_family_or_unicast_is_another_instance() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        for new in [
            inst("VI_1", 52, "10.0.0.1/24", ""),
            inst("VI_1", 51, "fd00::1/64", ""),
            inst("VI_1", 51, "10.0.0.1/24", "unicast_peer {\n 10.0.0.9\n }"),
            inst("VI_1", 51, "10.0.0.1/24", "mcast_dst_ip 224.0.0.111"),
        ] {
            let p = plan(&old, &load(&new));
            assert!(p.kept.is_empty(), "{new}");
            assert_eq!(p.handover.deleted, vec!["VI_1".to_string()]);
        }
    }

    #[test]
    fn dropped_vips_routes_and_statics_are_listed_for_removal() {
        let old = load(&format!(
            "static_ipaddress {{\n 192.168.9.1/24 dev eth0\n 192.168.9.2/24 dev eth0\n}}\n{}",
            inst(
                "VI_1",
                51,
                "10.0.0.1/24\n10.0.0.2/24",
                "virtual_routes {\n 10.9.0.0/16 via 10.0.0.254 dev eth0\n }"
            )
        ));
        let new = load(&format!(
            "static_ipaddress {{\n 192.168.9.1/24 dev eth0\n}}\n{}",
            inst("VI_1", 51, "10.0.0.1/24\n10.0.0.3/24", "")
        ));
        let p = plan(&old, &new);
        let gone: Vec<String> = p.handover.vips[0]
            .1
            .iter()
            .map(|a| a.addr.to_string())
            .collect();
        assert_eq!(gone, vec!["10.0.0.2"]);
        assert_eq!(p.handover.routes[0].1.len(), 1);
        assert_eq!(p.handover.static_addresses.len(), 1);
        assert_eq!(
            p.handover.static_addresses[0].addr.to_string(),
            "192.168.9.2"
        );
    }

    #[test]
    fn a_prefix_change_replaces_the_address() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let new = load(&inst("VI_1", 51, "10.0.0.1/25", ""));
        let p = plan(&old, &new);
        assert_eq!(p.handover.vips[0].1[0].prefix, 24);
    }

    #[test]
    fn each_new_instance_carries_on_at_most_one_old_one() {
        let old = load(&format!(
            "{}{}",
            inst("A", 51, "10.0.0.1/24", ""),
            inst("B", 52, "10.0.0.2/24", "")
        ));
        let new = load(&inst("A", 52, "10.0.0.2/24", ""));
        let p = plan(&old, &new);
        assert_eq!(p.kept, vec![("B".to_string(), "A".to_string())]);
        assert_eq!(p.handover.deleted, vec!["A".to_string()]);
    }
}
