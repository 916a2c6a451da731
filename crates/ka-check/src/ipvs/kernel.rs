//! The kernel's IPVS table as data, and its messages over generic netlink (family "IPVS",
//! include/uapi/linux/ip_vs.h) as keepalived's libipvs.c sends them: services and
//! destinations added, changed, removed and dumped, timeouts set, the table flushed, the
//! sync daemons started and stopped.
//!
//! Pure: [`encode`] turns a [`Cmd`] into the bytes of one netlink request,
//! [`dump_services`], [`get_service`] and [`dump_dests`] ask for the table,
//! [`split_replies`] cuts what the kernel answered into [`Reply`]s and [`decode_service`] /
//! [`decode_dest`] read them back.
//! The socket that carries these bytes is ka-net's `genl::Socket`; ka-runtime's
//! `ipvs::Ipvs` joins the two. The messages are small fixed layouts (a 16-byte netlink
//! header, the 4-byte generic header, nested attributes), so they are encoded and decoded
//! here rather than through netlink-packet-generic: the IPVS attributes would have to be
//! written by hand either way, and the codec stays testable byte for byte.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ka_config::model::{Tunnel, TunnelCsum, TunnelType};
use serde::{Deserialize, Serialize};

// include/uapi/linux/ip_vs.h
const IPVS_GENL_VERSION: u8 = 1;
const CMD_NEW_SERVICE: u8 = 1;
const CMD_SET_SERVICE: u8 = 2;
const CMD_DEL_SERVICE: u8 = 3;
const CMD_GET_SERVICE: u8 = 4;
const CMD_NEW_DEST: u8 = 5;
const CMD_SET_DEST: u8 = 6;
const CMD_DEL_DEST: u8 = 7;
const CMD_GET_DEST: u8 = 8;
const CMD_NEW_DAEMON: u8 = 9;
const CMD_DEL_DAEMON: u8 = 10;
const CMD_SET_CONFIG: u8 = 12;
const CMD_FLUSH: u8 = 17;

const ATTR_SERVICE: u16 = 1;
const ATTR_DEST: u16 = 2;
const ATTR_DAEMON: u16 = 3;
const ATTR_TIMEOUT_TCP: u16 = 4;
const ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const ATTR_TIMEOUT_UDP: u16 = 6;

const SVC_AF: u16 = 1;
const SVC_PROTOCOL: u16 = 2;
const SVC_ADDR: u16 = 3;
const SVC_PORT: u16 = 4;
const SVC_FWMARK: u16 = 5;
const SVC_SCHED_NAME: u16 = 6;
const SVC_FLAGS: u16 = 7;
const SVC_TIMEOUT: u16 = 8;
const SVC_NETMASK: u16 = 9;
const SVC_STATS: u16 = 10;
const SVC_PE_NAME: u16 = 11;
const SVC_STATS64: u16 = 12;

const DEST_ADDR: u16 = 1;
const DEST_PORT: u16 = 2;
const DEST_FWD_METHOD: u16 = 3;
const DEST_WEIGHT: u16 = 4;
const DEST_U_THRESH: u16 = 5;
const DEST_L_THRESH: u16 = 6;
const DEST_ACTIVE_CONNS: u16 = 7;
const DEST_INACT_CONNS: u16 = 8;
const DEST_STATS: u16 = 10;
const DEST_ADDR_FAMILY: u16 = 11;
const DEST_STATS64: u16 = 12;
const DEST_TUN_TYPE: u16 = 13;
const DEST_TUN_PORT: u16 = 14;
const DEST_TUN_FLAGS: u16 = 15;

const STATS_CONNS: u16 = 1;
const STATS_INPKTS: u16 = 2;
const STATS_OUTPKTS: u16 = 3;
const STATS_INBYTES: u16 = 4;
const STATS_OUTBYTES: u16 = 5;

const DAEMON_STATE: u16 = 1;
const DAEMON_MCAST_IFN: u16 = 2;
const DAEMON_SYNC_ID: u16 = 3;
const DAEMON_SYNC_MAXLEN: u16 = 4;
const DAEMON_MCAST_GROUP: u16 = 5;
const DAEMON_MCAST_GROUP6: u16 = 6;
const DAEMON_MCAST_PORT: u16 = 7;
const DAEMON_MCAST_TTL: u16 = 8;

/// IP_VS_SVC_F_HASHED: set by the kernel on every service it holds; not ours to compare.
pub const SVC_F_HASHED: u32 = 0x2;
pub const SVC_F_PERSISTENT: u32 = 0x1;
pub const SVC_F_ONEPACKET: u32 = 0x4;
pub const SVC_F_SCHED1: u32 = 0x8;
pub const SVC_F_SCHED2: u32 = 0x10;
pub const SVC_F_SCHED3: u32 = 0x20;

const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_DUMP: u16 = 0x300;
const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// How a service is named in the kernel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SvcKey {
    /// protocol (IPPROTO_TCP / UDP / SCTP), address, port.
    Addr {
        protocol: u16,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        ipv6: bool,
        mark: u32,
    },
}

impl SvcKey {
    pub fn ipv6(&self) -> bool {
        match self {
            SvcKey::Addr { addr, .. } => addr.is_ipv6(),
            SvcKey::Fwmark { ipv6, .. } => *ipv6,
        }
    }
}

impl std::fmt::Display for SvcKey {
    /// As `ipvsadm -Ln` lists it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SvcKey::Addr {
                protocol,
                addr,
                port,
            } => {
                let p = match protocol {
                    6 => "TCP",
                    17 => "UDP",
                    132 => "SCTP",
                    _ => "?",
                };
                match addr {
                    IpAddr::V4(a) => write!(f, "{p} {a}:{port}"),
                    IpAddr::V6(a) => write!(f, "{p} [{a}]:{port}"),
                }
            }
            SvcKey::Fwmark { ipv6, mark } => {
                write!(f, "FWM {mark}{}", if *ipv6 { " IPv6" } else { "" })
            }
        }
    }
}

