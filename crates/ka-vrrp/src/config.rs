//! From the parsed configuration (ka-config's model) to instances, trackers, scripts and
//! sync groups. The only thing the model cannot know is each interface's primary
//! address, which the caller supplies.

use std::net::IpAddr;

use ka_config::model::{self, Auth as ModelAuth};

use crate::instance::{
    GarpConfig, Instance, InstanceConfig, Notifies, NotifyScript, TrackStatus, TrackerId,
};
use crate::packet::Version;
use crate::rx::{AuthConfig, Peer};
use crate::script::ScriptConfig;
use crate::sync::{GroupNotifies, Router, SyncGroup};

fn argv(s: &Option<Box<model::Script>>) -> Option<Box<NotifyScript>> {
    s.as_ref().map(|s| {
        Box::new(NotifyScript {
            argv: s.command.argv.clone(),
            user: s.user.clone(),
            group: s.group.clone(),
        })
    })
}

fn key(p: &str) -> [u8; 8] {
    let mut k = [0u8; 8];
    let b = p.as_bytes();
    k[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    k
}

/// The name of an instance's VMAC (None without one): its own, else keepalived's
/// (vrrp.c create_vmac_name) `PREFIX.VRID`, PREFIX being global_defs' vmac_prefix (default
/// "vrrp") cut so that the name fits an interface name (15 bytes).
pub fn vmac_ifname(g: &model::GlobalDefs, m: &model::VrrpInstance) -> Option<String> {
    let named = match (&m.use_ipvlan, &m.use_vmac) {
        (Some(v), _) => &v.name,
        (None, Some(v)) => &v.name,
        (None, None) => return None,
    };
    if let Some(n) = named {
        return Some(n.clone());
    }
    Some(vmac_name(
        g.vmac_prefix.as_deref().unwrap_or("vrrp"),
        None,
        m.vrid,
    ))
}

/// `PREFIX.VRID` (or `PREFIXn.VRID`), PREFIX cut so that the name fits an interface
/// name (15 bytes), as keepalived's create_vmac_name cuts it.
fn vmac_name(prefix: &str, num: Option<u32>, vrid: u8) -> String {
    let tail = match num {
        Some(n) => format!("{n}.{vrid}"),
        None => format!(".{vrid}"),
    };
    let mut cut = prefix.len().min(15usize.saturating_sub(tail.len()));
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tail}", &prefix[..cut])
}

/// Whether address `a` of instance `m` goes on a VMAC of its own (keepalived
/// vrrp_complete_instance): on the instance's interface, when it has `use_vmac` and the
/// instance no VMAC of that family, or is of the other family under `use_vmac_addr`; on
/// another interface, when it has `use_vmac` or the instance `use_vmac_addr`. IPv4
/// addresses only: this build makes no IPv6 VMAC (see `use_vmac`).
pub fn on_addr_vmac(m: &model::VrrpInstance, a: &model::IpAddress) -> bool {
    if a.addr.is_ipv6() {
        return false;
    }
    let own = a.dev.is_none() || a.dev == m.interface;
    let same = a.addr.is_ipv6() == m.is_ipv6();
    if own && same && m.use_vmac.is_some() {
        return false;
    }
    if own {
        a.use_vmac || (m.use_vmac_addr && !same)
    } else {
        a.use_vmac || m.use_vmac_addr
    }
}

/// A VMAC made for single addresses: on the addresses' interface, with the VRID of the
/// instances that use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrVmac {
    /// The instances whose addresses are on it (indexes into the configuration's).
    pub instances: Vec<usize>,
    pub base: String,
    pub name: String,
    pub mac: [u8; 6],
    /// Some address on it is tracked (not `no_track`): its instances go to FAULT while
    /// it is gone.
    pub tracked: bool,
}

