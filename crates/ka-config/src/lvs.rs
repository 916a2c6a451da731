//! LVS blocks: virtual_server_group, virtual_server, real_server, sorry_server and the
//! checkers, with keepalived's defaults and inheritance (virtual_server → real_server →
//! checker) resolved into every checker.

use std::net::IpAddr;
use std::time::Duration;

use crate::addr;
use crate::ctx::{parse_int, Ctx};
use crate::model::*;
use crate::token::Token;
use crate::tree::Node;

pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "mh", "dh", "fo", "ovf", "sed", "nq", "twos",
];

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

pub fn ssl(cx: &mut Ctx, n: &Node) -> Option<SslDefaults> {
    const KNOWN: &[&str] = &["password", "ca", "certificate", "key"];
    cx.extra(n, 0);
    let ch = cx.block(n)?;
    let mut s = SslDefaults {
        password: None,
        ca: None,
        certificate: None,
        key: None,
    };
    for c in ch {
        match c.key.text.as_str() {
            "password" => s.password = cx.string_arg(c),
            "ca" => s.ca = cx.string_arg(c),
            "certificate" => s.certificate = cx.string_arg(c),
            "key" => s.key = cx.string_arg(c),
            _ => cx.unknown(c, "SSL", KNOWN),
        }
    }
    Some(s)
}

/// `lvs_sync_daemon IF [inst] VI [id N] [maxlen N] [port N] [ttl N] [group IP]`.
pub fn sync_daemon(cx: &mut Ctx, n: &Node) -> Option<LvsSyncDaemon> {
    cx.no_block(n);
    let interface = cx.arg(n, 0)?.text.to_string();
    let instance = cx.arg(n, 1)?.text.to_string();
    let mut d = LvsSyncDaemon {
        interface,
        instance,
        id: None,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    let mut i = 2;
    while i < n.args.len() {
        let k = &n.args[i];
        let Some(v) = n.args.get(i + 1) else {
            cx.error_at(
                Ctx::after(k),
                1,
                format!("'{}' needs a value; ignored", k.text),
            );
            break;
        };
        match k.text.as_str() {
            "id" => d.id = cx.int(v, 0, 255).map(|x| x as u8),
            "maxlen" => d.maxlen = cx.int(v, 1, 65535 - 20 - 8).map(|x| x as u16),
            "port" => d.port = cx.port(v),
            "ttl" => d.ttl = cx.int(v, 1, 255).map(|x| x as u8),
            "group" => d.group = cx.ip(v),
            _ => cx.error(
                k,
                format!("unknown lvs_sync_daemon option '{}'; ignored", k.text),
            ),
        }
        i += 2;
    }
    Some(d)
}

pub fn timeouts(cx: &mut Ctx, n: &Node, t: &mut LvsTimeouts) {
    cx.no_block(n);
    let mut i = 0;
    while i < n.args.len() {
        let k = &n.args[i];
        let Some(v) = n.args.get(i + 1) else {
            cx.error_at(
                Ctx::after(k),
                1,
                format!("'{}' needs a value; ignored", k.text),
            );
            break;
        };
        let secs = cx.int(v, 0, 86400 * 31).map(|x| x as u32);
        match k.text.as_str() {
            "tcp" => t.tcp = secs,
            "tcpfin" => t.tcpfin = secs,
            "udp" => t.udp = secs,
            _ => cx.error(
                k,
                format!(
                    "unknown lvs_timeouts option '{}': expected tcp, tcpfin or udp",
                    k.text
                ),
            ),
        }
        i += 2;
    }
}

fn family(cx: &mut Ctx, t: &Token) -> Option<Family> {
    match t.text.as_str() {
        "inet" => Some(Family::Inet),
        "inet6" => Some(Family::Inet6),
        s => {
            cx.error(t, format!("invalid family '{s}': expected inet or inet6"));
            None
        }
    }
}

/// `IP-LAST` ranges: LAST replaces the last byte (IPv4) or last group (IPv6) of IP.
fn range(cx: &mut Ctx, t: &Token) -> Option<(IpAddr, IpAddr)> {
    let text = &t.text;
    if let Some((first, last)) = text.split_once('-') {
        let Ok(a) = first.parse::<IpAddr>() else {
            cx.error(t, format!("invalid address range '{text}'"));
            return None;
        };
        let b = match a {
            IpAddr::V4(v4) => {
                let mut o = v4.octets();
                match last.parse::<u8>() {
                    Ok(x) if x >= o[3] => {
                        o[3] = x;
                        IpAddr::from(o)
                    }
                    _ => {
                        cx.error(
                            t,
                            format!(
                                "invalid address range '{text}': the end must be {}-255",
                                o[3]
                            ),
                        );
                        return None;
                    }
                }
            }
            IpAddr::V6(v6) => {
                let mut s = v6.segments();
                match u16::from_str_radix(last, 16) {
                    Ok(x) if x >= s[7] => {
                        s[7] = x;
                        IpAddr::from(s)
                    }
                    _ => {
                        cx.error(t, format!("invalid address range '{text}'"));
                        return None;
                    }
                }
            }
        };
        return Some((a, b));
    }
    if text.contains('/') {
        let (a, len) = addr::prefix(cx, t)?;
        let (first, last) = match a {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                (
                    IpAddr::from((bits & mask).to_be_bytes()),
                    IpAddr::from((bits | !mask).to_be_bytes()),
                )
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                (
                    IpAddr::from((bits & mask).to_be_bytes()),
                    IpAddr::from((bits | !mask).to_be_bytes()),
                )
            }
        };
        return Some((first, last));
    }
    let a = cx.ip(t)?;
    Some((a, a))
}

