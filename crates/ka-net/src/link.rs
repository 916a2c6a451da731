//! Link state: read now (SIOCGIFFLAGS) and followed as it changes (rtnetlink RTNLGRP_LINK
//! events), for the interface an instance runs on and its track_interface entries; and
//! addresses removed by someone else (RTNLGRP_IPV4_IFADDR / IPV6_IFADDR), so that a
//! master retakes a VIP and static addresses come back.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// keepalived: an interface counts as up when it is administratively up and running.
fn up(flags: u32) -> bool {
    flags & libc::IFF_UP as u32 != 0 && flags & libc::IFF_RUNNING as u32 != 0
}

/// Whether the interface is up now.
pub fn is_up(name: &str) -> io::Result<bool> {
    let fd = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let mut req = crate::iface::ifreq(name)?;
    // SAFETY: SIOCGIFFLAGS reads ifr_name and writes ifr_flags inside `req`.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: after a successful SIOCGIFFLAGS the union holds ifru_flags.
    let flags = unsafe { req.ifr_ifru.ifru_flags } as u16 as u32;
    Ok(up(flags))
}

/// ETHTOOL_GLINK: whether the driver says the link is up (keepalived linkbeat's ETHTOOL
/// method). An error when the driver cannot say.
pub fn ethtool_link(name: &str) -> io::Result<bool> {
    #[repr(C)]
    struct EthtoolValue {
        cmd: u32,
        data: u32,
    }
    const ETHTOOL_GLINK: u32 = 0x0000_000a;
    let fd = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let mut val = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    let mut req = crate::iface::ifreq(name)?;
    req.ifr_ifru.ifru_data = (&mut val as *mut EthtoolValue).cast();
    // SAFETY: SIOCETHTOOL reads ifr_name and the ethtool_value ifr_data points to, which
    // lives on this stack frame for the call, and writes its data field.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCETHTOOL, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(val.data != 0)
}

/// The PHY's basic status register, link bit (keepalived linkbeat's MII method:
/// SIOCGMIIPHY, then SIOCGMIIREG of register 1 read twice, as the bit latches low).
pub fn mii_link(name: &str) -> io::Result<bool> {
    let fd = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let mut req = crate::iface::ifreq(name)?;
    // struct mii_ioctl_data { phy_id, reg_num, val_in, val_out } over ifr_ifru.
    req.ifr_ifru.ifru_slave = [0; libc::IFNAMSIZ];
    // SAFETY: SIOCGMIIPHY reads ifr_name and writes the phy id into ifr_ifru.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGMIIPHY, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut bmsr = 0u16;
    for _ in 0..2 {
        // SAFETY: ifru_slave is plain bytes; after SIOCGMIIPHY its first two hold phy_id.
        let mut d = unsafe { req.ifr_ifru.ifru_slave };
        d[2] = 1; // reg_num: MII_BMSR
        d[3] = 0;
        req.ifr_ifru.ifru_slave = d;
        // SAFETY: SIOCGMIIREG reads phy_id and reg_num and writes val_out in ifr_ifru.
        if unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGMIIREG, &mut req) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above; val_out is bytes 6 and 7.
        let d = unsafe { req.ifr_ifru.ifru_slave };
        bmsr = u16::from_ne_bytes([d[6] as u8, d[7] as u8]);
    }
    Ok(bmsr & 0x0004 != 0)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Link { name: String, up: bool },
    AddressAdded { ifindex: u32, addr: IpAddr },
    AddressRemoved { ifindex: u32, addr: IpAddr },
}

pub struct LinkMonitor {
    sock: Socket,
}

impl LinkMonitor {
    pub fn new() -> io::Result<LinkMonitor> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind(&SocketAddr::new(0, 0))?;
        sock.add_membership(libc::RTNLGRP_LINK)?;
        sock.add_membership(libc::RTNLGRP_IPV4_IFADDR)?;
        sock.add_membership(libc::RTNLGRP_IPV6_IFADDR)?;
        sock.set_non_blocking(true)?;
        Ok(LinkMonitor { sock })
    }

    fn change(m: &LinkMessage, deleted: bool) -> Option<(String, bool)> {
        let name = m.attributes.iter().find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        })?;
        let f = m.header.flags;
        let running = f.contains(LinkFlags::Up) && f.contains(LinkFlags::Running);
        Some((name, running && !deleted))
    }

    fn address(m: &AddressMessage, added: bool) -> Option<Event> {
        let addr = m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(a) => Some(*a),
            _ => None,
        });
        let addr = addr.or_else(|| {
            m.attributes.iter().find_map(|a| match a {
                AddressAttribute::Address(a) => Some(*a),
                _ => None,
            })
        })?;
        let ifindex = m.header.index;
        Some(if added {
            Event::AddressAdded { ifindex, addr }
        } else {
            Event::AddressRemoved { ifindex, addr }
        })
    }

    /// Every event waiting. On ENOBUFS (events lost) the caller should re-read the link
    /// states with [`is_up`]; that is reported as Err.
    pub fn changes(&mut self) -> io::Result<Vec<Event>> {
        let mut out = Vec::new();
        loop {
            let rx = match self.sock.recv_from_full() {
                Ok((rx, _)) => rx,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
                Err(e) => return Err(e),
            };
            let mut off = 0;
            while off < rx.len() {
                let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rx[off..]) else {
                    break;
                };
                let len = m.header.length as usize;
                match m.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => out
                        .extend(Self::change(&l, false).map(|(name, up)| Event::Link { name, up })),
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => out
                        .extend(Self::change(&l, true).map(|(name, up)| Event::Link { name, up })),
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(a)) => {
                        out.extend(Self::address(&a, false))
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => {
                        out.extend(Self::address(&a, true))
                    }
                    _ => {}
                }
                if len == 0 {
                    break;
                }
                off += len;
            }
        }
    }
}

impl AsRawFd for LinkMonitor {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl std::os::fd::AsFd for LinkMonitor {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
