//! Adding and removing addresses, routes and rules over rtnetlink (netlink-packet-route),
//! one request and its acknowledgement at a time.

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

pub struct Netlink {
    sock: Socket,
    seq: u32,
}

/// An address on an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix: u8,
    /// IPv4 broadcast, if any.
    pub brd: Option<IpAddr>,
}

/// A route (keepalived's static_routes / virtual_routes line, resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub dst: IpAddr,
    pub dst_len: u8,
    pub via: Option<IpAddr>,
    pub oif: Option<u32>,
    pub src: Option<IpAddr>,
    pub table: u32,
    pub metric: Option<u32>,
    /// RT_SCOPE_* (None: link for a direct unicast route, universe otherwise, as ip does).
    pub scope: Option<u8>,
    pub kind: RouteKind,
    pub tos: u8,
    pub mtu: Option<u32>,
    /// RTPROT_* (keepalived's own, 18, unless the line says otherwise).
    pub protocol: u8,
    pub onlink: bool,
    /// Multipath: the gateways (none for a single-path route).
    pub nexthops: Vec<NextHop>,
}

/// One gateway of a multipath route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextHop {
    pub via: Option<IpAddr>,
    pub oif: Option<u32>,
    /// 1..=256, as `ip route ... nexthop ... weight N`.
    pub weight: u16,
    pub onlink: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
}

/// A policy routing rule (keepalived's static_rules / virtual_rules line, resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub ipv6: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    /// The table to look up (main when not given, as ip rule).
    pub table: u32,
    pub priority: Option<u32>,
    pub fwmark: Option<(u32, Option<u32>)>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tos: u8,
    pub not: bool,
}

/// keepalived's routes carry protocol "keepalived" (RTPROT_KEEPALIVED = 18).
pub const RTPROT_KEEPALIVED: u8 = 18;