pub fn vs_group(cx: &mut Ctx, n: &Node) -> Option<VirtualServerGroup> {
    let name = match n.args.first() {
        Some(t) => t.text.to_string(),
        None => {
            cx.error_at(
                Ctx::after(&n.key),
                1,
                "virtual_server_group needs a name; block ignored",
            );
            return None;
        }
    };
    cx.extra(n, 1);
    let ch = cx.block(n)?;
    let mut g = VirtualServerGroup {
        name,
        entries: Vec::new(),
    };
    for e in ch {
        cx.no_block(e);
        if e.key.text == "fwmark" {
            cx.extra(e, 2);
            let Some(m) = cx.int_arg(e, 0, 1, u32::MAX as i64) else {
                continue;
            };
            let fam = match e.args.get(1) {
                Some(t) => match family(cx, t) {
                    Some(f) => Some(f),
                    None => continue,
                },
                None => None,
            };
            g.entries.push(VsGroupEntry::Fwmark {
                mark: m as u32,
                family: fam,
            });
            continue;
        }
        cx.extra(e, 1);
        let Some((first, last)) = range(cx, &e.key) else {
            continue;
        };
        let port = match e.args.first() {
            Some(p) => match cx.port(p) {
                Some(p) => p,
                None => continue,
            },
            None => 0,
        };
        g.entries.push(VsGroupEntry::Range { first, last, port });
    }
    if g.entries.is_empty() {
        // keepalived reports it at the block's last line.
        let msg = format!("virtual server group {} has no entries - removing", g.name);
        match n.block.as_ref().and_then(|b| b.close) {
            Some(pos) => cx.diags.push(crate::diag::Diagnostic::new(
                crate::diag::Severity::Warning,
                pos,
                1,
                msg,
            )),
            None => cx.warn(&n.args[0], msg),
        }
        return None;
    }
    Some(g)
}

pub const VS_KEYWORDS: &[&str] = &[
    "delay_loop",
    "lb_algo",
    "lvs_sched",
    "lb_kind",
    "lvs_method",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "ha_suspend",
    "virtualhost",
    "sorry_server",
    "sorry_server_inhibit",
    "quorum",
    "hysteresis",
    "quorum_up",
    "quorum_down",
    "alpha",
    "omega",
    "inhibit_on_failure",
    "connect_timeout",
    "retry",
    "delay_before_retry",
    "warmup",
    "weight",
    "smtp_alert",
    "ops",
    "ip_family",
    "real_server",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "sorry_server_lvs_method",
    "hashed",
    "persistence_engine",
];

pub const VS_UNSUPPORTED: &[&str] = &["snmp_name"];

/// Values a virtual_server or real_server passes down to what it holds.
#[derive(Clone)]
struct Inherit {
    delay_loop: Duration,
    connect_timeout: Duration,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    warmup: Option<Duration>,
    alpha: bool,
    inhibit_on_failure: bool,
    virtualhost: Option<String>,
}

fn lb_kind(cx: &mut Ctx, n: &Node) -> Option<LbKind> {
    cx.no_block(n);
    let t = cx.arg(n, 0)?;
    let mut k = match t.text.to_ascii_uppercase().as_str() {
        "NAT" => LbKind::Nat,
        "DR" => LbKind::Dr,
        "TUN" => LbKind::Tun(Tunnel::default()),
        _ => {
            cx.error(
                t,
                format!(
                    "invalid lb_kind '{}': expected NAT, DR or TUN; ignored",
                    t.text
                ),
            );
            return None;
        }
    };
    // keepalived svr_forwarding_handler reads the tunnel options after any method (they
    // only reach the kernel with TUN); an error keeps the method and drops the options.
    if let Some(tunnel) = tunnel_options(cx, n, &n.args[1..]) {
        if let LbKind::Tun(tun) = &mut k {
            *tun = tunnel;
        }
    }
    Some(k)
}

/// `type ipip|gue|gre`, `port N` (GUE), `nocsum|csum|remcsum`, with keepalived's checks.
fn tunnel_options(cx: &mut Ctx, n: &Node, args: &[Token]) -> Option<Tunnel> {
    let mut tun = Tunnel::default();
    let mut it = args.iter();
    let end = args.last().unwrap_or(&n.key);
    while let Some(t) = it.next() {
        match t.text.as_str() {
            "type" => {
                let Some(v) = it.next() else {
                    cx.error_at(Ctx::after(end), 1, "Missing tunnel type");
                    return None;
                };
                tun.kind = match v.text.as_str() {
                    "ipip" => TunnelType::Ipip,
                    "gue" => TunnelType::Gue,
                    "gre" => TunnelType::Gre,
                    _ => {
                        cx.error(v, format!("Unknown tunnel type {}", v.text));
                        return None;
                    }
                };
            }
            "port" => {
                let Some(v) = it.next() else {
                    cx.error_at(Ctx::after(end), 1, "Missing port for gue tunnel");
                    return None;
                };
                match v.text.parse::<u16>() {
                    Ok(p) if p > 0 => tun.port = p,
                    _ => {
                        cx.error(v, format!("Invalid gue tunnel port {}", v.text));
                        return None;
                    }
                }
            }
            "nocsum" => tun.csum = TunnelCsum::NoCsum,
            "csum" => tun.csum = TunnelCsum::Csum,
            "remcsum" => tun.csum = TunnelCsum::RemCsum,
            _ => {
                cx.error(t, format!("Invalid tunnel option {}", t.text));
                return None;
            }
        }
    }
    let why = if (tun.kind == TunnelType::Gue) != (tun.port != 0) {
        "gue tunnels require port, otherwise cannot have port."
    } else if tun.kind == TunnelType::Ipip && tun.csum != TunnelCsum::NoCsum {
        "ipip tunnels do not support checksum option."
    } else if tun.kind == TunnelType::Gre && tun.csum == TunnelCsum::RemCsum {
        "gre tunnels do not support remote checksum option."
    } else {
        return Some(tun);
    };
    cx.error(args.first().unwrap_or(&n.key), why);
    None
}