/// The address VMACs of a configuration (keepalived if_get_by_vmac, create_vmac_name):
/// one per VRID, interface and MAC (the instance's `use_vmac` MAC, else
/// 00:00:5e:00:01:VRID); named `PREFIX.VRID`, else `PREFIX1.VRID`, `PREFIX2.VRID`, …,
/// PREFIX being vmac_addr_prefix, else vmac_prefix, else "vrrp"; a name an instance's
/// VMAC has, or one `taken` says an interface other than this VMAC has, is skipped.
pub fn address_vmacs(c: &model::Config, taken: &dyn Fn(&str, [u8; 6]) -> bool) -> Vec<AddrVmac> {
    let g = &c.global;
    let prefix = g
        .vmac_addr_prefix
        .as_deref()
        .or(g.vmac_prefix.as_deref())
        .unwrap_or("vrrp");
    let instance_vmacs: Vec<String> = c
        .instances
        .iter()
        .filter_map(|m| vmac_ifname(g, m))
        .collect();
    let mut out: Vec<AddrVmac> = Vec::new();
    for (i, m) in c.instances.iter().enumerate() {
        for a in m.vips.iter().chain(&m.excluded_vips) {
            if !on_addr_vmac(m, a) {
                continue;
            }
            let Some(base) = a.dev.clone().or_else(|| m.interface.clone()) else {
                continue;
            };
            let mac = m
                .use_vmac
                .as_ref()
                .and_then(|v| v.mac)
                .unwrap_or([0, 0, 0x5e, 0, 1, m.vrid]);
            if let Some(v) = out.iter_mut().find(|v| v.base == base && v.mac == mac) {
                if !v.instances.contains(&i) {
                    v.instances.push(i);
                }
                v.tracked |= !a.no_track;
                continue;
            }
            let mut num = None;
            let name = loop {
                let n = vmac_name(prefix, num, m.vrid);
                let used = instance_vmacs.contains(&n) || out.iter().any(|v| v.name == n);
                if !used && !taken(&n, mac) {
                    break n;
                }
                num = Some(num.map_or(1, |k| k + 1));
                if num > Some(99) {
                    break n;
                }
            };
            out.push(AddrVmac {
                instances: vec![i],
                base,
                name,
                mac,
                tracked: !a.no_track,
            });
        }
    }
    out
}

/// How long the instances wait before they begin, the system having been up `uptime`:
/// `vrrp_startup_delay`, or what is left of `vrrp_delay_after_boot` if longer
/// (keepalived 2.4.0: the longer of the two wins).
pub fn startup_delay(g: &model::GlobalDefs, uptime: std::time::Duration) -> std::time::Duration {
    let after_boot = g
        .vrrp_delay_after_boot
        .map_or(std::time::Duration::ZERO, |d| d.saturating_sub(uptime));
    g.vrrp_startup_delay.max(after_boot)
}

