//! The third stage: the raw tree to the typed model. Every keyword is checked, every
//! diagnostic collected; a wrong line or block is dropped and the rest survives.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::addr;
use crate::ctx::Ctx;
use crate::diag::Severity;
use crate::lvs;
use crate::model::*;
use crate::tree::Node;

pub const TOP_KEYWORDS: &[&str] = &[
    "global_defs",
    "net_namespace_ipvs",
    "linkbeat_use_polling",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "garp_group",
    "track_group",
    "child_wait_time",
    "net_namespace",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "vrrp_script",
    "vrrp_sync_group",
    "vrrp_instance",
    "track_file",
    "vrrp_track_file",
    "vrrp_track_process",
    "virtual_server",
    "virtual_server_group",
    "SSL",
];

/// Valid keepalived top-level keywords that keepalived-rs does not act on yet.
pub const TOP_UNSUPPORTED: &[&str] = &["net_namespace_ipvs", "bfd_instance"];

/// The model of a tree, which it consumes: the virtual servers, read last, are the bulk
/// of a large configuration, and each one's part of the tree goes once it is read
/// (`Options::free_as_read`) or all of them once the model is built.
pub fn config(cx: &mut Ctx, nodes: Vec<Node>) -> Config {
    let (vs_nodes, nodes): (Vec<Node>, Vec<Node>) = nodes
        .into_iter()
        .partition(|n| n.key.text == "virtual_server");
    let nodes = &nodes[..];
    let mut c = Config::default();
    // global_defs first: its defaults apply to every other block, wherever it stands.
    for n in nodes.iter().filter(|n| n.key.text == "global_defs") {
        cx.extra(n, 0);
        if let Some(children) = cx.block(n) {
            global_defs(cx, children, &mut c.global);
        }
    }
    let mut scripts_seen = HashSet::new();
    let mut vrrp_nodes = Vec::new();
    let mut sync_nodes = Vec::new();
    let mut track_group_nodes = Vec::new();
    for n in nodes {
        match n.key.text.as_str() {
            "global_defs" => {}
            // keepalived: a top-level keyword (not in global_defs).
            "child_wait_time" => {
                if let Some(v) = cx.u32_arg(n, 0, u32::MAX) {
                    c.global.child_wait_time = Duration::from_secs(u64::from(v));
                }
            }
            "net_namespace" | "instance" | "use_pid_dir" | "namespace_with_ipsets" => {
                where_it_runs(cx, n, &mut c.global)
            }
            // keepalived net_namespace_ipvs_handler: no name is PID 1's namespace.
            "net_namespace_ipvs" => {
                cx.no_block(n);
                cx.extra(n, 1);
                if c.global.net_namespace_ipvs.is_some() {
                    let what = n
                        .args
                        .first()
                        .map(|t| t.text.to_string())
                        .unwrap_or_default();
                    cx.error(
                        &n.key,
                        format!("Duplicate net_namespace_ipvs definition {what} - ignoring"),
                    );
                } else {
                    c.global.net_namespace_ipvs = Some(
                        n.args
                            .first()
                            .map(|t| t.text.to_string())
                            .unwrap_or_default(),
                    );
                }
            }
            "linkbeat_use_polling" => {
                cx.no_block(n);
                cx.extra(n, 0);
                c.global.linkbeat_use_polling = true;
            }
            "linkbeat_interfaces" => linkbeat_interfaces(cx, n, &mut c),
            "interface_up_down_delays" => interface_delays(cx, n, &mut c),
            "garp_group" => {
                if let Some(g) = garp_group(cx, n, &c.garp_groups) {
                    c.garp_groups.push(g);
                }
            }
            "track_group" => {
                if let Some(g) = track_group(cx, n, &c.track_groups) {
                    c.track_groups.push(g);
                    track_group_nodes.push(n);
                }
            }
            "static_ipaddress" => {
                if let Some(ch) = cx.block(n) {
                    let dev = c
                        .global
                        .default_interface
                        .clone()
                        .unwrap_or_else(|| "eth0".into());
                    for a in ch {
                        if let Some(mut x) = addr::address_line(cx, a, Some(&dev)) {
                            known_track_group(cx, a, &c.track_groups, &mut x.track_group);
                            c.static_addresses.push(x);
                        }
                    }
                }
            }
            "static_routes" => {
                if let Some(ch) = cx.block(n) {
                    for r in ch {
                        if let Some(mut x) = addr::route_line(cx, r, false) {
                            known_track_group(cx, r, &c.track_groups, &mut x.track_group);
                            if x.track_group.is_some() && x.dev.is_none() {
                                cx.error(
                                    &r.key,
                                    "Static route cannot have track group if no oif specified",
                                );
                                x.track_group = None;
                            }
                            c.static_routes.push(x);
                        }
                    }
                }
            }
            "static_rules" => {
                if let Some(ch) = cx.block(n) {
                    for r in ch {
                        if let Some(mut x) = addr::rule_line(cx, r) {
                            known_track_group(cx, r, &c.track_groups, &mut x.track_group);
                            c.static_rules.push(x);
                        }
                    }
                }
            }
            "vrrp_script" => {
                if let Some(s) = vrrp_script(cx, n) {
                    if !scripts_seen.insert(s.name.clone()) {
                        cx.error(
                            &n.args[0],
                            format!(
                                "vrrp_script {} is already defined; this one is ignored",
                                s.name
                            ),
                        );
                    } else {
                        c.scripts.push(s);
                    }
                }
            }
            "track_file" | "vrrp_track_file" => {
                if let Some(f) = track_file(cx, n) {
                    if c.track_files.iter().any(|x| x.name == f.name) {
                        cx.error(
                            &n.args[0],
                            format!(
                                "track_file {} is already defined; this one is ignored",
                                f.name
                            ),
                        );
                    } else {
                        c.track_files.push(f);
                    }
                }
            }
            "vrrp_track_process" => {
                if let Some(p) = track_process(cx, n) {
                    if c.track_processes.iter().any(|x| x.name == p.name) {
                        cx.error(
                            &n.args[0],
                            format!(
                                "vrrp_track_process {} is already defined; this one is ignored",
                                p.name
                            ),
                        );
                    } else {
                        c.track_processes.push(p);
                    }
                }
            }
            "vrrp_sync_group" => sync_nodes.push(n),
            "vrrp_instance" => vrrp_nodes.push(n),
            // Read last, below.
            "virtual_server" => {}
            "virtual_server_group" => {
                if let Some(g) = lvs::vs_group(cx, n) {
                    if c.vs_groups.iter().any(|x| x.name == g.name) {
                        cx.error(
                            &n.args[0],
                            format!(
                                "virtual_server_group {} is already defined; this one is ignored",
                                g.name
                            ),
                        );
                    } else {
                        c.vs_groups.push(g);
                    }
                }
            }
            "SSL" => c.ssl = lvs::ssl(cx, n),
            k if TOP_UNSUPPORTED.contains(&k) => cx.unsupported(n),
            _ => cx.unknown(n, "", TOP_KEYWORDS),
        }
    }
    // Instances need the scripts and trackers; sync groups need the instances.
    let mut inst_nodes: HashMap<String, &Node> = HashMap::new();
    for n in vrrp_nodes {
        let Some(inst) = vrrp_instance(cx, n, &c) else {
            continue;
        };
        if c.instances.iter().any(|i| i.name == inst.name) {
            cx.error(
                &n.args[0],
                format!(
                    "vrrp_instance {} is already defined; this one is ignored",
                    inst.name
                ),
            );
            continue;
        }
        if let Some(other) = c.instances.iter().find(|o| same_router(o, &inst)) {
            cx.error(
                &n.args[0],
                format!(
                    "vrrp_instance {}: virtual_router_id {} is already used by {} on the same interface; this one is ignored",
                    inst.name, inst.vrid, other.name
                ),
            );
            continue;
        }
        if let Some(dev) = vrrp_sync_daemon_interface(n) {
            if c.global.lvs_sync_daemon.is_none() {
                c.global.lvs_sync_daemon = Some(LvsSyncDaemon {
                    interface: dev,
                    instance: inst.name.clone(),
                    id: None,
                    maxlen: None,
                    port: None,
                    ttl: None,
                    group: None,
                });
            }
        }
        inst_nodes.insert(inst.name.clone(), n);
        c.instances.push(inst);
    }
    track_group_members(cx, &track_group_nodes, &mut c);
    let mut member_of: HashMap<String, String> = HashMap::new();
    let mut group_nodes: Vec<&Node> = Vec::new();
    for n in sync_nodes {
        if let Some(g) = sync_group(cx, n, &c, &mut member_of) {
            if c.sync_groups.iter().any(|x| x.name == g.name) {
                cx.error(
                    &n.args[0],
                    format!(
                        "vrrp_sync_group {} is already defined; this one is ignored",
                        g.name
                    ),
                );
            } else {
                c.sync_groups.push(g);
                group_nodes.push(n);
            }
        }
    }
    sync_trackers(cx, &mut c, &group_nodes, &inst_nodes);
    // Options::free_as_read: each one goes once read, else all of them at the end.
    let mut read = Vec::new();
    let mut defined = HashSet::new();
    for n in vs_nodes {
        if let Some(vs) = lvs::virtual_server(cx, &n, &c) {
            if !defined.insert((vs.key.clone(), vs.protocol)) {
                cx.error(
                    &n.key,
                    "this virtual_server is already defined; this one is ignored".to_string(),
                );
            } else {
                c.virtual_servers.push(vs);
            }
        }
        if !cx.opts.free_as_read {
            read.push(n);
        }
    }
    drop(read);
    c
}

fn same_router(a: &VrrpInstance, b: &VrrpInstance) -> bool {
    a.vrid == b.vrid
        && a.interface == b.interface
        && a.unicast_peers.is_empty()
        && b.unicast_peers.is_empty()
        && family(a) == family(b)
}

fn family(i: &VrrpInstance) -> bool {
    i.vips.first().map(|a| a.addr.is_ipv4()).unwrap_or(true)
}

fn vrrp_sync_daemon_interface(n: &Node) -> Option<String> {
    let b = n.block.as_ref()?;
    b.children
        .iter()
        .find(|c| c.key.text == "lvs_sync_daemon_interface")
        .and_then(|c| c.args.first())
        .map(|t| t.text.to_string())
}

pub const GLOBAL_KEYWORDS: &[&str] = &[
    "include_check",
    "tmp_config_directory",
    "config_save_dir",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_connect_timeout",
    "smtp_helo_name",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "no_checker_emails",
    "router_id",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "script_user",
    "enable_script_security",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "startup_script",
    "shutdown_script",
    "startup_script_timeout",
    "shutdown_script_timeout",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_version",
    "vrrp_strict",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_down_timer_adverts",
    "v3_checksum_as_v2",
    "vrrp_notify_priority_changes",
    "vrrp_startup_delay",
    "lvs_sync_daemon",
    "lvs_flush",
    "rs_init_notifies",
    "log_unknown_vrids",
    "checker_log_all_failures",
    "lvs_flush_on_stop",
    "lvs_timeouts",
    "dynamic_interfaces",
    "default_interface",
    "json_version",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "process_names",
    "process_name",
    "umask",
    "data_use_instance",
    "vrrp_iptables",
    "nftables",
    "nftables_priority",
    "nftables_counters",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_ifindex",
    "vrrp_owner_ignore_adverts",
    "vrrp_delay_after_boot",
    "iproute_usr_dir",
    "iproute_etc_dir",
    "use_symlink_paths",
    "reload_check_config",
    "reload_file",
    "reload_time_file",
    "reload_repeat",
    "random_seed",
    "vmac_prefix",
    "vmac_addr_prefix",
    "disable_local_igmp",
    "vrrp_garp_extra_if",
    "fifo_write_vrrp_states_on_reload",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "max_auto_priority",
    "min_auto_priority_delay",
];

/// The per-process keywords of global_defs (`vrrp_` and `checker_` forms), known beside
/// [`GLOBAL_KEYWORDS`].
pub const PROCESS_KEYWORDS: &[&str] = &[
    "vrrp_priority",
    "checker_priority",
    "vrrp_rt_priority",
    "checker_rt_priority",
    "vrrp_no_swap",
    "checker_no_swap",
    "vrrp_cpu_affinity",
    "checker_cpu_affinity",
    "vrrp_rlimit_rttime",
    "checker_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "checker_rlimit_rtime",
    "vrrp_process_name",
    "checker_process_name",
];

/// Valid keepalived global_defs keywords that keepalived-rs does not act on yet (P2).
pub const GLOBAL_UNSUPPORTED: &[&str] = &[
    "bfd_priority",
    "bfd_rt_priority",
    "bfd_no_swap",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_checker",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_traps",
    "snmp_socket",
    "snmp_vs_stats_update_interval",
    "snmp_rs_stats_update_interval",
    "enable_dbus",
    "dbus_service_name",
    "dbus_no_interface_name",
    "bfd_process_name",
];

fn fifo(cx: &mut Ctx, n: &Node) -> Option<Fifo> {
    cx.no_block(n);
    cx.extra(n, 3);
    let p = cx.arg(n, 0)?;
    Some(Fifo {
        path: p.text.to_string(),
        user: n.args.get(1).map(|t| t.text.to_string()),
        group: n.args.get(2).map(|t| t.text.to_string()),
    })
}

/// keepalived: `[vrrp_]garp_extra_if [all] SECS` (the instance's may be 0: off).
fn garp_extra_if(cx: &mut Ctx, n: &Node, lo: i64) -> Option<GarpExtraIf> {
    cx.no_block(n);
    let (mut all, mut interval) = (false, None);
    for (k, t) in n.args.iter().enumerate() {
        if t.text == "all" {
            all = true;
        } else {
            interval = Some(cx.int_arg(n, k, lo, 86400)? as u32);
        }
    }
    let Some(interval) = interval else {
        cx.error(
            &n.key,
            format!("{} specified without time - ignoring", n.key.text),
        );
        return None;
    };
    Some(GarpExtraIf { interval, all })
}

/// keepalived: `*_rcv_bufs BYTES`; 0 leaves the kernel's default.
fn rcv_bufs(cx: &mut Ctx, n: &Node, slot: &mut RcvBufs) {
    if let Some(v) = cx.u32_arg(n, 0, u32::MAX) {
        if v > 0 {
            slot.size = v;
        }
    }
}

/// keepalived: `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`, with its complaints about a size
/// beside a policy and both policies.
fn rx_bufs_policy(cx: &mut Ctx, n: &Node, slot: &mut RxBufsPolicy) {
    cx.no_block(n);
    if n.args.is_empty() {
        cx.error(&n.key, "vrrp_rx_bufs_policy missing");
        return;
    }
    let (mut mtu, mut advert, mut size) = (false, false, None);
    for t in &n.args {
        if t.text.eq_ignore_ascii_case("MTU") {
            mtu = true;
        } else if t.text.eq_ignore_ascii_case("ADVERT") {
            advert = true;
        } else {
            // keepalived 2.2.7 reads the size from the first word, whichever word is not
            // a policy: "8192" and "8192 MTU" set it, "MTU 8192" does not.
            match n.args[0].text.parse::<u32>() {
                Ok(v) => size = Some(v),
                Err(_) => cx.error(t, format!("Invalid vrrp_rx_bufs_policy {}", t.text)),
            }
        }
    }
    if size.is_some() && (mtu || advert) {
        cx.error(
            &n.key,
            "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy",
        );
        (mtu, advert) = (false, false);
    } else if mtu && advert {
        cx.error(
            &n.key,
            "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT",
        );
        advert = false;
    }
    *slot = match (size, mtu, advert) {
        (Some(v), _, _) => RxBufsPolicy::Size(v),
        (None, true, _) => RxBufsPolicy::Mtu,
        (None, false, true) => RxBufsPolicy::Advert,
        _ => *slot,
    };
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

/// [`set`], remembering the node that gave the value (strict mode resets a value given,
/// with a warning at it, and changes a default silently).
fn set_given<'n, T>(slot: &mut T, v: Option<T>, given: &mut Option<&'n Node>, n: &'n Node) {
    if let Some(v) = v {
        *slot = v;
        *given = Some(n);
    }
}

