//! The IPVS table the configuration and the servers' states call for, and the commands
//! that bring the kernel's table to it.
//!
//! keepalived (ipwrapper.c, ipvswrapper.c) sends one command per state change and trusts
//! the kernel to hold what it sent. Here the pool's [`IpvsOp`]s update a *wanted* table
//! and [`reconcile`] compares it with what the kernel holds: a restarted or reloaded
//! checker that finds its services already in place sends nothing, a destination someone
//! removed by hand is put back, and a failed command is retried at the next change.
//!
//! [`kernel`] holds the kernel's objects as data ([`SvcKey`], [`Service`], [`Dest`],
//! [`Cmd`]) and their generic netlink messages.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ka_config::model::{self, Config, Family, LbKind, VsGroupEntry, VsKey};

use crate::service::IpvsOp;

pub mod kernel;
pub mod marks;

pub use kernel::{
    describe, Cmd, CounterTable, Counters, Dest, Forward, Service, SvcKey, SyncDaemon, SyncRole,
    Table, SVC_F_HASHED, SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2,
    SVC_F_SCHED3,
};

/// One virtual server's services and destinations as the configuration describes them.
#[derive(Clone, Debug, PartialEq)]
pub struct VsLayout {
    pub services: Vec<Service>,
    /// Per real server, its destination with the configured weight.
    pub rs: Vec<Dest>,
    pub sorry: Option<Dest>,
}

use marks::protocol;

fn forward(k: LbKind) -> Forward {
    match k {
        LbKind::Nat => Forward::Masq,
        LbKind::Dr => Forward::Route,
        LbKind::Tun(t) => Forward::Tunnel(t),
    }
}

/// A group range is expanded to at most this many addresses (a bound on what one
/// configuration line can make us hold; the rest of the range is left out).
pub const MAX_RANGE: u128 = 65536;

/// The addresses of a `first-last` group entry.
fn range(first: IpAddr, last: IpAddr) -> Vec<IpAddr> {
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let (a, b) = (u32::from(a), u32::from(b));
            (a..=b.max(a))
                .take(MAX_RANGE as usize)
                .map(|x| IpAddr::from(std::net::Ipv4Addr::from(x)))
                .collect()
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let (a, b) = (u128::from(a), u128::from(b));
            let n = (b.max(a) - a).min(MAX_RANGE - 1);
            (0..=n)
                .map(|i| IpAddr::from(std::net::Ipv6Addr::from(a + i)))
                .collect()
        }
        _ => vec![first],
    }
}

/// `persistence_granularity`: a dotted mask for IPv4, a prefix length for IPv6.
fn granularity(g: Option<&str>, ipv6: bool) -> u32 {
    let full = if ipv6 { 128 } else { u32::MAX };
    let Some(g) = g else { return full };
    if let Ok(m) = g.parse::<std::net::Ipv4Addr>() {
        return if ipv6 { full } else { u32::from(m) };
    }
    match g.trim_start_matches('/').parse::<u32>() {
        Ok(n) if ipv6 && (1..=128).contains(&n) => n,
        Ok(n) if !ipv6 && n <= 32 => {
            if n == 0 {
                0
            } else {
                u32::MAX << (32 - n)
            }
        }
        _ => full,
    }
}

/// The services and destinations of every virtual server, in configuration order.
pub fn layout(c: &Config) -> Vec<VsLayout> {
    let marks = marks::auto_marks(c);
    c.virtual_servers
        .iter()
        .map(|v| vs_layout(c, v, &marks))
        .collect()
}

fn vs_ipv6(v: &model::VirtualServer) -> bool {
    match v.ip_family {
        Some(f) => f == Family::Inet6,
        None => match &v.key {
            VsKey::Addr { ip, .. } => ip.is_ipv6(),
            _ => v.real_servers.first().is_some_and(|r| r.ip.is_ipv6()),
        },
    }
}