/// One instance. `primary` is the address adverts come from when neither
/// mcast_src_ip nor unicast_src_ip is set (the interface's primary address).
pub fn instance_config(
    m: &model::VrrpInstance,
    g: &model::GlobalDefs,
    primary: IpAddr,
) -> InstanceConfig {
    let vips: Vec<IpAddr> = m.vips.iter().map(|a| a.addr).collect();
    let v6 = m.is_ipv6();
    InstanceConfig {
        name: m.name.clone(),
        interface: m.interface.clone(),
        vrf: m.vrf.clone(),
        rx_via: None,
        vrid: m.vrid,
        version: if m.version == 3 {
            Version::V3
        } else {
            Version::V2
        },
        priority: m.priority,
        want_master: m.state == model::InitialState::Master,
        adver_int: m.advert_int,
        auth: match &m.auth {
            None => AuthConfig::None,
            Some(ModelAuth::Pass(p)) => AuthConfig::Pass(key(p)),
            Some(ModelAuth::Ah(p)) => AuthConfig::Ah(key(p)),
        },
        vips,
        held: crate::action::Held {
            addresses: m
                .vips
                .iter()
                .chain(&m.excluded_vips)
                .map(|a| model::IpAddress {
                    dev: a.dev.clone().or_else(|| m.interface.clone()),
                    ..a.clone()
                })
                .collect(),
            routes: m.virtual_routes.iter().cloned().collect(),
            rules: m.virtual_rules.iter().cloned().collect(),
        },
        src: m.src_ip.unwrap_or(primary),
        src_fixed: m.src_ip.is_some(),
        ipv6: v6,
        unicast_checksum: match m.old_unicast_checksum {
            None => crate::rx::UnicastChecksum::Detect(g.vrrp_mcast_group4),
            Some(true) => crate::rx::UnicastChecksum::Old(g.vrrp_mcast_group4),
            Some(false) => crate::rx::UnicastChecksum::Standard,
        },
        mcast_group: m.mcast_dst_ip.unwrap_or(if v6 {
            IpAddr::V6(g.vrrp_mcast_group6)
        } else {
            IpAddr::V4(g.vrrp_mcast_group4)
        }),
        peers: m
            .unicast_peers
            .iter()
            .map(|p| Peer {
                addr: p.addr,
                min_ttl: p.min_ttl.unwrap_or(0),
                max_ttl: p.max_ttl.unwrap_or(255),
            })
            .collect(),
        unicast_ttl: m.unicast_ttl,
        nopreempt: m.nopreempt,
        preempt_delay: m.preempt_delay,
        down_timer_adverts: m.down_timer_adverts,
        garp: GarpConfig {
            master_delay: m.garp.master_delay,
            master_repeat: m.garp.master_repeat,
            master_refresh: m.garp.master_refresh,
            master_refresh_repeat: m.garp.master_refresh_repeat,
            lower_prio_delay: m.garp.lower_prio_delay,
            lower_prio_repeat: m.garp.lower_prio_repeat,
            extra_if: m.garp.extra_if.map_or(std::time::Duration::ZERO, |x| {
                std::time::Duration::from_secs(u64::from(x.interval))
            }),
            extra_addresses: garp_extra_addresses(m),
        },
        lower_prio_no_advert: m.lower_prio_no_advert,
        higher_prio_send_advert: m.higher_prio_send_advert,
        skip_check_adv_addr: m.skip_check_adv_addr,
        check_unicast_src: m.check_unicast_src,
        no_unicast_peers_fault: m.unicast_fault_no_peer && m.unicast_peers.is_empty(),
        notify_deleted: m.notify_deleted,
        v3_checksum_as_v2: m.v3_checksum_as_v2,
        owner_ignore_adverts: m.owner_ignore_adverts,
        timer_expired_backup: m.timer_expired_backup,
        notifies: Notifies {
            master: argv(&m.notifies.master),
            backup: argv(&m.notifies.backup),
            fault: argv(&m.notifies.fault),
            stop: argv(&m.notifies.stop),
            generic: argv(&m.notifies.notify),
            master_rx_lower_pri: argv(&m.notifies.master_rx_lower_pri),
            deleted: argv(&m.notifies.deleted),
        },
        smtp_alert: m.smtp_alert,
        in_sync_group: false,
        // The instance's own setting, else global_defs' (a sync group's, when the
        // instance has none, is applied by `router`).
        notify_priority_changes: m
            .notify_priority_changes
            .unwrap_or(g.vrrp_notify_priority_changes),
        kernel_rx_buf_size: m.kernel_rx_buf_size,
        accept: !crate::firewall::filtered(m),
    }
}

pub fn script_config(s: &model::VrrpScript) -> ScriptConfig {
    ScriptConfig {
        name: s.name.clone(),
        argv: s.script.argv.clone(),
        interval: s.interval,
        timeout: s.timeout,
        rise: s.rise,
        fall: s.fall,
        init_fail: s.init_fail,
        user: s.user.clone(),
    }
}

