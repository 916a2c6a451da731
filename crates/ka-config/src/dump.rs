//! The model written back as keepalived.conf: includes, parameters and conditionals
//! resolved, every default explicit. Parsing the output gives the same model.

use std::fmt::Write;
use std::time::Duration;

use crate::model::*;
use crate::shell;

struct Out {
    s: String,
    depth: usize,
}

impl Out {
    fn line(&mut self, text: impl AsRef<str>) {
        for _ in 0..self.depth {
            self.s.push_str("    ");
        }
        self.s.push_str(text.as_ref());
        self.s.push('\n');
    }

    fn open(&mut self, head: impl AsRef<str>) {
        self.line(format!("{} {{", head.as_ref()));
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth -= 1;
        self.line("}");
    }

    fn kv(&mut self, k: &str, v: impl std::fmt::Display) {
        self.line(format!("{k} {v}"));
    }

    fn opt<T: std::fmt::Display>(&mut self, k: &str, v: &Option<T>) {
        if let Some(v) = v {
            self.kv(k, v);
        }
    }

    fn flag(&mut self, k: &str, v: bool) {
        if v {
            self.line(k);
        }
    }

    fn onoff(&mut self, k: &str, v: bool) {
        self.kv(k, if v { "on" } else { "off" });
    }

    fn script(&mut self, k: &str, s: Option<&Script>) {
        if let Some(s) = s {
            let mut l = format!("{k} {}", cmd(&s.command));
            if let Some(u) = &s.user {
                let _ = write!(l, " {}", q(u));
                if let Some(g) = &s.group {
                    let _ = write!(l, " {}", q(g));
                }
            }
            self.line(l);
        }
    }
}