pub fn virtual_server(cx: &mut Ctx, n: &Node, c: &Config) -> Option<VirtualServer> {
    let key = match n.args.first().map(|t| t.text.as_str()) {
        None => {
            cx.error_at(
                Ctx::after(&n.key),
                1,
                "virtual_server needs an address, 'fwmark N' or 'group NAME'; block ignored",
            );
            return None;
        }
        Some("fwmark") => {
            cx.extra(n, 2);
            VsKey::Fwmark(cx.int_arg(n, 1, 1, u32::MAX as i64)? as u32)
        }
        Some("group") => {
            cx.extra(n, 2);
            let g = cx.arg(n, 1)?;
            if !c.vs_groups.iter().any(|x| x.name == g.text) {
                cx.error(
                    g,
                    format!(
                        "virtual_server_group {} is not defined; virtual_server ignored",
                        g.text
                    ),
                );
                return None;
            }
            VsKey::Group(g.text.to_string())
        }
        Some(_) => {
            cx.extra(n, 2);
            let ip = cx.ip(&n.args[0])?;
            let port = match n.args.get(1) {
                Some(p) => cx.port(p)?,
                None => 0,
            };
            VsKey::Addr { ip, port }
        }
    };
    let children = cx.block(n)?;
    let mut vs = VirtualServer {
        key,
        ip_family: None,
        delay_loop: Duration::from_secs(60),
        lb_algo: "wlc".into(),
        lb_kind: LbKind::Nat,
        persistence_timeout: None,
        persistence_granularity: None,
        protocol: Protocol::Udp,
        ha_suspend: false,
        virtualhost: None,
        sorry_server: None,
        sorry_server_inhibit: false,
        quorum: 1,
        hysteresis: 0,
        quorum_up: None,
        quorum_down: None,
        alpha: false,
        omega: false,
        inhibit_on_failure: false,
        connect_timeout: Duration::from_secs(5),
        warmup: None,
        weight: 1,
        smtp_alert: None,
        ops: false,
        sched_flags: 0,
        persistence_engine: None,
        real_servers: Vec::new(),
    };
    let (mut have_proto, mut have_algo, mut have_kind) = (false, false, false);
    let mut retry = None;
    let mut delay_before_retry = None;
    let mut rs_nodes = Vec::new();
    for ch in children {
        match ch.key.text.as_str() {
            "delay_loop" => set(&mut vs.delay_loop, cx.timer_arg(ch, 0.000001, 86400.0)),
            "lb_algo" | "lvs_sched" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if let Some(t) = cx.arg(ch, 0) {
                    if SCHEDULERS.contains(&t.text.as_str()) {
                        vs.lb_algo = t.text.to_string();
                        have_algo = true;
                    } else {
                        cx.error(
                            t,
                            format!(
                                "Invalid lvs_scheduler '{}' - ignoring (expected one of {})",
                                t.text,
                                SCHEDULERS.join(", ")
                            ),
                        );
                    }
                }
            }
            "lb_kind" | "lvs_method" => {
                if let Some(k) = lb_kind(cx, ch) {
                    vs.lb_kind = k;
                    have_kind = true;
                }
            }
            "persistence_timeout" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                // keepalived: without a value, 360 seconds.
                vs.persistence_timeout = match ch.args.first() {
                    None => Some(360),
                    Some(t) => cx
                        .int(t, 1, u32::MAX as i64)
                        .map(|v| v as u32)
                        .or(vs.persistence_timeout),
                }
            }
            "persistence_granularity" => {
                if let Some(t) = cx.string_arg(ch) {
                    let ok = match t.parse::<IpAddr>() {
                        Ok(_) => true,
                        Err(_) => t.parse::<u8>().map(|v| v <= 128).unwrap_or(false),
                    };
                    if ok {
                        vs.persistence_granularity = Some(t);
                    } else {
                        cx.error(&ch.args[0], format!("invalid persistence_granularity '{t}': expected a netmask or prefix length"));
                    }
                }
            }
            "protocol" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if let Some(t) = cx.arg(ch, 0) {
                    match t.text.to_ascii_uppercase().as_str() {
                        "TCP" => vs.protocol = Protocol::Tcp,
                        "UDP" => vs.protocol = Protocol::Udp,
                        "SCTP" => vs.protocol = Protocol::Sctp,
                        _ => {
                            cx.error(
                                t,
                                format!(
                                    "invalid protocol '{}': expected TCP, UDP or SCTP; ignored",
                                    t.text
                                ),
                            );
                            continue;
                        }
                    }
                    have_proto = true;
                }
            }
            "ha_suspend" => set(&mut vs.ha_suspend, cx.flag(ch)),
            "virtualhost" => vs.virtualhost = cx.string_arg(ch).or(vs.virtualhost.take()),
            "sorry_server" => {
                cx.no_block(ch);
                cx.extra(ch, 2);
                if let Some(t) = cx.arg(ch, 0) {
                    if let Some(ip) = cx.ip(t) {
                        let port = match ch.args.get(1) {
                            Some(p) => cx.port(p),
                            None => Some(0),
                        };
                        if let Some(port) = port {
                            vs.sorry_server = Some(SorryServer {
                                ip,
                                port,
                                lb_kind: None,
                            });
                        }
                    }
                }
            }
            "sorry_server_inhibit" => set(&mut vs.sorry_server_inhibit, cx.flag(ch)),
            // keepalived ss_forwarding_handler: for the sorry server given before it.
            "sorry_server_lvs_method" => match vs.sorry_server.as_mut() {
                Some(_) => {
                    let k = lb_kind(cx, ch);
                    if let Some(s) = vs.sorry_server.as_mut() {
                        s.lb_kind = k.or(s.lb_kind);
                    }
                }
                None => cx.error(&ch.key, "sorry_server forwarding used without sorry_server"),
            },
            "quorum" => set(&mut vs.quorum, cx.u32_arg(ch, 1, u32::MAX)),
            "hysteresis" => set(&mut vs.hysteresis, cx.u32_arg(ch, 0, u32::MAX)),
            "quorum_up" => vs.quorum_up = cx.script(ch, true),
            "quorum_down" => vs.quorum_down = cx.script(ch, true),
            "alpha" => set(&mut vs.alpha, cx.flag(ch)),
            "omega" => set(&mut vs.omega, cx.flag(ch)),
            "inhibit_on_failure" => set(&mut vs.inhibit_on_failure, cx.flag(ch)),
            "connect_timeout" => set(&mut vs.connect_timeout, cx.timer_arg(ch, 0.000001, 86400.0)),
            "retry" => retry = cx.u32_arg(ch, 0, u32::MAX).or(retry),
            "delay_before_retry" => {
                delay_before_retry = cx.timer_arg(ch, 0.0, 86400.0).or(delay_before_retry)
            }
            "warmup" => vs.warmup = cx.timer_arg(ch, 0.0, 86400.0).or(vs.warmup),
            "weight" => set(
                &mut vs.weight,
                cx.int_arg(ch, 0, 0, 65535).map(|v| v as i32),
            ),
            "smtp_alert" => vs.smtp_alert = cx.flag(ch).or(vs.smtp_alert),
            "ops" => set(&mut vs.ops, cx.flag(ch)),
            "persistence_engine" => {
                if let Some(mut pe) = cx.string_arg(ch) {
                    // IP_VS_PENAME_MAXLEN is 16 with the NUL.
                    if pe.len() > 15 {
                        cx.error(
                            &ch.args[0],
                            format!("persistence_name too long, truncating - {pe}"),
                        );
                        let mut end = 15;
                        while !pe.is_char_boundary(end) {
                            end -= 1;
                        }
                        pe.truncate(end);
                    }
                    vs.persistence_engine = Some(pe);
                }
            }
            // keepalived lbflags_handler: flag-N always; the named ones by the scheduler
            // set so far (sh-* for sh, mh-* for mh, silently nothing for the other pair).
            // `hashed` sets no flag in keepalived 2.2.7 (the kernel marks every service
            // hashed itself) and gets the same error outside sh and mh.
            k @ ("flag-1" | "flag-2" | "flag-3" | "sh-port" | "sh-fallback" | "mh-port"
            | "mh-fallback" | "hashed") => {
                cx.no_block(ch);
                cx.extra(ch, 0);
                let sched = if have_algo { vs.lb_algo.as_str() } else { "" };
                let bit = match k {
                    "flag-1" => Some(1),
                    "flag-2" => Some(2),
                    "flag-3" => Some(4),
                    _ if sched != "sh" && sched != "mh" => {
                        cx.error(
                            &ch.key,
                            format!("{k} only applies to sh scheduler - ignoring"),
                        );
                        None
                    }
                    "hashed" => None,
                    _ if !k.starts_with(sched) => None,
                    _ if k.ends_with("fallback") => Some(1),
                    _ => Some(2),
                };
                if let Some(b) = bit {
                    vs.sched_flags |= b;
                }
            }
            "ip_family" => {
                cx.no_block(ch);
                cx.extra(ch, 1);
                if let Some(t) = cx.arg(ch, 0) {
                    vs.ip_family = family(cx, t).or(vs.ip_family);
                }
            }
            "real_server" => rs_nodes.push(ch),
            k if VS_UNSUPPORTED.contains(&k) => cx.unsupported(ch),
            _ => cx.unknown(ch, "virtual_server", VS_KEYWORDS),
        }
    }
    let label = vs_label(&vs);
    let vs_tok = n.args.first().unwrap_or(&n.key);
    if have_proto && matches!(vs.key, VsKey::Fwmark(_)) {
        cx.warn(
            vs_tok,
            format!("Warning: Virtual server {label}: protocol specified for fwmark - protocol will be ignored"),
        );
    }
    if !have_proto && !matches!(vs.key, VsKey::Fwmark(_)) {
        cx.warn(
            vs_tok,
            format!("Virtual server {label}: no protocol set - defaulting to UDP"),
        );
    }
    if !have_algo {
        cx.warn(
            vs_tok,
            format!("Virtual server {label}: no scheduler set, setting default 'wlc'"),
        );
    }
    if !have_kind {
        cx.warn(
            vs_tok,
            format!("Virtual server {label}: no forwarding method set, setting default NAT"),
        );
    }
    if let VsKey::Addr { port: 0, .. } = vs.key {
        if vs.persistence_timeout.is_none() {
            cx.warn(vs_tok, format!("Virtual server {label}: port 0 needs persistence; persistence_timeout set to 360"));
            vs.persistence_timeout = Some(360);
        }
    }
    if vs.hysteresis >= vs.quorum && vs.hysteresis > 0 {
        cx.warn(
            vs_tok,
            format!(
                "Virtual server {label}: hysteresis {} is not below quorum {}",
                vs.hysteresis, vs.quorum
            ),
        );
    }
    let inherit = Inherit {
        delay_loop: vs.delay_loop,
        connect_timeout: vs.connect_timeout,
        retry,
        delay_before_retry,
        warmup: vs.warmup,
        alpha: vs.alpha,
        inhibit_on_failure: vs.inhibit_on_failure,
        virtualhost: vs.virtualhost.clone(),
    };
    // Sized once: a virtual server holds up to thousands of them.
    vs.real_servers.reserve_exact(rs_nodes.len());
    let rs_alert_default = c
        .global
        .smtp_alert_checker
        .or(c.global.smtp_alert)
        .unwrap_or(true);
    for r in rs_nodes {
        let Some(rs) = real_server(cx, r, &vs, &inherit, rs_alert_default, c) else {
            continue;
        };
        if vs
            .real_servers
            .iter()
            .any(|x| x.ip == rs.ip && x.port == rs.port)
        {
            cx.error(
                &r.key,
                format!(
                    "real server [{}]:{} is already in this virtual_server; ignored",
                    rs.ip, rs.port
                ),
            );
            continue;
        }
        vs.real_servers.push(rs);
    }
    vs.real_servers.shrink_to_fit();
    // keepalived (check_parser.c): a virtual server without real servers is dropped.
    if vs.real_servers.is_empty() {
        cx.warn(
            vs_tok,
            format!("Virtual server {label} has no real servers - ignoring"),
        );
        return None;
    }
    Some(vs)
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