fn vs_layout(c: &Config, v: &model::VirtualServer, marks: &marks::AutoMarks) -> VsLayout {
    let ipv6 = vs_ipv6(v);
    let mut keys: Vec<(SvcKey, u16)> = Vec::new();
    let proto = protocol(v.protocol);
    match &v.key {
        // nftables_ipvs: the group's addresses are marked by nftables; one fwmark service
        // per family the group has (keepalived ipvs_cmd: both when it has both).
        VsKey::Group(name) if marks.contains_key(&(name.clone(), proto)) => {
            let mark = marks[&(name.clone(), proto)];
            let entries = || {
                c.vs_groups
                    .iter()
                    .filter(|g| &g.name == name)
                    .flat_map(|g| &g.entries)
            };
            for v6 in [false, true] {
                if entries().any(
                    |e| matches!(e, VsGroupEntry::Range { first, .. } if first.is_ipv6() == v6),
                ) {
                    keys.push((SvcKey::Fwmark { ipv6: v6, mark }, 0));
                }
            }
        }
        VsKey::Addr { ip, port } => keys.push((
            SvcKey::Addr {
                protocol: proto,
                addr: *ip,
                port: *port,
            },
            *port,
        )),
        VsKey::Fwmark(m) => keys.push((SvcKey::Fwmark { ipv6, mark: *m }, 0)),
        VsKey::Group(name) => {
            for g in c.vs_groups.iter().filter(|g| &g.name == name) {
                for e in &g.entries {
                    match e {
                        VsGroupEntry::Range { first, last, port } => {
                            for a in range(*first, *last) {
                                keys.push((
                                    SvcKey::Addr {
                                        protocol: proto,
                                        addr: a,
                                        port: *port,
                                    },
                                    *port,
                                ));
                            }
                        }
                        VsGroupEntry::Fwmark { mark, family } => keys.push((
                            SvcKey::Fwmark {
                                ipv6: family.map(|f| f == Family::Inet6).unwrap_or(ipv6),
                                mark: *mark,
                            },
                            0,
                        )),
                    }
                }
            }
        }
    }
    let services = keys
        .iter()
        .map(|(key, port)| {
            let persistent = v.persistence_timeout.is_some();
            // keepalived: a service on port 0 is persistent (360 s unless given).
            let timeout = match v.persistence_timeout {
                Some(t) => t,
                None if *port == 0 && matches!(key, SvcKey::Addr { .. }) => 360,
                None => 0,
            };
            let mut flags = 0;
            if persistent || timeout > 0 {
                flags |= SVC_F_PERSISTENT;
            }
            for (i, f) in [SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3]
                .iter()
                .enumerate()
            {
                if v.sched_flags & (1 << i) != 0 {
                    flags |= f;
                }
            }
            if v.ops {
                flags |= SVC_F_ONEPACKET;
            }
            Service {
                key: key.clone(),
                sched: v.lb_algo.clone(),
                flags,
                timeout,
                // keepalived 2.2.7 leaves a group's services without the granularity
                // (seen in integration/vm/parity/groups-fwmark-dr.conf); so do we.
                netmask: match v.key {
                    VsKey::Group(_) => granularity(None, key.ipv6()),
                    _ => granularity(v.persistence_granularity.as_deref(), key.ipv6()),
                },
                // keepalived ipvswrapper.c: the engine goes with a persistent service.
                pe_name: v.persistence_engine.clone().filter(|_| timeout > 0),
            }
        })
        .collect();
    let rs = v
        .real_servers
        .iter()
        .map(|r| Dest {
            addr: r.ip,
            port: r.port,
            forward: forward(r.lb_kind.unwrap_or(v.lb_kind)),
            weight: r.weight.max(0) as u32,
            u_threshold: r.uthreshold.unwrap_or(0),
            l_threshold: r.lthreshold.unwrap_or(0),
        })
        .collect();
    let sorry = v.sorry_server.as_ref().map(|s| Dest {
        addr: s.ip,
        port: s.port,
        forward: forward(s.lb_kind.unwrap_or(v.lb_kind)),
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
    });
    VsLayout {
        services,
        rs,
        sorry,
    }
}

/// The port destination `d` has in service `key`: 0 in a firewall-mark service unless
/// NAT.
pub fn service_port(key: &SvcKey, d: &Dest) -> u16 {
    match key {
        SvcKey::Fwmark { .. } if d.forward != Forward::Masq => 0,
        _ => d.port,
    }
}

/// What should be in the kernel: the layout with each destination's current weight.
pub struct Wanted {
    pub layout: Vec<VsLayout>,
    rs: Vec<Vec<Option<u32>>>,
    sorry: Vec<Option<u32>>,
}

impl Wanted {
    /// Nothing but the services, until the pool's start-up operations arrive.
    pub fn new(layout: Vec<VsLayout>) -> Wanted {
        let rs = layout.iter().map(|v| vec![None; v.rs.len()]).collect();
        let sorry = vec![None; layout.len()];
        Wanted { layout, rs, sorry }
    }