/// A word as written: bare when that is safe, else in double quotes.
pub fn q(s: &str) -> String {
    let safe = !s.is_empty()
        && !s.starts_with(['@', '$', '~'])
        && s.chars()
            .all(|c| !c.is_whitespace() && !"{}\"!#\\".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn cmd(c: &Command) -> String {
    format!("\"{}\"", shell::join(&c.argv))
}

/// Seconds, with up to six decimals.
pub fn secs(d: Duration) -> String {
    let us = d.as_micros();
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        s.to_string()
    } else {
        format!("{s}.{}", format!("{frac:06}").trim_end_matches('0'))
    }
}

fn scope(s: Scope) -> String {
    match s {
        Scope::Global => "global".into(),
        Scope::Site => "site".into(),
        Scope::Link => "link".into(),
        Scope::Host => "host".into(),
        Scope::Nowhere => "nowhere".into(),
        Scope::Number(n) => n.to_string(),
    }
}

fn user_group(k: &str, ug: &Option<(String, Option<String>)>, o: &mut Out) {
    if let Some((u, g)) = ug {
        match g {
            Some(g) => o.line(format!("{k} {} {}", q(u), q(g))),
            None => o.line(format!("{k} {}", q(u))),
        }
    }
}

fn fifo(k: &str, f: &Option<Fifo>, o: &mut Out) {
    if let Some(f) = f {
        let mut l = format!("{k} {}", q(&f.path));
        if let Some(u) = &f.user {
            let _ = write!(l, " {}", q(u));
            if let Some(g) = &f.group {
                let _ = write!(l, " {}", q(g));
            }
        }
        o.line(l);
    }
}

pub fn dump(c: &Config) -> String {
    let mut o = Out {
        s: String::new(),
        depth: 0,
    };
    global(&c.global, &mut o);
    if !c.interface_delays.is_empty() {
        o.open("interface_up_down_delays");
        for d in &c.interface_delays {
            o.line(format!(
                "{} {} {}",
                q(&d.interface),
                secs(d.down),
                secs(d.up)
            ));
        }
        o.close();
    }
    if !c.linkbeat_interfaces.is_empty() {
        o.open("linkbeat_interfaces");
        for l in &c.linkbeat_interfaces {
            let kind = match l.kind {
                None => "",
                Some(LinkbeatType::Mii) => " MII",
                Some(LinkbeatType::Ethtool) => " ETHTOOL",
                Some(LinkbeatType::Ioctl) => " IOCTL",
            };
            o.line(format!("{}{kind}", q(&l.interface)));
        }
        o.close();
    }
    for g in &c.garp_groups {
        o.open("garp_group");
        if !g.garp_interval.is_zero() {
            o.kv("garp_interval", secs(g.garp_interval));
        }
        if !g.gna_interval.is_zero() {
            o.kv("gna_interval", secs(g.gna_interval));
        }
        if !g.interfaces.is_empty() {
            o.open("interfaces");
            for i in &g.interfaces {
                o.line(q(i));
            }
            o.close();
        }
        o.close();
    }
    for g in &c.track_groups {
        o.open(format!("track_group {}", q(&g.name)));
        o.open("group");
        for i in &g.instances {
            o.line(q(i));
        }
        o.close();
        o.close();
    }
    if !c.static_addresses.is_empty() {
        o.open("static_ipaddress");
        for a in &c.static_addresses {
            o.line(address(a));
        }
        o.close();
    }
    if !c.static_routes.is_empty() {
        o.open("static_routes");
        for r in &c.static_routes {
            o.line(route(r));
        }
        o.close();
    }
    if !c.static_rules.is_empty() {
        o.open("static_rules");
        for r in &c.static_rules {
            o.line(rule(r));
        }
        o.close();
    }
    for s in &c.scripts {
        o.open(format!("vrrp_script {}", q(&s.name)));
        o.kv("script", cmd(&s.script));
        o.kv("interval", secs(s.interval));
        o.kv("timeout", secs(s.timeout));
        o.kv(
            "weight",
            format!(
                "{}{}",
                s.weight,
                if s.weight_reverse { " reverse" } else { "" }
            ),
        );
        o.kv("rise", s.rise);
        o.kv("fall", s.fall);
        user_group("user", &s.user, &mut o);
        o.flag("init_fail", s.init_fail);
        o.close();
    }
    for f in &c.track_files {
        o.open(format!("track_file {}", q(&f.name)));
        o.kv("file", q(&f.file));
        o.kv(
            "weight",
            format!(
                "{}{}",
                f.weight,
                if f.weight_reverse { " reverse" } else { "" }
            ),
        );
        if let Some((v, ow)) = f.init_file {
            o.kv(
                "init_file",
                format!("{v}{}", if ow { " overwrite" } else { "" }),
            );
        }
        o.close();
    }
    for p in &c.track_processes {
        o.open(format!("vrrp_track_process {}", q(&p.name)));
        o.kv(
            "process",
            p.process.iter().map(|a| q(a)).collect::<Vec<_>>().join(" "),
        );
        match p.param_match {
            ParamMatch::Any => {}
            // Given bare: no parameters allowed (with parameters, the default).
            ParamMatch::Exact if p.process.len() < 2 => o.line("param_match"),
            ParamMatch::Exact => {}
            ParamMatch::Initial => o.line("param_match initial"),
            ParamMatch::Partial => o.line("param_match partial"),
        }
        o.kv(
            "weight",
            format!(
                "{}{}",
                p.weight,
                if p.weight_reverse { " reverse" } else { "" }
            ),
        );
        o.kv("quorum", p.quorum);
        o.opt("quorum_max", &p.quorum_max);
        o.kv("delay", secs(p.delay));
        o.opt("fork_delay", &p.fork_delay.map(secs));
        o.opt("terminate_delay", &p.terminate_delay.map(secs));
        o.flag("full_command", p.full_command);
        o.close();
    }
    for i in &c.instances {
        instance(i, &mut o);
    }
    for g in &c.sync_groups {
        o.open(format!("vrrp_sync_group {}", q(&g.name)));
        o.open("group");
        for m in &g.members {
            o.line(q(m));
        }
        o.close();
        notifies(&g.notifies, &mut o);
        o.onoff("smtp_alert", g.smtp_alert);
        if let Some(b) = g.notify_priority_changes {
            o.onoff("notify_priority_changes", b);
        }
        if g.tracking_weight {
            o.line("sync_group_tracking_weight");
        }
        track("track_interface", &g.track_interfaces, &mut o);
        track("track_script", &g.track_scripts, &mut o);
        track("track_file", &g.track_files, &mut o);
        track("track_process", &g.track_processes, &mut o);
        o.close();
    }
    if let Some(s) = &c.ssl {
        o.open("SSL");
        o.opt("password", &s.password.as_deref().map(q));
        o.opt("ca", &s.ca.as_deref().map(q));
        o.opt("certificate", &s.certificate.as_deref().map(q));
        o.opt("key", &s.key.as_deref().map(q));
        o.close();
    }
    for g in &c.vs_groups {
        o.open(format!("virtual_server_group {}", q(&g.name)));
        for e in &g.entries {
            match e {
                VsGroupEntry::Range { first, last, port } => {
                    let a = range(*first, *last);
                    o.line(format!("{a} {port}"));
                }
                VsGroupEntry::Fwmark { mark, family } => match family {
                    Some(Family::Inet) => o.line(format!("fwmark {mark} inet")),
                    Some(Family::Inet6) => o.line(format!("fwmark {mark} inet6")),
                    None => o.line(format!("fwmark {mark}")),
                },
            }
        }
        o.close();
    }
    for vs in &c.virtual_servers {
        virtual_server(vs, &mut o);
    }
    o.s
}

/// A virtual_server_group range as written: `IP`, `IP-LAST` (last byte or group), or a CIDR
/// block (the only forms the parser makes).
fn range(first: std::net::IpAddr, last: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    if first == last {
        return first.to_string();
    }
    let (a, b, bits) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            if a.octets()[..3] == b.octets()[..3] {
                return format!("{first}-{}", b.octets()[3]);
            }
            (u32::from(a) as u128, u32::from(b) as u128, 32)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            if a.segments()[..7] == b.segments()[..7] {
                return format!("{first}-{:x}", b.segments()[7]);
            }
            (u128::from(a), u128::from(b), 128)
        }
        _ => return first.to_string(),
    };
    let host_bits = 128 - (a ^ b).leading_zeros();
    format!("{first}/{}", bits - host_bits)
}

fn extra_if(x: GarpExtraIf) -> String {
    if x.all {
        format!("all {}", x.interval)
    } else {
        x.interval.to_string()
    }
}