pub fn vs_label(vs: &VirtualServer) -> String {
    match &vs.key {
        VsKey::Addr { ip, port } => format!("[{ip}]:{}:{port}", proto_name(vs.protocol)),
        VsKey::Fwmark(m) => format!("FWM {m}"),
        VsKey::Group(g) => format!("group {g}"),
    }
}

const RS_KEYWORDS: &[&str] = &[
    "weight",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "uthreshold",
    "lthreshold",
    "lvs_method",
    "lb_kind",
    "alpha",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "connect_timeout",
    "smtp_alert",
    "virtualhost",
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "SMTP_CHECK",
    "MISC_CHECK",
    "DNS_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
];

fn real_server(
    cx: &mut Ctx,
    n: &Node,
    vs: &VirtualServer,
    inh: &Inherit,
    alert_default: bool,
    c: &Config,
) -> Option<RealServer> {
    let Some(ip_tok) = n.args.first() else {
        cx.error_at(
            Ctx::after(&n.key),
            1,
            "real_server needs an address; block ignored",
        );
        return None;
    };
    cx.extra(n, 2);
    let ip = cx.ip(ip_tok)?;
    let mut port = match n.args.get(1) {
        Some(p) => cx.port(p)?,
        None => 0,
    };
    let vs_port = match vs.key {
        VsKey::Addr { port, .. } => Some(port),
        _ => None,
    };
    let children = n.block.as_ref().map(|b| &b.children[..]).unwrap_or(&[]);
    let mut rs = RealServer {
        ip,
        port,
        weight: vs.weight,
        inhibit_on_failure: inh.inhibit_on_failure,
        notify_up: None,
        notify_down: None,
        uthreshold: None,
        lthreshold: None,
        lb_kind: None,
        alpha: inh.alpha,
        delay_loop: inh.delay_loop,
        connect_timeout: inh.connect_timeout,
        warmup: inh.warmup,
        smtp_alert: alert_default,
        virtualhost: inh.virtualhost.clone(),
        checkers: Vec::new(),
    };
    let mut inherit = inh.clone();
    let mut check_nodes = Vec::new();
    for ch in children {
        match ch.key.text.as_str() {
            "weight" => set(
                &mut rs.weight,
                cx.int_arg(ch, 0, 0, 65535).map(|v| v as i32),
            ),
            "inhibit_on_failure" => set(&mut rs.inhibit_on_failure, cx.flag(ch)),
            "notify_up" => rs.notify_up = cx.script(ch, true),
            "notify_down" => rs.notify_down = cx.script(ch, true),
            "uthreshold" => rs.uthreshold = cx.u32_arg(ch, 0, u32::MAX).or(rs.uthreshold),
            "lthreshold" => rs.lthreshold = cx.u32_arg(ch, 0, u32::MAX).or(rs.lthreshold),
            "lvs_method" | "lb_kind" => rs.lb_kind = lb_kind(cx, ch).or(rs.lb_kind),
            "alpha" => set(&mut rs.alpha, cx.flag(ch)),
            "retry" => inherit.retry = cx.u32_arg(ch, 0, u32::MAX).or(inherit.retry),
            "delay_before_retry" => {
                inherit.delay_before_retry = cx
                    .timer_arg(ch, 0.0, 86400.0)
                    .or(inherit.delay_before_retry)
            }
            "warmup" => rs.warmup = cx.timer_arg(ch, 0.0, 86400.0).or(rs.warmup),
            "delay_loop" => set(&mut rs.delay_loop, cx.timer_arg(ch, 0.000001, 86400.0)),
            "connect_timeout" => set(&mut rs.connect_timeout, cx.timer_arg(ch, 0.000001, 86400.0)),
            "smtp_alert" => set(&mut rs.smtp_alert, cx.flag(ch)),
            "virtualhost" => rs.virtualhost = cx.string_arg(ch).or(rs.virtualhost.take()),
            "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "SMTP_CHECK" | "MISC_CHECK" | "DNS_CHECK"
            | "UDP_CHECK" | "PING_CHECK" | "FILE_CHECK" => check_nodes.push(ch),
            "snmp_name" | "BFD_CHECK" => cx.unsupported(ch),
            _ => cx.unknown(ch, "real_server", RS_KEYWORDS),
        }
    }
    let kind = rs.lb_kind.unwrap_or(vs.lb_kind);
    if let Some(vp) = vs_port {
        if matches!(kind, LbKind::Dr | LbKind::Tun(_)) && port != vp {
            // keepalived: DR and TUN cannot change the port.
            let p = proto_name(vs.protocol);
            cx.warn(
                n.args.get(1).unwrap_or(ip_tok),
                format!(
                    "WARNING - virtual server {} and real server [{ip}]:{p}:{port} ports don't match - resetting",
                    vs_label(vs)
                ),
            );
            port = vp;
        }
    }
    // keepalived validate_check_config: a DR or TUN real server of a fwmark service has no
    // port in the IPVS table; its checks still probe the port the line gave.
    let mut probe_port = None;
    if matches!(vs.key, VsKey::Fwmark(_))
        && matches!(kind, LbKind::Dr | LbKind::Tun(_))
        && port != 0
    {
        cx.warn(
            n.args.get(1).unwrap_or(ip_tok),
            format!(
                "WARNING - fwmark virtual server {}, real server [{ip}]:none:{port} has port specified - clearing",
                vs_label(vs)
            ),
        );
        probe_port = Some(port);
        port = 0;
    }
    if let (Some(u), Some(l)) = (rs.uthreshold, rs.lthreshold) {
        if l > u {
            cx.warn(
                ip_tok,
                format!("real server [{ip}]:{port}: lthreshold {l} is above uthreshold {u}"),
            );
        }
    }
    rs.port = port;
    inherit.delay_loop = rs.delay_loop;
    inherit.connect_timeout = rs.connect_timeout;
    inherit.warmup = rs.warmup;
    inherit.alpha = rs.alpha;
    inherit.virtualhost = rs.virtualhost.clone();
    rs.checkers.reserve_exact(check_nodes.len());
    for ch in check_nodes {
        if let Some(mut k) = checker(cx, ch, &inherit, c) {
            let probes_a_port = !matches!(
                k.kind,
                CheckKind::Misc { .. } | CheckKind::File { .. } | CheckKind::Ping
            );
            if probes_a_port && k.common.connect_port.is_none() {
                k.common.connect_port = probe_port;
            }
            rs.checkers.push(k);
        }
    }
    // Sized to fit (most servers have one checker): tens of thousands of them.
    rs.checkers.shrink_to_fit();
    Some(rs)
}