/// A service with its settings (ipvsadm -A).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub key: SvcKey,
    pub sched: String,
    /// IP_VS_SVC_F_* (without HASHED).
    pub flags: u32,
    /// Persistence timeout in seconds (0 without persistence).
    pub timeout: u32,
    /// Persistence granularity: for IPv4 the mask (255.255.255.255 as u32::MAX), for IPv6
    /// the prefix length.
    pub netmask: u32,
    pub pe_name: Option<String>,
}

/// How a destination is reached (IP_VS_CONN_F_MASQ / TUNNEL / DROUTE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Forward {
    Masq,
    /// With its encapsulation (kernel 5.3 on; IPIP before).
    Tunnel(Tunnel),
    Route,
    Other(u32),
}

impl Forward {
    fn code(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Tunnel(_) => 2,
            Forward::Route => 3,
            Forward::Other(c) => c,
        }
    }
    fn from_code(c: u32) -> Forward {
        match c & 7 {
            0 => Forward::Masq,
            2 => Forward::Tunnel(Tunnel::default()),
            3 => Forward::Route,
            c => Forward::Other(c),
        }
    }
}

fn tunnel_type_code(t: TunnelType) -> u8 {
    match t {
        TunnelType::Ipip => 0,
        TunnelType::Gue => 1,
        TunnelType::Gre => 2,
    }
}

fn tunnel_csum_code(c: TunnelCsum) -> u16 {
    match c {
        TunnelCsum::NoCsum => 0,
        TunnelCsum::Csum => 1,
        TunnelCsum::RemCsum => 2,
    }
}

/// The tunnel a destination's TUN attributes describe (a kernel before 5.3 sends none:
/// IPIP). Unknown codes read as the default, which then differs from what we asked for.
fn decode_tunnel(kind: Option<u8>, port: Option<u16>, flags: Option<u16>) -> Tunnel {
    Tunnel {
        kind: match kind.unwrap_or(0) {
            1 => TunnelType::Gue,
            2 => TunnelType::Gre,
            _ => TunnelType::Ipip,
        },
        port: port.unwrap_or(0),
        csum: match flags.unwrap_or(0) {
            1 => TunnelCsum::Csum,
            2 => TunnelCsum::RemCsum,
            _ => TunnelCsum::NoCsum,
        },
    }
}

/// A destination (real server) of a service (ipvsadm -a).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    pub addr: IpAddr,
    pub port: u16,
    pub forward: Forward,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
}

/// Which side of connection synchronisation a sync daemon is (IP_VS_STATE_MASTER / BACKUP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncRole {
    Master,
    Backup,
}

/// An IPVS connection-synchronisation daemon (ipvsadm --start-daemon).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDaemon {
    pub role: SyncRole,
    pub interface: String,
    pub sync_id: u32,
    pub maxlen: Option<u16>,
    pub group: Option<IpAddr>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
}

/// What the kernel counts for a service or a destination (ipvsadm --stats): connections
/// scheduled, packets and bytes in and out since the entry was made; for a destination
/// also its connections now (ipvsadm -L: ActiveConn, InActConn).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub active_conns: u32,
    pub inactive_conns: u32,
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.conns += o.conns;
        self.inpkts += o.inpkts;
        self.outpkts += o.outpkts;
        self.inbytes += o.inbytes;
        self.outbytes += o.outbytes;
        self.active_conns += o.active_conns;
        self.inactive_conns += o.inactive_conns;
    }
}

/// The counters of services and of their destinations.
pub type CounterTable = BTreeMap<SvcKey, (Counters, BTreeMap<(IpAddr, u16), Counters>)>;

/// One command for the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    NewService(Service),
    SetService(Service),
    DelService(SvcKey),
    NewDest(SvcKey, Dest),
    SetDest(SvcKey, Dest),
    DelDest(SvcKey, IpAddr, u16),
    Flush,
    /// tcp, tcpfin, udp in seconds (0 leaves one unchanged).
    Timeouts(u32, u32, u32),
    NewDaemon(SyncDaemon),
    DelDaemon(SyncRole),
}

/// A table as the kernel holds it: every service with its destinations.
pub type Table = BTreeMap<SvcKey, (Service, BTreeMap<(IpAddr, u16), Dest>)>;

// ---- attribute codec ----

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn put_attr(buf: &mut Vec<u8>, ty: u16, data: &[u8]) {
    let len = 4 + data.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(data);
    buf.resize(align4(buf.len()), 0);
}

fn put_nested(buf: &mut Vec<u8>, ty: u16, f: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
    f(buf);
    let len = (buf.len() - start) as u16;
    buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
}

fn put_u16(buf: &mut Vec<u8>, ty: u16, v: u16) {
    put_attr(buf, ty, &v.to_ne_bytes());
}

fn put_u32(buf: &mut Vec<u8>, ty: u16, v: u32) {
    put_attr(buf, ty, &v.to_ne_bytes());
}

/// union nf_inet_addr: 16 bytes, an IPv4 address in the first four.
fn inet_addr(a: IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(v) => b[..4].copy_from_slice(&v.octets()),
        IpAddr::V6(v) => b = v.octets(),
    }
    b
}

fn af(ipv6: bool) -> u16 {
    if ipv6 {
        AF_INET6
    } else {
        AF_INET
    }
}

fn put_key(buf: &mut Vec<u8>, k: &SvcKey) {
    put_u16(buf, SVC_AF, af(k.ipv6()));
    match k {
        SvcKey::Addr {
            protocol,
            addr,
            port,
        } => {
            put_u16(buf, SVC_PROTOCOL, *protocol);
            put_attr(buf, SVC_ADDR, &inet_addr(*addr));
            // __be16
            put_attr(buf, SVC_PORT, &port.to_be_bytes());
        }
        SvcKey::Fwmark { mark, .. } => put_u32(buf, SVC_FWMARK, *mark),
    }
}