fn global(g: &GlobalDefs, o: &mut Out) {
    if g.child_wait_time != Duration::from_secs(5) {
        o.kv("child_wait_time", g.child_wait_time.as_secs());
    }
    match g.net_namespace_ipvs.as_deref() {
        Some("") => o.line("net_namespace_ipvs"),
        Some(n) => o.kv("net_namespace_ipvs", q(n)),
        None => {}
    }
    if g.linkbeat_use_polling {
        o.line("linkbeat_use_polling");
    }
    if let Some(n) = &g.net_namespace {
        o.kv("net_namespace", q(n));
    }
    if let Some(n) = &g.instance {
        o.kv("instance", q(n));
    }
    o.flag(
        "use_pid_dir",
        g.use_pid_dir && g.net_namespace.is_none() && g.instance.is_none(),
    );
    o.open("global_defs");
    if !g.notification_email.is_empty() {
        o.open("notification_email");
        for e in &g.notification_email {
            o.line(q(e));
        }
        o.close();
    }
    o.opt(
        "notification_email_from",
        &g.notification_email_from.as_deref().map(q),
    );
    if let Some(s) = &g.smtp_server {
        o.line(format!("smtp_server {} {}", q(&s.host), s.port));
    }
    o.kv("smtp_connect_timeout", secs(g.smtp_connect_timeout));
    o.opt("smtp_helo_name", &g.smtp_helo_name.as_deref().map(q));
    for (k, v) in [
        ("smtp_alert", g.smtp_alert),
        ("smtp_alert_vrrp", g.smtp_alert_vrrp),
        ("smtp_alert_checker", g.smtp_alert_checker),
    ] {
        if let Some(v) = v {
            o.onoff(k, v);
        }
    }
    o.flag("no_email_faults", g.no_email_faults);
    o.flag("no_checker_emails", g.no_checker_emails);
    o.opt("router_id", &g.router_id.as_deref().map(q));
    o.kv("vrrp_mcast_group4", g.vrrp_mcast_group4);
    o.kv("vrrp_mcast_group6", g.vrrp_mcast_group6);
    user_group("script_user", &g.script_user, o);
    o.flag("enable_script_security", g.enable_script_security);
    fifo("notify_fifo", &g.notify_fifo, o);
    o.script("notify_fifo_script", g.notify_fifo_script.as_ref());
    fifo("vrrp_notify_fifo", &g.vrrp_notify_fifo, o);
    o.script(
        "vrrp_notify_fifo_script",
        g.vrrp_notify_fifo_script.as_ref(),
    );
    fifo("lvs_notify_fifo", &g.lvs_notify_fifo, o);
    o.script("lvs_notify_fifo_script", g.lvs_notify_fifo_script.as_ref());
    o.script("startup_script", g.startup_script.as_ref());
    o.kv("startup_script_timeout", g.startup_script_timeout);
    o.script("shutdown_script", g.shutdown_script.as_ref());
    o.kv("shutdown_script_timeout", g.shutdown_script_timeout);
    o.kv("vrrp_garp_master_delay", secs(g.vrrp_garp_master_delay));
    o.kv("vrrp_garp_master_repeat", g.vrrp_garp_master_repeat);
    o.kv("vrrp_garp_master_refresh", secs(g.vrrp_garp_master_refresh));
    o.kv(
        "vrrp_garp_master_refresh_repeat",
        g.vrrp_garp_master_refresh_repeat,
    );
    o.kv(
        "vrrp_garp_lower_prio_delay",
        secs(g.vrrp_garp_lower_prio_delay),
    );
    o.kv("vrrp_garp_lower_prio_repeat", g.vrrp_garp_lower_prio_repeat);
    o.kv("vrrp_garp_interval", secs(g.vrrp_garp_interval));
    o.kv("vrrp_gna_interval", secs(g.vrrp_gna_interval));
    o.flag("vrrp_min_garp", g.vrrp_min_garp);
    o.kv("vrrp_version", g.vrrp_version);
    o.flag("vrrp_strict", g.vrrp_strict);
    o.flag("vrrp_check_unicast_src", g.vrrp_check_unicast_src);
    o.flag("vrrp_skip_check_adv_addr", g.vrrp_skip_check_adv_addr);
    o.flag("vrrp_lower_prio_no_advert", g.vrrp_lower_prio_no_advert);
    o.flag(
        "vrrp_higher_prio_send_advert",
        g.vrrp_higher_prio_send_advert,
    );
    o.kv("vrrp_down_timer_adverts", g.vrrp_down_timer_adverts);
    o.flag("v3_checksum_as_v2", g.v3_checksum_as_v2);
    o.flag(
        "vrrp_notify_priority_changes",
        g.vrrp_notify_priority_changes,
    );
    o.kv("vrrp_startup_delay", secs(g.vrrp_startup_delay));
    if let Some(d) = g.vrrp_delay_after_boot {
        o.kv("vrrp_delay_after_boot", secs(d));
    }
    o.flag("vrrp_owner_ignore_adverts", g.vrrp_owner_ignore_adverts);
    o.flag("disable_local_igmp", g.disable_local_igmp);
    if let Some(x) = g.vrrp_garp_extra_if {
        o.kv("vrrp_garp_extra_if", extra_if(x));
    }
    o.flag(
        "fifo_write_vrrp_states_on_reload",
        g.fifo_write_vrrp_states_on_reload,
    );
    match g.vrrp_rx_bufs_policy {
        RxBufsPolicy::System => {}
        RxBufsPolicy::Mtu => o.kv("vrrp_rx_bufs_policy", "MTU"),
        RxBufsPolicy::Advert => o.kv("vrrp_rx_bufs_policy", "ADVERT"),
        RxBufsPolicy::Size(v) => o.kv("vrrp_rx_bufs_policy", v),
    }
    if g.vrrp_rx_bufs_multiplier != 3 {
        o.kv("vrrp_rx_bufs_multiplier", g.vrrp_rx_bufs_multiplier);
    }
    for (key, b) in [
        ("vrrp_netlink_cmd_rcv_bufs", g.vrrp_netlink_cmd_rcv_bufs),
        (
            "vrrp_netlink_monitor_rcv_bufs",
            g.vrrp_netlink_monitor_rcv_bufs,
        ),
        ("lvs_netlink_cmd_rcv_bufs", g.lvs_netlink_cmd_rcv_bufs),
        (
            "lvs_netlink_monitor_rcv_bufs",
            g.lvs_netlink_monitor_rcv_bufs,
        ),
        ("process_monitor_rcv_bufs", g.process_monitor_rcv_bufs),
    ] {
        if b.size > 0 {
            o.kv(key, b.size);
        }
        o.flag(&format!("{key}_force"), b.force);
    }
    o.flag("use_symlink_paths", g.use_symlink_paths);
    o.opt(
        "reload_check_config",
        &g.reload_check_config.as_deref().map(q),
    );
    o.opt("reload_file", &g.reload_file.as_deref().map(q));
    o.opt("reload_time_file", &g.reload_time_file.as_deref().map(q));
    o.opt("config_save_dir", &g.config_save_dir.as_deref().map(q));
    o.flag("reload_repeat", g.reload_repeat);
    o.opt("random_seed", &g.random_seed);
    o.opt("vmac_prefix", &g.vmac_prefix.as_deref().map(q));
    o.opt("vmac_addr_prefix", &g.vmac_addr_prefix.as_deref().map(q));
    o.opt("iproute_usr_dir", &g.iproute_usr_dir.as_deref().map(q));
    o.opt("iproute_etc_dir", &g.iproute_etc_dir.as_deref().map(q));
    if let Some(d) = &g.lvs_sync_daemon {
        let mut l = format!("lvs_sync_daemon {} {}", q(&d.interface), q(&d.instance));
        if let Some(v) = d.id {
            let _ = write!(l, " id {v}");
        }
        if let Some(v) = d.maxlen {
            let _ = write!(l, " maxlen {v}");
        }
        if let Some(v) = d.port {
            let _ = write!(l, " port {v}");
        }
        if let Some(v) = d.ttl {
            let _ = write!(l, " ttl {v}");
        }
        if let Some(v) = d.group {
            let _ = write!(l, " group {v}");
        }
        o.line(l);
    }
    o.flag("lvs_flush", g.lvs_flush);
    o.flag("rs_init_notifies", g.rs_init_notifies);
    o.flag("log_unknown_vrids", g.log_unknown_vrids);
    o.flag("checker_log_all_failures", g.checker_log_all_failures);
    match g.lvs_flush_on_stop {
        Some(FlushOnStop::All) => o.line("lvs_flush_on_stop"),
        Some(FlushOnStop::VirtualServers) => o.line("lvs_flush_on_stop VS"),
        None => {}
    }
    let t = &g.lvs_timeouts;
    if t.tcp.is_some() || t.tcpfin.is_some() || t.udp.is_some() {
        let mut l = "lvs_timeouts".to_string();
        for (k, v) in [("tcp", t.tcp), ("tcpfin", t.tcpfin), ("udp", t.udp)] {
            if let Some(v) = v {
                let _ = write!(l, " {k} {v}");
            }
        }
        o.line(l);
    }
    if g.dynamic_interfaces {
        o.line(if g.dynamic_interfaces_allow_if_changes {
            "dynamic_interfaces allow_if_changes"
        } else {
            "dynamic_interfaces"
        });
    }
    o.opt("default_interface", &g.default_interface.as_deref().map(q));
    if g.json_version != 1 {
        o.kv("json_version", g.json_version);
    }
    o.opt("state_dump_file", &g.state_dump_file.as_deref().map(q));
    o.opt("stats_dump_file", &g.stats_dump_file.as_deref().map(q));
    o.opt("json_dump_file", &g.json_dump_file.as_deref().map(q));
    for (which, ps) in [("vrrp", &g.vrrp_process), ("checker", &g.checker_process)] {
        if let Some(v) = ps.priority {
            o.kv(&format!("{which}_priority"), v);
        }
        if let Some(v) = ps.rt_priority {
            o.kv(&format!("{which}_rt_priority"), v);
        }
        if let Some(v) = ps.rlimit_rttime {
            o.kv(&format!("{which}_rlimit_rttime"), v);
        }
        o.flag(&format!("{which}_no_swap"), ps.no_swap);
        if !ps.cpu_affinity.is_empty() {
            let cpus: Vec<String> = ps.cpu_affinity.iter().map(u32::to_string).collect();
            o.kv(&format!("{which}_cpu_affinity"), cpus.join(" "));
        }
        o.opt(&format!("{which}_process_name"), &ps.name.as_deref().map(q));
    }
    // One setting for every child.
    if g.vrrp_process.max_auto_priority != 0 {
        o.kv("max_auto_priority", g.vrrp_process.max_auto_priority);
    }
    o.opt(
        "min_auto_priority_delay",
        &g.vrrp_process.min_auto_priority_delay,
    );
    o.opt("process_name", &g.process_name.as_deref().map(q));
    if let Some(m) = g.umask {
        o.kv("umask", format!("0{m:o}"));
    }
    if let Some(t) = &g.nftables {
        o.kv("nftables", q(t));
        o.kv("nftables_priority", g.nftables_priority.to_string());
    }
    o.flag("data_use_instance", g.data_use_instance);
    o.flag("nftables_counters", g.nftables_counters);
    o.flag("nftables_ifindex", g.nftables_ifindex);
    if let Some(t) = &g.nftables_ipvs {
        o.kv("nftables_ipvs", q(t));
        o.kv(
            "nftables_ipvs_priority",
            g.nftables_ipvs_priority.to_string(),
        );
        o.kv(
            "nftables_ipvs_start_fwmark",
            g.nftables_ipvs_start_fwmark.to_string(),
        );
    }
    o.close();
}