const COMMON: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];

struct CommonRaw {
    c: CheckCommon,
    retry: Option<u32>,
    delay_before_retry: Option<Duration>,
    warmup: Option<Duration>,
}

/// A keyword every checker shares; false if `n` is not one. MISC_CHECK takes only the timing ones.
fn common(cx: &mut Ctx, n: &Node, r: &mut CommonRaw, timing_only: bool) -> bool {
    let c = &mut r.c;
    match n.key.text.as_str() {
        "retry" => r.retry = cx.u32_arg(n, 0, u32::MAX).or(r.retry),
        "delay_before_retry" => {
            r.delay_before_retry = cx.timer_arg(n, 0.0, 86400.0).or(r.delay_before_retry)
        }
        "warmup" => r.warmup = cx.timer_arg(n, 0.0, 86400.0).or(r.warmup),
        "delay_loop" => set(&mut c.delay_loop, cx.timer_arg(n, 0.000001, 86400.0)),
        "alpha" => set(&mut c.alpha, cx.flag(n)),
        "log_all_failures" => set(&mut c.log_all_failures, cx.flag(n)),
        _ if timing_only => return false,
        "connect_ip" => c.connect_ip = cx.ip_arg(n).or(c.connect_ip),
        "connect_port" => {
            cx.no_block(n);
            cx.extra(n, 1);
            if let Some(t) = cx.arg(n, 0) {
                c.connect_port = cx.port(t).or(c.connect_port);
            }
        }
        "bindto" => c.bindto = cx.ip_arg(n).or(c.bindto),
        "bind_port" => {
            cx.no_block(n);
            cx.extra(n, 1);
            if let Some(t) = cx.arg(n, 0) {
                c.bind_port = cx.port(t).or(c.bind_port);
            }
        }
        "bind_if" => c.bind_if = cx.string_arg(n).or(c.bind_if.take()),
        "connect_timeout" => set(&mut c.connect_timeout, cx.timer_arg(n, 0.000001, 86400.0)),
        "fwmark" => c.fwmark = cx.u32_arg(n, 0, u32::MAX).or(c.fwmark),
        _ => return false,
    }
    true
}