fn user_group(cx: &mut Ctx, n: &Node) -> Option<(String, Option<String>)> {
    cx.no_block(n);
    cx.extra(n, 2);
    let u = cx.arg(n, 0)?;
    // keepalived also accepts "user:group" in one word.
    let (user, group) = match u.text.split_once(':') {
        Some((a, b)) => (a.to_string(), Some(b.to_string())),
        None => (
            u.text.to_string(),
            n.args
                .get(1)
                .map(|t| t.text.trim_start_matches(':').to_string()),
        ),
    };
    Some((user, group))
}

/// keepalived's root keywords for where a daemon runs (global_parser.c; top level only,
/// unknown inside global_defs): net_namespace, instance, use_pid_dir,
/// namespace_with_ipsets.
fn where_it_runs(cx: &mut Ctx, n: &Node, g: &mut GlobalDefs) {
    cx.no_block(n);
    let key = n.key.text.as_str();
    match key {
        "net_namespace" | "instance" => {
            cx.extra(n, 1);
            let slot = if key == "instance" {
                &mut g.instance
            } else {
                &mut g.net_namespace
            };
            match n.args.first() {
                None => cx.warn(&n.key, format!("{key} name missing - ignoring")),
                Some(t) if slot.is_some() => cx.warn(
                    t,
                    format!("Duplicate {key} definition {} - ignoring", t.text),
                ),
                Some(t) => {
                    *slot = Some(t.text.to_string());
                    g.use_pid_dir = true;
                }
            }
        }
        "use_pid_dir" => {
            cx.extra(n, 0);
            g.use_pid_dir = true;
        }
        // Ipsets named per namespace: keepalived-rs makes no ipsets.
        _ => cx.extra(n, 0),
    }
}

fn global_defs(cx: &mut Ctx, nodes: &[Node], g: &mut GlobalDefs) {
    let mut lower_delay = None;
    let mut lower_repeat = None;
    let mut tmp_config_seen = false;
    for n in nodes {
        match n.key.text.as_str() {
            "notification_email" => {
                cx.extra(n, 0);
                if let Some(ch) = cx.block(n) {
                    for e in ch {
                        cx.no_block(e);
                        cx.extra(e, 0);
                        g.notification_email.push(e.key.text.to_string());
                    }
                }
            }
            "notification_email_from" => g.notification_email_from = cx.string_arg(n),
            "smtp_server" => {
                cx.no_block(n);
                cx.extra(n, 2);
                if let Some(h) = cx.arg(n, 0) {
                    let port = match n.args.get(1) {
                        Some(p) => cx.port(p),
                        None => Some(25),
                    };
                    if let Some(port) = port {
                        if h.text.parse::<IpAddr>().is_err() {
                            let msg = format!(
                                "smtp_server '{}' is a host name: keepalived-rs resolves it when mail is sent (keepalived resolves it once, here)",
                                h.text
                            );
                            cx.at(Severity::Unsupported, h, msg);
                        }
                        g.smtp_server = Some(SmtpServer {
                            host: h.text.to_string(),
                            port,
                        });
                    }
                }
            }
            "smtp_connect_timeout" => {
                set(&mut g.smtp_connect_timeout, cx.timer_arg(n, 0.0, 3600.0))
            }
            "smtp_helo_name" => g.smtp_helo_name = cx.string_arg(n),
            "smtp_alert" => g.smtp_alert = cx.flag(n),
            "smtp_alert_vrrp" => g.smtp_alert_vrrp = cx.flag(n),
            "smtp_alert_checker" => g.smtp_alert_checker = cx.flag(n),
            "no_email_faults" => set(&mut g.no_email_faults, cx.flag(n)),
            "no_checker_emails" => set(&mut g.no_checker_emails, cx.flag(n)),
            "router_id" => g.router_id = cx.string_arg(n),
            "vrrp_mcast_group4" => match cx.ip_arg(n) {
                Some(IpAddr::V4(a)) if a.is_multicast() => g.vrrp_mcast_group4 = a,
                Some(_) => cx.error(
                    &n.args[0],
                    "vrrp_mcast_group4 must be an IPv4 multicast address; ignored",
                ),
                None => {}
            },
            "vrrp_mcast_group6" => match cx.ip_arg(n) {
                Some(IpAddr::V6(a)) if a.is_multicast() => g.vrrp_mcast_group6 = a,
                Some(_) => cx.error(
                    &n.args[0],
                    "vrrp_mcast_group6 must be an IPv6 multicast address; ignored",
                ),
                None => {}
            },
            "script_user" => g.script_user = user_group(cx, n),
            "enable_script_security" => set(&mut g.enable_script_security, cx.flag(n)),
            "notify_fifo" => g.notify_fifo = fifo(cx, n),
            "vrrp_notify_fifo" => g.vrrp_notify_fifo = fifo(cx, n),
            "lvs_notify_fifo" => g.lvs_notify_fifo = fifo(cx, n),
            "notify_fifo_script" => g.notify_fifo_script = cx.script(n, true),
            "vrrp_notify_fifo_script" => g.vrrp_notify_fifo_script = cx.script(n, true),
            "lvs_notify_fifo_script" => g.lvs_notify_fifo_script = cx.script(n, true),
            "startup_script" | "shutdown_script" => {
                let startup = n.key.text == "startup_script";
                let what = if startup { "startup" } else { "shutdown" };
                let slot = if startup {
                    &mut g.startup_script
                } else {
                    &mut g.shutdown_script
                };
                if slot.is_some() {
                    cx.error(&n.key, format!("{what} script already specified"));
                } else if n.args.is_empty() {
                    cx.error(&n.key, format!("{what} script missing"));
                } else {
                    *slot = cx.script(n, true);
                }
            }
            "startup_script_timeout" => set(&mut g.startup_script_timeout, cx.u32_arg(n, 1, 1000)),
            "shutdown_script_timeout" => {
                set(&mut g.shutdown_script_timeout, cx.u32_arg(n, 1, 1000))
            }
            "vrrp_garp_master_delay" => {
                set(&mut g.vrrp_garp_master_delay, cx.timer_arg(n, 0.0, 86400.0))
            }
            "vrrp_garp_master_repeat" => {
                set(&mut g.vrrp_garp_master_repeat, cx.u32_arg(n, 0, 65535))
            }
            "vrrp_garp_master_refresh" => set(
                &mut g.vrrp_garp_master_refresh,
                cx.timer_arg(n, 0.0, 86400.0),
            ),
            "vrrp_garp_master_refresh_repeat" => set(
                &mut g.vrrp_garp_master_refresh_repeat,
                cx.u32_arg(n, 0, 65535),
            ),
            "vrrp_garp_lower_prio_delay" => {
                lower_delay = cx.timer_arg(n, 0.0, 86400.0).or(lower_delay)
            }
            "vrrp_garp_lower_prio_repeat" => {
                lower_repeat = cx.u32_arg(n, 0, 65535).or(lower_repeat)
            }
            "vrrp_garp_interval" => set(&mut g.vrrp_garp_interval, cx.timer_arg(n, 0.0, 1.0)),
            "vrrp_gna_interval" => set(&mut g.vrrp_gna_interval, cx.timer_arg(n, 0.0, 1.0)),
            "vrrp_min_garp" => set(&mut g.vrrp_min_garp, cx.flag(n)),
            "vrrp_version" => set(&mut g.vrrp_version, cx.u32_arg(n, 2, 3).map(|v| v as u8)),
            "vrrp_strict" => set(&mut g.vrrp_strict, cx.flag(n)),
            "vrrp_check_unicast_src" => set(&mut g.vrrp_check_unicast_src, cx.flag(n)),
            "vrrp_skip_check_adv_addr" => set(&mut g.vrrp_skip_check_adv_addr, cx.flag(n)),
            "vrrp_lower_prio_no_advert" => set(&mut g.vrrp_lower_prio_no_advert, cx.flag(n)),
            "vrrp_higher_prio_send_advert" => set(&mut g.vrrp_higher_prio_send_advert, cx.flag(n)),
            "vrrp_down_timer_adverts" => set(&mut g.vrrp_down_timer_adverts, cx.u32_arg(n, 1, 100)),
            "v3_checksum_as_v2" => set(&mut g.v3_checksum_as_v2, cx.flag(n)),
            "vrrp_notify_priority_changes" => set(&mut g.vrrp_notify_priority_changes, cx.flag(n)),
            "vrrp_startup_delay" => set(&mut g.vrrp_startup_delay, cx.timer_arg(n, 0.0, 3600.0)),
            // keepalived 2.4.0: SECS of uptime; the child subtracts the uptime at start.
            "vrrp_delay_after_boot" => set(
                &mut g.vrrp_delay_after_boot,
                cx.timer_arg(n, 0.001, f64::from(u32::MAX)).map(Some),
            ),
            "vrrp_owner_ignore_adverts" => set(&mut g.vrrp_owner_ignore_adverts, cx.flag(n)),
            "vrrp_rx_bufs_policy" => rx_bufs_policy(cx, n, &mut g.vrrp_rx_bufs_policy),
            "disable_local_igmp" => set(&mut g.disable_local_igmp, cx.flag(n)),
            "vrrp_garp_extra_if" => {
                if let Some(x) = garp_extra_if(cx, n, 1) {
                    g.vrrp_garp_extra_if = Some(x);
                }
            }
            "fifo_write_vrrp_states_on_reload" => {
                set(&mut g.fifo_write_vrrp_states_on_reload, cx.flag(n))
            }
            "vrrp_rx_bufs_multiplier" => {
                set(&mut g.vrrp_rx_bufs_multiplier, cx.u32_arg(n, 1, u32::MAX))
            }
            "vrrp_netlink_cmd_rcv_bufs" => rcv_bufs(cx, n, &mut g.vrrp_netlink_cmd_rcv_bufs),
            "vrrp_netlink_monitor_rcv_bufs" => {
                rcv_bufs(cx, n, &mut g.vrrp_netlink_monitor_rcv_bufs)
            }
            "lvs_netlink_cmd_rcv_bufs" => rcv_bufs(cx, n, &mut g.lvs_netlink_cmd_rcv_bufs),
            "lvs_netlink_monitor_rcv_bufs" => rcv_bufs(cx, n, &mut g.lvs_netlink_monitor_rcv_bufs),
            "process_monitor_rcv_bufs" => rcv_bufs(cx, n, &mut g.process_monitor_rcv_bufs),
            "vrrp_netlink_cmd_rcv_bufs_force" => {
                set(&mut g.vrrp_netlink_cmd_rcv_bufs.force, cx.flag(n))
            }
            "vrrp_netlink_monitor_rcv_bufs_force" => {
                set(&mut g.vrrp_netlink_monitor_rcv_bufs.force, cx.flag(n))
            }
            "lvs_netlink_cmd_rcv_bufs_force" => {
                set(&mut g.lvs_netlink_cmd_rcv_bufs.force, cx.flag(n))
            }
            "lvs_netlink_monitor_rcv_bufs_force" => {
                set(&mut g.lvs_netlink_monitor_rcv_bufs.force, cx.flag(n))
            }
            "process_monitor_rcv_bufs_force" => {
                set(&mut g.process_monitor_rcv_bufs.force, cx.flag(n))
            }
            "use_symlink_paths" => set(&mut g.use_symlink_paths, cx.flag(n)),
            // keepalived: the -t output of the check before each reload goes there.
            "reload_check_config" => {
                cx.no_block(n);
                cx.extra(n, 1);
                g.reload_check_config = Some(
                    n.args
                        .first()
                        .map_or_else(|| "/dev/null".to_string(), |t| t.text.to_string()),
                );
            }
            "reload_time_file" => {
                cx.no_block(n);
                if n.args.len() != 1 {
                    cx.error(&n.key, "reload_time_file invalid");
                } else {
                    g.reload_time_file = Some(n.args[0].text.to_string());
                }
            }
            // keepalived: the seed of ${_RANDOM} when the configuration is read again.
            "random_seed" => {
                cx.no_block(n);
                cx.extra(n, 1);
                match n.args.first() {
                    Some(t) => match crate::ctx::parse_int(&t.text) {
                        Some(v) if (0..=i64::from(u32::MAX)).contains(&v) => {
                            g.random_seed = Some(v as u32)
                        }
                        _ => cx.error(t, format!("random_seed {} invalid", t.text)),
                    },
                    None => cx.error(&n.key, "random_seed needs a number; ignored"),
                }
            }
            // keepalived: the first one counts ("vmac prefix", "vmac_addr prefix").
            "vmac_prefix" | "vmac_addr_prefix" => {
                cx.no_block(n);
                cx.extra(n, 1);
                let (slot, what) = if n.key.text == "vmac_prefix" {
                    (&mut g.vmac_prefix, "vmac prefix")
                } else {
                    (&mut g.vmac_addr_prefix, "vmac_addr prefix")
                };
                if let Some(t) = cx.arg(n, 0) {
                    if slot.is_some() {
                        cx.error(
                            t,
                            format!("{what} has already been specified - ignoring {}", t.text),
                        );
                    } else {
                        *slot = Some(t.text.to_string());
                    }
                }
            }
            "reload_repeat" => {
                cx.no_block(n);
                cx.extra(n, 0);
                g.reload_repeat = true;
            }
            // keepalived: present while a reload reads the files (default in /run).
            "reload_file" => {
                cx.no_block(n);
                cx.extra(n, 1);
                g.reload_file = Some(n.args.first().map_or_else(
                    || "/run/keepalived.reload".to_string(),
                    |t| t.text.to_string(),
                ));
            }
            "iproute_usr_dir" | "iproute_etc_dir" => {
                cx.no_block(n);
                if n.args.len() != 1 {
                    cx.error(&n.key, format!("{} requires path", n.key.text));
                } else {
                    let dir = n.args[0].text.to_string();
                    if n.key.text == "iproute_usr_dir" {
                        cx.names.set_dirs(None, Some(&dir));
                        g.iproute_usr_dir = Some(dir);
                    } else {
                        cx.names.set_dirs(Some(&dir), None);
                        g.iproute_etc_dir = Some(dir);
                    }
                }
            }
            "max_auto_priority" => {
                if let Some(p) = max_auto_priority(cx, n) {
                    g.vrrp_process.max_auto_priority = p;
                    g.checker_process.max_auto_priority = p;
                }
            }
            "min_auto_priority_delay" => {
                if let Some(d) = min_auto_priority_delay(cx, n) {
                    g.vrrp_process.min_auto_priority_delay = Some(d);
                    g.checker_process.min_auto_priority_delay = Some(d);
                }
            }
            "lvs_sync_daemon" => g.lvs_sync_daemon = lvs::sync_daemon(cx, n),
            "lvs_flush" => set(&mut g.lvs_flush, cx.flag(n)),
            "rs_init_notifies" => set(&mut g.rs_init_notifies, cx.flag(n)),
            "checker_log_all_failures" => set(&mut g.checker_log_all_failures, cx.flag(n)),
            "log_unknown_vrids" => {
                cx.no_block(n);
                cx.extra(n, 0);
                g.log_unknown_vrids = true;
            }
            "lvs_flush_on_stop" => {
                cx.no_block(n);
                cx.extra(n, 1);
                g.lvs_flush_on_stop = match n.args.first().map(|t| t.text.as_str()) {
                    None => Some(FlushOnStop::All),
                    Some("VS") => Some(FlushOnStop::VirtualServers),
                    Some(_) => {
                        cx.error(
                            &n.args[0],
                            "lvs_flush_on_stop takes no argument or VS; ignored",
                        );
                        None
                    }
                }
            }
            "lvs_timeouts" => lvs::timeouts(cx, n, &mut g.lvs_timeouts),
            "dynamic_interfaces" => {
                cx.no_block(n);
                cx.extra(n, 1);
                g.dynamic_interfaces = true;
                match n.args.first() {
                    Some(t) if t.text == "allow_if_changes" => {
                        g.dynamic_interfaces_allow_if_changes = true
                    }
                    Some(t) => cx.error(
                        t,
                        format!("unknown dynamic_interfaces option '{}'; ignored", t.text),
                    ),
                    None => {}
                }
            }
            "default_interface" => {
                if let Some(s) = cx.string_arg(n) {
                    if let Some(t) = n.args.first() {
                        cx.check_interface(t, "default_interface");
                    }
                    g.default_interface = Some(s);
                }
            }
            "json_version" => set(&mut g.json_version, cx.u32_arg(n, 1, 2).map(|v| v as u8)),
            "state_dump_file" => g.state_dump_file = cx.string_arg(n),
            "stats_dump_file" => g.stats_dump_file = cx.string_arg(n),
            "json_dump_file" => g.json_dump_file = cx.string_arg(n),
            "process_names" => {
                cx.no_block(n);
                cx.extra(n, 0);
                g.vrrp_process.name = Some("keepalived_vrrp".into());
                g.checker_process.name = Some("keepalived_lvs".into());
            }
            "process_name" => g.process_name = process_name(cx, n),
            // Debian's keepalived is built with nftables and without iptables: vrrp_iptables,
            // chains or not, means the nftables table "keepalived" (global_parser.c).
            "vrrp_iptables" => {
                cx.no_block(n);
                cx.warn(
                    &n.key,
                    "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
                );
                g.nftables = Some("keepalived".into());
                g.nftables_priority = -1;
            }
            "nftables" => {
                cx.no_block(n);
                cx.extra(n, 1);
                if g.nftables.is_some() {
                    cx.warn(&n.key, "nftables already specified - ignoring");
                } else {
                    match n.args.first() {
                        // NFT_TABLE_MAXNAMELEN (256) with its NUL.
                        Some(t) if t.text.len() >= 256 => {
                            cx.warn(t, "nftables table name too long - ignoring")
                        }
                        t => {
                            g.nftables = Some(t.map_or("keepalived", |t| &t.text).to_string());
                            g.nftables_priority = -1;
                        }
                    }
                }
            }
            // keepalived ipvs_nftables_handler: it also sets the priority and the first
            // mark back to their defaults, whatever came before it.
            "nftables_ipvs" => {
                cx.no_block(n);
                cx.extra(n, 1);
                if g.nftables_ipvs.is_some() {
                    cx.warn(&n.key, "ipvs nftables already specified - ignoring");
                } else {
                    match n.args.first() {
                        Some(t) if t.text.len() >= 256 => {
                            cx.warn(t, "ipvs nftables table name too long - ignoring")
                        }
                        t => {
                            g.nftables_ipvs =
                                Some(t.map_or("keepalived_ipvs", |t| &t.text).to_string());
                            g.nftables_ipvs_priority = -1;
                            g.nftables_ipvs_start_fwmark = 1000;
                        }
                    }
                }
            }
            "nftables_ipvs_priority" => {
                cx.no_block(n);
                if let Some(t) = cx.arg(n, 0) {
                    match crate::ctx::parse_int(&t.text).and_then(|v| i32::try_from(v).ok()) {
                        Some(v) => g.nftables_ipvs_priority = v,
                        None => cx.error(
                            t,
                            format!("invalid ipvs nftables chain priority '{}'", t.text),
                        ),
                    }
                }
            }
            "nftables_ipvs_start_fwmark" => {
                cx.no_block(n);
                if let Some(t) = cx.arg(n, 0) {
                    match crate::ctx::parse_int(&t.text)
                        .and_then(|v| u32::try_from(v).ok())
                        .filter(|v| *v >= 1)
                    {
                        Some(v) => g.nftables_ipvs_start_fwmark = v,
                        None => cx.error(
                            t,
                            format!("invalid ipvs nftables start_fwmark priority '{}'", t.text),
                        ),
                    }
                }
            }
            "nftables_priority" => {
                cx.no_block(n);
                if let Some(t) = cx.arg(n, 0) {
                    match crate::ctx::parse_int(&t.text).and_then(|v| i32::try_from(v).ok()) {
                        Some(v) => g.nftables_priority = v,
                        None => {
                            cx.error(t, format!("invalid nftables chain priority '{}'", t.text))
                        }
                    }
                }
            }
            // keepalived: an argument other than true/false is "Invalid value".
            "data_use_instance" => {
                cx.no_block(n);
                cx.extra(n, 1);
                match n.args.first().map(|t| (t, crate::ctx::parse_bool(&t.text))) {
                    None => g.data_use_instance = true,
                    Some((_, Some(b))) => g.data_use_instance = b,
                    Some((t, None)) => cx.warn(
                        t,
                        format!(
                            "Invalid value '{}' for global date_use_instance specified",
                            t.text
                        ),
                    ),
                }
            }
            "nftables_counters" => {
                cx.no_block(n);
                g.nftables_counters = true;
            }
            "nftables_ifindex" => {
                cx.no_block(n);
                g.nftables_ifindex = true;
            }
            k if PROCESS_KEYWORDS.contains(&k) => {
                let (which, key) = k.split_once('_').unwrap_or((k, ""));
                let ps = if which == "vrrp" {
                    &mut g.vrrp_process
                } else {
                    &mut g.checker_process
                };
                process_setting(cx, n, which, key, ps)
            }
            "umask" => {
                cx.no_block(n);
                if let Some(m) = umask(cx, n) {
                    g.umask = Some(m);
                }
            }
            // Acted on by the preprocessor, from its line on (preprocess.rs).
            "include_check" => cx.no_block(n),
            // keepalived keeps a copy of the configuration it read in this directory (a
            // memfd by default) so that its children read the same text; keepalived-rs's
            // children get the configuration from the parent over their channel and
            // never read a file, so there is no copy to place. keepalived's errors.
            "tmp_config_directory" => {
                cx.no_block(n);
                if tmp_config_seen {
                    cx.error(&n.key, "tmp_config_directory already specified - ignoring");
                } else if n.args.is_empty() {
                    cx.error(&n.key, "tmp_config_directory missing directory name");
                }
                tmp_config_seen = true;
            }
            // keepalived config_save_dir_handler: an existing directory, or one the
            // daemon makes (mode 0700) when it starts; `-t` makes nothing.
            "config_save_dir" => {
                cx.no_block(n);
                cx.extra(n, 1);
                if let Some(d) = cx.arg(n, 0) {
                    let dir = match d.text.trim_end_matches('/') {
                        "" => "/",
                        t => t,
                    };
                    match crate::inputs::metadata(Path::new(dir)) {
                        Ok(m) if m.is_dir() => g.config_save_dir = Some(dir.to_string()),
                        Ok(_) => cx.error(
                            d,
                            format!("config_save_dir {dir} exists and is not a directory"),
                        ),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            cx.note(d, format!("config_save_dir {dir} does not exist: the daemon creates it (mode 0700) when it starts"));
                            g.config_save_dir = Some(dir.to_string());
                        }
                        Err(e) => cx.error(d, format!("config_save_dir {dir} error - {e}")),
                    }
                }
            }
            k if GLOBAL_UNSUPPORTED.contains(&k) => cx.unsupported(n),
            _ => {
                let known: Vec<&str> = GLOBAL_KEYWORDS
                    .iter()
                    .chain(PROCESS_KEYWORDS)
                    .copied()
                    .collect();
                cx.unknown(n, "global_defs", &known)
            }
        }
    }
    // keepalived: the lower-priority GARP settings default to the master ones.
    g.vrrp_garp_lower_prio_delay = lower_delay.unwrap_or(g.vrrp_garp_master_delay);
    g.vrrp_garp_lower_prio_repeat = lower_repeat.unwrap_or(g.vrrp_garp_master_repeat);
    if g.vrrp_min_garp {
        // keepalived: vrrp_min_garp = one GARP round and no second burst.
        g.vrrp_garp_master_repeat = 1;
        g.vrrp_garp_master_delay = Duration::ZERO;
    }
}