fn put_service(buf: &mut Vec<u8>, s: &Service) {
    put_nested(buf, ATTR_SERVICE, |b| {
        put_key(b, &s.key);
        let mut name = s.sched.as_bytes().to_vec();
        name.push(0);
        put_attr(b, SVC_SCHED_NAME, &name);
        if let Some(pe) = &s.pe_name {
            let mut n = pe.as_bytes().to_vec();
            n.push(0);
            put_attr(b, SVC_PE_NAME, &n);
        }
        // struct ip_vs_flags { flags, mask }
        let mut fl = s.flags.to_ne_bytes().to_vec();
        fl.extend_from_slice(&u32::MAX.to_ne_bytes());
        put_attr(b, SVC_FLAGS, &fl);
        put_u32(b, SVC_TIMEOUT, s.timeout);
        put_attr(b, SVC_NETMASK, &netmask_bytes(s.key.ipv6(), s.netmask));
    });
}

/// IPv4: the mask as __be32 (its octets in order); IPv6: the prefix length as a host u32
/// (ipvsadm and keepalived both put it so).
fn netmask_bytes(ipv6: bool, m: u32) -> [u8; 4] {
    if ipv6 {
        m.to_ne_bytes()
    } else {
        m.to_be_bytes()
    }
}

fn put_dest(buf: &mut Vec<u8>, ipv6: bool, d: &Dest, full: bool) {
    put_nested(buf, ATTR_DEST, |b| {
        put_attr(b, DEST_ADDR, &inet_addr(d.addr));
        put_attr(b, DEST_PORT, &d.port.to_be_bytes());
        if d.addr.is_ipv6() != ipv6 {
            put_u16(b, DEST_ADDR_FAMILY, af(d.addr.is_ipv6()));
        }
        if full {
            put_u32(b, DEST_FWD_METHOD, d.forward.code());
            // keepalived libipvs: the type with every tunnel, the port with GUE, the
            // checksum flags with GUE and GRE; none with IPIP, so that a kernel before
            // 5.3 (no such attributes) takes it.
            if let Forward::Tunnel(t) = d.forward {
                if t.kind != TunnelType::Ipip {
                    put_attr(b, DEST_TUN_TYPE, &[tunnel_type_code(t.kind)]);
                    if t.kind == TunnelType::Gue {
                        put_attr(b, DEST_TUN_PORT, &t.port.to_be_bytes());
                    }
                    put_attr(b, DEST_TUN_FLAGS, &tunnel_csum_code(t.csum).to_ne_bytes());
                }
            }
            put_u32(b, DEST_WEIGHT, d.weight);
            put_u32(b, DEST_U_THRESH, d.u_threshold);
            put_u32(b, DEST_L_THRESH, d.l_threshold);
        }
    });
}

/// The netlink message for one command (family id, sequence number and port id filled in).
pub fn encode(family: u16, seq: u32, cmd: &Cmd) -> Vec<u8> {
    let mut body = Vec::new();
    let c = match cmd {
        Cmd::NewService(s) => {
            put_service(&mut body, s);
            CMD_NEW_SERVICE
        }
        Cmd::SetService(s) => {
            put_service(&mut body, s);
            CMD_SET_SERVICE
        }
        Cmd::DelService(k) => {
            put_nested(&mut body, ATTR_SERVICE, |b| put_key(b, k));
            CMD_DEL_SERVICE
        }
        Cmd::NewDest(k, d) | Cmd::SetDest(k, d) => {
            put_nested(&mut body, ATTR_SERVICE, |b| put_key(b, k));
            put_dest(&mut body, k.ipv6(), d, true);
            if matches!(cmd, Cmd::NewDest(..)) {
                CMD_NEW_DEST
            } else {
                CMD_SET_DEST
            }
        }
        Cmd::DelDest(k, a, p) => {
            put_nested(&mut body, ATTR_SERVICE, |b| put_key(b, k));
            let d = Dest {
                addr: *a,
                port: *p,
                forward: Forward::Masq,
                weight: 0,
                u_threshold: 0,
                l_threshold: 0,
            };
            put_dest(&mut body, k.ipv6(), &d, false);
            CMD_DEL_DEST
        }
        Cmd::Flush => CMD_FLUSH,
        Cmd::NewDaemon(d) => {
            put_nested(&mut body, ATTR_DAEMON, |b| {
                put_u32(b, DAEMON_STATE, role(d.role));
                let mut ifn = d.interface.as_bytes().to_vec();
                ifn.push(0);
                put_attr(b, DAEMON_MCAST_IFN, &ifn);
                put_u32(b, DAEMON_SYNC_ID, d.sync_id);
                if let Some(m) = d.maxlen {
                    put_u16(b, DAEMON_SYNC_MAXLEN, m);
                }
                match d.group {
                    Some(IpAddr::V4(g)) => put_attr(b, DAEMON_MCAST_GROUP, &g.octets()),
                    Some(IpAddr::V6(g)) => put_attr(b, DAEMON_MCAST_GROUP6, &g.octets()),
                    None => {}
                }
                if let Some(p) = d.port {
                    put_u16(b, DAEMON_MCAST_PORT, p);
                }
                if let Some(t) = d.ttl {
                    put_attr(b, DAEMON_MCAST_TTL, &[t]);
                }
            });
            CMD_NEW_DAEMON
        }
        Cmd::DelDaemon(r) => {
            put_nested(&mut body, ATTR_DAEMON, |b| {
                put_u32(b, DAEMON_STATE, role(*r))
            });
            CMD_DEL_DAEMON
        }
        Cmd::Timeouts(tcp, fin, udp) => {
            for (ty, v) in [
                (ATTR_TIMEOUT_TCP, tcp),
                (ATTR_TIMEOUT_TCP_FIN, fin),
                (ATTR_TIMEOUT_UDP, udp),
            ] {
                if *v != 0 {
                    put_u32(&mut body, ty, *v);
                }
            }
            CMD_SET_CONFIG
        }
    };
    message(family, NLM_F_REQUEST | NLM_F_ACK, seq, c, &body)
}

fn role(r: SyncRole) -> u32 {
    match r {
        SyncRole::Master => 1,
        SyncRole::Backup => 2,
    }
}