fn address(a: &IpAddress) -> String {
    let mut l = format!("{}/{}", a.addr, a.prefix);
    match a.brd {
        Some(Broadcast::Addr(b)) => {
            let _ = write!(l, " brd {b}");
        }
        Some(Broadcast::Plus) => l.push_str(" brd +"),
        Some(Broadcast::Minus) => l.push_str(" brd -"),
        None => {}
    }
    if let Some(d) = &a.dev {
        let _ = write!(l, " dev {}", q(d));
    }
    let _ = write!(l, " scope {}", scope(a.scope));
    if let Some(x) = &a.label {
        let _ = write!(l, " label {}", q(x));
    }
    if let Some((p, len)) = a.peer {
        let _ = write!(l, " peer {p}/{len}");
    }
    for (on, w) in [
        (a.home, "home"),
        (a.nodad, "-nodad"),
        (a.mngtmpaddr, "mngtmpaddr"),
        (a.noprefixroute, "noprefixroute"),
        (a.autojoin, "autojoin"),
        (a.no_track, "no_track"),
        (a.use_vmac, "use_vmac"),
    ] {
        if on {
            let _ = write!(l, " {w}");
        }
    }
    match a.preferred_lft {
        Some(Lifetime::Forever) => l.push_str(" preferred_lft forever"),
        Some(Lifetime::Seconds(s)) => {
            let _ = write!(l, " preferred_lft {s}");
        }
        None => {}
    }
    if let Some(g) = &a.track_group {
        let _ = write!(l, " track_group {}", q(g));
    }
    l
}