/// A process name: at most 15 characters (TASK_COMM_LEN), longer ones cut as keepalived
/// save_process_name does.
fn process_name(cx: &mut Ctx, n: &Node) -> Option<String> {
    let name = cx.string_arg(n)?;
    if name.chars().count() > 15 {
        if let Some(t) = n.args.first() {
            cx.error(
                t,
                format!("Process name {name} more than 15 characters, truncating"),
            );
        }
        return Some(name.chars().take(15).collect());
    }
    Some(name)
}

/// `max_auto_priority [PRIO]` (keepalived global_parser.c): the highest SCHED_RR
/// priority a child raises itself to when its loop runs late; no argument is 99, -1 and
/// 0 leave it off.
fn max_auto_priority(cx: &mut Ctx, n: &Node) -> Option<u32> {
    cx.no_block(n);
    cx.extra(n, 1);
    let Some(t) = n.args.first() else {
        return Some(99);
    };
    match crate::ctx::parse_int(&t.text) {
        Some(v) if (-1..=99).contains(&v) => Some(v.max(0) as u32),
        _ => {
            cx.error(
                t,
                format!(
                    "max_auto_priority '{}' must be in [0, 99] (or -1 to disable) - ignoring",
                    t.text
                ),
            );
            None
        }
    }
}

/// `min_auto_priority_delay USECS`: how late (1..10,000,000 µs) a loop must wake for
/// its process to raise its priority.
fn min_auto_priority_delay(cx: &mut Ctx, n: &Node) -> Option<u32> {
    cx.no_block(n);
    cx.extra(n, 1);
    let Some(t) = n.args.first() else {
        cx.error_at(
            Ctx::after(&n.key),
            1,
            "min_auto_priority_delay requires delay time",
        );
        return None;
    };
    match crate::ctx::parse_int(&t.text) {
        Some(v) if (1..=10_000_000).contains(&v) => Some(v as u32),
        _ => {
            cx.error(
                t,
                format!(
                    "min_auto_priority_delay '{}' must be in [1, 10000000] - ignoring",
                    t.text
                ),
            );
            None
        }
    }
}

/// One of keepalived's per-process keywords (`vrrp_KEY` / `checker_KEY`, `which` being
/// vrrp or checker): global_parser.c get_priority, get_realtime_priority, get_rt_rlimit,
/// get_cpu_affinity.
fn process_setting(cx: &mut Ctx, n: &Node, which: &str, key: &str, ps: &mut ProcessSettings) {
    match key {
        "priority" => {
            cx.no_block(n);
            cx.extra(n, 1);
            if let Some(v) = cx.int_arg(n, 0, -20, 19) {
                ps.priority = Some(v as i32);
            }
        }
        "rt_priority" => {
            cx.no_block(n);
            cx.extra(n, 1);
            let Some(t) = cx.arg(n, 0) else { return };
            let Some(v) = cx.int(t, i64::from(i32::MIN), i64::from(i32::MAX)) else {
                return;
            };
            // SCHED_RR's range on Linux, 1..99: outside it, the nearest end (keepalived).
            let clamped = v.clamp(1, 99);
            if clamped != v {
                cx.error(
                    t,
                    format!(
                        "{which} process real-time priority {v} {}",
                        if v < 1 {
                            "less than minimum 1 - setting to minimum"
                        } else {
                            "greater than maximum 99 - setting to maximum"
                        }
                    ),
                );
            }
            ps.rt_priority = Some(clamped as u32);
        }
        "rlimit_rttime" | "rlimit_rtime" => {
            cx.no_block(n);
            cx.extra(n, 1);
            if key == "rlimit_rtime" {
                cx.warn(
                    &n.key,
                    format!("Keyword '{which}_rlimit_rtime' is deprecated - please use '{which}_rlimit_rttime'"),
                );
            }
            if let Some(v) = cx.int_arg(n, 0, 1, i64::from(u32::MAX)) {
                // keepalived: the soft limit is half of it and must not be 0.
                ps.rlimit_rttime = Some((v as u32).max(2));
            }
        }
        "no_swap" => {
            if let Some(b) = cx.flag(n) {
                ps.no_swap = b;
            }
        }
        "cpu_affinity" => {
            cx.no_block(n);
            if n.args.is_empty() {
                cx.error_at(
                    Ctx::after(&n.key),
                    1,
                    format!("No {which} cpu_id set specified"),
                );
                return;
            }
            let mut cpus = Vec::new();
            for t in &n.args {
                // The CPUs of the host it runs on are checked when the child applies it.
                match cx.int(t, 0, 4095) {
                    Some(c) => cpus.push(c as u32),
                    // keepalived: the set is reset at the first bad id.
                    None => return,
                }
            }
            ps.cpu_affinity = cpus;
        }
        _ => ps.name = process_name(cx, n),
    }
}

/// `umask`: a number (C's strtol base 0: 022 octal, 0x12 hex, 18 decimal) or S_I* names
/// joined by '|' (global_parser.c umask_handler).
fn umask(cx: &mut Ctx, n: &Node) -> Option<u32> {
    let first = n.args.first().or_else(|| {
        cx.error_at(
            Ctx::after(&n.key),
            1,
            "Missing parameter(s) to umask option",
        );
        None
    })?;
    if first.text.starts_with(|c: char| c.is_ascii_digit()) {
        cx.extra(n, 1);
        let t = first.text.as_str();
        let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()
        } else if t.len() > 1 && t.starts_with('0') {
            u32::from_str_radix(&t[1..], 8).ok()
        } else {
            t.parse::<u32>().ok()
        };
        return match v.filter(|v| v & !0o777 == 0) {
            Some(v) => Some(v),
            None => {
                cx.error(first, format!("invalid umask value {t}"));
                None
            }
        };
    }
    const BITS: [(&str, u32); 9] = [
        ("IRUSR", 0o400),
        ("IWUSR", 0o200),
        ("IXUSR", 0o100),
        ("IRGRP", 0o040),
        ("IWGRP", 0o020),
        ("IXGRP", 0o010),
        ("IROTH", 0o004),
        ("IWOTH", 0o002),
        ("IXOTH", 0o001),
    ];
    let mut bits = 0;
    let mut need_or = false;
    for t in &n.args {
        let mut p = t.text.as_str();
        while !p.is_empty() {
            if need_or {
                match p.strip_prefix('|') {
                    Some(rest) => {
                        need_or = false;
                        p = rest;
                        continue;
                    }
                    None => {
                        cx.error(t, format!("Invalid umask syntax {}", t.text));
                        return None;
                    }
                }
            }
            match BITS.iter().find(|(name, _)| p.starts_with(name)) {
                Some((name, b)) => {
                    bits |= b;
                    p = &p[name.len()..];
                    need_or = true;
                }
                None => {
                    cx.error(t, format!("Unknown umask bit {p}"));
                    return None;
                }
            }
        }
    }
    if !need_or {
        cx.error(first, "umask missing bit value");
        return None;
    }
    Some(bits)
}