fn message(family: u16, flags: u16, seq: u32, cmd: u8, body: &[u8]) -> Vec<u8> {
    let len = 16 + 4 + body.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&family.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    let version = if family == GENL_ID_CTRL {
        1
    } else {
        IPVS_GENL_VERSION
    };
    m.extend_from_slice(&[cmd, version, 0, 0]);
    m.extend_from_slice(body);
    m
}

/// Attributes in `b` as (type without flags, payload); stops at the first malformed one.
fn attrs(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let ty = u16::from_ne_bytes([b[2], b[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > b.len() {
            break;
        }
        out.push((ty, &b[4..len]));
        let next = align4(len).min(b.len());
        b = &b[next..];
    }
    out
}

fn get_u16(v: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes(v.get(..2)?.try_into().ok()?))
}

fn get_u32(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

fn get_u64(v: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(v.get(..8)?.try_into().ok()?))
}

/// The counters from a STATS64 nest (u64 each) or, from kernels before 4.1, a STATS nest
/// (u32 counts, u64 bytes).
fn decode_stats(b: &[u8], wide: bool) -> Counters {
    let a = attrs(b);
    let find = |t: u16| a.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
    let count = |t: u16| {
        find(t)
            .and_then(|v| {
                if wide {
                    get_u64(v)
                } else {
                    get_u32(v).map(u64::from)
                }
            })
            .unwrap_or(0)
    };
    Counters {
        conns: count(STATS_CONNS),
        inpkts: count(STATS_INPKTS),
        outpkts: count(STATS_OUTPKTS),
        inbytes: find(STATS_INBYTES).and_then(get_u64).unwrap_or(0),
        outbytes: find(STATS_OUTBYTES).and_then(get_u64).unwrap_or(0),
        active_conns: 0,
        inactive_conns: 0,
    }
}

/// The counters in a service's or destination's attributes (STATS64 preferred).
fn stats_of(a: &[(u16, &[u8])], stats: u16, stats64: u16) -> Counters {
    let find = |t: u16| a.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
    match (find(stats64), find(stats)) {
        (Some(v), _) => decode_stats(v, true),
        (None, Some(v)) => decode_stats(v, false),
        (None, None) => Counters::default(),
    }
}

/// A service's key and counters from the nested IPVS_CMD_ATTR_SERVICE payload.
pub fn decode_service_counters(b: &[u8]) -> Option<(SvcKey, Counters)> {
    let key = decode_service(b)?.key;
    Some((key, stats_of(&attrs(b), SVC_STATS, SVC_STATS64)))
}

/// A destination's address, port and counters from the nested IPVS_CMD_ATTR_DEST payload.
pub fn decode_dest_counters(b: &[u8], svc_ipv6: bool) -> Option<((IpAddr, u16), Counters)> {
    let d = decode_dest(b, svc_ipv6)?;
    let a = attrs(b);
    let find = |t: u16| a.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
    let mut c = stats_of(&a, DEST_STATS, DEST_STATS64);
    c.active_conns = find(DEST_ACTIVE_CONNS).and_then(get_u32).unwrap_or(0);
    c.inactive_conns = find(DEST_INACT_CONNS).and_then(get_u32).unwrap_or(0);
    Some(((d.addr, d.port), c))
}

fn get_addr(v: &[u8], ipv6: bool) -> Option<IpAddr> {
    if ipv6 {
        let b: [u8; 16] = v.get(..16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        let b: [u8; 4] = v.get(..4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(b)))
    }
}

fn get_str(v: &[u8]) -> String {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// A service from the nested IPVS_CMD_ATTR_SERVICE attribute's payload.
pub fn decode_service(b: &[u8]) -> Option<Service> {
    let a = attrs(b);
    let find = |t: u16| a.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
    let ipv6 = get_u16(find(SVC_AF)?)? == AF_INET6;
    let key = match find(SVC_FWMARK).and_then(get_u32).filter(|m| *m != 0) {
        Some(mark) => SvcKey::Fwmark { ipv6, mark },
        None => SvcKey::Addr {
            protocol: get_u16(find(SVC_PROTOCOL)?)?,
            addr: get_addr(find(SVC_ADDR)?, ipv6)?,
            port: u16::from_be_bytes(find(SVC_PORT)?.get(..2)?.try_into().ok()?),
        },
    };
    let netmask = find(SVC_NETMASK)
        .and_then(|v| v.get(..4))
        .map(|v| {
            let b: [u8; 4] = [v[0], v[1], v[2], v[3]];
            if ipv6 {
                u32::from_ne_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        })
        .unwrap_or(0);
    Some(Service {
        key,
        sched: find(SVC_SCHED_NAME).map(get_str).unwrap_or_default(),
        flags: find(SVC_FLAGS).and_then(get_u32).unwrap_or(0) & !SVC_F_HASHED,
        timeout: find(SVC_TIMEOUT).and_then(get_u32).unwrap_or(0),
        netmask,
        pe_name: find(SVC_PE_NAME).map(get_str).filter(|s| !s.is_empty()),
    })
}

/// A destination from the nested IPVS_CMD_ATTR_DEST attribute's payload.
pub fn decode_dest(b: &[u8], svc_ipv6: bool) -> Option<Dest> {
    let a = attrs(b);
    let find = |t: u16| a.iter().find(|(ty, _)| *ty == t).map(|(_, v)| *v);
    let ipv6 = match find(DEST_ADDR_FAMILY).and_then(get_u16) {
        Some(f) => f == AF_INET6,
        None => svc_ipv6,
    };
    Some(Dest {
        addr: get_addr(find(DEST_ADDR)?, ipv6)?,
        port: u16::from_be_bytes(find(DEST_PORT)?.get(..2)?.try_into().ok()?),
        forward: match Forward::from_code(find(DEST_FWD_METHOD).and_then(get_u32).unwrap_or(0)) {
            Forward::Tunnel(_) => Forward::Tunnel(decode_tunnel(
                find(DEST_TUN_TYPE).and_then(|v| v.first().copied()),
                find(DEST_TUN_PORT)
                    .and_then(|v| Some(u16::from_be_bytes(v.get(..2)?.try_into().ok()?))),
                find(DEST_TUN_FLAGS).and_then(get_u16),
            )),
            f => f,
        },
        weight: find(DEST_WEIGHT).and_then(get_u32).unwrap_or(0),
        u_threshold: find(DEST_U_THRESH).and_then(get_u32).unwrap_or(0),
        l_threshold: find(DEST_L_THRESH).and_then(get_u32).unwrap_or(0),
    })
}

/// What one reply message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A generic netlink message: its attributes (after the 4-byte generic header).
    Data(Vec<u8>),
    /// NLMSG_ERROR with 0: the request was carried out.
    Ack,
    /// NLMSG_ERROR with an errno: the kernel refused the request.
    Error(i32),
    /// NLMSG_DONE: the end of a dump.
    Done,
}

/// One reply message: the sequence number of the request it answers, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub seq: u32,
    pub frame: Frame,
    /// The message type (the family for a generic netlink message).
    pub ty: u16,
}

/// Cuts one datagram from the kernel into its messages; stops at the first malformed one.
pub fn split_replies(rx: &[u8]) -> Vec<Reply> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= rx.len() {
        let len = u32::from_ne_bytes(rx[off..off + 4].try_into().unwrap_or([0; 4])) as usize;
        if len < 16 || off + len > rx.len() {
            break;
        }
        let ty = u16::from_ne_bytes([rx[off + 4], rx[off + 5]]);
        let seq = u32::from_ne_bytes(rx[off + 8..off + 12].try_into().unwrap_or([0; 4]));
        let body = &rx[off + 16..off + len];
        let frame = match ty {
            NLMSG_ERROR => match body.get(..4) {
                Some(e) => match -i32::from_ne_bytes(e.try_into().unwrap_or([0; 4])) {
                    0 => Frame::Ack,
                    e => Frame::Error(e),
                },
                None => Frame::Error(0),
            },
            NLMSG_DONE => Frame::Done,
            _ => Frame::Data(body.get(4..).unwrap_or(&[]).to_vec()),
        };
        out.push(Reply { seq, frame, ty });
        off += align4(len);
    }
    out
}