fn checker(cx: &mut Ctx, n: &Node, inh: &Inherit, c: &Config) -> Option<Checker> {
    cx.extra(n, 0);
    let empty: &[Node] = &[];
    // PING_CHECK and TCP_CHECK may come without a block.
    let children = match (&n.block, n.key.text.as_str()) {
        (Some(b), _) => &b.children[..],
        (None, "TCP_CHECK" | "PING_CHECK") => empty,
        (None, _) => cx.block(n)?,
    };
    let key = n.key.text.as_str();
    let mut raw = CommonRaw {
        c: CheckCommon {
            connect_ip: None,
            connect_port: None,
            bindto: None,
            bind_port: None,
            bind_if: None,
            fwmark: None,
            connect_timeout: inh.connect_timeout,
            retry: 0,
            delay_before_retry: Duration::ZERO,
            warmup: Duration::ZERO,
            delay_loop: inh.delay_loop,
            alpha: inh.alpha,
            log_all_failures: false,
        },
        retry: None,
        delay_before_retry: None,
        warmup: None,
    };
    let mut kind = match key {
        "TCP_CHECK" => CheckKind::Tcp,
        "HTTP_GET" | "SSL_GET" => CheckKind::Http(HttpCheck {
            ssl: key == "SSL_GET",
            urls: Vec::new(),
            http_protocol: HttpProtocol::Http10,
            virtualhost: inh.virtualhost.clone(),
            fast_recovery: false,
            enable_sni: false,
            sni_name: None,
            tls_compliant: false,
        }),
        "SMTP_CHECK" => CheckKind::Smtp {
            helo_name: "smtpchecker.keepalived.org".into(),
            hosts: Vec::new(),
        },
        "MISC_CHECK" => CheckKind::Misc {
            path: Script::default(),
            timeout: Duration::ZERO,
            dynamic: false,
        },
        "DNS_CHECK" => CheckKind::Dns {
            qtype: DnsType::Soa,
            name: ".".into(),
        },
        "UDP_CHECK" => CheckKind::Udp {
            payload: None,
            require_reply: None,
            min_reply_length: 0,
            max_reply_length: 255,
        },
        "PING_CHECK" => CheckKind::Ping,
        _ => CheckKind::File {
            track_file: String::new(),
            weight: 0,
            reverse: false,
        },
    };
    let mut misc_timeout = None;
    let mut have_path = false;
    for ch in children {
        let timing_only = matches!(kind, CheckKind::Misc { .. } | CheckKind::File { .. });
        if common(cx, ch, &mut raw, timing_only) {
            continue;
        }
        let k = ch.key.text.as_str();
        match &mut kind {
            CheckKind::Http(h) => match k {
                "url" => {
                    if let Some(u) = url(cx, ch) {
                        h.urls.push(u);
                    }
                }
                "nb_get_retry" => {
                    if let Some(v) = cx.u32_arg(ch, 0, u32::MAX) {
                        cx.warn(&ch.key, "nb_get_retry is deprecated - please use 'retry'");
                        raw.retry = Some(v);
                    }
                }
                "http_protocol" => {
                    cx.no_block(ch);
                    cx.extra(ch, 1);
                    if let Some(t) = cx.arg(ch, 0) {
                        match t.text.as_str() {
                            "1.0" => h.http_protocol = HttpProtocol::Http10,
                            "1.0C" | "1.0c" => h.http_protocol = HttpProtocol::Http10C,
                            "1.1" => h.http_protocol = HttpProtocol::Http11,
                            s => cx.error(
                                t,
                                format!("invalid http_protocol '{s}': expected 1.0, 1.0C or 1.1"),
                            ),
                        }
                    }
                }
                "virtualhost" => h.virtualhost = cx.string_arg(ch).or(h.virtualhost.take()),
                "fast_recovery" => set(&mut h.fast_recovery, cx.flag(ch)),
                "enable_sni" => set(&mut h.enable_sni, cx.flag(ch)),
                "sni_name" => h.sni_name = cx.string_arg(ch).or(h.sni_name.take()),
                "tls_compliant" => set(&mut h.tls_compliant, cx.flag(ch)),
                _ => unknown_check(
                    cx,
                    ch,
                    key,
                    &[
                        "url",
                        "nb_get_retry",
                        "http_protocol",
                        "virtualhost",
                        "fast_recovery",
                        "enable_sni",
                        "sni_name",
                        "tls_compliant",
                    ],
                ),
            },
            CheckKind::Smtp { helo_name, hosts } => match k {
                "helo_name" => set(helo_name, cx.string_arg(ch)),
                "host" => {
                    cx.extra(ch, 0);
                    let Some(list) = cx.block(ch) else { continue };
                    let mut h = CommonRaw {
                        c: raw.c.clone(),
                        retry: None,
                        delay_before_retry: None,
                        warmup: None,
                    };
                    h.c.connect_ip = None;
                    h.c.connect_port = None;
                    h.c.bindto = None;
                    h.c.bind_port = None;
                    h.c.bind_if = None;
                    h.c.fwmark = None;
                    for x in list {
                        if !common(cx, x, &mut h, false) {
                            unknown_check(cx, x, "SMTP_CHECK host", COMMON);
                        }
                    }
                    hosts.push(SmtpHost {
                        connect_ip: h.c.connect_ip,
                        connect_port: h.c.connect_port,
                        bindto: h.c.bindto,
                        bind_port: h.c.bind_port,
                        bind_if: h.c.bind_if,
                        fwmark: h.c.fwmark,
                    });
                }
                _ => unknown_check(cx, ch, key, &["helo_name", "host"]),
            },
            CheckKind::Misc { path, dynamic, .. } => match k {
                "misc_path" => {
                    if let Some(s) = cx.script(ch, false) {
                        *path = s;
                        have_path = true;
                    }
                }
                "misc_timeout" => {
                    misc_timeout = cx.timer_arg(ch, 0.000001, 86400.0).or(misc_timeout)
                }
                "misc_dynamic" => set(dynamic, cx.flag(ch)),
                "user" => {
                    cx.no_block(ch);
                    cx.extra(ch, 2);
                    if let Some(u) = cx.arg(ch, 0) {
                        path.user = Some(u.text.to_string());
                        path.group = ch.args.get(1).map(|t| t.text.to_string());
                    }
                }
                _ => unknown_check(
                    cx,
                    ch,
                    key,
                    &["misc_path", "misc_timeout", "misc_dynamic", "user"],
                ),
            },
            CheckKind::Dns { qtype, name } => match k {
                "type" => {
                    cx.no_block(ch);
                    cx.extra(ch, 1);
                    if let Some(t) = cx.arg(ch, 0) {
                        *qtype = match t.text.to_ascii_uppercase().as_str() {
                            "A" => DnsType::A,
                            "NS" => DnsType::Ns,
                            "CNAME" => DnsType::Cname,
                            "SOA" => DnsType::Soa,
                            "MX" => DnsType::Mx,
                            "TXT" => DnsType::Txt,
                            "AAAA" => DnsType::Aaaa,
                            s => {
                                cx.error(t, format!("invalid DNS type '{s}': expected A, NS, CNAME, SOA, MX, TXT or AAAA"));
                                *qtype
                            }
                        }
                    }
                }
                "name" => set(name, cx.string_arg(ch)),
                _ => unknown_check(cx, ch, key, &["type", "name"]),
            },
            CheckKind::Udp {
                payload,
                require_reply,
                min_reply_length,
                max_reply_length,
            } => match k {
                "payload" => {
                    cx.no_block(ch);
                    cx.extra(ch, 1);
                    if let Some(t) = cx.arg(ch, 0) {
                        *payload = hex(cx, t).or(payload.take());
                    }
                }
                "require_reply" => {
                    cx.no_block(ch);
                    cx.extra(ch, 1);
                    *require_reply = match ch.args.first() {
                        None => Some(Vec::new()),
                        Some(t) => hex(cx, t).or(require_reply.take()),
                    }
                }
                "min_reply_length" => set(min_reply_length, cx.u32_arg(ch, 0, 65535)),
                "max_reply_length" => set(max_reply_length, cx.u32_arg(ch, 0, 65535)),
                _ => unknown_check(
                    cx,
                    ch,
                    key,
                    &[
                        "payload",
                        "require_reply",
                        "min_reply_length",
                        "max_reply_length",
                    ],
                ),
            },
            CheckKind::File {
                track_file,
                weight,
                reverse,
            } => match k {
                "track_file" => {
                    if let Some(t) = cx.string_arg(ch) {
                        if c.track_files.iter().any(|f| f.name == t) {
                            *track_file = t;
                        } else {
                            cx.error(
                                &ch.args[0],
                                format!("track_file {t} not found; FILE_CHECK ignored"),
                            );
                        }
                    }
                }
                "weight" => {
                    cx.no_block(ch);
                    if let Some(w) = cx.int_arg(ch, 0, -254, 254) {
                        *weight = w as i32;
                    }
                    match ch.args.get(1) {
                        Some(t) if t.text == "reverse" => *reverse = true,
                        Some(t) => cx.error(t, format!("unknown weight option '{}'", t.text)),
                        None => {}
                    }
                }
                _ => unknown_check(cx, ch, key, &["track_file", "weight"]),
            },
            CheckKind::Tcp | CheckKind::Ping => match k {
                "nb_get_retry" => {
                    // keepalived 2.2.7 does not know nb_get_retry in TCP_CHECK and so loses it;
                    // keepalived-rs takes it as retry, as the operator meant.
                    if let Some(v) = cx.u32_arg(ch, 0, u32::MAX) {
                        cx.warn(
                            &ch.key,
                            format!("nb_get_retry is deprecated - please use 'retry' (taken as retry {v}; keepalived 2.2.7 ignores it in {key})"),
                        );
                        raw.retry = Some(v);
                    }
                }
                _ => unknown_check(cx, ch, key, &["nb_get_retry"]),
            },
        }
    }
    // Per-checker defaults (keepalived check_*.c): retry and delay_before_retry.
    let (def_retry, def_delay) = match &kind {
        CheckKind::Http(_) => (1, Duration::from_secs(3)),
        CheckKind::Misc { .. } | CheckKind::File { .. } => (0, Duration::from_secs(1)),
        CheckKind::Dns { .. } => (3, raw.c.delay_loop),
        _ => (1, Duration::from_secs(1)),
    };
    raw.c.retry = raw.retry.or(inh.retry).unwrap_or(def_retry);
    raw.c.delay_before_retry = raw
        .delay_before_retry
        .or(inh.delay_before_retry)
        .unwrap_or(def_delay);
    raw.c.warmup = raw.warmup.or(inh.warmup).unwrap_or(raw.c.delay_loop);
    match &mut kind {
        CheckKind::Misc { timeout, .. } => {
            if !have_path {
                cx.error(&n.key, "MISC_CHECK has no misc_path; ignored");
                return None;
            }
            *timeout = misc_timeout.unwrap_or(raw.c.delay_loop);
        }
        CheckKind::Http(h) if h.urls.is_empty() => {
            cx.error(&n.key, format!("{key} has no url; ignored"));
            return None;
        }
        CheckKind::File { track_file, .. } if track_file.is_empty() => {
            cx.error(&n.key, "FILE_CHECK has no track_file; ignored");
            return None;
        }
        _ => {}
    }
    let mut common = raw.c;
    // keepalived logs a failure when the global checker_log_all_failures or the
    // checker's own log_all_failures says so.
    common.log_all_failures |= c.global.checker_log_all_failures;
    Some(Checker { kind, common })
}