pub fn route(r: &Route) -> String {
    let mut l = String::new();
    if let Some(s) = r.src {
        let _ = write!(l, "src {s} ");
    }
    match r.kind {
        RouteType::Unicast => {}
        RouteType::Blackhole => l.push_str("blackhole "),
        RouteType::Unreachable => l.push_str("unreachable "),
        RouteType::Prohibit => l.push_str("prohibit "),
        RouteType::Throw => l.push_str("throw "),
    }
    let _ = write!(l, "to {}/{}", r.dst, r.dst_len);
    if let Some(v) = r.via {
        let _ = write!(l, " via {v}");
    }
    if let Some(v) = r.or_via {
        let _ = write!(l, " or {v}");
    }
    if let Some(d) = &r.dev {
        let _ = write!(l, " dev {}", q(d));
    }
    if let Some(s) = r.scope {
        let _ = write!(l, " scope {}", scope(s));
    }
    for (k, v) in [("table", r.table), ("metric", r.metric), ("mtu", r.mtu)] {
        if let Some(v) = v {
            let _ = write!(l, " {k} {v}");
        }
    }
    if let Some(v) = &r.vrf {
        let _ = write!(l, " vrf {}", q(v));
    }
    if let Some(v) = r.protocol {
        let _ = write!(l, " protocol {v}");
    }
    if let Some(v) = r.tos {
        let _ = write!(l, " tos {v}");
    }
    if r.onlink {
        l.push_str(" onlink");
    }
    if r.no_track {
        l.push_str(" no_track");
    }
    if let Some(g) = &r.track_group {
        let _ = write!(l, " track_group {}", q(g));
    }
    for nh in &r.nexthops {
        l.push_str(" nexthop");
        if let Some(v) = nh.via {
            let _ = write!(l, " via {v}");
        }
        if let Some(d) = &nh.dev {
            let _ = write!(l, " dev {}", q(d));
        }
        if let Some(w) = nh.weight {
            let _ = write!(l, " weight {w}");
        }
        if nh.onlink {
            l.push_str(" onlink");
        }
    }
    l
}

pub fn rule(r: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    if r.not {
        parts.push("not".into());
    }
    match r.from {
        Some((a, l)) => parts.push(format!("from {a}/{l}")),
        None => parts.push("from all".into()),
    }
    if let Some((a, l)) = r.to {
        parts.push(format!("to {a}/{l}"));
    }
    if let Some(t) = r.table {
        parts.push(format!("table {t}"));
    }
    if let Some(p) = r.priority {
        parts.push(format!("priority {p}"));
    }
    match r.fwmark {
        Some((m, Some(k))) => parts.push(format!("fwmark {m}/{k}")),
        Some((m, None)) => parts.push(format!("fwmark {m}")),
        None => {}
    }
    if let Some(i) = &r.iif {
        parts.push(format!("iif {}", q(i)));
    }
    if let Some(i) = &r.oif {
        parts.push(format!("oif {}", q(i)));
    }
    if let Some(t) = r.tos {
        parts.push(format!("tos {t}"));
    }
    if r.no_track {
        parts.push("no_track".into());
    }
    if let Some(g) = &r.track_group {
        parts.push(format!("track_group {}", q(g)));
    }
    parts.join(" ")
}

fn notifies(n: &Notifies, o: &mut Out) {
    o.script("notify_master", n.master.as_deref());
    o.script("notify_backup", n.backup.as_deref());
    o.script("notify_fault", n.fault.as_deref());
    o.script("notify_stop", n.stop.as_deref());
    o.script("notify", n.notify.as_deref());
    o.script(
        "notify_master_rx_lower_pri",
        n.master_rx_lower_pri.as_deref(),
    );
    o.script("notify_deleted", n.deleted.as_deref());
}

