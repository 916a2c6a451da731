//! Adding and removing addresses over rtnetlink (netlink-packet-route), one request and
//! its acknowledgement at a time.

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
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

impl Netlink {
    pub fn new() -> io::Result<Netlink> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        Ok(Netlink { sock, seq: 0 })
    }

    fn request(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
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
                    if let NetlinkPayload::Error(e) = m.payload {
                        return match e.code {
                            None => Ok(()),
                            Some(c) => Err(io::Error::from_raw_os_error(-c.get())),
                        };
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