fn name_arg(cx: &mut Ctx, n: &Node, what: &str) -> Option<String> {
    match n.args.first() {
        Some(t) => {
            cx.extra(n, 1);
            Some(t.text.to_string())
        }
        None => {
            cx.error_at(
                Ctx::after(&n.key),
                1,
                format!("{what} needs a name; block ignored"),
            );
            None
        }
    }
}

/// `weight N [reverse]` on one line; returns (weight, reverse).
fn weight(cx: &mut Ctx, n: &Node, lo: i64, hi: i64) -> Option<(i32, bool)> {
    cx.no_block(n);
    let w = cx.int_arg(n, 0, lo, hi)? as i32;
    let mut reverse = false;
    if let Some(t) = n.args.get(1) {
        match t.text.as_str() {
            "reverse" => reverse = true,
            "noreverse" => {}
            _ => cx.error(
                t,
                format!("unknown weight option '{}'; expected reverse", t.text),
            ),
        }
    }
    cx.extra(n, 2);
    Some((w, reverse))
}

const SCRIPT_KEYWORDS: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];

fn vrrp_script(cx: &mut Ctx, n: &Node) -> Option<VrrpScript> {
    let name = name_arg(cx, n, "vrrp_script")?;
    let children = cx.block(n)?;
    let mut script = None;
    let mut s = VrrpScript {
        name,
        script: Command::default(),
        interval: Duration::from_secs(1),
        timeout: Duration::ZERO,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
    };
    let mut timeout = None;
    for c in children {
        match c.key.text.as_str() {
            "script" => script = cx.script(c, false).map(|s| s.command),
            "interval" => set(&mut s.interval, cx.timer_arg(c, 0.001, 86400.0)),
            "timeout" => timeout = cx.timer_arg(c, 0.001, 86400.0).or(timeout),
            "weight" => {
                if let Some((w, r)) = weight(cx, c, -253, 253) {
                    s.weight = w;
                    s.weight_reverse = r;
                }
            }
            "rise" => set(&mut s.rise, cx.u32_arg(c, 1, u32::MAX)),
            "fall" => set(&mut s.fall, cx.u32_arg(c, 1, u32::MAX)),
            "user" => s.user = user_group(cx, c),
            "init_fail" => set(&mut s.init_fail, cx.flag(c)),
            _ => cx.unknown(c, "vrrp_script", SCRIPT_KEYWORDS),
        }
    }
    s.timeout = timeout.unwrap_or(s.interval);
    match script {
        Some(cmd) => {
            s.script = cmd;
            Some(s)
        }
        None => {
            // keepalived reports it at the block's last line.
            let msg = format!("No script set for vrrp_script {} - removing", s.name);
            match n.block.as_ref().and_then(|b| b.close) {
                Some(pos) => cx.error_at(pos, 1, msg),
                None => cx.error(&n.args[0], msg),
            }
            None
        }
    }
}

fn track_file(cx: &mut Ctx, n: &Node) -> Option<TrackFile> {
    const KNOWN: &[&str] = &["file", "weight", "init_file"];
    let name = name_arg(cx, n, &n.key.text)?;
    let children = cx.block(n)?;
    let mut f = TrackFile {
        name,
        file: String::new(),
        weight: 1,
        weight_reverse: false,
        init_file: None,
    };
    for c in children {
        match c.key.text.as_str() {
            "file" => set(&mut f.file, cx.string_arg(c)),
            "weight" => {
                if let Some((w, r)) = weight(cx, c, -254, 254) {
                    f.weight = w;
                    f.weight_reverse = r;
                }
            }
            "init_file" => {
                cx.no_block(c);
                cx.extra(c, 2);
                let mut value = 0;
                let mut overwrite = false;
                for a in &c.args {
                    if a.text == "overwrite" {
                        overwrite = true;
                    } else if let Some(v) = cx.int(a, i32::MIN as i64, i32::MAX as i64) {
                        value = v;
                    }
                }
                f.init_file = Some((value, overwrite));
            }
            _ => cx.unknown(c, "track_file", KNOWN),
        }
    }
    if f.file.is_empty() {
        cx.error(
            &n.args[0],
            format!("track_file {} has no 'file'; ignored", f.name),
        );
        return None;
    }
    Some(f)
}

fn track_process(cx: &mut Ctx, n: &Node) -> Option<TrackProcess> {
    const KNOWN: &[&str] = &[
        "process",
        "param_match",
        "weight",
        "quorum",
        "quorum_max",
        "delay",
        "fork_delay",
        "terminate_delay",
        "full_command",
    ];
    let name = name_arg(cx, n, "vrrp_track_process")?;
    let children = cx.block(n)?;
    let mut p = TrackProcess {
        name,
        process: Vec::new(),
        param_match: ParamMatch::Any,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        delay: Duration::ZERO,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
    };
    for c in children {
        match c.key.text.as_str() {
            "process" => {
                cx.no_block(c);
                if cx.arg(c, 0).is_some() {
                    p.process = c.args.iter().map(|t| t.text.to_string()).collect();
                }
            }
            "param_match" => {
                cx.no_block(c);
                cx.extra(c, 1);
                // Bare: the command must have exactly the parameters given (none).
                if c.args.is_empty() {
                    p.param_match = ParamMatch::Exact;
                } else if let Some(t) = cx.arg(c, 0) {
                    match t.text.as_str() {
                        "initial" => p.param_match = ParamMatch::Initial,
                        "partial" => p.param_match = ParamMatch::Partial,
                        _ => cx.error(
                            t,
                            format!(
                                "invalid param_match '{}': expected initial or partial",
                                t.text
                            ),
                        ),
                    }
                }
            }
            "weight" => {
                if let Some((w, r)) = weight(cx, c, -254, 254) {
                    p.weight = w;
                    p.weight_reverse = r;
                }
            }
            "quorum" => set(&mut p.quorum, cx.u32_arg(c, 1, 65535)),
            "quorum_max" => p.quorum_max = cx.u32_arg(c, 1, 65535).or(p.quorum_max),
            "delay" => set(&mut p.delay, cx.timer_arg(c, 0.0, 86400.0)),
            "fork_delay" => p.fork_delay = cx.timer_arg(c, 0.0, 86400.0).or(p.fork_delay),
            "terminate_delay" => {
                p.terminate_delay = cx.timer_arg(c, 0.0, 86400.0).or(p.terminate_delay)
            }
            "full_command" => set(&mut p.full_command, cx.flag(c)),
            _ => cx.unknown(c, "vrrp_track_process", KNOWN),
        }
    }
    // keepalived: parameters after the process mean an exact match of them.
    if p.process.len() > 1 && p.param_match == ParamMatch::Any {
        p.param_match = ParamMatch::Exact;
    }
    if p.process.is_empty() {
        cx.error(
            &n.args[0],
            format!("vrrp_track_process {} has no 'process'; ignored", p.name),
        );
        return None;
    }
    if let Some(max) = p.quorum_max {
        if max < p.quorum {
            cx.error(
                &n.args[0],
                format!(
                    "vrrp_track_process {}: quorum_max {max} is below quorum {}",
                    p.name, p.quorum
                ),
            );
            p.quorum_max = None;
        }
    }
    Some(p)
}

fn notify(cx: &mut Ctx, c: &Node, n: &mut Notifies) -> bool {
    match c.key.text.as_str() {
        "notify_master" => n.master = cx.script(c, true).map(Box::new),
        "notify_backup" => n.backup = cx.script(c, true).map(Box::new),
        "notify_fault" => n.fault = cx.script(c, true).map(Box::new),
        "notify_stop" => n.stop = cx.script(c, true).map(Box::new),
        "notify" => n.notify = cx.script(c, true).map(Box::new),
        _ => return false,
    }
    true
}

const SYNC_KEYWORDS: &[&str] = &[
    "group",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "smtp_alert",
    "notify_priority_changes",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "sync_group_tracking_weight",
    "global_tracking",
];
const SYNC_UNSUPPORTED: &[&str] = &["track_bfd"];

/// keepalived alloc_linkbeat_interface: `IF [MII|ETHTOOL|IOCTL]`.
fn linkbeat_interfaces(cx: &mut Ctx, n: &Node, c: &mut Config) {
    cx.extra(n, 0);
    for l in cx.block(n).unwrap_or(&[]) {
        cx.no_block(l);
        if !cx.interface_known(&l.key, |n| {
            format!("unknown interface {n} specified for linkbeat interface")
        }) {
            continue;
        }
        let kind = match l.args.first().map(|t| t.text.as_str()) {
            None => None,
            Some("MII") => Some(LinkbeatType::Mii),
            Some("ETHTOOL") => Some(LinkbeatType::Ethtool),
            Some("IOCTL") => Some(LinkbeatType::Ioctl),
            Some(_) => None,
        };
        if let Some(t) = l.args.first() {
            if kind.is_none() || l.args.len() > 1 {
                cx.error(
                    t,
                    format!("extra characters {} in linkbeat interface", t.text),
                );
            }
        }
        let name = l.key.text.to_string();
        match c
            .linkbeat_interfaces
            .iter_mut()
            .find(|x| x.interface == name)
        {
            Some(x) => x.kind = kind,
            None => c.linkbeat_interfaces.push(LinkbeatInterface {
                interface: name,
                kind,
            }),
        }
    }
}

/// keepalived alloc_if_up_down_delay: `IF DOWN_DELAY [UP_DELAY]`, each 0 to 255
/// seconds; its messages for a missing or bad delay are notes (keepalived logs them).
fn interface_delays(cx: &mut Ctx, n: &Node, c: &mut Config) {
    cx.extra(n, 0);
    for l in cx.block(n).unwrap_or(&[]) {
        cx.no_block(l);
        let name = l.key.text.to_string();
        if !cx.interface_known(&l.key, |n| {
            format!("unknown interface {n} specified for up/down delay")
        }) {
            continue;
        }
        let Some(down_tok) = l.args.first() else {
            cx.note(
                &l.key,
                format!("No timeouts specified for {name} up/down delays"),
            );
            continue;
        };
        if l.args.len() > 2 {
            cx.note(
                &l.args[2],
                format!("Too many parameters for {name} up/down delays"),
            );
        }
        let read = |t: &crate::token::Token| {
            crate::ctx::parse_timer(&t.text).filter(|d| *d <= Duration::from_secs(255))
        };
        let Some(down) = read(down_tok) else {
            cx.note(
                down_tok,
                format!("Invalid down delay {} for {name}", down_tok.text),
            );
            continue;
        };
        let up = match l.args.get(1) {
            None => Duration::ZERO,
            Some(t) => match read(t) {
                Some(d) => d,
                None => {
                    cx.note(t, format!("Invalid up delay {} for {name}", t.text));
                    continue;
                }
            },
        };
        c.interface_delays.retain(|d| d.interface != name);
        c.interface_delays.push(InterfaceDelay {
            interface: name,
            down,
            up,
        });
    }
}

/// One interface of a garp_group: it must exist and be in no group yet (keepalived's
/// errors otherwise).
fn garp_interface(cx: &mut Ctx, g: &mut GarpGroup, earlier: &[GarpGroup], t: &crate::token::Token) {
    let name = t.text.as_str();
    let taken = std::iter::once(&*g)
        .chain(earlier)
        .any(|e| e.interfaces.iter().any(|i| i == name));
    if !cx.interface_known(t, |n| {
        format!("WARNING - interface {n} specified for garp_group doesn't exist")
    }) {
    } else if taken {
        cx.error(
            t,
            format!("garp_group already specified for {name} - ignoring"),
        );
    } else {
        g.interfaces.push(name.to_string());
    }
}

/// keepalived vrrp_parser.c garp_group: its intervals (seconds, to the microsecond),
/// `interface IF` and `interfaces { IF ... }`; an interface in an earlier group stays
/// there; a group with no interval is dropped.
fn garp_group(cx: &mut Ctx, n: &Node, earlier: &[GarpGroup]) -> Option<GarpGroup> {
    cx.extra(n, 0);
    let mut g = GarpGroup::default();
    let mut have = false;
    // keepalived numbers a group when it has an interfaces block (its aggregation group).
    let mut number = 0;
    for ch in cx.block(n)? {
        let key = ch.key.text.as_str();
        match key {
            "garp_interval" | "gna_interval" => {
                cx.no_block(ch);
                let Some(t) = cx.arg(ch, 0) else { continue };
                match crate::ctx::parse_timer(&t.text) {
                    Some(d) if d.as_micros() <= i32::MAX as u128 => {
                        if d >= Duration::from_secs(1) {
                            cx.note(t, format!("The {key} is very large - {} seconds", t.text));
                        }
                        if key == "garp_interval" {
                            g.garp_interval = d;
                        } else {
                            g.gna_interval = d;
                        }
                        have = true;
                    }
                    _ => cx.error(t, format!("garp_group {key} '{}' invalid", t.text)),
                }
            }
            "interface" => {
                cx.no_block(ch);
                let Some(t) = cx.arg(ch, 0) else { continue };
                garp_interface(cx, &mut g, earlier, t);
            }
            "interfaces" => {
                let list = cx.block(ch).unwrap_or(&[]);
                if !list.is_empty() {
                    number = earlier.len() + 1;
                } else {
                    let at = ch
                        .block
                        .as_ref()
                        .and_then(|b| b.close)
                        .unwrap_or(ch.key.pos);
                    cx.error_at(at, 1, "Warning - empty garp_group interfaces block");
                }
                for t in list
                    .iter()
                    .flat_map(|l| std::iter::once(&l.key).chain(l.args.iter()))
                {
                    garp_interface(cx, &mut g, earlier, t);
                }
            }
            _ => cx.unknown(
                ch,
                "garp_group",
                &["garp_interval", "gna_interval", "interface", "interfaces"],
            ),
        }
    }
    if !have {
        // keepalived reports it at the group's end.
        let at = n.block.as_ref().and_then(|b| b.close).unwrap_or(n.key.pos);
        cx.error_at(
            at,
            1,
            format!("garp group {number} does not have any delay set - removing"),
        );
        return None;
    }
    Some(g)
}

/// keepalived static_track_group_handler: `track_group NAME { group { INSTANCE ... } }`.
fn track_group(cx: &mut Ctx, n: &Node, seen: &[TrackGroup]) -> Option<TrackGroup> {
    if n.args.len() != 1 {
        cx.error(&n.key, "track_group must have a name - skipping");
        return None;
    }
    let name = n.args[0].text.to_string();
    if seen.iter().any(|g| g.name == name) {
        cx.error(&n.args[0], format!("track_group {name} already defined"));
        return None;
    }
    let mut g = TrackGroup {
        name,
        instances: Vec::new(),
    };
    let mut have_group = false;
    for ch in cx.block(n)? {
        match ch.key.text.as_str() {
            "group" if have_group => cx.error(
                &ch.key,
                format!("Group list already specified for sync group {}", g.name),
            ),
            "group" => {
                have_group = true;
                cx.extra(ch, 0);
                let list = cx.block(ch).unwrap_or(&[]);
                if list.is_empty() {
                    cx.error(
                        &ch.key,
                        format!("Warning - track group {} has empty group block", g.name),
                    );
                }
                for m in list {
                    g.instances.push(m.key.text.to_string());
                    g.instances
                        .extend(m.args.iter().map(|t| t.text.to_string()));
                }
            }
            _ => cx.unknown(ch, "track_group", &["group"]),
        }
    }
    Some(g)
}

