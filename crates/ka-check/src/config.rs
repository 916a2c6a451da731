//! The typed configuration's virtual servers turned into [`Pool`](crate::service::Pool)
//! configuration and one [`CheckSpec`] per checker (what the IO side probes).

use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use ka_config::model::{self, CheckKind, Config, Protocol, VsKey};

use crate::checker::CheckerConfig;
use crate::service::{Notify, RsConfig, VsConfig};

/// One checker of one real server, with everything the IO side needs: where it connects,
/// and how it checks, shared with the checkers configured alike.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    pub vs: usize,
    pub rs: usize,
    /// Its index among the real server's checkers.
    pub index: usize,
    /// connect_ip / connect_port, else the real server's.
    pub target: SocketAddr,
    pub how: Rc<CheckHow>,
}

/// What a checker does and with which settings. Thousands of real servers usually carry
/// the same check block: they share one (a checker is some 60 bytes beside its real
/// server, where a copy each was 300).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckHow {
    pub kind: CheckKind,
    pub bindto: Option<IpAddr>,
    /// bind_port: the source port (with or without bindto).
    pub bind_port: Option<u16>,
    /// bind_if: the interface a TCP probe is bound to (SO_BINDTODEVICE).
    pub bind_if: Option<String>,
    /// fwmark: set on the probe's socket (SO_MARK), so policy routing can steer it.
    pub fwmark: Option<u32>,
    pub connect_timeout: Duration,
    pub warmup: Duration,
    pub timing: CheckerConfig,
    pub log_all_failures: bool,
    /// The virtual host for HTTP checks (url, checker, real server, virtual server).
    pub virtualhost: Option<String>,
}

/// Where one check connects: connect_ip / connect_port, bindto, bind_if (an SMTP_CHECK
/// `host` block's own, else the checker's).
struct Target {
    ip: Option<IpAddr>,
    port: Option<u16>,
    bindto: Option<IpAddr>,
    bind_if: Option<String>,
}

fn proto(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

/// keepalived's name of an address, protocol and port: "[10.0.0.1]:tcp:80". Written by
/// hand for IPv4 (a reload at tens of thousands of real servers names each of them; the
/// formatting machinery took half of the checker's preparation).
fn endpoint(ip: IpAddr, p: Protocol, port: u16) -> String {
    let mut s = String::with_capacity(32);
    s.push('[');
    match ip {
        IpAddr::V4(a) => {
            for (i, o) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                push_decimal(&mut s, u32::from(o));
            }
        }
        IpAddr::V6(a) => {
            use std::fmt::Write;
            let _ = write!(s, "{a}");
        }
    }
    s.push_str("]:");
    s.push_str(proto(p));
    s.push(':');
    push_decimal(&mut s, u32::from(port));
    s
}

fn push_decimal(s: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        s.push(char::from(*d));
    }
}

/// keepalived's name for a real server of a virtual server.
pub fn rs_name(v: &model::VirtualServer, r: &model::RealServer) -> String {
    endpoint(r.ip, v.protocol, r.port)
}

/// keepalived's name for a virtual server.
pub fn vs_name(v: &model::VirtualServer) -> String {
    match &v.key {
        VsKey::Addr { ip, port } => endpoint(*ip, v.protocol, *port),
        VsKey::Fwmark(m) => format!("FWM {m}"),
        VsKey::Group(g) => format!("group {g}"),
    }
}

fn notify(s: &Option<model::Script>) -> Option<Notify> {
    s.as_ref().map(|s| Notify {
        argv: s.command.argv.clone(),
        user: s.user.clone().map(|u| (u, s.group.clone())),
    })
}