fn unknown_check(cx: &mut Ctx, n: &Node, block: &str, own: &[&str]) {
    let mut known: Vec<&str> = COMMON.to_vec();
    known.extend_from_slice(own);
    cx.unknown(n, block, &known)
}

fn hex(cx: &mut Ctx, t: &Token) -> Option<Vec<u8>> {
    let s = t.text.trim_start_matches("0x");
    if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        cx.error(t, format!("invalid hex string '{}'", t.text));
        return None;
    }
    Some(
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect(),
    )
}

fn url(cx: &mut Ctx, n: &Node) -> Option<Url> {
    const KNOWN: &[&str] = &[
        "path",
        "digest",
        "status_code",
        "virtualhost",
        "regex",
        "regex_no_match",
        "regex_options",
        "regex_min_offset",
        "regex_max_offset",
        "regex_stack",
    ];
    cx.extra(n, 0);
    let ch = cx.block(n)?;
    let mut u = Url {
        path: String::new(),
        digest: None,
        status_codes: Vec::new(),
        virtualhost: None,
        regex: None,
        regex_no_match: false,
        regex_options: Vec::new(),
        regex_min_offset: 0,
        regex_max_offset: None,
        regex_stack: None,
    };
    let mut regex_tok = None;
    let mut param_at = None;
    for c in ch {
        match c.key.text.as_str() {
            "path" => set(&mut u.path, cx.string_arg(c)),
            "digest" => {
                if let Some(d) = cx.string_arg(c) {
                    if d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
                        u.digest = Some(d.to_ascii_lowercase());
                    } else {
                        cx.error(
                            &c.args[0],
                            format!("invalid digest '{d}': expected 32 hex digits (an MD5)"),
                        );
                    }
                }
            }
            "status_code" => {
                cx.no_block(c);
                if cx.arg(c, 0).is_none() {
                    continue;
                }
                for t in &c.args {
                    let (a, b) = match t.text.split_once('-') {
                        Some((a, b)) => (a, b),
                        None => (t.text.as_str(), t.text.as_str()),
                    };
                    match (parse_int(a), parse_int(b)) {
                        (Some(a), Some(b)) if (100..=599).contains(&a) && (100..=599).contains(&b) && a <= b => {
                            u.status_codes.push((a as u16, b as u16))
                        }
                        _ => cx.error(t, format!("invalid status_code '{}': expected 100-599 or a range such as 200-299", t.text)),
                    }
                }
            }
            "virtualhost" => u.virtualhost = cx.string_arg(c),
            "regex" => {
                u.regex = cx.string_arg(c);
                regex_tok = c.args.first().cloned();
            }
            "regex_no_match" => {
                param_at.get_or_insert_with(|| c.key.clone());
                set(&mut u.regex_no_match, cx.flag(c))
            }
            "regex_options" => {
                cx.no_block(c);
                param_at.get_or_insert_with(|| c.key.clone());
                for t in &c.args {
                    match REGEX_OPTIONS.iter().find(|(name, _)| *name == t.text.as_str()) {
                        Some((_, RegexOption::NoCounterpart)) => cx.unsupported_at(
                            t,
                            format!("regex option '{}' changes PCRE2's pattern syntax and keepalived-rs's regex engine has no such switch; the pattern is read without it", t.text),
                        ),
                        Some(_) => {}
                        // keepalived ignores a name it does not know, silently.
                        None => cx.warn(t, format!("unknown regex option '{}'; ignored", t.text)),
                    }
                    if !u.regex_options.iter().any(|o| o == t.text.as_str()) {
                        u.regex_options.push(t.text.to_string());
                    }
                }
            }
            "regex_min_offset" | "regex_max_offset" => {
                cx.no_block(c);
                param_at.get_or_insert_with(|| c.key.clone());
                // keepalived: one decimal number; anything else is logged and read as 0.
                let v = match &c.args[..] {
                    [t] => match t.text.parse::<usize>() {
                        Ok(v) => Some(v),
                        Err(_) => {
                            cx.warn(t, format!("invalid {} '{}'; read as 0", c.key.text, t.text));
                            Some(0)
                        }
                    },
                    _ => {
                        cx.warn(
                            &c.key,
                            format!("'{}' needs exactly one number; read as 0", c.key.text),
                        );
                        Some(0)
                    }
                };
                if c.key.text == "regex_min_offset" {
                    set(&mut u.regex_min_offset, v);
                } else {
                    u.regex_max_offset = v;
                }
            }
            "regex_stack" => {
                cx.no_block(c);
                param_at.get_or_insert_with(|| c.key.clone());
                let nums: Vec<Option<u64>> = c.args.iter().map(|t| t.text.parse().ok()).collect();
                match nums.as_slice() {
                    [Some(a), Some(b)] if a <= b => u.regex_stack = Some((*a, *b)),
                    [Some(_), Some(_)] => {
                        cx.warn(&c.key, "regex stack start cannot exceed max value; ignored")
                    }
                    [_, _] => cx.warn(&c.key, "regex_stack: invalid start or max value; ignored"),
                    _ => cx.warn(&c.key, "regex_stack requires start and max values; ignored"),
                }
            }
            _ => cx.unknown(c, "url", KNOWN),
        }
    }
    url_regex(cx, &mut u, regex_tok, param_at);
    if u.path.is_empty() {
        cx.error(&n.key, "url has no path; ignored");
        return None;
    }
    Some(u)
}