/// keepalived static_track_group_init: a member that is no instance is left out, and a
/// group left with none tracks nothing.
fn track_group_members(cx: &mut Ctx, nodes: &[&Node], c: &mut Config) {
    fn children(b: &Option<Box<crate::tree::Block>>) -> &[Node] {
        b.as_ref().map(|b| &b.children[..]).unwrap_or(&[])
    }
    for (g, n) in c.track_groups.iter_mut().zip(nodes) {
        let members = children(&n.block)
            .iter()
            .filter(|ch| ch.key.text.as_str() == "group")
            .take(1)
            .flat_map(|ch| children(&ch.block))
            .flat_map(|m| std::iter::once(&m.key).chain(m.args.iter()));
        for t in members {
            if !c.instances.iter().any(|i| i.name == t.text.as_str()) {
                cx.warn(
                    t,
                    format!(
                        "vrrp instance {} specified in track group {} doesn't exist - ignoring",
                        t.text, g.name
                    ),
                );
                g.instances.retain(|i| i != t.text.as_str());
            }
        }
        if g.instances.is_empty() {
            cx.warn(
                &n.args[0],
                format!("Static track group {} has no VRRP instance(s)", g.name),
            );
        }
    }
}

/// keepalived reads a static line's `track_group` when the line comes: a group defined
/// further down the file is not found.
fn known_track_group(cx: &mut Ctx, line: &Node, groups: &[TrackGroup], g: &mut Option<String>) {
    if let Some(name) = g.as_deref() {
        if !groups.iter().any(|x| x.name == name) {
            let at = line
                .args
                .iter()
                .find(|t| t.text.as_str() == name)
                .unwrap_or(&line.key);
            cx.error(at, format!("track_group {name} not found"));
            *g = None;
        }
    }
}

fn sync_group(
    cx: &mut Ctx,
    n: &Node,
    c: &Config,
    member_of: &mut HashMap<String, String>,
) -> Option<SyncGroup> {
    let name = name_arg(cx, n, "vrrp_sync_group")?;
    let children = cx.block(n)?;
    let mut g = SyncGroup {
        name,
        members: Vec::new(),
        notifies: Notifies::default(),
        // keepalived: unset means smtp_alert_vrrp, else smtp_alert, from global_defs.
        smtp_alert: c
            .global
            .smtp_alert_vrrp
            .or(c.global.smtp_alert)
            .unwrap_or(false),
        notify_priority_changes: None,
        tracking_weight: false,
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
    };
    for ch in children {
        if notify(cx, ch, &mut g.notifies) {
            continue;
        }
        match ch.key.text.as_str() {
            "group" => {
                cx.extra(ch, 0);
                let Some(list) = cx.block(ch) else { continue };
                for m in list {
                    cx.no_block(m);
                    cx.extra(m, 0);
                    let name = &m.key.text.to_string();
                    if !c.instances.iter().any(|i| &i.name == name) {
                        cx.error(
                            &m.key,
                            format!("virtual router {name} specified in sync group {} doesn't exist - ignoring", g.name),
                        );
                    } else if let Some(other) = member_of.get(name) {
                        cx.error(
                            &m.key,
                            format!("vrrp_instance {name} is already in sync group {other}; an instance can be in one group only"),
                        );
                    } else if !g.members.contains(name) {
                        member_of.insert(name.clone(), g.name.clone());
                        g.members.push(name.clone());
                    }
                }
            }
            "smtp_alert" => set(&mut g.smtp_alert, cx.flag(ch)),
            "notify_priority_changes" => g.notify_priority_changes = cx.flag(ch),
            "sync_group_tracking_weight" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                g.tracking_weight = true;
            }
            "global_tracking" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                cx.error(
                    &ch.key,
                    format!("({}) global_tracking is deprecated. Use track_interface/script/file on the sync group", g.name),
                );
                g.tracking_weight = true;
            }
            "track_interface" => {
                let exists = |_: &str| true;
                let (list, gname) = (&mut g.track_interfaces, &g.name);
                track_list(cx, ch, list, &exists, "track interface", gname, -254, 254);
                if let Some(known) = &cx.opts.interfaces {
                    for (t, e) in ch.block.iter().flat_map(|b| &b.children).filter_map(|e| {
                        g.track_interfaces
                            .iter()
                            .find(|t| t.name == e.key.text)
                            .map(|t| (t, e))
                    }) {
                        if !known.contains(&t.name) {
                            let msg =
                                format!("({}) tracked interface {} doesn't exist", g.name, t.name);
                            cx.warn(&e.key, msg);
                        }
                    }
                }
            }
            "track_script" => {
                let exists = |s: &str| c.scripts.iter().any(|x| x.name == s);
                let (list, gname) = (&mut g.track_scripts, &g.name);
                track_list(cx, ch, list, &exists, "track script", gname, -253, 253);
            }
            "track_file" => {
                let exists = |s: &str| c.track_files.iter().any(|x| x.name == s);
                let (list, gname) = (&mut g.track_files, &g.name);
                track_list(cx, ch, list, &exists, "track file", gname, -254, 254);
            }
            "track_process" => {
                let exists = |s: &str| c.track_processes.iter().any(|x| x.name == s);
                let (list, gname) = (&mut g.track_processes, &g.name);
                track_list(cx, ch, list, &exists, "track process", gname, -254, 254);
            }
            k if SYNC_UNSUPPORTED.contains(&k) => cx.unsupported(ch),
            _ => cx.unknown(ch, "vrrp_sync_group", SYNC_KEYWORDS),
        }
    }
    if g.members.len() < 2 {
        cx.warn(
            &n.args[0],
            format!(
                "sync group {} has only {} virtual router(s) - this probably isn't what you want",
                g.name,
                g.members.len()
            ),
        );
    }
    if g.members.is_empty() {
        return None;
    }
    Some(g)
}

pub const INSTANCE_KEYWORDS: &[&str] = &[
    "promote_secondaries",
    "linkbeat_use_polling",
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "authentication",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "nopreempt",
    "preempt",
    "preempt_delay",
    "debug",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "dont_track_primary",
    "mcast_src_ip",
    "unicast_src_ip",
    "unicast_peer",
    "unicast_ttl",
    "unicast_fault_no_peer",
    "notify_deleted",
    "mcast_dst_ip",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "version",
    "smtp_alert",
    "notify_priority_changes",
    "notify_master_rx_lower_pri",
    "lvs_sync_daemon_interface",
    "use_vmac",
    "use_ipvlan",
    "vrf",
    "use_vmac_addr",
    "auth_hmac",
    "vmac_xmit_base",
    "accept",
    "no_accept",
    "strict_mode",
    "check_unicast_src",
    "skip_check_adv_addr",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "down_timer_adverts",
    "no_virtual_ipaddress",
    "v3_checksum_as_v2",
    "owner_ignore_adverts",
    "timer_expired_backup",
    "thread_timer_expired",
    "kernel_rx_buf_size",
    "garp_extra_if",
    "track_src_ip",
    "native_ipv6",
    "old_unicast_checksum",
];

pub const INSTANCE_UNSUPPORTED: &[&str] = &["auth_hmac", "track_bfd"];

#[allow(clippy::too_many_arguments)]
fn track_list(
    cx: &mut Ctx,
    n: &Node,
    out: &mut Vec<TrackRef>,
    exists: &dyn Fn(&str) -> bool,
    what: &str,
    inst: &str,
    lo: i64,
    hi: i64,
) {
    cx.extra(n, 0);
    let Some(list) = cx.block(n) else { return };
    for e in list {
        cx.no_block(e);
        let name = e.key.text.to_string();
        let mut r = TrackRef {
            name: name.clone(),
            weight: None,
            reverse: false,
        };
        let mut ok = true;
        let mut i = 0;
        while i < e.args.len() {
            let a = &e.args[i];
            match a.text.as_str() {
                "weight" => match e.args.get(i + 1) {
                    Some(v) => {
                        match cx.int(v, lo, hi) {
                            Some(w) => r.weight = Some(w as i32),
                            None => ok = false,
                        }
                        i += 1;
                    }
                    None => {
                        cx.error_at(Ctx::after(a), 1, "'weight' needs a value; ignored");
                        ok = false;
                    }
                },
                "reverse" => r.reverse = true,
                "noreverse" => r.reverse = false,
                _ => {
                    cx.error(
                        a,
                        format!("({inst}) unknown {what} option {}; {name} ignored", a.text),
                    );
                    ok = false;
                }
            }
            i += 1;
        }
        if !ok {
            continue;
        }
        if !exists(&name) {
            cx.error(
                &e.key,
                format!("({inst}) {what} {name} not found, ignoring..."),
            );
            continue;
        }
        if out.iter().any(|x| x.name == name) {
            cx.warn(
                &e.key,
                format!("({inst}) {what} {name} is already tracked; ignored"),
            );
            continue;
        }
        out.push(r);
    }
}

