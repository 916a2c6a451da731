//! Address, route and rule lines (`ip addr`, `ip route`, `ip rule` syntax), shared by
//! static_* blocks and VRRP instances.

use crate::names::Kind;
use std::net::IpAddr;

use crate::ctx::Ctx;
use crate::model::{Broadcast, IpAddress, Lifetime, Nexthop, Route, RouteType, Rule, Scope};
use crate::token::Token;
use crate::tree::Node;

pub fn max_prefix(a: &IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

/// `IP[/LEN]`. A bad length is an error and the full length is used (as keepalived).
pub fn prefix(cx: &mut Ctx, tok: &Token) -> Option<(IpAddr, u8)> {
    let (ip, len) = match tok.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (tok.text.as_str(), None),
    };
    let Ok(addr) = ip.parse::<IpAddr>() else {
        cx.error(
            tok,
            format!("invalid IP address '{}'; line ignored", tok.text),
        );
        return None;
    };
    let max = max_prefix(&addr);
    let len = match len {
        None => max,
        Some(l) => {
            match l.parse::<u8>() {
                Ok(v) if v <= max => v,
                _ => {
                    cx.error(
                    tok,
                    format!("invalid prefix length '{l}' for {addr}: must be 0 to {max}; using {max}"),
                );
                    max
                }
            }
        }
    };
    Some((addr, len))
}

pub fn scope(cx: &mut Ctx, tok: &Token) -> Option<Scope> {
    Some(match tok.text.as_str() {
        "global" | "universe" => Scope::Global,
        "site" => Scope::Site,
        "link" => Scope::Link,
        "host" => Scope::Host,
        "nowhere" => Scope::Nowhere,
        s => match s.parse::<u8>() {
            Ok(n) => Scope::Number(n),
            // A name from rt_scopes.
            Err(_) => match cx.names.lookup(Kind::Scope, s) {
                Some(n) => Scope::Number(n as u8),
                None => {
                    cx.error(tok, format!("invalid scope '{s}': expected global, site, link, host, nowhere, 0-255 or a name in rt_scopes"));
                    return None;
                }
            },
        },
    })
}

/// One line of virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress.
/// `default_dev` fills in `dev` when the line has none. `what` names the owner in messages.
pub fn address_line(cx: &mut Ctx, n: &Node, default_dev: Option<&str>) -> Option<IpAddress> {
    cx.no_block(n);
    let (addr, prefix) = prefix(cx, &n.key)?;
    let mut a = IpAddress {
        addr,
        prefix,
        brd: None,
        dev: None,
        scope: Scope::Global,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        use_vmac: false,
        preferred_lft: None,
        track_group: None,
    };
    let mut it = n.args.iter();
    while let Some(t) = it.next() {
        let mut value = |cx: &mut Ctx| -> Option<&Token> {
            let v = it.next();
            if v.is_none() {
                cx.error_at(
                    Ctx::after(t),
                    1,
                    format!("'{}' needs a value; ignored", t.text),
                );
            }
            v
        };
        match t.text.as_str() {
            "brd" | "broadcast" => {
                if let Some(v) = value(cx) {
                    a.brd = match v.text.as_str() {
                        "+" => Some(Broadcast::Plus),
                        "-" => Some(Broadcast::Minus),
                        s => {
                            match s.parse() {
                                Ok(ip) if addr.is_ipv4() => Some(Broadcast::Addr(ip)),
                                _ => {
                                    cx.error(v, format!("invalid broadcast '{s}': expected an IPv4 address, + or -"));
                                    None
                                }
                            }
                        }
                    }
                }
            }
            "dev" => {
                if let Some(v) = value(cx) {
                    cx.check_interface(v, &format!("ip address {}/{}", addr, prefix));
                    a.dev = Some(v.text.to_string());
                }
            }
            "scope" => {
                if let Some(v) = value(cx) {
                    if let Some(s) = scope(cx, v) {
                        a.scope = s;
                    }
                }
            }
            "label" => a.label = value(cx).map(|v| v.text.to_string()),
            "peer" => {
                if let Some(v) = value(cx) {
                    a.peer = self::prefix(cx, v);
                }
            }
            "preferred_lft" => {
                if let Some(v) = value(cx) {
                    a.preferred_lft = match v.text.as_str() {
                        "forever" => Some(Lifetime::Forever),
                        _ => cx
                            .int(v, 0, u32::MAX as i64)
                            .map(|s| Lifetime::Seconds(s as u32)),
                    }
                }
            }
            "track_group" => a.track_group = value(cx).map(|v| v.text.to_string()),
            "home" => a.home = true,
            "-nodad" | "nodad" => a.nodad = true,
            "mngtmpaddr" => a.mngtmpaddr = true,
            "noprefixroute" => a.noprefixroute = true,
            "autojoin" => a.autojoin = true,
            "no_track" => a.no_track = true,
            "use_vmac" => a.use_vmac = true,
            other => cx.error(t, format!("unknown address option '{other}'; ignored")),
        }
    }
    if a.dev.is_none() {
        a.dev = default_dev.map(str::to_string);
    }
    Some(a)
}