/// The request that resolves the IPVS family's id on a generic netlink socket.
pub fn family_request(seq: u32) -> Vec<u8> {
    let mut body = Vec::new();
    put_attr(&mut body, CTRL_ATTR_FAMILY_NAME, b"IPVS\0");
    message(
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CTRL_CMD_GETFAMILY,
        &body,
    )
}

/// The IPVS family's id in the controller's answer to [`family_request`].
pub fn family_id(replies: &[Reply]) -> Option<u16> {
    replies
        .iter()
        .filter(|r| r.ty == GENL_ID_CTRL)
        .filter_map(|r| match &r.frame {
            Frame::Data(p) => attrs(p)
                .into_iter()
                .find(|(t, _)| *t == CTRL_ATTR_FAMILY_ID)
                .and_then(|(_, v)| get_u16(v)),
            _ => None,
        })
        .next()
}

/// The request that dumps every service.
pub fn dump_services(family: u16, seq: u32) -> Vec<u8> {
    message(
        family,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        CMD_GET_SERVICE,
        &[],
    )
}

/// The request for the one service `k`: the kernel answers with it, then the ACK asked
/// for, or ESRCH when it has no such service. A change to a few services of thousands
/// reads them so, rather than through a dump of every service.
pub fn get_service(family: u16, seq: u32, k: &SvcKey) -> Vec<u8> {
    let mut body = Vec::new();
    put_nested(&mut body, ATTR_SERVICE, |b| put_key(b, k));
    message(
        family,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        CMD_GET_SERVICE,
        &body,
    )
}

/// The request that dumps the destinations of the service `k`.
pub fn dump_dests(family: u16, seq: u32, k: &SvcKey) -> Vec<u8> {
    let mut body = Vec::new();
    put_nested(&mut body, ATTR_SERVICE, |b| put_key(b, k));
    message(family, NLM_F_REQUEST | NLM_F_DUMP, seq, CMD_GET_DEST, &body)
}

/// The payloads of the service attributes in a dump's message.
pub fn services_in(payload: &[u8]) -> Vec<&[u8]> {
    of_type(payload, ATTR_SERVICE)
}

/// The payloads of the destination attributes in a dump's message.
pub fn dests_in(payload: &[u8]) -> Vec<&[u8]> {
    of_type(payload, ATTR_DEST)
}

fn of_type(payload: &[u8], ty: u16) -> Vec<&[u8]> {
    attrs(payload)
        .into_iter()
        .filter(|(t, _)| *t == ty)
        .map(|(_, v)| v)
        .collect()
}

/// A command as ipvsadm would be told it.
pub fn describe(c: &Cmd) -> String {
    match c {
        Cmd::NewService(s) => format!("add service {} ({})", s.key, s.sched),
        Cmd::SetService(s) => format!("change service {} ({})", s.key, s.sched),
        Cmd::DelService(k) => format!("remove service {k}"),
        Cmd::NewDest(k, d) => format!(
            "add real server {} to {k} (weight {})",
            endpoint(d.addr, d.port),
            d.weight
        ),
        Cmd::SetDest(k, d) => format!(
            "set real server {} of {k} to weight {}",
            endpoint(d.addr, d.port),
            d.weight
        ),
        Cmd::DelDest(k, a, p) => format!("remove real server {} from {k}", endpoint(*a, *p)),
        Cmd::Flush => "flush the table".into(),
        Cmd::Timeouts(..) => "set the timeouts".into(),
        Cmd::NewDaemon(d) => {
            format!("start the {:?} sync daemon on {}", d.role, d.interface).to_lowercase()
        }
        Cmd::DelDaemon(r) => format!("stop the {r:?} sync daemon").to_lowercase(),
    }
}