fn vrrp_instance(cx: &mut Ctx, n: &Node, c: &Config) -> Option<VrrpInstance> {
    let name = name_arg(cx, n, "vrrp_instance")?;
    let children = cx.block(n)?;
    let g = &c.global;
    let mut state = None;
    let mut interface: Option<(String, &Node)> = None;
    let mut ipvlan_node: Option<&Node> = None;
    let mut vrf_node: Option<&Node> = None;
    let mut vrid = None;
    let mut priority = None;
    let mut advert: Option<(Duration, &Node)> = None;
    let mut version = None;
    let mut auth: Option<(Auth, &Node)> = None;
    let mut hmac: Option<(AuthHmac, &Node)> = None;
    let mut vips: Vec<(IpAddress, &Node)> = Vec::new();
    let mut evips: Vec<(IpAddress, &Node)> = Vec::new();
    let mut nopreempt: Option<&Node> = None;
    let mut preempt_delay: Option<(Duration, &Node)> = None;
    let mut no_vips: Option<&Node> = None;
    let mut native_ipv6: Option<&Node> = None;
    // accept / no_accept as given (the default depends on strict mode and ownership).
    let mut accept: Option<(bool, &Node)> = None;
    // Settings strict mode resets when given (else defaults differently).
    let mut lower_prio_repeat: Option<&Node> = None;
    let mut lower_prio_delay: Option<&Node> = None;
    let mut lower_prio_no_advert: Option<&Node> = None;
    let mut higher_prio_send_advert: Option<&Node> = None;
    let mut down_timer: Option<&Node> = None;
    let mut owner_ignore: Option<(bool, &Node)> = None;
    let mut timer_expired: Option<(u8, &Node)> = None;
    let mut garp = GarpTiming {
        master_delay: g.vrrp_garp_master_delay,
        master_repeat: g.vrrp_garp_master_repeat,
        master_refresh: g.vrrp_garp_master_refresh,
        master_refresh_repeat: g.vrrp_garp_master_refresh_repeat,
        lower_prio_delay: g.vrrp_garp_lower_prio_delay,
        lower_prio_repeat: g.vrrp_garp_lower_prio_repeat,
        extra_if: g.vrrp_garp_extra_if,
    };
    let mut inst = VrrpInstance {
        name: name.clone(),
        state: InitialState::Backup,
        interface: None,
        vrid: 0,
        priority: 100,
        advert_int: Duration::from_secs(1),
        version: g.vrrp_version,
        auth: None,
        vips: Vec::new(),
        excluded_vips: Vec::new(),
        virtual_routes: Vec::new(),
        virtual_rules: Vec::new(),
        nopreempt: false,
        preempt_delay: Duration::ZERO,
        notifies: Notifies::default(),
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
        dont_track_primary: false,
        track_src_ip: false,
        native_ipv6: false,
        old_unicast_checksum: None,
        promote_secondaries: false,
        linkbeat_use_polling: false,
        src_ip: None,
        unicast_peers: Vec::new(),
        unicast_ttl: 255,
        unicast_fault_no_peer: false,
        notify_deleted: false,
        mcast_dst_ip: None,
        garp: garp.clone(),
        smtp_alert: g.smtp_alert_vrrp.or(g.smtp_alert).unwrap_or(false),
        notify_priority_changes: None,
        use_vmac: None,
        use_ipvlan: None,
        vrf: None,
        vmac_xmit_base: false,
        use_vmac_addr: false,
        auth_hmac: None,
        accept: !g.vrrp_strict,
        strict_mode: g.vrrp_strict,
        check_unicast_src: g.vrrp_check_unicast_src,
        skip_check_adv_addr: g.vrrp_skip_check_adv_addr,
        lower_prio_no_advert: g.vrrp_lower_prio_no_advert,
        higher_prio_send_advert: g.vrrp_higher_prio_send_advert,
        down_timer_adverts: g.vrrp_down_timer_adverts,
        no_virtual_ipaddress: false,
        v3_checksum_as_v2: g.v3_checksum_as_v2,
        owner_ignore_adverts: false,
        timer_expired_backup: None,
        debug: 0,
        kernel_rx_buf_size: None,
    };
    let mut track_if_nodes: Vec<&Node> = Vec::new();
    let mut route_nodes: Vec<&Node> = Vec::new();
    for ch in children {
        if notify(cx, ch, &mut inst.notifies) {
            continue;
        }
        match ch.key.text.as_str() {
            "state" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if let Some(t) = cx.arg(ch, 0) {
                    match t.text.as_str() {
                        "MASTER" => state = Some(InitialState::Master),
                        "BACKUP" => state = Some(InitialState::Backup),
                        s => cx.error(
                            t,
                            format!(
                                "({name}) unknown state '{s}': expected MASTER or BACKUP; ignored"
                            ),
                        ),
                    }
                }
            }
            "interface" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if let Some(t) = cx.arg(ch, 0) {
                    if t.text == "lo" {
                        cx.error(t, format!("({name}) cannot use a loopback interface (lo) for vrrp; instance ignored"));
                        return None;
                    }
                    cx.check_interface(t, &format!("vrrp_instance {name}"));
                    interface = Some((t.text.to_string(), ch));
                }
            }
            "virtual_router_id" => vrid = cx.u32_arg(ch, 1, 255).map(|v| v as u8).or(vrid),
            "priority" => priority = cx.u32_arg(ch, 1, 255).map(|v| v as u8).or(priority),
            "advert_int" => {
                if let Some(d) = cx.timer_arg(ch, 0.0, 255.0) {
                    advert = Some((d, ch));
                }
            }
            "version" => version = cx.u32_arg(ch, 2, 3).map(|v| v as u8).or(version),
            "authentication" => {
                cx.extra(ch, 0);
                if let Some(a) = authentication(cx, ch, &name) {
                    auth = Some((a, ch));
                }
            }
            "auth_hmac" => {
                cx.extra(ch, 0);
                if inst.auth_hmac.is_none() {
                    hmac = auth_hmac(cx, ch, &name).map(|h| (h, ch));
                }
            }
            "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
                cx.extra(ch, 0);
                let Some(list) = cx.block(ch) else { continue };
                // The default dev (the instance's interface) is filled in below, once the
                // whole block has been read.
                for a in list {
                    if let Some(ip) = addr::address_line(cx, a, None) {
                        if ch.key.text == "virtual_ipaddress" {
                            vips.push((ip, a));
                        } else {
                            evips.push((ip, a));
                        }
                    }
                }
            }
            "virtual_routes" => route_nodes.push(ch),
            "virtual_rules" => {
                cx.extra(ch, 0);
                if let Some(list) = cx.block(ch) {
                    for r in list {
                        inst.virtual_rules.extend(addr::rule_line(cx, r));
                    }
                }
            }
            "nopreempt" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                nopreempt = Some(ch);
            }
            "preempt" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                nopreempt = None;
            }
            "preempt_delay" => {
                if let Some(d) = cx.timer_arg(ch, 0.0, 1000.0) {
                    preempt_delay = Some((d, ch));
                }
            }
            "debug" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                match ch.args.first() {
                    None => cx.warn(
                        &ch.key,
                        "'debug' has no level; ignored (keepalived 2.2.7 stops with a configuration error here)",
                    ),
                    Some(t) => {
                        if let Some(v) = cx.int(t, 0, 4) {
                            inst.debug = v as u8;
                        }
                    }
                }
            }
            "track_interface" => track_if_nodes.push(ch),
            "track_script" => {
                let exists = |s: &str| c.scripts.iter().any(|x| x.name == s);
                track_list(
                    cx,
                    ch,
                    &mut inst.track_scripts,
                    &exists,
                    "track script",
                    &name,
                    -253,
                    253,
                );
            }
            "track_file" => {
                let exists = |s: &str| c.track_files.iter().any(|x| x.name == s);
                track_list(
                    cx,
                    ch,
                    &mut inst.track_files,
                    &exists,
                    "track file",
                    &name,
                    -254,
                    254,
                );
            }
            "track_process" => {
                let exists = |s: &str| c.track_processes.iter().any(|x| x.name == s);
                track_list(
                    cx,
                    ch,
                    &mut inst.track_processes,
                    &exists,
                    "track process",
                    &name,
                    -254,
                    254,
                );
            }
            "dont_track_primary" => set(&mut inst.dont_track_primary, cx.flag(ch)),
            "track_src_ip" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                inst.track_src_ip = true;
            }
            "promote_secondaries" => set(&mut inst.promote_secondaries, cx.flag(ch)),
            "linkbeat_use_polling" => {
                cx.no_block(ch);
                inst.linkbeat_use_polling = true;
                cx.error(
                    &ch.key,
                    format!("({}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", inst.name),
                );
            }
            "mcast_src_ip" | "unicast_src_ip" => inst.src_ip = cx.ip_arg(ch).or(inst.src_ip),
            "unicast_peer" => {
                cx.extra(ch, 0);
                let Some(list) = cx.block(ch) else { continue };
                for p in list {
                    cx.no_block(p);
                    let Some(addr) = cx.ip(&p.key) else { continue };
                    let mut peer = UnicastPeer {
                        addr,
                        min_ttl: None,
                        max_ttl: None,
                    };
                    let mut i = 0;
                    while i < p.args.len() {
                        let a = &p.args[i];
                        let v = p.args.get(i + 1);
                        match (a.text.as_str(), v) {
                            ("min_ttl", Some(v)) => {
                                peer.min_ttl = cx.int(v, 0, 255).map(|x| x as u8)
                            }
                            ("max_ttl", Some(v)) => {
                                peer.max_ttl = cx.int(v, 0, 255).map(|x| x as u8)
                            }
                            (_, _) => cx.error(
                                a,
                                format!("unknown unicast_peer option '{}'; ignored", a.text),
                            ),
                        }
                        i += 2;
                    }
                    if inst.unicast_peers.iter().any(|x| x.addr == addr) {
                        cx.warn(
                            &p.key,
                            format!("({name}) unicast peer {addr} is listed twice"),
                        );
                    } else {
                        inst.unicast_peers.push(peer);
                    }
                }
            }
            "notify_deleted" => {
                if inst.notify_deleted {
                    cx.error(
                        &ch.key,
                        format!("({name}) notify_deleted already specified - ignoring"),
                    );
                } else {
                    inst.notify_deleted = true;
                    if !ch.args.is_empty() {
                        inst.notifies.deleted = cx.script(ch, true).map(Box::new);
                    }
                }
            }
            "unicast_fault_no_peer" => {
                cx.no_block(ch);
                inst.unicast_fault_no_peer = true;
            }
            "unicast_ttl" => set(
                &mut inst.unicast_ttl,
                cx.u32_arg(ch, 1, 255).map(|v| v as u8),
            ),
            "mcast_dst_ip" => inst.mcast_dst_ip = cx.ip_arg(ch).or(inst.mcast_dst_ip),
            "garp_master_delay" => set(&mut garp.master_delay, cx.timer_arg(ch, 0.0, 86400.0)),
            "garp_master_repeat" => set(&mut garp.master_repeat, cx.u32_arg(ch, 0, 65535)),
            "garp_master_refresh" => set(&mut garp.master_refresh, cx.timer_arg(ch, 0.0, 86400.0)),
            "garp_extra_if" => {
                if let Some(x) = garp_extra_if(cx, ch, 0) {
                    garp.extra_if = Some(x);
                }
            }
            "garp_master_refresh_repeat" => {
                set(&mut garp.master_refresh_repeat, cx.u32_arg(ch, 0, 65535))
            }
            "garp_lower_prio_delay" => set_given(
                &mut garp.lower_prio_delay,
                cx.timer_arg(ch, 0.0, 86400.0),
                &mut lower_prio_delay,
                ch,
            ),
            "garp_lower_prio_repeat" => set_given(
                &mut garp.lower_prio_repeat,
                cx.u32_arg(ch, 0, 65535),
                &mut lower_prio_repeat,
                ch,
            ),
            "smtp_alert" => set(&mut inst.smtp_alert, cx.flag(ch)),
            "notify_priority_changes" => inst.notify_priority_changes = cx.flag(ch),
            "notify_master_rx_lower_pri" => {
                inst.notifies.master_rx_lower_pri = cx.script(ch, true).map(Box::new)
            }
            "lvs_sync_daemon_interface" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if cx.arg(ch, 0).is_some() {
                    cx.warn(&ch.key, "'lvs_sync_daemon_interface' is deprecated; use lvs_sync_daemon in global_defs");
                }
            }
            "use_vmac" => {
                cx.no_block(ch);
                let mut v = Vmac {
                    name: None,
                    mac: None,
                    group: None,
                    netlink_notify: false,
                };
                let mut i = 0;
                while i < ch.args.len() {
                    let a = &ch.args[i];
                    if a.text == "name" {
                        v.name = ch.args.get(i + 1).map(|t| t.text.to_string());
                        i += 2;
                        continue;
                    }
                    if a.text == "group" {
                        // keepalived 2.3.0: the VMAC's interface group, a number or a
                        // name in iproute2's group file.
                        match ch.args.get(i + 1) {
                            Some(g) => {
                                if let Some(id) =
                                    cx.names.lookup(crate::names::Kind::Group, &g.text)
                                {
                                    v.group = Some(id);
                                } else {
                                    cx.error(g, format!("VMAC group {} not found", g.text));
                                }
                            }
                            None => cx.error(a, "VMAC group needs a group"),
                        }
                        i += 2;
                        continue;
                    }
                    if let Some(mac) = parse_mac(&a.text) {
                        v.mac = Some(mac);
                    } else if a.text == "netlink_notify_msg" {
                        v.netlink_notify = true;
                    } else if v.name.is_none() && i == 0 {
                        v.name = Some(a.text.to_string());
                    } else {
                        cx.error(a, format!("unknown use_vmac option '{}'; ignored", a.text));
                    }
                    i += 1;
                }
                inst.use_vmac = Some(v);
            }
            "use_ipvlan" => {
                // keepalived 2.2.7 vrrp_ipvlan_handler, its messages.
                cx.no_block(ch);
                if inst.use_ipvlan.is_some() {
                    cx.error(&ch.key, format!("({name}) use_ipvlan already specified"));
                    continue;
                }
                let mut v = Ipvlan {
                    name: None,
                    address: None,
                    mode: IpvlanMode::Bridge,
                    group: None,
                };
                let mut had_mode = false;
                let mut args = ch.args.iter();
                while let Some(mut a) = args.next() {
                    // keepalived 2.3.0: `group GID` (a number or a name in iproute2's
                    // group file) and `name NAME`.
                    if a.text == "group" {
                        match args.next() {
                            Some(g) => match cx.names.lookup(crate::names::Kind::Group, &g.text) {
                                Some(id) => v.group = Some(id),
                                None => cx.error(g, format!("ipvlan group {} not found", g.text)),
                            },
                            None => cx.error(a, "ipvlan group needs a group"),
                        }
                        continue;
                    }
                    if a.text == "name" {
                        match args.next() {
                            Some(n) => a = n,
                            None => {
                                cx.error(a, "ipvlan name needs a name");
                                continue;
                            }
                        }
                    }
                    let mode = match a.text.as_str() {
                        "bridge" => Some(IpvlanMode::Bridge),
                        "private" => Some(IpvlanMode::Private),
                        "vepa" => Some(IpvlanMode::Vepa),
                        _ => None,
                    };
                    if let Some(m) = mode {
                        if had_mode {
                            cx.error(
                                a,
                                format!(
                                    "({name}) ipvlan type already specified - ignoring '{}'",
                                    a.text
                                ),
                            );
                        } else {
                            v.mode = m;
                            had_mode = true;
                        }
                        continue;
                    }
                    let ip = a.text.split('/').next().unwrap_or("");
                    if ip.parse::<IpAddr>().is_ok() {
                        let Some(p) = addr::prefix(cx, a) else {
                            continue;
                        };
                        if v.address.is_some() {
                            cx.error(
                                a,
                                format!(
                                    "({name}) ipvlan address already specified - ignoring '{}'",
                                    a.text
                                ),
                            );
                            continue;
                        }
                        v.address = Some(p);
                        continue;
                    }
                    if v.name.is_some() {
                        cx.error(
                            a,
                            format!(
                                "({name}) IPVLAN interface already specified - ignoring '{}'",
                                a.text
                            ),
                        );
                        continue;
                    }
                    if a.text.len() >= 16 {
                        cx.error(
                            a,
                            format!(
                                "({name}) IPVLAN interface name '{}' too long - ignoring",
                                a.text
                            ),
                        );
                        continue;
                    }
                    v.name = Some(a.text.to_string());
                }
                inst.use_ipvlan = Some(v);
                ipvlan_node = Some(ch);
            }
            "vrf" => {
                // keepalived 2.2.7 vrrp_vrf_handler.
                cx.no_block(ch);
                cx.extra(ch, 1);
                let Some(t) = cx.arg(ch, 0) else { continue };
                if t.text.len() >= 16 {
                    cx.error(
                        t,
                        format!(
                            "({name}) VRF interface name '{}' too long - ignoring",
                            t.text
                        ),
                    );
                } else if interface.is_some() {
                    cx.error(
                        t,
                        format!("({name}) Cannot specify VRF interface and interface - ignoring"),
                    );
                } else if let Some(old) = &inst.vrf {
                    cx.error(
                        t,
                        format!("({name}) VRF interface already specified as '{old}' - ignoring"),
                    );
                } else if t.text == "lo" {
                    cx.error(
                        t,
                        format!("({name}) cannot use a loopback interface (lo) for VRF - ignoring"),
                    );
                } else {
                    if cx
                        .opts
                        .interfaces
                        .as_ref()
                        .is_some_and(|k| !k.contains(t.text.as_str()))
                    {
                        cx.warn(
                            t,
                            format!("({name}) WARNING - VRF interface {} doesn't exist", t.text),
                        );
                    }
                    inst.vrf = Some(t.text.to_string());
                    vrf_node = Some(ch);
                }
            }
            "vmac_xmit_base" => set(&mut inst.vmac_xmit_base, cx.flag(ch)),
            "use_vmac_addr" => set(&mut inst.use_vmac_addr, cx.flag(ch)),
            "accept" => accept = cx.flag(ch).map(|b| (b, ch)).or(accept),
            "no_accept" => accept = cx.flag(ch).map(|b| (!b, ch)).or(accept),
            "strict_mode" => set(&mut inst.strict_mode, cx.flag(ch)),
            "check_unicast_src" => set(&mut inst.check_unicast_src, cx.flag(ch)),
            "skip_check_adv_addr" => set(&mut inst.skip_check_adv_addr, cx.flag(ch)),
            "lower_prio_no_advert" => set_given(
                &mut inst.lower_prio_no_advert,
                cx.flag(ch),
                &mut lower_prio_no_advert,
                ch,
            ),
            "higher_prio_send_advert" => set_given(
                &mut inst.higher_prio_send_advert,
                cx.flag(ch),
                &mut higher_prio_send_advert,
                ch,
            ),
            "down_timer_adverts" => set_given(
                &mut inst.down_timer_adverts,
                cx.u32_arg(ch, 1, 100),
                &mut down_timer,
                ch,
            ),
            "old_unicast_checksum" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                match ch.args.first() {
                    None => inst.old_unicast_checksum = Some(true),
                    Some(t) if t.text == "never" => inst.old_unicast_checksum = Some(false),
                    Some(t) => cx.warn(
                        t,
                        format!(
                            "({name}) Unknown old_unicast_chksum mode {} - ignoring",
                            t.text
                        ),
                    ),
                }
            }
            "native_ipv6" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                native_ipv6 = Some(ch);
            }
            "no_virtual_ipaddress" => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                no_vips = Some(ch);
            }
            "v3_checksum_as_v2" => set(&mut inst.v3_checksum_as_v2, cx.flag(ch)),
            "kernel_rx_buf_size" => {
                inst.kernel_rx_buf_size = cx.u32_arg(ch, 0, u32::MAX).or(inst.kernel_rx_buf_size)
            }
            "owner_ignore_adverts" => {
                if let Some(b) = cx.flag(ch) {
                    owner_ignore = Some((b, ch));
                }
            }
            "timer_expired_backup" | "thread_timer_expired" => {
                if ch.key.text == "thread_timer_expired" {
                    cx.warn(
                        &ch.key,
                        format!("({name}) thread_timer_expired - please replace with keyword 'timer_expired_backup'"),
                    );
                }
                cx.no_block(ch);
                cx.extra(ch, 1);
                // The highest priority another router has: 254 by default, the shortest
                // time another router may take to take over.
                let prio = match ch.args.first() {
                    None => Some(254),
                    Some(t) => match crate::ctx::parse_int(&t.text) {
                        Some(v) if (1..=254).contains(&v) => Some(v as u8),
                        _ => {
                            cx.error(t, format!("({name}) timer_expired_backup highest_other_priority not valid! must be between 1 & 254"));
                            None
                        }
                    },
                };
                if let Some(p) = prio {
                    timer_expired = Some((p, ch));
                }
            }
            k if INSTANCE_UNSUPPORTED.contains(&k) => cx.unsupported(ch),
            _ => cx.unknown(ch, "vrrp_instance", INSTANCE_KEYWORDS),
        }
    }
    inst.garp = garp;
    let own_if = interface.as_ref().map(|(d, _)| d.clone());
    // Routes and tracked interfaces need the instance's interface, wherever it was given.
    for r in route_nodes {
        cx.extra(r, 0);
        if let Some(list) = cx.block(r) {
            for l in list {
                inst.virtual_routes.extend(addr::route_line(cx, l, true));
            }
        }
    }
    for t in track_if_nodes {
        let mut list = Vec::new();
        track_list(
            cx,
            t,
            &mut list,
            &|_| true,
            "track interface",
            &name,
            -254,
            254,
        );
        let entries = t.block.as_ref().map(|b| &b.children[..]).unwrap_or(&[]);
        for r in list {
            let Some(e) = entries.iter().find(|e| e.key.text == r.name) else {
                continue;
            };
            // keepalived 2.2.7 vrrp_complete_instance: whatever its weight.
            if own_if.as_deref() == Some(r.name.as_str()) {
                cx.error(
                    &e.key,
                    format!(
                        "({name}) Ignoring track_interface {} since own interface",
                        r.name
                    ),
                );
                continue;
            }
            if let Some(known) = &cx.opts.interfaces {
                if !known.contains(&r.name) {
                    cx.warn(
                        &e.key,
                        format!("({name}) tracked interface {} doesn't exist", r.name),
                    );
                }
            }
            if !inst.track_interfaces.iter().any(|x| x.name == r.name) {
                inst.track_interfaces.push(r);
            }
        }
    }

    // ---- keepalived's vrrp_complete_instance, in its order ----
    let Some(vrid) = vrid else {
        cx.error(
            &n.args[0],
            format!("({name}) the virtual router id must be set; instance ignored"),
        );
        return None;
    };
    inst.vrid = vrid;
    if interface.is_none() && (inst.unicast_peers.is_empty() || inst.src_ip.is_none()) {
        cx.error(
            &n.args[0],
            format!("({name}) no interface given (needed unless unicast_peer and unicast_src_ip are both set); instance ignored"),
        );
        return None;
    }
    inst.interface = own_if.clone();
    for (a, _) in vips.iter_mut().chain(evips.iter_mut()) {
        if a.dev.is_none() {
            a.dev = own_if.clone();
        }
    }
    // keepalived: with no priority, state MASTER means the address owner (255).
    inst.priority = match (priority, state) {
        (Some(p), _) => p,
        (None, Some(InitialState::Master)) => 255,
        (None, _) => 100,
    };
    inst.state = state.unwrap_or(if inst.priority == 255 {
        InitialState::Master
    } else {
        InitialState::Backup
    });
    // keepalived vrrp_complete_instance: in strict mode the initial state follows
    // ownership.
    if inst.strict_mode && (inst.state == InitialState::Master) != (inst.priority == 255) {
        cx.warn(
            &n.args[0],
            format!("({name}) State MASTER must match being address owner"),
        );
        inst.state = if inst.priority == 255 {
            InitialState::Master
        } else {
            InitialState::Backup
        };
    }

    // VIPs: one family per instance (the first address decides).
    let mut fam = vips.first().map(|(a, _)| a.addr.is_ipv4());
    // keepalived vrrp_native_ipv6_handler: IPv6 and VRRPv3, refused with IPv4 VIPs.
    match (native_ipv6, fam) {
        (Some(nv), Some(true)) => cx.error(
            &nv.key,
            format!("({name}) Cannot specify native_ipv6 with IPv4 addresses"),
        ),
        (Some(_), _) => {
            inst.native_ipv6 = true;
            fam = Some(false);
        }
        (None, _) => {}
    }
    for (a, node) in vips {
        if a.dev.is_none() {
            // keepalived 2.2.8 vrrp_complete_instance (a unicast instance without an
            // interface).
            cx.error(
                &node.key,
                format!("({name}): no interface for vip {} - removing", a.addr),
            );
        } else if Some(a.addr.is_ipv4()) != fam {
            cx.error(
                &node.key,
                format!(
                    "({name}): address family must match VRRP instance [{}] - ignoring",
                    a.addr
                ),
            );
        } else if inst.vips.iter().any(|x| x.addr == a.addr) {
            cx.warn(
                &node.key,
                format!(
                    "({name}) virtual address {} is listed twice; ignored",
                    a.addr
                ),
            );
        } else {
            inst.vips.push(a);
        }
    }
    for (a, node) in evips {
        if a.dev.is_none() {
            cx.error(
                &node.key,
                format!("({name}): no interface for evip {} - removing", a.addr),
            );
        } else if inst
            .excluded_vips
            .iter()
            .chain(inst.vips.iter())
            .any(|x| x.addr == a.addr)
        {
            cx.warn(
                &node.key,
                format!(
                    "({name}) virtual address {} is listed twice; ignored",
                    a.addr
                ),
            );
        } else {
            inst.excluded_vips.push(a);
        }
    }
    let ipv6 = fam == Some(false);
    inst.version = version.unwrap_or(g.vrrp_version);
    if ipv6 && inst.version == 2 {
        if version.is_some() {
            cx.warn(
                &n.args[0],
                format!("({name}) VRRP version 2 cannot carry IPv6 addresses; using version 3"),
            );
        }
        inst.version = 3;
    }
    // keepalived vrrp_complete_instance: accept mode, unless given, is on for the address
    // owner and otherwise off in strict mode; VRRPv2 in strict mode has none.
    inst.accept = accept.map_or(inst.priority == 255 || !inst.strict_mode, |(b, _)| b);
    if inst.accept && inst.priority != 255 && inst.strict_mode && inst.version == 2 {
        let at = accept.map_or(&n.args[0], |(_, node)| &node.key);
        cx.warn(
            at,
            format!("({name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"),
        );
        inst.accept = false;
    }
    if let Some(nv) = no_vips {
        if inst.strict_mode {
            cx.warn(
                &nv.key,
                format!("({name}) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress"),
            );
        } else {
            inst.no_virtual_ipaddress = true;
        }
    }
    if inst.vips.is_empty() && !inst.no_virtual_ipaddress {
        cx.warn(
            &n.args[0],
            format!("({name}) No VIP specified; at least one is required"),
        );
    }
    if let Some(src) = inst.src_ip {
        if fam.is_some() && Some(src.is_ipv4()) != fam {
            cx.error(
                &n.args[0],
                format!("({name}) source address {src} is not of the VIPs' family; ignored"),
            );
            inst.src_ip = None;
        }
    }
    // keepalived vrrp_complete_instance: track_src_ip without a configured source is
    // cleared, silently.
    inst.track_src_ip &= inst.src_ip.is_some();

    // Advert interval: v2 whole seconds 1-255 (rounded); v3 centiseconds 0.01-40.95.
    if let Some((d, node)) = advert {
        let t = node.args.first().unwrap_or(&node.key);
        if inst.version == 2 {
            let secs = d.as_secs_f64();
            let rounded = secs.round().clamp(1.0, 255.0);
            if secs != rounded {
                cx.warn(
                    t,
                    format!("({name}) VRRPv2 advertisement interval {secs}s must be an integer 1-255: using {rounded}s"),
                );
            }
            inst.advert_int = Duration::from_secs(rounded as u64);
        } else {
            let cs = (d.as_micros() as f64 / 10_000.0).round() as u64;
            let cs2 = cs.clamp(1, 4095);
            if cs2 != cs || d.as_micros() % 10_000 != 0 {
                cx.warn(
                    t,
                    format!(
                        "({name}) VRRPv3 advertisement interval {}s must be 0.01-40.95s in 10ms steps: using {}.{:02}s",
                        d.as_secs_f64(),
                        cs2 / 100,
                        cs2 % 100
                    ),
                );
            }
            inst.advert_int = Duration::from_millis(cs2 * 10);
        }
    }

    // Authentication: VRRPv2 over IPv4 only.
    if let Some((a, node)) = auth {
        if inst.strict_mode {
            cx.warn(
                &node.key,
                format!("({name}) Strict mode does not support authentication. Ignoring."),
            );
        } else if inst.version == 3 {
            cx.error(
                &node.key,
                format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
            );
        } else if ipv6 {
            cx.error(
                &node.key,
                format!("({name}) authentication is not supported with IPv6. Ignoring."),
            );
        } else {
            // keepalived vrrp_complete_instance: a MASTER needs the AH sequence number
            // from an advert before it takes over, so it starts as BACKUP.
            if matches!(a, Auth::Ah(_))
                && inst.state == InitialState::Master
                && inst.priority != 255
            {
                cx.warn(
                    &node.key,
                    format!(
                        "({name}) Initial state master is incompatible with AH authentication - clearing"
                    ),
                );
                inst.state = InitialState::Backup;
            }
            inst.auth = Some(a);
        }
    }

    // keepalived 2.4 vrrp_complete_instance: the extension supersedes `authentication`;
    // without its active key it is dropped.
    if let Some((mut h, node)) = hmac {
        if inst.auth.is_some() {
            cx.warn(
                &node.key,
                format!("({name}) auth_hmac cannot be combined with authentication, dropping legacy auth"),
            );
            inst.auth = None;
        }
        if !h.keys.iter().any(|(id, _)| *id == h.active_key) {
            cx.warn(
                &node.key,
                format!(
                    "({name}) auth_hmac active_key {} is not defined, disabling extension",
                    h.active_key
                ),
            );
        } else {
            if inst.strict_mode && h.mode != "enforce" {
                cx.warn(
                    &node.key,
                    format!("({name}) strict mode requires auth_hmac mode enforce"),
                );
                h.mode = "enforce".into();
            }
            cx.warn(
                &node.key,
                format!("({name}) auth_hmac (keepalived 2.4) is not implemented by keepalived-rs: this instance's adverts carry no HMAC trailer, so a keepalived 2.4 peer with auth_hmac mode enforce drops them and both may become MASTER; give the 2.4 peers mode receive-only or permissive while keepalived-rs is in the group"),
            );
            inst.auth_hmac = Some(h);
        }
    }

    if inst.promote_secondaries && inst.use_vmac.is_some() {
        cx.warn(
            &n.args[0],
            format!("({name}) promote_secondaries is automatically set for vmacs - ignoring"),
        );
        inst.promote_secondaries = false;
    }

    // keepalived 2.2.7 vrrp_complete_instance: a VRF only for a unicast instance without
    // an interface (its sockets are bound to the VRF; an interface's VRF is followed
    // anyway).
    if let (Some(_), Some(node)) = (&inst.vrf, vrf_node) {
        if inst.interface.is_some() || inst.unicast_peers.is_empty() {
            cx.error(
                &node.key,
                format!(
                    "({name}) vrf can only be specified with{} - clearing",
                    if inst.interface.is_some() {
                        "out interface"
                    } else {
                        " unicast"
                    }
                ),
            );
            inst.vrf = None;
        }
    }
    if let (Some(v), Some(node)) = (&inst.use_ipvlan, ipvlan_node) {
        let v6 = inst.is_ipv6();
        if inst.interface.is_none() {
            // keepalived vrrp_end_handler
            cx.error(&node.key, format!("({name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"));
            inst.use_ipvlan = None;
        } else if !v6 && v.address.is_none() {
            // keepalived puts the instance in FAULT for good; it is left out here.
            cx.error(&node.key, format!("({name}) IPv4 ipvlan requires a source ip address to be configured; instance ignored"));
            return None;
        } else if v.address.is_some_and(|(a, _)| a.is_ipv6() != v6) {
            cx.error(
                &node.key,
                format!("({name}) ipvlan address family does not match instance; instance ignored"),
            );
            return None;
        } else {
            if inst.use_vmac.is_some() {
                cx.warn(
                    &node.key,
                    format!("({name}) use_vmac and use_ipvlan both given; using use_ipvlan"),
                );
                inst.use_vmac = None;
            }
            if inst.vmac_xmit_base {
                cx.warn(
                    &node.key,
                    format!("({name}) vmac_xmit_base is only valid with a vmac"),
                );
                inst.vmac_xmit_base = false;
            }
            // keepalived: the ipvlan's address is the advert source unless one is set.
            if inst.src_ip.is_none() {
                inst.src_ip = v.address.map(|(a, _)| a);
            }
        }
    }

    // keepalived vrrp_complete_instance: an address's own use_vmac that the instance's
    // VMAC or use_vmac_addr already covers.
    let v6 = inst.is_ipv6();
    for a in inst.vips.iter().chain(&inst.excluded_vips) {
        if !a.use_vmac {
            continue;
        }
        let own = a.dev.is_none() || a.dev == inst.interface;
        let same = a.addr.is_ipv6() == v6;
        if own && same && inst.use_vmac.is_some() {
            cx.warn(
                &n.args[0],
                format!(
                    "({name}) use_vmac specified for VIP/eVIP {} and vrrp instance",
                    a.addr
                ),
            );
        } else if (!own || !same) && inst.use_vmac_addr {
            cx.warn(
                &n.args[0],
                format!(
                    "({name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP {}",
                    a.addr
                ),
            );
        }
    }

    // Preemption (keepalived: the owner never defers; nopreempt needs initial state BACKUP).
    if let Some(np) = nopreempt {
        if inst.priority == 255 {
            cx.warn(
                &np.key,
                format!(
                    "({name}) nopreempt is incompatible with priority 255. resetting nopreempt"
                ),
            );
        } else if inst.state == InitialState::Master {
            cx.warn(&np.key, format!("({name}) Warning - nopreempt will not work with initial state MASTER - clearing"));
        } else {
            inst.nopreempt = true;
        }
    }
    if let Some((d, node)) = preempt_delay {
        if inst.priority == 255 {
            cx.warn(
                &node.key,
                format!("({name}) preempt_delay is incompatible with priority 255 - clearing"),
            );
        } else if inst.state == InitialState::Master {
            cx.warn(&node.key, format!("({name}) Warning - preempt delay will not work with initial state MASTER - clearing"));
        } else if inst.strict_mode && !d.is_zero() {
            cx.warn(
                &node.key,
                format!("({name}) preempt_delay is incompatible with strict mode - resetting"),
            );
        } else {
            inst.preempt_delay = d;
        }
    }
    // keepalived vrrp_complete_instance: strict mode's fixed settings; given otherwise,
    // each is reset with its warning.
    if inst.strict_mode {
        let reset = |cx: &mut Ctx, node: Option<&Node>, msg: &str| {
            cx.warn(
                node.map_or(&n.args[0], |c| &c.key),
                format!("({name}) {msg}"),
            );
        };
        if inst.down_timer_adverts != 3 {
            reset(
                cx,
                down_timer,
                "down_timer_adverts is incompatible with strict mode - resetting",
            );
            inst.down_timer_adverts = 3;
        }
        if lower_prio_repeat.is_some() && inst.garp.lower_prio_repeat != 0 {
            reset(
                cx,
                lower_prio_repeat,
                "Strict mode requires no repeat garps. resetting",
            );
        }
        inst.garp.lower_prio_repeat = 0;
        if lower_prio_delay.is_some() && !inst.garp.lower_prio_delay.is_zero() {
            reset(
                cx,
                lower_prio_delay,
                "Strict mode requires no repeat garp delay. resetting",
            );
        }
        inst.garp.lower_prio_delay = Duration::ZERO;
        if lower_prio_no_advert.is_some() && !inst.lower_prio_no_advert {
            reset(
                cx,
                lower_prio_no_advert,
                "Strict mode requires no lower priority advert. resetting",
            );
        }
        inst.lower_prio_no_advert = true;
        if higher_prio_send_advert.is_some() && inst.higher_prio_send_advert {
            reset(
                cx,
                higher_prio_send_advert,
                "strict mode requires higher_prio_send_advert to be clear. resetting",
            );
        }
        inst.higher_prio_send_advert = false;
    }
    // keepalived 2.3.3 vrrp_complete_instance: only the address owner ignores adverts;
    // strict mode makes it (RFC 5798 6.4.3), else global_defs' vrrp_owner_ignore_adverts.
    inst.owner_ignore_adverts = match owner_ignore {
        Some((true, node)) if inst.priority != 255 => {
            cx.warn(
                &node.key,
                format!("({name}) ignoring owner_ignore_adverts since priority is not 255"),
            );
            false
        }
        Some((false, node)) if inst.priority == 255 && inst.strict_mode => {
            cx.warn(
                &node.key,
                format!("({name}) strict_mode with priority 255 requires owner_ignore_adverts"),
            );
            true
        }
        Some((b, _)) => b,
        None => inst.priority == 255 && (inst.strict_mode || g.vrrp_owner_ignore_adverts),
    };
    if let Some((p, node)) = timer_expired {
        if inst.nopreempt {
            inst.timer_expired_backup = Some(p);
        } else {
            cx.warn(
                &node.key,
                format!("({name}) expired_timer_backup requires nopreempt - resetting"),
            );
        }
    }
    if inst.priority == 255
        && !inst.track_scripts.is_empty()
        && inst.track_scripts.iter().any(|t| weight_of(t, c) != 0)
    {
        cx.warn(
            &n.args[0],
            format!("({name}) the address owner (priority 255) ignores tracker weights; only weight-0 trackers (fault) act"),
        );
    }
    Some(inst)
}