fn u32_val(cx: &mut Ctx, t: &Token) -> Option<u32> {
    cx.int(t, 0, u32::MAX as i64).map(|v| v as u32)
}

fn route_type(s: &str) -> Option<RouteType> {
    Some(match s {
        "blackhole" => RouteType::Blackhole,
        "unreachable" => RouteType::Unreachable,
        "prohibit" => RouteType::Prohibit,
        "throw" => RouteType::Throw,
        _ => return None,
    })
}

/// One route line. `virtual_route` adds keepalived's tracking rules for virtual_routes.
pub fn route_line(cx: &mut Ctx, n: &Node, virtual_route: bool) -> Option<Route> {
    cx.no_block(n);
    let words: Vec<&Token> = std::iter::once(&n.key).chain(n.args.iter()).collect();
    let mut r = Route {
        kind: RouteType::Unicast,
        dst: IpAddr::from([0, 0, 0, 0]),
        dst_len: 0,
        src: None,
        via: None,
        or_via: None,
        dev: None,
        scope: None,
        table: None,
        vrf: None,
        metric: None,
        protocol: None,
        tos: None,
        mtu: None,
        onlink: false,
        no_track: false,
        nexthops: Vec::new(),
        track_group: None,
    };
    let mut have_dst = false;
    let mut i = 0;
    let next = |cx: &mut Ctx, i: &mut usize| -> Option<&Token> {
        let t = words[*i];
        *i += 1;
        let v = words.get(*i).copied();
        match v {
            Some(v) => {
                *i += 1;
                Some(v)
            }
            None => {
                cx.error_at(
                    Ctx::after(t),
                    1,
                    format!("'{}' needs a value; route ignored", t.text),
                );
                None
            }
        }
    };
    while i < words.len() {
        let t = words[i];
        match t.text.as_str() {
            "src" => {
                r.src = Some({
                    let v = next(cx, &mut i)?;
                    cx.ip(v)
                }?)
            }
            "to" => {
                let v = next(cx, &mut i)?;
                (r.dst, r.dst_len) = dst(cx, v)?;
                have_dst = true;
            }
            "via" | "gw" => {
                r.via = Some({
                    let v = next(cx, &mut i)?;
                    cx.ip(v)
                }?)
            }
            "or" => {
                cx.warn(t, "\"or\" for routes is deprecated; use \"nexthop\"");
                r.or_via = Some({
                    let v = next(cx, &mut i)?;
                    cx.ip(v)
                }?)
            }
            "dev" | "oif" => {
                let v = next(cx, &mut i)?;
                if virtual_route {
                    cx.check_interface(v, "VROUTE nexthop");
                } else {
                    cx.check_interface(v, "static route");
                }
                r.dev = Some(v.text.to_string());
            }
            "scope" => {
                r.scope = Some({
                    let v = next(cx, &mut i)?;
                    scope(cx, v)
                }?)
            }
            "vrf" => {
                // keepalived 2.2.7 parse_route (it reads the VRF's table then; here it is
                // read when the route is added).
                let v = next(cx, &mut i)?;
                if cx
                    .opts
                    .interfaces
                    .as_ref()
                    .is_some_and(|k| !k.contains(v.text.as_str()))
                {
                    cx.error(v, format!("VRF {} not found for route", v.text));
                    return None;
                }
                r.vrf = Some(v.text.to_string());
            }
            "table" => {
                r.table = Some({
                    let v = next(cx, &mut i)?;
                    cx.rt_name(Kind::Table, v, "table")
                }?)
            }
            "metric" | "preference" | "priority" => {
                r.metric = Some({
                    let v = next(cx, &mut i)?;
                    u32_val(cx, v)
                }?)
            }
            "protocol" | "proto" => {
                r.protocol = Some({
                    let v = next(cx, &mut i)?;
                    cx.rt_name(Kind::Proto, v, "protocol").map(|p| p as u8)
                }?)
            }
            "tos" | "dsfield" => {
                r.tos = Some({
                    let v = next(cx, &mut i)?;
                    cx.rt_name(Kind::Dsfield, v, "tos").map(|p| p as u8)
                }?)
            }
            "mtu" => {
                r.mtu = Some({
                    let v = next(cx, &mut i)?;
                    u32_val(cx, v)
                }?)
            }
            "track_group" => r.track_group = Some(next(cx, &mut i)?.text.to_string()),
            "onlink" => {
                r.onlink = true;
                i += 1;
            }
            "no_track" => {
                r.no_track = true;
                i += 1;
            }
            "nexthop" => {
                i += 1;
                let mut nh = Nexthop {
                    via: None,
                    dev: None,
                    weight: None,
                    onlink: false,
                };
                while i < words.len() {
                    match words[i].text.as_str() {
                        "via" | "gw" => {
                            nh.via = Some({
                                let v = next(cx, &mut i)?;
                                cx.ip(v)
                            }?)
                        }
                        "dev" => {
                            let v = next(cx, &mut i)?;
                            cx.check_interface(v, "VROUTE nexthop");
                            nh.dev = Some(v.text.to_string());
                        }
                        "weight" => {
                            nh.weight = Some({
                                let v = next(cx, &mut i)?;
                                cx.int(v, 1, 256)
                            }? as u16)
                        }
                        "onlink" => {
                            nh.onlink = true;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                r.nexthops.push(nh);
            }
            s if route_type(s).is_some() && !have_dst => {
                r.kind = route_type(s).unwrap_or(RouteType::Unicast);
                i += 1;
            }
            _ if !have_dst => {
                (r.dst, r.dst_len) = dst(cx, t)?;
                have_dst = true;
                i += 1;
            }
            other => {
                cx.error(t, format!("unknown route option '{other}'; route ignored"));
                return None;
            }
        }
    }
    if !have_dst {
        cx.error(&n.key, "route has no destination; ignored");
        return None;
    }
    // keepalived 2.2.7 tracks a route through its own `dev` only (nexthop devices do
    // not count), static and virtual routes alike.
    if !r.no_track && r.dev.is_none() {
        cx.warn(
            &n.key,
            format!(
                "cannot track route {}/{} with no interface specified, not tracking",
                r.dst, r.dst_len
            ),
        );
        r.no_track = true;
    }
    if !r.no_track && r.protocol.is_some_and(|p| p != 18) {
        cx.warn(
            &n.key,
            "a tracked route must have protocol keepalived (18); protocol reset (add no_track to keep it)",
        );
        r.protocol = None;
    }
    Some(r)
}

fn dst(cx: &mut Ctx, t: &Token) -> Option<(IpAddr, u8)> {
    if t.text == "default" {
        return Some((IpAddr::from([0, 0, 0, 0]), 0));
    }
    prefix(cx, t)
}

/// One rule line.
pub fn rule_line(cx: &mut Ctx, n: &Node) -> Option<Rule> {
    cx.no_block(n);
    let words: Vec<&Token> = std::iter::once(&n.key).chain(n.args.iter()).collect();
    let mut r = Rule {
        from: None,
        to: None,
        table: None,
        priority: None,
        fwmark: None,
        iif: None,
        oif: None,
        tos: None,
        not: false,
        no_track: false,
        track_group: None,
    };
    let mut i = 0;
    while i < words.len() {
        let t = words[i];
        let v = words.get(i + 1).copied();
        let needs = |cx: &mut Ctx| {
            cx.error_at(
                Ctx::after(t),
                1,
                format!("'{}' needs a value; rule ignored", t.text),
            );
        };
        let takes_value = !matches!(t.text.as_str(), "not" | "no_track");
        if takes_value && v.is_none() {
            needs(cx);
            return None;
        }
        let v = v.unwrap_or(t);
        match t.text.as_str() {
            "not" => r.not = true,
            "no_track" => r.no_track = true,
            "from" => {
                r.from = if v.text == "all" {
                    None
                } else {
                    Some(prefix(cx, v)?)
                }
            }
            "to" => {
                r.to = if v.text == "all" {
                    None
                } else {
                    Some(prefix(cx, v)?)
                }
            }
            "table" | "lookup" => r.table = Some(cx.rt_name(Kind::Table, v, "table")?),
            "priority" | "preference" | "pref" => r.priority = Some(u32_val(cx, v)?),
            "iif" | "dev" => r.iif = Some(v.text.to_string()),
            "oif" => r.oif = Some(v.text.to_string()),
            "track_group" => r.track_group = Some(v.text.to_string()),
            "tos" | "dsfield" => r.tos = Some(cx.rt_name(Kind::Dsfield, v, "tos")? as u8),
            "fwmark" => {
                let (m, mask) = match v.text.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (v.text.as_str(), None),
                };
                let num = |s: &str| match s.strip_prefix("0x") {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => s.parse().ok(),
                };
                match (num(m), mask.map(num)) {
                    (Some(m), None) => r.fwmark = Some((m, None)),
                    (Some(m), Some(Some(k))) => r.fwmark = Some((m, Some(k))),
                    _ => {
                        cx.error(v, format!("invalid fwmark '{}'; rule ignored", v.text));
                        return None;
                    }
                }
            }
            other => {
                cx.error(t, format!("unknown rule option '{other}'; rule ignored"));
                return None;
            }
        }
        i += if takes_value { 2 } else { 1 };
    }
    if r.priority.is_none() {
        let v6 = r.from.or(r.to).is_some_and(|(a, _)| a.is_ipv6());
        let slot = usize::from(v6);
        let next = cx.next_rule_pref[slot];
        cx.next_rule_pref[slot] = next.saturating_sub(1);
        r.priority = Some(next);
        cx.warn(
            &n.key,
            format!(
                "Rule has no preference specified - setting to {next}. This is probably not what you want."
            ),
        );
    }
    Some(r)
}