impl Netlink {
    pub fn new() -> io::Result<Netlink> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        Ok(Netlink { sock, seq: 0 })
    }

    fn request(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.exchange(msg, flags, |_| {})
    }

    /// Sends `msg` and reads until its acknowledgement; each reply before it goes to
    /// `each`.
    fn exchange(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        mut each: impl FnMut(RouteNetlinkMessage),
    ) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let mut hdr = NetlinkHeader::default();
        hdr.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        hdr.sequence_number = self.seq;
        let mut nl = NetlinkMessage::new(hdr, NetlinkPayload::from(msg));
        nl.finalize();
        let mut buf = vec![0u8; nl.buffer_len()];
        nl.serialize(&mut buf);
        self.sock.send(&buf, 0)?;
        loop {
            let (rx, _) = self.sock.recv_from_full()?;
            let mut off = 0;
            while off < rx.len() {
                let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rx[off..])
                    .map_err(io::Error::other)?;
                let len = m.header.length as usize;
                if m.header.sequence_number == self.seq {
                    match m.payload {
                        NetlinkPayload::Error(e) => {
                            return match e.code {
                                None => Ok(()),
                                Some(c) => Err(io::Error::from_raw_os_error(-c.get())),
                            };
                        }
                        NetlinkPayload::InnerMessage(r) => each(r),
                        _ => {}
                    }
                }
                if len == 0 {
                    break;
                }
                off += len;
            }
        }
    }

    fn message(a: &Addr) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = if a.addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        m.header.prefix_len = a.prefix;
        m.header.index = a.ifindex;
        m.attributes.push(AddressAttribute::Local(a.addr));
        m.attributes.push(AddressAttribute::Address(a.addr));
        if let Some(IpAddr::V4(b)) = a.brd {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        m
    }

    fn route_message(r: &Route) -> RouteMessage {
        let mut m = RouteMessage::default();
        m.header.address_family = if r.dst.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        m.header.destination_prefix_length = r.dst_len;
        m.header.tos = r.tos;
        m.header.protocol = RouteProtocol::from(r.protocol);
        if r.onlink {
            m.header.flags = netlink_packet_route::route::RouteFlags::Onlink;
        }
        m.header.kind = match r.kind {
            RouteKind::Unicast => RouteType::Unicast,
            RouteKind::Blackhole => RouteType::BlackHole,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Prohibit => RouteType::Prohibit,
            RouteKind::Throw => RouteType::Throw,
        };
        let direct = r.kind == RouteKind::Unicast && r.via.is_none() && r.nexthops.is_empty();
        m.header.scope = match r.scope {
            Some(s) => RouteScope::from(s),
            None if direct => RouteScope::Link,
            None => RouteScope::Universe,
        };
        if r.table < 256 {
            m.header.table = r.table as u8;
        } else {
            m.header.table = RouteHeader::RT_TABLE_UNSPEC;
            m.attributes.push(RouteAttribute::Table(r.table));
        }
        if r.dst_len > 0 {
            m.attributes
                .push(RouteAttribute::Destination(RouteAddress::from(r.dst)));
        }
        if let Some(g) = r.via {
            m.attributes
                .push(RouteAttribute::Gateway(RouteAddress::from(g)));
        }
        if let Some(o) = r.oif {
            m.attributes.push(RouteAttribute::Oif(o));
        }
        if let Some(s) = r.src {
            m.attributes
                .push(RouteAttribute::PrefSource(RouteAddress::from(s)));
        }
        if let Some(p) = r.metric {
            m.attributes.push(RouteAttribute::Priority(p));
        }
        if !r.nexthops.is_empty() {
            use netlink_packet_route::route::{RouteNextHop, RouteNextHopFlags};
            let hops = r
                .nexthops
                .iter()
                .map(|h| {
                    let mut n = RouteNextHop::default();
                    n.hops = (h.weight.clamp(1, 256) - 1) as u8;
                    n.interface_index = h.oif.unwrap_or(0);
                    if h.onlink {
                        n.flags = RouteNextHopFlags::Onlink;
                    }
                    if let Some(g) = h.via {
                        n.attributes
                            .push(RouteAttribute::Gateway(RouteAddress::from(g)));
                    }
                    n
                })
                .collect();
            m.attributes.push(RouteAttribute::MultiPath(hops));
        }
        if let Some(mtu) = r.mtu {
            m.attributes.push(RouteAttribute::Metrics(vec![
                netlink_packet_route::route::RouteMetric::Mtu(mtu),
            ]));
        }
        m
    }

    /// Adds a route; one that is already there is not an error.
    pub fn add_route(&mut self, r: &Route) -> io::Result<()> {
        match self.request(
            RouteNetlinkMessage::NewRoute(Self::route_message(r)),
            NLM_F_CREATE | NLM_F_EXCL,
        ) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            r => r,
        }
    }

    /// Removes a route; one that is already gone is not an error.
    pub fn del_route(&mut self, r: &Route) -> io::Result<()> {
        match self.request(RouteNetlinkMessage::DelRoute(Self::route_message(r)), 0) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            r => r,
        }
    }

    fn rule_message(r: &Rule) -> RuleMessage {
        let mut m = RuleMessage::default();
        m.header.family = if r.ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        m.header.tos = r.tos;
        m.header.action = RuleAction::ToTable;
        if r.not {
            m.header.flags = RuleFlags::Invert;
        }
        if r.table < 256 {
            m.header.table = r.table as u8;
        } else {
            m.header.table = 0;
        }
        m.attributes.push(RuleAttribute::Table(r.table));
        if let Some((a, len)) = r.from {
            m.header.src_len = len;
            m.attributes.push(RuleAttribute::Source(a));
        }
        if let Some((a, len)) = r.to {
            m.header.dst_len = len;
            m.attributes.push(RuleAttribute::Destination(a));
        }
        if let Some(p) = r.priority {
            m.attributes.push(RuleAttribute::Priority(p));
        }
        if let Some((mark, mask)) = r.fwmark {
            m.attributes.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                m.attributes.push(RuleAttribute::FwMask(mask));
            }
        }
        if let Some(i) = &r.iif {
            m.attributes.push(RuleAttribute::Iifname(i.clone()));
        }
        if let Some(o) = &r.oif {
            m.attributes.push(RuleAttribute::Oifname(o.clone()));
        }
        m.attributes
            .push(RuleAttribute::Protocol(RouteProtocol::from(
                RTPROT_KEEPALIVED,
            )));
        m
    }

    /// Adds a rule; one that is already there is not an error.
    pub fn add_rule(&mut self, r: &Rule) -> io::Result<()> {
        match self.request(
            RouteNetlinkMessage::NewRule(Self::rule_message(r)),
            NLM_F_CREATE | NLM_F_EXCL,
        ) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            r => r,
        }
    }

    /// Removes a rule; one that is already gone is not an error.
    pub fn del_rule(&mut self, r: &Rule) -> io::Result<()> {
        match self.request(RouteNetlinkMessage::DelRule(Self::rule_message(r)), 0) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            r => r,
        }
    }

    /// Creates a macvlan in private mode on `base` (keepalived's VMAC) and brings it up;
    /// one already there (a predecessor's, before a restart or reload) is reused.
    /// Returns its index.
    /// `group`: its interface group (IFLA_GROUP), if one is asked for.
    /// `vrf`: the VRF the base interface is enslaved to, which the VMAC joins too.
    pub fn add_macvlan(
        &mut self,
        name: &str,
        base: u32,
        mac: [u8; 6],
        group: Option<u32>,
        vrf: Option<u32>,
    ) -> io::Result<u32> {
        use netlink_packet_route::link::{
            InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkInfo, MacVlanMode,
        };
        self.add_upper(
            name,
            base,
            group,
            vrf,
            Some(LinkAttribute::Address(mac.to_vec())),
            vec![
                LinkInfo::Kind(InfoKind::MacVlan),
                LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
                    MacVlanMode::Private,
                )])),
            ],
        )
    }

    /// Creates an L2 ipvlan on `base` with `flags` (IPVLAN_F_*: 0 bridge, 1 private,
    /// 2 vepa) and brings it up (keepalived netlink_link_add_ipvlan); one already there
    /// (a predecessor's) is reused. `vrf`: the base interface's VRF, which it joins too.
    /// Returns its index.
    pub fn add_ipvlan(
        &mut self,
        name: &str,
        base: u32,
        flags: u16,
        group: Option<u32>,
        vrf: Option<u32>,
    ) -> io::Result<u32> {
        use netlink_packet_route::link::{
            InfoData, InfoIpVlan, InfoKind, IpVlanFlags, IpVlanMode, LinkInfo,
        };
        self.add_upper(
            name,
            base,
            group,
            vrf,
            None,
            vec![
                LinkInfo::Kind(InfoKind::IpVlan),
                LinkInfo::Data(InfoData::IpVlan(vec![
                    InfoIpVlan::Mode(IpVlanMode::L2),
                    InfoIpVlan::Flags(IpVlanFlags::from_bits_retain(flags)),
                ])),
            ],
        )
    }

    /// A link on `base` (a VMAC or an ipvlan), up, in `group` and `vrf` when given; one
    /// already there is reused. Returns its index.
    fn add_upper(
        &mut self,
        name: &str,
        base: u32,
        group: Option<u32>,
        vrf: Option<u32>,
        address: Option<netlink_packet_route::link::LinkAttribute>,
        info: Vec<netlink_packet_route::link::LinkInfo>,
    ) -> io::Result<u32> {
        use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
        m.attributes.push(LinkAttribute::IfName(name.to_string()));
        m.attributes.push(LinkAttribute::Link(base));
        m.attributes.extend(address);
        if let Some(g) = group {
            m.attributes.push(LinkAttribute::Group(g));
        }
        if let Some(v) = vrf {
            m.attributes.push(LinkAttribute::Controller(v));
        }
        m.attributes.push(LinkAttribute::LinkInfo(info));
        match self.request(RouteNetlinkMessage::NewLink(m), NLM_F_CREATE | NLM_F_EXCL) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(e) => return Err(e),
        }
        let index = crate::iface::index(name)?;
        self.set_up(index)?;
        Ok(index)
    }

    /// A link's kind (IFLA_INFO_KIND: "vrf", "ipvlan", "macvlan", …); None for a device
    /// without one (a physical interface).
    pub fn link_kind(&mut self, index: u32) -> io::Result<Option<String>> {
        use netlink_packet_route::link::{LinkAttribute, LinkInfo, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.index = index;
        let mut kind = None;
        self.exchange(RouteNetlinkMessage::GetLink(m), 0, |r| {
            if let RouteNetlinkMessage::NewLink(l) = r {
                for a in &l.attributes {
                    if let LinkAttribute::LinkInfo(infos) = a {
                        for i in infos {
                            if let LinkInfo::Kind(k) = i {
                                kind = Some(k.to_string());
                            }
                        }
                    }
                }
            }
        })?;
        Ok(kind)
    }

    /// The routing table of VRF `name`; None when `name` is not a VRF.
    pub fn vrf_table(&mut self, name: &str) -> io::Result<Option<u32>> {
        use netlink_packet_route::link::{InfoData, InfoVrf, LinkAttribute, LinkInfo, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.index = crate::iface::index(name)?;
        let mut table = None;
        self.exchange(RouteNetlinkMessage::GetLink(m), 0, |r| {
            let RouteNetlinkMessage::NewLink(l) = r else {
                return;
            };
            for a in &l.attributes {
                let LinkAttribute::LinkInfo(infos) = a else {
                    continue;
                };
                for i in infos {
                    if let LinkInfo::Data(InfoData::Vrf(v)) = i {
                        for x in v {
                            if let InfoVrf::TableId(t) = x {
                                table = Some(*t);
                            }
                        }
                    }
                }
            }
        })?;
        Ok(table)
    }

    /// The index of the VRF interface `name` is enslaved to, if it is one (keepalived's
    /// vrf_master_ifp; a bridge or bond master is not).
    pub fn vrf_master(&mut self, name: &str) -> Option<u32> {
        let master = std::fs::read_link(format!("/sys/class/net/{name}/master")).ok()?;
        let index = crate::iface::index(master.file_name()?.to_str()?).ok()?;
        (self.link_kind(index).ok()?.as_deref() == Some("vrf")).then_some(index)
    }

    /// Sets a link up.
    pub fn set_up(&mut self, index: u32) -> io::Result<()> {
        use netlink_packet_route::link::{LinkFlags, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
        self.request(RouteNetlinkMessage::SetLink(m), 0)
    }

    /// Sets a link's interface group (keepalived netlink_link_group): the kernel announces
    /// the link (RTM_NEWLINK) even when the group does not change.
    pub fn set_group(&mut self, index: u32, group: u32) -> io::Result<()> {
        use netlink_packet_route::link::{LinkAttribute, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.attributes.push(LinkAttribute::Group(group));
        self.request(RouteNetlinkMessage::SetLink(m), 0)
    }

    /// Deletes a link; one already gone is not an error.
    pub fn del_link(&mut self, index: u32) -> io::Result<()> {
        use netlink_packet_route::link::LinkMessage;
        let mut m = LinkMessage::default();
        m.header.index = index;
        match self.request(RouteNetlinkMessage::DelLink(m), 0) {
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(()),
            r => r,
        }
    }

    /// Adds an address; one that is already there is not an error.
    pub fn add_addr(&mut self, a: &Addr) -> io::Result<()> {
        match self.request(
            RouteNetlinkMessage::NewAddress(Self::message(a)),
            NLM_F_CREATE | NLM_F_EXCL,
        ) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            r => r,
        }
    }

    /// Removes an address; one that is already gone is not an error.
    pub fn del_addr(&mut self, a: &Addr) -> io::Result<()> {
        match self.request(RouteNetlinkMessage::DelAddress(Self::message(a)), 0) {
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            r => r,
        }
    }
}

impl std::os::fd::AsFd for Netlink {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