/// The entry `name` in the `key` blocks (track_script, ...) of `owner`: where to point a
/// diagnostic about that tracker.
fn tracker_entry<'n>(owner: &'n Node, key: &str, name: &str) -> Option<&'n Node> {
    owner
        .block
        .iter()
        .flat_map(|b| &b.children)
        .filter(|c| c.key.text == key)
        .flat_map(|c| c.block.iter().flat_map(|b| &b.children))
        .find(|e| e.key.text == name)
}

/// Which tracked object a list holds, for [`sync_trackers`].
#[derive(Clone, Copy, PartialEq)]
enum Tracked {
    Interface,
    Script,
    File,
    Process,
}

impl Tracked {
    const ALL: [Tracked; 4] = [
        Tracked::Interface,
        Tracked::Script,
        Tracked::File,
        Tracked::Process,
    ];

    fn key(self) -> &'static str {
        match self {
            Tracked::Interface => "track_interface",
            Tracked::Script => "track_script",
            Tracked::File => "track_file",
            Tracked::Process => "track_process",
        }
    }

    fn list(self, i: &mut VrrpInstance) -> &mut Vec<TrackRef> {
        match self {
            Tracked::Interface => &mut i.track_interfaces,
            Tracked::Script => &mut i.track_scripts,
            Tracked::File => &mut i.track_files,
            Tracked::Process => &mut i.track_processes,
        }
    }

    fn of(self, i: &VrrpInstance) -> &[TrackRef] {
        match self {
            Tracked::Interface => &i.track_interfaces,
            Tracked::Script => &i.track_scripts,
            Tracked::File => &i.track_files,
            Tracked::Process => &i.track_processes,
        }
    }

    fn of_group(self, g: &SyncGroup) -> &[TrackRef] {
        match self {
            Tracked::Interface => &g.track_interfaces,
            Tracked::Script => &g.track_scripts,
            Tracked::File => &g.track_files,
            Tracked::Process => &g.track_processes,
        }
    }

    fn of_group_mut(self, g: &mut SyncGroup) -> &mut Vec<TrackRef> {
        match self {
            Tracked::Interface => &mut g.track_interfaces,
            Tracked::Script => &mut g.track_scripts,
            Tracked::File => &mut g.track_files,
            Tracked::Process => &mut g.track_processes,
        }
    }

    /// The weight a tracker acts with: its own, else its object's (interfaces: 0).
    fn weight(self, t: &TrackRef, c: &Config) -> i32 {
        t.weight.unwrap_or_else(|| match self {
            Tracked::Interface => 0,
            Tracked::Script => weight_of(t, c),
            Tracked::File => c
                .track_files
                .iter()
                .find(|f| f.name == t.name)
                .map_or(0, |f| f.weight),
            Tracked::Process => c
                .track_processes
                .iter()
                .find(|p| p.name == t.name)
                .map_or(0, |p| p.weight),
        })
    }

    fn what(self) -> &'static str {
        match self {
            Tracked::Interface => "interface",
            Tracked::Script => "script",
            Tracked::File => "file",
            Tracked::Process => "process",
        }
    }
}