/// The interfaces of the static addresses (their device), routes (`dev`) and rules (`iif`)
/// whose `track_group` has `instance` in it, unless they say `no_track`.
pub fn track_group_interfaces<'c>(c: &'c model::Config, instance: &str) -> Vec<&'c str> {
    let member = |g: &Option<String>| {
        g.as_deref().is_some_and(|g| {
            c.track_groups
                .iter()
                .any(|t| t.name == g && t.instances.iter().any(|i| i == instance))
        })
    };
    let addresses = c
        .static_addresses
        .iter()
        .filter(|a| !a.no_track && member(&a.track_group))
        .filter_map(|a| a.dev.as_deref());
    let routes = c
        .static_routes
        .iter()
        .filter(|r| !r.no_track && member(&r.track_group))
        .filter_map(|r| r.dev.as_deref());
    let rules = c
        .static_rules
        .iter()
        .filter(|r| !r.no_track && member(&r.track_group))
        .filter_map(|r| r.iif.as_deref());
    let mut devs: Vec<&str> = addresses.chain(routes).chain(rules).collect();
    devs.sort_unstable();
    devs.dedup();
    devs
}

/// Every instance with its trackers, and the sync groups. Interfaces start up; scripts,
/// files and processes start unknown (a weight-0 one keeps its instance out of MASTER
/// until its first result, as keepalived).
pub fn router(c: &model::Config, primary: &dyn Fn(&model::VrrpInstance) -> IpAddr) -> Router {
    let mut instances = Vec::with_capacity(c.instances.len());
    for m in &c.instances {
        let mut i = Instance::new(instance_config(m, &c.global, primary(m)));
        let group = c.sync_groups.iter().find(|g| g.members.contains(&m.name));
        // keepalived: the instance's notify_priority_changes, else its group's, else
        // the global one.
        if let (None, Some(b)) = (
            m.notify_priority_changes,
            group.and_then(|g| g.notify_priority_changes),
        ) {
            i.cfg.notify_priority_changes = b;
        }
        if let (Some(ifname), false) = (&m.interface, m.dont_track_primary) {
            i.add_tracker(
                TrackerId::Interface(ifname.clone()),
                0,
                false,
                TrackStatus::Up,
            );
        }
        // A unicast instance without an interface, in a VRF: FAULT while the VRF device
        // is missing or down (its sockets are bound to it).
        if let (None, Some(vrf)) = (&m.interface, &m.vrf) {
            i.add_tracker(TrackerId::Interface(vrf.clone()), 0, false, TrackStatus::Up);
        }
        // track_src_ip: FAULT while the configured source is not on the interface (the
        // VRRP child reports its presence at start and on each address change).
        if let (true, Some(src)) = (m.track_src_ip, m.src_ip) {
            i.add_tracker(
                TrackerId::SourceAddress(src.to_string()),
                0,
                false,
                TrackStatus::Up,
            );
        }
        for t in &m.track_interfaces {
            i.add_tracker(
                TrackerId::Interface(t.name.clone()),
                t.weight.unwrap_or(0),
                t.reverse,
                TrackStatus::Up,
            );
        }
        // track_group: the interface of each static address, route and rule naming a
        // group this instance is in, tracked as with weight 0 (keepalived
        // static_track_group_init); an interface tracked already keeps its weight.
        for dev in track_group_interfaces(c, &m.name) {
            let id = TrackerId::Interface(dev.to_string());
            if !i.tracks(&id) {
                i.add_tracker(id, 0, false, TrackStatus::Up);
            }
        }
        for t in &m.track_scripts {
            let Some(s) = c.scripts.iter().find(|s| s.name == t.name) else {
                continue;
            };
            let status = if s.init_fail {
                TrackStatus::Down
            } else {
                TrackStatus::Unknown
            };
            // In a sync group the loader has already applied keepalived's rules to a
            // member's weights and merged the group's trackers in.
            i.add_tracker(
                TrackerId::Script(t.name.clone()),
                t.weight.unwrap_or(s.weight),
                t.reverse || s.weight_reverse,
                status,
            );
        }
        for t in &m.track_files {
            let Some(f) = c.track_files.iter().find(|f| f.name == t.name) else {
                continue;
            };
            let w = t.weight.unwrap_or(f.weight);
            let v = f.init_file.map(|(v, _)| v).unwrap_or(0);
            i.add_tracker(
                TrackerId::File(t.name.clone()),
                w,
                t.reverse || f.weight_reverse,
                TrackStatus::Value(v),
            );
        }
        for t in &m.track_processes {
            let Some(p) = c.track_processes.iter().find(|p| p.name == t.name) else {
                continue;
            };
            let w = t.weight.unwrap_or(p.weight);
            i.add_tracker(
                TrackerId::Process(t.name.clone()),
                w,
                t.reverse || p.weight_reverse,
                TrackStatus::Unknown,
            );
        }
        instances.push(i);
    }
    let groups = c
        .sync_groups
        .iter()
        .map(|g| {
            let members = g
                .members
                .iter()
                .filter_map(|n| c.instances.iter().position(|i| &i.name == n))
                .collect();
            let mut sg = SyncGroup::new(
                &g.name,
                members,
                GroupNotifies {
                    master: argv(&g.notifies.master),
                    backup: argv(&g.notifies.backup),
                    fault: argv(&g.notifies.fault),
                    stop: argv(&g.notifies.stop),
                    generic: argv(&g.notifies.notify),
                    master_rx_lower_pri: None,
                    deleted: None,
                },
            );
            sg.smtp_alert = g.smtp_alert;
            sg
        })
        .collect();
    let mut r = Router::new(instances, groups);
    r.log_unknown_vrids = c.global.log_unknown_vrids;
    r
}