/// keepalived check_http.c url_check: the regex compiled with its options, its offsets
/// checked against each other, and the regex parameters dropped when there is no regex.
fn url_regex(cx: &mut Ctx, u: &mut Url, regex_tok: Option<Token>, param_at: Option<Token>) {
    match (u.compile_regex(), regex_tok) {
        (Some(Err(e)), Some(t)) => {
            let why = e.to_string();
            let why = why.lines().last().unwrap_or("").trim().to_string();
            cx.unsupported_at(
                &t,
                format!("regex '{}' cannot be compiled by keepalived-rs (Rust regex syntax: no look-around or backreferences): {why}; the url is checked without it", u.regex.as_deref().unwrap_or("")),
            );
            u.regex = None;
        }
        (None, _) => {
            let given = !u.regex_options.is_empty()
                || u.regex_no_match
                || u.regex_min_offset != 0
                || u.regex_max_offset.is_some()
                || u.regex_stack.is_some();
            if given {
                if let Some(t) = &param_at {
                    cx.warn(t, "regex parameters specified without regex; ignored");
                }
                u.regex_options.clear();
                u.regex_no_match = false;
                u.regex_min_offset = 0;
                u.regex_max_offset = None;
                u.regex_stack = None;
            }
        }
        _ => {}
    }
    if let (Some(max), Some(t)) = (u.regex_max_offset, &param_at) {
        if u.regex_min_offset > max {
            cx.warn(
                t,
                format!(
                    "regex min offset {} > regex_max_offset {max}; both ignored",
                    u.regex_min_offset
                ),
            );
            u.regex_min_offset = 0;
            u.regex_max_offset = None;
        }
    }
}