/// keepalived vrrp_complete_instance and sync_group_tracking_init (2.2.7): a sync group's
/// members move together, so without `sync_group_tracking_weight` a member's own weighted
/// trackers cannot move its priority: a tracked interface's weight becomes 0, a weighted
/// script goes, a file with the default weight 1 gets 0 and one with another weight goes
/// (processes keep theirs). Then every member tracks the group's objects with the group's
/// weights (cleared where a member is the address owner); where a member already tracks
/// one, a weighted entry takes the group's weight and an unweighted one stays.
fn sync_trackers(
    cx: &mut Ctx,
    c: &mut Config,
    group_nodes: &[&Node],
    inst_nodes: &HashMap<String, &Node>,
) {
    for (gi, gnode) in group_nodes.iter().enumerate() {
        let gname = c.sync_groups[gi].name.clone();
        let members = c.sync_groups[gi].members.clone();
        let owner = members.iter().any(|m| {
            c.instances
                .iter()
                .any(|i| &i.name == m && i.priority == 255)
        });
        if owner {
            for k in Tracked::ALL {
                let list = k.of_group(&c.sync_groups[gi]).to_vec();
                for (n, t) in list.iter().enumerate() {
                    if k.weight(t, c) == 0 {
                        continue;
                    }
                    if let Some(e) = tracker_entry(gnode, k.key(), &t.name) {
                        cx.error(
                            &e.key,
                            format!("({gname}) Cannot have weighted track {} '{}' with member having priority 255 - clearing weight", k.what(), t.name),
                        );
                    }
                    k.of_group_mut(&mut c.sync_groups[gi])[n].weight = Some(0);
                }
            }
        }
        let tracking_weight = c.sync_groups[gi].tracking_weight;
        for m in &members {
            let Some(idx) = c.instances.iter().position(|i| &i.name == m) else {
                continue;
            };
            let inode = inst_nodes.get(m).copied();
            let at = |k: Tracked, name: &str| inode.and_then(|n| tracker_entry(n, k.key(), name));
            // The member's own weights, unless the group allows them.
            if !tracking_weight && c.instances[idx].priority != 255 {
                for k in Tracked::ALL {
                    let list = k.of(&c.instances[idx]).to_vec();
                    let mut kept = Vec::with_capacity(list.len());
                    for mut t in list {
                        let w = k.weight(&t, c);
                        let msg = match k {
                            _ if w == 0 => None,
                            Tracked::Interface => {
                                let m = format!(
                                    "({m}) ignoring {} tracked interface weight due to SYNC group",
                                    t.name
                                );
                                t.weight = Some(0);
                                Some(m)
                            }
                            Tracked::Script => {
                                let m = format!("({m}) ignoring tracked script {} with weights due to SYNC group", t.name);
                                let e = at(k, &t.name);
                                if let Some(e) = e {
                                    cx.error(&e.key, m);
                                }
                                continue;
                            }
                            Tracked::File if w == 1 => {
                                let m = format!("({m}) ignoring weight from tracked file {} due to SYNC group. specify weight 0", t.name);
                                t.weight = Some(0);
                                Some(m)
                            }
                            Tracked::File => {
                                let m = format!("({m}) ignoring tracked file {} with weight {w} due to SYNC group", t.name);
                                if let Some(e) = at(k, &t.name) {
                                    cx.error(&e.key, m);
                                }
                                continue;
                            }
                            Tracked::Process => None,
                        };
                        if let (Some(msg), Some(e)) = (msg, at(k, &t.name)) {
                            cx.error(&e.key, msg);
                        }
                        kept.push(t);
                    }
                    *k.list(&mut c.instances[idx]) = kept;
                }
            }
            // The group's trackers, on every member.
            for k in Tracked::ALL {
                for t in k.of_group(&c.sync_groups[gi]).to_vec() {
                    let e = tracker_entry(gnode, k.key(), &t.name);
                    let inst = &c.instances[idx];
                    let own = k == Tracked::Interface
                        && !inst.dont_track_primary
                        && inst.interface.as_deref() == Some(t.name.as_str());
                    let existing = k.of(inst).iter().position(|x| x.name == t.name);
                    if own || existing.is_some() {
                        let msg = if k == Tracked::Interface {
                            format!("({m}) track_interface {} is configured on VRRP instance and sync group. Remove vrrp instance or sync group config", t.name)
                        } else {
                            format!("({m}) track_{} {} is configured on VRRP instance and sync group. Remove vrrp instance config", k.what(), t.name)
                        };
                        if let Some(e) = e {
                            if k == Tracked::Interface {
                                cx.error(&e.key, msg);
                            } else {
                                cx.note(&e.key, msg);
                            }
                        }
                    }
                    match existing {
                        _ if own => {}
                        Some(x) => {
                            let was = k.weight(&k.of(&c.instances[idx])[x], c);
                            if was != 0 {
                                let w = k.weight(&t, c);
                                let entry = &mut k.list(&mut c.instances[idx])[x];
                                entry.weight = Some(w);
                                if k != Tracked::Process {
                                    entry.reverse = t.reverse;
                                }
                            }
                        }
                        None => k.list(&mut c.instances[idx]).push(t),
                    }
                }
            }
        }
    }
}

fn weight_of(t: &TrackRef, c: &Config) -> i32 {
    t.weight
        .or_else(|| {
            c.scripts
                .iter()
                .find(|s| s.name == t.name)
                .map(|s| s.weight)
        })
        .unwrap_or(0)
}

/// keepalived 2.4's `auth_hmac` block (vrrp_parser.c), with its messages. A key in a
/// file is read here, as keepalived reads it, for its length and its mode.
fn auth_hmac(cx: &mut Ctx, n: &Node, inst: &str) -> Option<AuthHmac> {
    const KNOWN: &[&str] = &["key", "active_key", "time_window", "anti_replay", "mode"];
    let children = cx.block(n)?;
    let mut h = AuthHmac {
        keys: Vec::new(),
        active_key: 0,
        anti_replay_time: true,
        time_window: None,
        mode: "enforce".into(),
    };
    let id_of = |t: &crate::token::Token| t.text.parse::<u8>().ok().filter(|v| *v >= 1);
    for c in children {
        cx.no_block(c);
        let first = c.args.first();
        match c.key.text.as_str() {
            "key" => {
                let (Some(id), Some(value)) = (first, c.args.get(1)) else {
                    cx.warn(
                        &c.key,
                        format!("({inst}) auth_hmac key needs an id and a value"),
                    );
                    continue;
                };
                let Some(num) = id_of(id) else {
                    cx.warn(
                        id,
                        format!(
                            "({inst}) auth_hmac key id '{}' must be between 1 and 255",
                            id.text
                        ),
                    );
                    continue;
                };
                let len = match hmac_key_len(&value.text) {
                    Ok(l) => l,
                    // keepalived: a key file others can read is a security error
                    // (exit 6), the key used all the same.
                    Err(why) if why.contains("readable by group") => {
                        cx.at(Severity::Security, value, format!("({inst}) {why}"));
                        None
                    }
                    Err(why) => {
                        cx.warn(value, format!("({inst}) {why}"));
                        continue;
                    }
                };
                if let Some(len) = len {
                    if !(32..=64).contains(&len) {
                        cx.warn(
                            value,
                            format!(
                                "({inst}) auth_hmac key {num} length {len} not in range [32, 64]"
                            ),
                        );
                        continue;
                    }
                }
                if h.keys.iter().any(|(k, _)| *k == num) {
                    cx.warn(id, format!("({inst}) duplicate auth_hmac key id {num}"));
                    continue;
                }
                h.keys.push((num, value.text.to_string()));
            }
            "active_key" => {
                let Some(t) = cx.arg(c, 0) else { continue };
                match id_of(t) {
                    Some(v) => h.active_key = v,
                    None => cx.warn(
                        t,
                        format!(
                            "({inst}) auth_hmac active_key '{}' must be between 1 and 255",
                            t.text
                        ),
                    ),
                }
            }
            "time_window" => {
                let Some(t) = cx.arg(c, 0) else { continue };
                match t.text.parse::<u32>().ok().filter(|v| (1..=300).contains(v)) {
                    Some(v) => h.time_window = Some(v),
                    None => cx.warn(
                        t,
                        format!(
                            "({inst}) auth_hmac time_window '{}' must be between 1 and 300 seconds",
                            t.text
                        ),
                    ),
                }
            }
            "anti_replay" => {
                let Some(t) = cx.arg(c, 0) else { continue };
                match t.text.as_str() {
                    "time" => h.anti_replay_time = true,
                    "monotonic" => h.anti_replay_time = false,
                    s => cx.warn(
                        t,
                        format!("({inst}) auth_hmac anti_replay '{s}' must be time or monotonic"),
                    ),
                }
            }
            "mode" => {
                let Some(t) = cx.arg(c, 0) else { continue };
                match t.text.as_str() {
                    m @ ("enforce" | "permissive" | "receive-only") => h.mode = m.into(),
                    s => cx.warn(t, format!("({inst}) auth_hmac mode '{s}' must be enforce, permissive or receive-only")),
                }
            }
            _ => cx.unknown(c, "auth_hmac", KNOWN),
        }
    }
    Some(h)
}

/// An auth_hmac key's length in bytes (`hex:` digits, else the string), read from its file
/// for `file:` (None when the length is not known); Err with keepalived's message.
fn hmac_key_len(value: &str) -> Result<Option<usize>, String> {
    let text = if let Some(path) = value.strip_prefix("file:") {
        use std::os::unix::fs::MetadataExt;
        let meta = crate::inputs::metadata(Path::new(path))
            .map_err(|_| format!("auth_hmac key file '{path}' cannot be opened"))?;
        if meta.len() > 4 + 64 * 2 + 8 {
            return Err(format!("auth_hmac key file '{path}' is too large"));
        }
        let t = crate::inputs::read_to_string(Path::new(path))
            .map_err(|_| format!("auth_hmac key file '{path}' cannot be opened"))?;
        if meta.mode() & 0o077 != 0 {
            return Err(format!(
                "auth_hmac key file '{path}' is readable by group or others"
            ));
        }
        t.trim_end_matches(['\n', '\r']).to_string()
    } else {
        value.to_string()
    };
    Ok(Some(match text.strip_prefix("hex:") {
        Some(h) => h.len() / 2,
        None => text.len(),
    }))
}

fn authentication(cx: &mut Ctx, n: &Node, inst: &str) -> Option<Auth> {
    const KNOWN: &[&str] = &["auth_type", "auth_pass"];
    let children = cx.block(n)?;
    let mut kind: Option<&str> = None;
    let mut pass: Option<String> = None;
    for c in children {
        match c.key.text.as_str() {
            "auth_type" => {
                cx.no_block(c);
                cx.extra(c, 1);
                if let Some(t) = cx.arg(c, 0) {
                    match t.text.as_str() {
                        "PASS" => kind = Some("PASS"),
                        "AH" => kind = Some("AH"),
                        s => cx.error(
                            t,
                            format!(
                                "({inst}) unknown auth_type '{s}': expected PASS or AH; ignored"
                            ),
                        ),
                    }
                }
            }
            "auth_pass" => {
                cx.no_block(c);
                cx.extra(c, 1);
                if let Some(t) = cx.arg(c, 0) {
                    let mut p = t.text.to_string();
                    if p.len() > 8 {
                        // keepalived: auth_pass is cut to 8 bytes.
                        cx.warn(t, "Truncating auth_pass to 8 characters");
                        let mut cut = 8;
                        while !p.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        p.truncate(cut);
                    }
                    pass = Some(p);
                }
            }
            _ => cx.unknown(c, "authentication", KNOWN),
        }
    }
    match (kind, pass) {
        (Some("PASS"), Some(p)) => Some(Auth::Pass(p)),
        (Some(_), Some(p)) => Some(Auth::Ah(p)),
        (Some(_), None) => {
            cx.error(
                &n.key,
                format!("({inst}) authentication has an auth_type but no auth_pass; ignored"),
            );
            None
        }
        (None, Some(_)) => {
            cx.error(
                &n.key,
                format!("({inst}) authentication has an auth_pass but no auth_type; ignored"),
            );
            None
        }
        (None, None) => None,
    }
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}