/// The length keepalived counts for an instance's advert (vrrp_adv_len): the VRRP
/// packet, with its IPv4 header (and AH) for IPv4.
pub fn advert_len(i: &InstanceConfig) -> u32 {
    let v6 = i.ipv6;
    let n = i.vips.len() as u32;
    let mut len = 8 + n * if v6 { 16 } else { 4 };
    if i.version == Version::V2 {
        len += 8;
    }
    if !v6 {
        len += 20;
        if matches!(i.auth, AuthConfig::Ah(_)) {
            len += 24;
        }
    }
    len
}

/// The receive buffer of the socket the instances `on` share (keepalived
/// vrrp_scheduler.c): per instance its kernel_rx_buf_size, else vrrp_rx_bufs_policy's
/// size, or the multiplier times its advert's length or the interface's `mtu`. 0: the
/// kernel's default is left alone.
pub fn rx_buf_size(g: &model::GlobalDefs, on: &[&InstanceConfig], mtu: u32) -> u32 {
    use model::RxBufsPolicy::*;
    let k = g.vrrp_rx_bufs_multiplier;
    on.iter()
        .map(|m| match (m.kernel_rx_buf_size, g.vrrp_rx_bufs_policy) {
            (Some(v), _) => v,
            (None, Size(v)) => v,
            (None, Advert) => k.saturating_mul(advert_len(m)),
            (None, Mtu) => k.saturating_mul(mtu),
            (None, System) => 0,
        })
        .fold(0u32, u32::saturating_add)
}

/// garp_extra_if's addresses (keepalived vrrp_send_vmac_update): with `all`, the first
/// VIP or excluded VIP on each interface other than the instance's own (its own too when
/// adverts leave through the base interface of its VMAC); without it, the first on each
/// VMAC made for single addresses ([`on_addr_vmac`]). The `dev` returned is the address
/// line's (the VRRP child puts an address of a VMAC on it).
pub fn garp_extra_addresses(m: &model::VrrpInstance) -> std::sync::Arc<[model::IpAddress]> {
    let Some(x) = m.garp.extra_if.filter(|x| x.interval > 0) else {
        return std::sync::Arc::from([]);
    };
    let own_too = m.use_vmac.is_some() && m.vmac_xmit_base;
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for a in m.vips.iter().chain(&m.excluded_vips) {
        let dev = a.dev.as_deref().or(m.interface.as_deref()).unwrap_or("");
        let wanted = if x.all {
            dev != m.interface.as_deref().unwrap_or("") || own_too
        } else {
            on_addr_vmac(m, a)
        };
        if !wanted || seen.contains(&dev) {
            continue;
        }
        seen.push(dev);
        out.push(model::IpAddress {
            dev: Some(dev.to_string()),
            ..a.clone()
        });
    }
    out.into()
}