fn track(k: &str, list: &[TrackRef], o: &mut Out) {
    if list.is_empty() {
        return;
    }
    o.open(k);
    for t in list {
        let mut l = q(&t.name);
        if let Some(w) = t.weight {
            let _ = write!(l, " weight {w}");
        }
        if t.reverse {
            l.push_str(" reverse");
        }
        o.line(l);
    }
    o.close();
}

fn instance(i: &VrrpInstance, o: &mut Out) {
    o.open(format!("vrrp_instance {}", q(&i.name)));
    o.kv(
        "state",
        if i.state == InitialState::Master {
            "MASTER"
        } else {
            "BACKUP"
        },
    );
    o.opt("interface", &i.interface.as_deref().map(q));
    o.kv("virtual_router_id", i.vrid);
    o.kv("priority", i.priority);
    o.kv("version", i.version);
    o.kv("advert_int", secs(i.advert_int));
    if let Some(a) = &i.auth {
        o.open("authentication");
        match a {
            Auth::Pass(p) => {
                o.line("auth_type PASS");
                o.kv("auth_pass", q(p));
            }
            Auth::Ah(p) => {
                o.line("auth_type AH");
                o.kv("auth_pass", q(p));
            }
        }
        o.close();
    }
    if let Some(h) = &i.auth_hmac {
        o.open("auth_hmac");
        for (id, v) in &h.keys {
            o.line(format!("key {id} {}", q(v)));
        }
        o.kv("active_key", h.active_key);
        o.kv(
            "anti_replay",
            if h.anti_replay_time {
                "time"
            } else {
                "monotonic"
            },
        );
        if let Some(w) = h.time_window {
            o.kv("time_window", w);
        }
        o.kv("mode", &h.mode);
        o.close();
    }
    for (k, list) in [
        ("virtual_ipaddress", &i.vips),
        ("virtual_ipaddress_excluded", &i.excluded_vips),
    ] {
        if !list.is_empty() {
            o.open(k);
            for a in list {
                o.line(address(a));
            }
            o.close();
        }
    }
    if !i.virtual_routes.is_empty() {
        o.open("virtual_routes");
        for r in &i.virtual_routes {
            o.line(route(r));
        }
        o.close();
    }
    if !i.virtual_rules.is_empty() {
        o.open("virtual_rules");
        for r in &i.virtual_rules {
            o.line(rule(r));
        }
        o.close();
    }
    o.flag("nopreempt", i.nopreempt);
    if !i.preempt_delay.is_zero() {
        o.kv("preempt_delay", secs(i.preempt_delay));
    }
    notifies(&i.notifies, o);
    track("track_interface", &i.track_interfaces, o);
    track("track_script", &i.track_scripts, o);
    track("track_file", &i.track_files, o);
    track("track_process", &i.track_processes, o);
    o.flag("dont_track_primary", i.dont_track_primary);
    o.flag("track_src_ip", i.track_src_ip);
    o.flag("native_ipv6", i.native_ipv6);
    match i.old_unicast_checksum {
        Some(true) => o.flag("old_unicast_checksum", true),
        Some(false) => o.kv("old_unicast_checksum", "never"),
        None => {}
    }
    o.flag("promote_secondaries", i.promote_secondaries);
    o.flag("linkbeat_use_polling", i.linkbeat_use_polling);
    if let Some(s) = i.src_ip {
        o.kv(
            if i.unicast_peers.is_empty() {
                "mcast_src_ip"
            } else {
                "unicast_src_ip"
            },
            s,
        );
    }
    if !i.unicast_peers.is_empty() {
        o.open("unicast_peer");
        for p in &i.unicast_peers {
            let mut l = p.addr.to_string();
            if let Some(t) = p.min_ttl {
                let _ = write!(l, " min_ttl {t}");
            }
            if let Some(t) = p.max_ttl {
                let _ = write!(l, " max_ttl {t}");
            }
            o.line(l);
        }
        o.close();
    }
    o.kv("unicast_ttl", i.unicast_ttl);
    o.flag("unicast_fault_no_peer", i.unicast_fault_no_peer);
    if i.notify_deleted && i.notifies.deleted.is_none() {
        o.line("notify_deleted");
    }
    o.opt("mcast_dst_ip", &i.mcast_dst_ip);
    o.kv("garp_master_delay", secs(i.garp.master_delay));
    o.kv("garp_master_repeat", i.garp.master_repeat);
    o.kv("garp_master_refresh", secs(i.garp.master_refresh));
    o.kv("garp_master_refresh_repeat", i.garp.master_refresh_repeat);
    o.kv("garp_lower_prio_delay", secs(i.garp.lower_prio_delay));
    o.kv("garp_lower_prio_repeat", i.garp.lower_prio_repeat);
    if let Some(x) = i.garp.extra_if {
        o.kv("garp_extra_if", extra_if(x));
    }
    o.onoff("smtp_alert", i.smtp_alert);
    if let Some(b) = i.notify_priority_changes {
        o.onoff("notify_priority_changes", b);
    }
    if let Some(v) = &i.use_vmac {
        let mut l = "use_vmac".to_string();
        if let Some(n) = &v.name {
            let _ = write!(l, " name {}", q(n));
        }
        if let Some(m) = v.mac {
            let _ = write!(
                l,
                " {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            );
        }
        if let Some(g) = v.group {
            let _ = write!(l, " group {g}");
        }
        if v.netlink_notify {
            l.push_str(" netlink_notify_msg");
        }
        o.line(l);
    }
    if let Some(v) = &i.use_ipvlan {
        let mut l = "use_ipvlan".to_string();
        if let Some(n) = &v.name {
            let _ = write!(l, " {}", q(n));
        }
        if let Some((a, len)) = v.address {
            let _ = write!(l, " {a}/{len}");
        }
        let _ = write!(l, " {}", v.mode.name());
        if let Some(g) = v.group {
            let _ = write!(l, " group {g}");
        }
        o.line(l);
    }
    if let Some(v) = &i.vrf {
        o.kv("vrf", q(v));
    }
    o.flag("vmac_xmit_base", i.vmac_xmit_base);
    o.flag("use_vmac_addr", i.use_vmac_addr);
    o.onoff("accept", i.accept);
    o.onoff("strict_mode", i.strict_mode);
    o.onoff("check_unicast_src", i.check_unicast_src);
    o.onoff("skip_check_adv_addr", i.skip_check_adv_addr);
    o.onoff("lower_prio_no_advert", i.lower_prio_no_advert);
    o.onoff("higher_prio_send_advert", i.higher_prio_send_advert);
    o.kv("down_timer_adverts", i.down_timer_adverts);
    o.flag("no_virtual_ipaddress", i.no_virtual_ipaddress);
    o.onoff("v3_checksum_as_v2", i.v3_checksum_as_v2);
    o.flag("owner_ignore_adverts", i.owner_ignore_adverts);
    o.opt("timer_expired_backup", &i.timer_expired_backup);
    o.opt("kernel_rx_buf_size", &i.kernel_rx_buf_size);
    o.kv("debug", i.debug);
    o.close();
}

fn lb_kind(k: LbKind) -> String {
    match k {
        LbKind::Nat => "NAT".into(),
        LbKind::Dr => "DR".into(),
        LbKind::Tun(t) if t == Tunnel::default() => "TUN".into(),
        LbKind::Tun(t) => {
            let kind = match t.kind {
                TunnelType::Ipip => "ipip",
                TunnelType::Gue => "gue",
                TunnelType::Gre => "gre",
            };
            let mut s = format!("TUN type {kind}");
            if t.port != 0 {
                s.push_str(&format!(" port {}", t.port));
            }
            match t.csum {
                TunnelCsum::NoCsum => {}
                TunnelCsum::Csum => s.push_str(" csum"),
                TunnelCsum::RemCsum => s.push_str(" remcsum"),
            }
            s
        }
    }
}

fn virtual_server(vs: &VirtualServer, o: &mut Out) {
    let head = match &vs.key {
        VsKey::Addr { ip, port } => format!("virtual_server {ip} {port}"),
        VsKey::Fwmark(m) => format!("virtual_server fwmark {m}"),
        VsKey::Group(g) => format!("virtual_server group {}", q(g)),
    };
    o.open(head);
    match vs.ip_family {
        Some(Family::Inet) => o.line("ip_family inet"),
        Some(Family::Inet6) => o.line("ip_family inet6"),
        None => {}
    }
    o.kv("delay_loop", secs(vs.delay_loop));
    o.kv("lb_algo", &vs.lb_algo);
    o.kv("lb_kind", lb_kind(vs.lb_kind));
    o.opt("persistence_timeout", &vs.persistence_timeout);
    o.opt("persistence_granularity", &vs.persistence_granularity);
    o.kv(
        "protocol",
        match vs.protocol {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        },
    );
    o.flag("ha_suspend", vs.ha_suspend);
    o.opt("virtualhost", &vs.virtualhost.as_deref().map(q));
    if let Some(s) = &vs.sorry_server {
        o.line(format!("sorry_server {} {}", s.ip, s.port));
        if let Some(k) = s.lb_kind {
            o.kv("sorry_server_lvs_method", lb_kind(k));
        }
    }
    o.flag("sorry_server_inhibit", vs.sorry_server_inhibit);
    o.kv("quorum", vs.quorum);
    o.kv("hysteresis", vs.hysteresis);
    o.script("quorum_up", vs.quorum_up.as_ref());
    o.script("quorum_down", vs.quorum_down.as_ref());
    o.flag("alpha", vs.alpha);
    o.flag("omega", vs.omega);
    o.flag("inhibit_on_failure", vs.inhibit_on_failure);
    o.kv("connect_timeout", secs(vs.connect_timeout));
    o.opt("warmup", &vs.warmup.map(secs));
    o.kv("weight", vs.weight);
    if let Some(a) = vs.smtp_alert {
        o.onoff("smtp_alert", a);
    }
    o.flag("ops", vs.ops);
    o.opt("persistence_engine", &vs.persistence_engine);
    for (i, name) in ["flag-1", "flag-2", "flag-3"].iter().enumerate() {
        o.flag(name, vs.sched_flags & (1 << i) != 0);
    }
    for rs in &vs.real_servers {
        real_server(rs, o);
    }
    o.close();
}

fn real_server(rs: &RealServer, o: &mut Out) {
    o.open(format!("real_server {} {}", rs.ip, rs.port));
    o.kv("weight", rs.weight);
    o.onoff("inhibit_on_failure", rs.inhibit_on_failure);
    o.script("notify_up", rs.notify_up.as_ref());
    o.script("notify_down", rs.notify_down.as_ref());
    o.opt("uthreshold", &rs.uthreshold);
    o.opt("lthreshold", &rs.lthreshold);
    if let Some(k) = rs.lb_kind {
        o.kv("lb_kind", lb_kind(k));
    }
    o.onoff("alpha", rs.alpha);
    o.kv("delay_loop", secs(rs.delay_loop));
    o.kv("connect_timeout", secs(rs.connect_timeout));
    o.opt("warmup", &rs.warmup.map(secs));
    o.onoff("smtp_alert", rs.smtp_alert);
    o.opt("virtualhost", &rs.virtualhost.as_deref().map(q));
    for c in &rs.checkers {
        checker(c, o);
    }
    o.close();
}

fn common(c: &CheckCommon, timing_only: bool, o: &mut Out) {
    if !timing_only {
        o.opt("connect_ip", &c.connect_ip);
        o.opt("connect_port", &c.connect_port);
        o.opt("bindto", &c.bindto);
        o.opt("bind_port", &c.bind_port);
        o.opt("bind_if", &c.bind_if.as_deref().map(q));
        o.opt("fwmark", &c.fwmark);
        o.kv("connect_timeout", secs(c.connect_timeout));
    }
    o.kv("retry", c.retry);
    o.kv("delay_before_retry", secs(c.delay_before_retry));
    o.kv("warmup", secs(c.warmup));
    o.kv("delay_loop", secs(c.delay_loop));
    o.onoff("alpha", c.alpha);
    o.onoff("log_all_failures", c.log_all_failures);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn checker(c: &Checker, o: &mut Out) {
    o.open(c.kind.keyword());
    let timing_only = matches!(c.kind, CheckKind::Misc { .. } | CheckKind::File { .. });
    common(&c.common, timing_only, o);
    match &c.kind {
        CheckKind::Tcp | CheckKind::Ping => {}
        CheckKind::Http(h) => {
            for u in &h.urls {
                o.open("url");
                o.kv("path", q(&u.path));
                o.opt("digest", &u.digest);
                if !u.status_codes.is_empty() {
                    let codes: Vec<String> = u
                        .status_codes
                        .iter()
                        .map(|(a, b)| {
                            if a == b {
                                a.to_string()
                            } else {
                                format!("{a}-{b}")
                            }
                        })
                        .collect();
                    o.kv("status_code", codes.join(" "));
                }
                o.opt("virtualhost", &u.virtualhost.as_deref().map(q));
                o.opt("regex", &u.regex.as_deref().map(q));
                o.flag("regex_no_match", u.regex_no_match);
                if !u.regex_options.is_empty() {
                    o.kv("regex_options", u.regex_options.join(" "));
                }
                if u.regex_min_offset != 0 {
                    o.kv("regex_min_offset", u.regex_min_offset);
                }
                o.opt("regex_max_offset", &u.regex_max_offset);
                if let Some((a, b)) = u.regex_stack {
                    o.kv("regex_stack", format!("{a} {b}"));
                }
                o.close();
            }
            o.kv(
                "http_protocol",
                match h.http_protocol {
                    HttpProtocol::Http10 => "1.0",
                    HttpProtocol::Http10C => "1.0C",
                    HttpProtocol::Http11 => "1.1",
                },
            );
            o.opt("virtualhost", &h.virtualhost.as_deref().map(q));
            o.flag("fast_recovery", h.fast_recovery);
            o.flag("enable_sni", h.enable_sni);
            o.opt("sni_name", &h.sni_name.as_deref().map(q));
            o.flag("tls_compliant", h.tls_compliant);
        }
        CheckKind::Smtp { helo_name, hosts } => {
            o.kv("helo_name", q(helo_name));
            for h in hosts {
                o.open("host");
                o.opt("connect_ip", &h.connect_ip);
                o.opt("connect_port", &h.connect_port);
                o.opt("bindto", &h.bindto);
                o.opt("bind_port", &h.bind_port);
                o.opt("bind_if", &h.bind_if.as_deref().map(q));
                o.opt("fwmark", &h.fwmark);
                o.close();
            }
        }
        CheckKind::Misc {
            path,
            timeout,
            dynamic,
        } => {
            o.kv("misc_path", cmd(&path.command));
            o.kv("misc_timeout", secs(*timeout));
            o.flag("misc_dynamic", *dynamic);
            if let Some(u) = &path.user {
                match &path.group {
                    Some(g) => o.line(format!("user {} {}", q(u), q(g))),
                    None => o.line(format!("user {}", q(u))),
                }
            }
        }
        CheckKind::Dns { qtype, name } => {
            let t = match qtype {
                DnsType::A => "A",
                DnsType::Ns => "NS",
                DnsType::Cname => "CNAME",
                DnsType::Soa => "SOA",
                DnsType::Mx => "MX",
                DnsType::Txt => "TXT",
                DnsType::Aaaa => "AAAA",
            };
            o.kv("type", t);
            o.kv("name", q(name));
        }
        CheckKind::Udp {
            payload,
            require_reply,
            min_reply_length,
            max_reply_length,
        } => {
            if let Some(p) = payload {
                o.kv("payload", hex(p));
            }
            match require_reply {
                Some(r) if r.is_empty() => o.line("require_reply"),
                Some(r) => o.kv("require_reply", hex(r)),
                None => {}
            }
            o.kv("min_reply_length", min_reply_length);
            o.kv("max_reply_length", max_reply_length);
        }
        CheckKind::File {
            track_file,
            weight,
            reverse,
        } => {
            o.kv("track_file", q(track_file));
            o.kv(
                "weight",
                format!("{weight}{}", if *reverse { " reverse" } else { "" }),
            );
        }
    }
    o.close();
}