fn endpoint(a: std::net::IpAddr, p: u16) -> String {
    match a {
        std::net::IpAddr::V4(v) => format!("{v}:{p}"),
        std::net::IpAddr::V6(v) => format!("[{v}]:{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> Service {
        Service {
            key: SvcKey::Addr {
                protocol: 6,
                addr: "10.0.0.1".parse().unwrap(),
                port: 80,
            },
            sched: "rr".into(),
            flags: SVC_F_PERSISTENT,
            timeout: 300,
            netmask: 0xffff_ff00,
            pe_name: None,
        }
    }

    #[test]
    fn new_service_bytes() {
        // The layout libipvs.c / ipvsadm send (ipvsadm -A -t 10.0.0.1:80 -s rr -p 300
        // -M 255.255.255.0), little-endian host.
        let m = encode(0x1c, 7, &Cmd::NewService(svc()));
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            104, 0, 0, 0, 0x1c, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr, REQUEST|ACK
            1, 1, 0, 0, // NEW_SERVICE, version 1
            84, 0, 1, 0x80, // nested SERVICE
            6, 0, 1, 0, 2, 0, 0, 0, // AF_INET
            6, 0, 2, 0, 6, 0, 0, 0, // TCP
            20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            6, 0, 4, 0, 0, 80, 0, 0, // port, network order
            7, 0, 6, 0, b'r', b'r', 0, 0,
            12, 0, 7, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
            8, 0, 8, 0, 44, 1, 0, 0,
            8, 0, 9, 0, 255, 255, 255, 0,
        ];
        if cfg!(target_endian = "little") {
            assert_eq!(m, want);
        }
    }

    #[test]
    fn service_round_trip() {
        for s in [
            svc(),
            Service {
                key: SvcKey::Fwmark {
                    ipv6: true,
                    mark: 42,
                },
                sched: "wlc".into(),
                flags: 0,
                timeout: 0,
                netmask: 128,
                pe_name: Some("sip".into()),
            },
        ] {
            let m = encode(0x1c, 1, &Cmd::NewService(s.clone()));
            let nested = attrs(&m[20..]);
            assert_eq!(nested.len(), 1);
            assert_eq!(decode_service(nested[0].1), Some(s));
        }
    }

    #[test]
    fn dest_round_trip_and_delete_is_key_only() {
        let k = SvcKey::Addr {
            protocol: 17,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53,
        };
        let d = Dest {
            addr: "2001:db8::10".parse().unwrap(),
            port: 5353,
            forward: Forward::Route,
            weight: 3,
            u_threshold: 100,
            l_threshold: 10,
        };
        let m = encode(0x1c, 1, &Cmd::SetDest(k.clone(), d.clone()));
        let top = attrs(&m[20..]);
        assert_eq!(top[0].0, ATTR_SERVICE);
        assert_eq!(top[1].0, ATTR_DEST);
        assert_eq!(decode_dest(top[1].1, true), Some(d.clone()));
        let m = encode(0x1c, 1, &Cmd::DelDest(k, d.addr, d.port));
        let top = attrs(&m[20..]);
        let inner: Vec<u16> = attrs(top[1].1).iter().map(|a| a.0).collect();
        assert_eq!(inner, vec![DEST_ADDR, DEST_PORT]);
    }

    /// TUN destinations carry their encapsulation as keepalived's libipvs sends it: none
    /// for IPIP, the type and checksum flags for GRE, and the port (big-endian) for GUE.
    #[test]
    fn tunnel_attributes() {
        let k = SvcKey::Fwmark {
            ipv6: false,
            mark: 7,
        };
        let inner = |t: Tunnel| {
            let d = Dest {
                addr: "192.0.2.10".parse().unwrap(),
                port: 0,
                forward: Forward::Tunnel(t),
                weight: 1,
                u_threshold: 0,
                l_threshold: 0,
            };
            let m = encode(0x1c, 1, &Cmd::NewDest(k.clone(), d.clone()));
            let top = attrs(&m[20..]);
            assert_eq!(decode_dest(top[1].1, false), Some(d));
            attrs(top[1].1)
                .iter()
                .filter(|a| (DEST_TUN_TYPE..=DEST_TUN_FLAGS).contains(&a.0))
                .map(|a| (a.0, a.1.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(inner(Tunnel::default()), vec![]);
        assert_eq!(
            inner(Tunnel {
                kind: TunnelType::Gre,
                port: 0,
                csum: TunnelCsum::Csum
            }),
            vec![
                (DEST_TUN_TYPE, vec![2]),
                (DEST_TUN_FLAGS, 1u16.to_ne_bytes().to_vec())
            ]
        );
        assert_eq!(
            inner(Tunnel {
                kind: TunnelType::Gue,
                port: 6080,
                csum: TunnelCsum::RemCsum
            }),
            vec![
                (DEST_TUN_TYPE, vec![1]),
                (DEST_TUN_PORT, vec![0x17, 0xc0]),
                (DEST_TUN_FLAGS, 2u16.to_ne_bytes().to_vec())
            ]
        );
    }

    #[test]
    fn truncated_and_garbage_replies_do_not_panic() {
        let m = encode(0x1c, 1, &Cmd::NewService(svc()));
        for n in 0..m.len() {
            let _ = split_replies(&m[..n]);
            let _ = decode_service(&m[n.min(24)..n]);
            let _ = decode_dest(&m[n.min(24)..n], n % 2 == 0);
        }
        assert!(decode_service(&[0xff; 40]).is_none());
    }

    /// A service as the kernel dumps it: its encoding with a STATS64 (or, on old kernels,
    /// a STATS) nest added, and a destination with its connection counts.
    #[test]
    fn counters_from_stats64_and_stats() {
        let m = encode(0x1c, 1, &Cmd::NewService(svc()));
        let top = attrs(&m[20..]);
        for wide in [true, false] {
            let mut payload = top[0].1.to_vec();
            put_nested(
                &mut payload,
                if wide { SVC_STATS64 } else { SVC_STATS },
                |b| {
                    let n = |b: &mut Vec<u8>, t: u16, v: u64| {
                        if wide {
                            put_attr(b, t, &v.to_ne_bytes())
                        } else {
                            put_attr(b, t, &(v as u32).to_ne_bytes())
                        }
                    };
                    n(b, STATS_CONNS, 7);
                    n(b, STATS_INPKTS, 30);
                    n(b, STATS_OUTPKTS, 20);
                    put_attr(b, STATS_INBYTES, &3000u64.to_ne_bytes());
                    put_attr(b, STATS_OUTBYTES, &(5u64 << 32).to_ne_bytes());
                },
            );
            let (k, c) = decode_service_counters(&payload).unwrap();
            assert_eq!(k, svc().key);
            assert_eq!(
                c,
                Counters {
                    conns: 7,
                    inpkts: 30,
                    outpkts: 20,
                    inbytes: 3000,
                    outbytes: 5 << 32,
                    ..Counters::default()
                }
            );
        }
        let d = Dest {
            addr: "10.0.0.2".parse().unwrap(),
            port: 8080,
            forward: Forward::Masq,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
        };
        let m = encode(0x1c, 1, &Cmd::NewDest(svc().key, d));
        let top = attrs(&m[20..]);
        let mut payload = top[1].1.to_vec();
        put_attr(&mut payload, DEST_ACTIVE_CONNS, &3u32.to_ne_bytes());
        put_attr(&mut payload, DEST_INACT_CONNS, &4u32.to_ne_bytes());
        put_nested(&mut payload, DEST_STATS64, |b| {
            put_attr(b, STATS_CONNS, &9u64.to_ne_bytes())
        });
        let (at, c) = decode_dest_counters(&payload, false).unwrap();
        assert_eq!(at, ("10.0.0.2".parse().unwrap(), 8080));
        assert_eq!((c.conns, c.active_conns, c.inactive_conns), (9, 3, 4));
        // A service without any stats nest counts nothing; garbage does not panic.
        assert_eq!(
            decode_service_counters(top[0].1).unwrap().1,
            Counters::default()
        );
        for n in 0..payload.len() {
            let _ = decode_dest_counters(&payload[..n], true);
        }
    }

    #[test]
    fn keys_as_ipvsadm_lists_them_and_counters_add_up() {
        let k = |protocol, addr: &str, port| SvcKey::Addr {
            protocol,
            addr: addr.parse().unwrap(),
            port,
        };
        assert_eq!(k(6, "10.0.0.1", 80).to_string(), "TCP 10.0.0.1:80");
        assert_eq!(k(17, "10.0.0.1", 53).to_string(), "UDP 10.0.0.1:53");
        assert_eq!(k(132, "fd00::1", 80).to_string(), "SCTP [fd00::1]:80");
        assert_eq!(k(99, "10.0.0.1", 1).to_string(), "? 10.0.0.1:1");
        assert_eq!(
            SvcKey::Fwmark {
                ipv6: false,
                mark: 5
            }
            .to_string(),
            "FWM 5"
        );
        assert_eq!(
            SvcKey::Fwmark {
                ipv6: true,
                mark: 5
            }
            .to_string(),
            "FWM 5 IPv6"
        );
        let c = |n: u64| Counters {
            conns: n,
            inpkts: n + 1,
            outpkts: n + 2,
            inbytes: n + 3,
            outbytes: n + 4,
            active_conns: n as u32 + 5,
            inactive_conns: n as u32 + 6,
        };
        let mut a = c(10);
        a += c(100);
        assert_eq!(
            a,
            Counters {
                conns: 110,
                inpkts: 112,
                outpkts: 114,
                inbytes: 116,
                outbytes: 118,
                active_conns: 120,
                inactive_conns: 122,
            }
        );
    }

    #[test]
    fn sync_daemons_and_timeouts() {
        let d = SyncDaemon {
            role: SyncRole::Backup,
            interface: "eth1".into(),
            sync_id: 7,
            maxlen: None,
            group: None,
            port: None,
            ttl: None,
        };
        let m = encode(0x1c, 1, &Cmd::NewDaemon(d.clone()));
        assert_eq!(m[16], CMD_NEW_DAEMON);
        let top = attrs(&m[20..]);
        assert_eq!(top[0].0, ATTR_DAEMON);
        let inner = attrs(top[0].1);
        assert_eq!(
            inner[0],
            (DAEMON_STATE, &2u32.to_ne_bytes()[..]),
            "backup is 2"
        );
        assert_eq!(inner[1], (DAEMON_MCAST_IFN, &b"eth1\0"[..]));
        assert_eq!(inner[2], (DAEMON_SYNC_ID, &7u32.to_ne_bytes()[..]));
        let m = encode(0x1c, 1, &Cmd::DelDaemon(SyncRole::Master));
        assert_eq!(m[16], CMD_DEL_DAEMON);
        let inner = attrs(attrs(&m[20..])[0].1);
        assert_eq!(
            inner,
            vec![(DAEMON_STATE, &1u32.to_ne_bytes()[..])],
            "master is 1"
        );
        // Timeouts: a zero leaves that one as it is (not sent).
        let m = encode(0x1c, 1, &Cmd::Timeouts(900, 0, 300));
        assert_eq!(m[16], CMD_SET_CONFIG);
        let t: Vec<(u16, u32)> = attrs(&m[20..])
            .into_iter()
            .map(|(ty, v)| (ty, get_u32(v).unwrap()))
            .collect();
        assert_eq!(t, vec![(ATTR_TIMEOUT_TCP, 900), (ATTR_TIMEOUT_UDP, 300)]);
    }

    /// A netlink message as the kernel sends it: header, then `body` (for generic
    /// netlink: its 4-byte header and the attributes).
    fn kernel_msg(ty: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(body);
        m.resize(align4(m.len()), 0);
        m
    }

    #[test]
    fn replies_are_cut_into_frames() {
        // The controller's answer: the family id, then the ACK; a dump's DONE; a NACK.
        let mut ctrl = vec![1, 2, 0, 0];
        put_attr(&mut ctrl, CTRL_ATTR_FAMILY_NAME, b"IPVS\0");
        put_u16(&mut ctrl, CTRL_ATTR_FAMILY_ID, 0x23);
        let mut rx = kernel_msg(GENL_ID_CTRL, 5, &ctrl);
        rx.extend(kernel_msg(NLMSG_ERROR, 5, &0i32.to_ne_bytes()));
        rx.extend(kernel_msg(NLMSG_DONE, 6, &[]));
        rx.extend(kernel_msg(NLMSG_ERROR, 7, &(-2i32).to_ne_bytes()));
        let r = split_replies(&rx);
        assert_eq!(
            r.iter().map(|r| (r.seq, r.ty)).collect::<Vec<_>>(),
            vec![
                (5, GENL_ID_CTRL),
                (5, NLMSG_ERROR),
                (6, NLMSG_DONE),
                (7, NLMSG_ERROR)
            ]
        );
        assert_eq!(r[1].frame, Frame::Ack);
        assert_eq!(r[2].frame, Frame::Done);
        assert_eq!(r[3].frame, Frame::Error(2), "the errno, positive");
        assert_eq!(family_id(&r), Some(0x23));
        assert_eq!(
            family_id(&r[1..]),
            None,
            "no family without the controller's answer"
        );
        // A length that runs past the datagram ends the cut there.
        let mut bad = kernel_msg(NLMSG_DONE, 1, &[]);
        bad[0] = 200;
        assert!(split_replies(&bad).is_empty());
    }

    #[test]
    fn requests_name_their_family_command_and_flags() {
        let flags = |m: &[u8]| u16::from_ne_bytes([m[6], m[7]]);
        let f = family_request(3);
        assert_eq!(u16::from_ne_bytes([f[4], f[5]]), GENL_ID_CTRL);
        assert_eq!(flags(&f), NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(f[16], CTRL_CMD_GETFAMILY);
        assert_eq!(
            attrs(&f[20..]),
            vec![(CTRL_ATTR_FAMILY_NAME, &b"IPVS\0"[..])]
        );
        let d = dump_services(0x1c, 4);
        assert_eq!(
            (u16::from_ne_bytes([d[4], d[5]]), flags(&d), d[16]),
            (0x1c, NLM_F_REQUEST | NLM_F_DUMP, CMD_GET_SERVICE)
        );
        let k = svc().key;
        // One service asked for: not a dump, and acknowledged (the end of its answer).
        let g = get_service(0x1c, 6, &k);
        assert_eq!(
            (flags(&g), g[16]),
            (NLM_F_REQUEST | NLM_F_ACK, CMD_GET_SERVICE)
        );
        let top = attrs(&g[20..]);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].0, ATTR_SERVICE);
        let mut key = Vec::new();
        put_key(&mut key, &k);
        assert_eq!(top[0].1, &key[..]);
        let d = dump_dests(0x1c, 5, &k);
        assert_eq!(
            (flags(&d), d[16]),
            (NLM_F_REQUEST | NLM_F_DUMP, CMD_GET_DEST)
        );
        let top = attrs(&d[20..]);
        assert_eq!(top[0].0, ATTR_SERVICE);
        // A dump's message: services and destinations picked out of its attributes.
        let m = encode(
            0x1c,
            1,
            &Cmd::NewDest(
                k.clone(),
                Dest {
                    addr: "10.0.0.2".parse().unwrap(),
                    port: 80,
                    forward: Forward::Route,
                    weight: 1,
                    u_threshold: 0,
                    l_threshold: 0,
                },
            ),
        );
        assert_eq!(services_in(&m[20..]).len(), 1);
        assert_eq!(dests_in(&m[20..]).len(), 1);
        assert_eq!(
            decode_service(services_in(&m[20..])[0]).map(|s| s.key),
            Some(k)
        );
    }

    #[test]
    fn commands_as_ipvsadm_would_be_told_them() {
        let k = svc().key;
        let d = Dest {
            addr: "fd00::2".parse().unwrap(),
            port: 8080,
            forward: Forward::Masq,
            weight: 3,
            u_threshold: 0,
            l_threshold: 0,
        };
        assert_eq!(
            describe(&Cmd::NewService(svc())),
            "add service TCP 10.0.0.1:80 (rr)"
        );
        assert_eq!(
            describe(&Cmd::DelService(k.clone())),
            "remove service TCP 10.0.0.1:80"
        );
        assert_eq!(
            describe(&Cmd::NewDest(k.clone(), d.clone())),
            "add real server [fd00::2]:8080 to TCP 10.0.0.1:80 (weight 3)"
        );
        assert_eq!(
            describe(&Cmd::DelDest(k, "10.0.0.3".parse().unwrap(), 80)),
            "remove real server 10.0.0.3:80 from TCP 10.0.0.1:80"
        );
        assert_eq!(
            describe(&Cmd::DelDaemon(SyncRole::Master)),
            "stop the master sync daemon"
        );
    }

    #[test]
    fn empty_attributes_family_of_a_destination_and_what_a_dump_holds() {
        // An attribute with no payload (length 4) is one, and the next follows it.
        let mut b = Vec::new();
        put_attr(&mut b, 1, &[]);
        put_u32(&mut b, 2, 9);
        assert_eq!(attrs(&b), vec![(1, &[][..]), (2, &9u32.to_ne_bytes()[..])]);
        // A destination says its own family (an IPv4 one behind an IPv6 service).
        let mut d = Vec::new();
        put_u16(&mut d, DEST_ADDR_FAMILY, AF_INET);
        put_attr(&mut d, DEST_ADDR, &inet_addr("10.0.0.7".parse().unwrap()));
        put_attr(&mut d, DEST_PORT, &80u16.to_be_bytes());
        assert_eq!(
            decode_dest(&d, true).map(|d| d.addr),
            Some("10.0.0.7".parse().unwrap())
        );
        // dests_in returns the destinations' own payloads.
        let mut m = Vec::new();
        put_nested(&mut m, ATTR_SERVICE, |b| put_key(b, &svc().key));
        put_nested(&mut m, ATTR_DEST, |b| b.extend_from_slice(&d));
        assert_eq!(dests_in(&m), vec![&d[..]]);
    }

    #[test]
    fn kernel_flags_hashed_is_ignored() {
        let mut s = svc();
        s.flags |= SVC_F_HASHED;
        let m = encode(0x1c, 1, &Cmd::NewService(s));
        let top = attrs(&m[20..]);
        assert_eq!(decode_service(top[0].1).unwrap().flags, SVC_F_PERSISTENT);
    }
}