pub fn build(c: &Config) -> (Vec<VsConfig>, Vec<CheckSpec>) {
    let g = &c.global;
    let mut pool = Vec::new();
    let mut specs = Vec::new();
    let mut shared: Option<Rc<CheckHow>> = None;
    for (vi, v) in c.virtual_servers.iter().enumerate() {
        let mut rss = Vec::new();
        for (ri, r) in v.real_servers.iter().enumerate() {
            let first = specs.len();
            for ch in r.checkers.iter() {
                let cm = &ch.common;
                let vhost = match &ch.kind {
                    CheckKind::Http(h) => h.virtualhost.clone(),
                    _ => None,
                }
                .or_else(|| r.virtualhost.clone())
                .or_else(|| v.virtualhost.clone());
                // SMTP_CHECK's `host { }` blocks are one check each (keepalived).
                let targets: Vec<Target> = match &ch.kind {
                    CheckKind::Smtp { hosts, .. } if !hosts.is_empty() => hosts
                        .iter()
                        .map(|h| Target {
                            ip: h.connect_ip.or(cm.connect_ip),
                            port: h.connect_port.or(cm.connect_port),
                            bindto: h.bindto.or(cm.bindto),
                            bind_if: h.bind_if.clone().or_else(|| cm.bind_if.clone()),
                        })
                        .collect(),
                    _ => vec![Target {
                        ip: cm.connect_ip,
                        port: cm.connect_port,
                        bindto: cm.bindto,
                        bind_if: cm.bind_if.clone(),
                    }],
                };
                for Target {
                    ip,
                    port,
                    bindto,
                    bind_if,
                } in targets
                {
                    let how = CheckHow {
                        kind: ch.kind.clone(),
                        bindto,
                        bind_port: cm.bind_port,
                        bind_if,
                        fwmark: cm.fwmark,
                        connect_timeout: cm.connect_timeout,
                        warmup: cm.warmup,
                        timing: CheckerConfig {
                            delay_loop: cm.delay_loop,
                            retry: cm.retry,
                            delay_before_retry: cm.delay_before_retry,
                            alpha: cm.alpha,
                        },
                        log_all_failures: cm.log_all_failures,
                        virtualhost: vhost.clone(),
                    };
                    // The previous checker's settings, when they are the same.
                    let how = match &shared {
                        Some(h) if **h == how => h.clone(),
                        _ => Rc::new(how),
                    };
                    shared = Some(how.clone());
                    specs.push(CheckSpec {
                        vs: vi,
                        rs: ri,
                        index: specs.len() - first,
                        target: SocketAddr::new(ip.unwrap_or(r.ip), port.unwrap_or(r.port)),
                        how,
                    });
                }
            }
            rss.push(RsConfig {
                name: rs_name(v, r),
                weight: r.weight.max(0) as u32,
                inhibit_on_failure: r.inhibit_on_failure,
                notify_up: notify(&r.notify_up).map(Box::new),
                notify_down: notify(&r.notify_down).map(Box::new),
                smtp_alert: r.smtp_alert && !g.no_checker_emails,
                checkers: specs.len() - first,
                alpha: r.checkers.iter().any(|ch| ch.common.alpha),
            });
        }
        pool.push(VsConfig {
            name: vs_name(v),
            quorum: v.quorum,
            hysteresis: v.hysteresis,
            quorum_up: notify(&v.quorum_up),
            quorum_down: notify(&v.quorum_down),
            sorry_server: v
                .sorry_server
                .as_ref()
                .map(|s| endpoint(s.ip, v.protocol, s.port)),
            sorry_server_inhibit: v.sorry_server_inhibit,
            smtp_alert: v
                .smtp_alert
                .or(g.smtp_alert_checker)
                .or(g.smtp_alert)
                .unwrap_or(false),
            omega: v.omega,
            ha_suspend: match (&v.key, v.ha_suspend) {
                (VsKey::Addr { ip, .. }, true) => Some(*ip),
                _ => None,
            },
            real_servers: rss,
        });
    }
    (pool, specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_as_the_formatter_would() {
        let ips: [IpAddr; 6] = [
            "0.0.0.0".parse().unwrap(),
            "10.61.9.250".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
            "1.20.100.9".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
            "::ffff:10.0.0.1".parse().unwrap(),
        ];
        for ip in ips {
            for port in [0, 9, 80, 443, 65535] {
                for (p, name) in [
                    (Protocol::Tcp, "tcp"),
                    (Protocol::Udp, "udp"),
                    (Protocol::Sctp, "sctp"),
                ] {
                    assert_eq!(endpoint(ip, p, port), format!("[{ip}]:{name}:{port}"));
                }
            }
        }
    }
}
