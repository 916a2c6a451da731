//! What a reload changes, computed from the running and the new configuration: which
//! instances carry on (keepalived vrrp_exist, by VRID, family, interface and addressing,
//! not by name), which are deleted, and what the retiring child removes ([`Removed`]).
//! The new child adds what is new when it starts.

use std::net::IpAddr;

use ka_config::model::{Config, IpAddress, Route, Rule, VrrpInstance};
use serde::{Deserialize, Serialize};

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
        ipv6: i.is_ipv6(),
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

/// What a retiring VRRP child removes because the new configuration no longer has it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Removed {
    /// Instances with no counterpart in the new configuration: a MASTER sends priority 0
    /// and drops its VIPs; notified FAULT (keepalived clear_diff_vrrp).
    pub deleted: Vec<String>,
    /// Per kept instance: the VIPs / eVIPs to drop if it holds them.
    pub vips: Vec<(String, Vec<IpAddress>)>,
    /// Per kept instance: the virtual routes to drop if it holds them.
    pub routes: Vec<(String, Vec<Route>)>,
    /// Per kept instance: the virtual rules to drop if it holds them.
    pub rules: Vec<(String, Vec<Rule>)>,
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
}

/// What a reload changes.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// (old name, new name) of every instance that carries on.
    pub kept: Vec<(String, String)>,
    pub removed: Removed,
}

/// What a reload's plan reads of a configuration: its instances and static addresses,
/// routes and rules (the parent keeps this part of the running configuration apart, so
/// that a reload need not decode the virtual servers too).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VrrpPart {
    pub instances: Vec<VrrpInstance>,
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
}

impl VrrpPart {
    pub fn of(c: &Config) -> VrrpPart {
        VrrpPart {
            instances: c.instances.clone(),
            static_addresses: c.static_addresses.clone(),
            static_routes: c.static_routes.clone(),
            static_rules: c.static_rules.clone(),
        }
    }
}

pub fn plan(old: &Config, new: &Config) -> Plan {
    plan_parts(&VrrpPart::of(old), new)
}

/// [`plan`] from the running configuration's VRRP part.
pub fn plan_parts(old: &VrrpPart, new: &Config) -> Plan {
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
            p.removed.deleted.push(o.name.clone());
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
            p.removed.vips.push((o.name.clone(), gone));
        }
        let gone = missing(&o.virtual_routes, &n.virtual_routes);
        if !gone.is_empty() {
            p.removed.routes.push((o.name.clone(), gone));
        }
        let gone = missing(&o.virtual_rules, &n.virtual_rules);
        if !gone.is_empty() {
            p.removed.rules.push((o.name.clone(), gone));
        }
    }
    p.removed.static_addresses = missing_addrs(&old.static_addresses, &new.static_addresses);
    p.removed.static_routes = missing(&old.static_routes, &new.static_routes);
    p.removed.static_rules = missing(&old.static_rules, &new.static_rules);
    p
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
        assert_eq!(p.removed, Removed::default());
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
            assert_eq!(p.removed.deleted, vec!["VI_1".to_string()]);
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
        let gone: Vec<String> = p.removed.vips[0]
            .1
            .iter()
            .map(|a| a.addr.to_string())
            .collect();
        assert_eq!(gone, vec!["10.0.0.2"]);
        assert_eq!(p.removed.routes[0].1.len(), 1);
        assert_eq!(p.removed.static_addresses.len(), 1);
        assert_eq!(
            p.removed.static_addresses[0].addr.to_string(),
            "192.168.9.2"
        );
    }

    #[test]
    fn a_prefix_change_replaces_the_address() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let new = load(&inst("VI_1", 51, "10.0.0.1/25", ""));
        let p = plan(&old, &new);
        assert_eq!(p.removed.vips[0].1[0].prefix, 24);
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
        assert_eq!(p.removed.deleted, vec!["A".to_string()]);
    }
}