    /// Applies one of the pool's operations; returns the virtual server it concerns.
    pub fn apply(&mut self, op: &IpvsOp) -> usize {
        match *op {
            IpvsOp::AddDest { vs, rs, weight } | IpvsOp::SetWeight { vs, rs, weight } => {
                if let Some(w) = self.rs.get_mut(vs).and_then(|v| v.get_mut(rs)) {
                    *w = Some(weight);
                }
                vs
            }
            IpvsOp::DelDest { vs, rs } => {
                if let Some(w) = self.rs.get_mut(vs).and_then(|v| v.get_mut(rs)) {
                    *w = None;
                }
                vs
            }
            IpvsOp::AddSorry { vs, weight } => {
                if let Some(s) = self.sorry.get_mut(vs) {
                    *s = Some(weight);
                }
                vs
            }
            IpvsOp::DelSorry { vs } => {
                if let Some(s) = self.sorry.get_mut(vs) {
                    *s = None;
                }
                vs
            }
        }
    }

    /// The destinations wanted for virtual server `vs` (the same for each of its services).
    pub fn dests(&self, vs: usize) -> BTreeMap<(IpAddr, u16), Dest> {
        let mut out = BTreeMap::new();
        let Some(l) = self.layout.get(vs) else {
            return out;
        };
        for (d, w) in l.rs.iter().zip(&self.rs[vs]) {
            if let Some(w) = w {
                out.insert(
                    (d.addr, d.port),
                    Dest {
                        weight: *w,
                        ..d.clone()
                    },
                );
            }
        }
        if let (Some(d), Some(w)) = (&l.sorry, self.sorry[vs]) {
            out.insert(
                (d.addr, d.port),
                Dest {
                    weight: w,
                    ..d.clone()
                },
            );
        }
        out
    }

    /// The part of the table virtual server `vs` owns. A firewall-mark service's
    /// destinations that are not NAT have port 0 (keepalived ipvs_cmd: the port is the
    /// packet's own), whatever the configuration gave them.
    pub fn table_for(&self, vs: usize) -> Table {
        let dests = self.dests(vs);
        let mut t = Table::new();
        if let Some(l) = self.layout.get(vs) {
            for s in &l.services {
                let d = match s.key {
                    SvcKey::Fwmark { .. } => dests
                        .values()
                        .map(|d| {
                            let port = service_port(&s.key, d);
                            ((d.addr, port), Dest { port, ..d.clone() })
                        })
                        .collect(),
                    SvcKey::Addr { .. } => dests.clone(),
                };
                t.insert(s.key.clone(), (s.clone(), d));
            }
        }
        t
    }

    /// Every service and destination this configuration wants.
    pub fn table(&self) -> Table {
        let mut t = Table::new();
        for vs in 0..self.layout.len() {
            t.extend(self.table_for(vs));
        }
        t
    }

    /// Every service key of the configuration.
    pub fn keys(&self) -> Vec<SvcKey> {
        self.layout
            .iter()
            .flat_map(|l| l.services.iter().map(|s| s.key.clone()))
            .collect()
    }
}

/// The commands that make `kernel` hold `wanted`'s services exactly: missing services and
/// destinations are added, differing ones changed, destinations of these services that are
/// not wanted removed. Services not in `wanted` are left alone (keepalived does not touch
/// what it did not create).
pub fn reconcile(wanted: &Table, kernel: &Table) -> Vec<Cmd> {
    let mut out = Vec::new();
    for (key, (svc, dests)) in wanted {
        let have = kernel.get(key);
        match have {
            None => out.push(Cmd::NewService(svc.clone())),
            Some((k, _)) if k != svc => out.push(Cmd::SetService(svc.clone())),
            Some(_) => {}
        }
        let empty = BTreeMap::new();
        let have_dests = have.map(|(_, d)| d).unwrap_or(&empty);
        for (a, d) in dests {
            match have_dests.get(a) {
                None => out.push(Cmd::NewDest(key.clone(), d.clone())),
                Some(h) if h != d => out.push(Cmd::SetDest(key.clone(), d.clone())),
                Some(_) => {}
            }
        }
        for (addr, port) in have_dests.keys() {
            if !dests.contains_key(&(*addr, *port)) {
                out.push(Cmd::DelDest(key.clone(), *addr, *port));
            }
        }
    }
    out
}
