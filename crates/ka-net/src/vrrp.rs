//! Raw VRRP sockets for IPv4 (keepalived vrrp_if.c open_vrrp_send_socket /
//! open_vrrp_read_socket): sending with IP_HDRINCL (we build the header, as keepalived),
//! bound to the interface, multicast loopback off; receiving protocol 112 and 51 with the
//! group joined on the interface. Non-blocking, for a mio loop.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub const PROTO_VRRP: i32 = 112;
pub const PROTO_AH: i32 = 51;

pub struct SendSocket {
    sock: Socket,
}

impl SendSocket {
    /// A socket bound to `ifname` (an interface, or a VRF device); "": not bound, the
    /// kernel routes each advert (a unicast instance without an interface).
    pub fn new(ifname: &str) -> io::Result<SendSocket> {
        let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(PROTO_VRRP)))?;
        sock.set_header_included_v4(true)?;
        if !ifname.is_empty() {
            sock.bind_device(Some(ifname.as_bytes()))?;
        }
        sock.set_multicast_loop_v4(false)?;
        sock.set_nonblocking(true)?;
        Ok(SendSocket { sock })
    }

    /// Sends a whole IPv4 packet (header included) to `dst`.
    pub fn send(&self, dst: Ipv4Addr, packet: &[u8]) -> io::Result<usize> {
        let addr = SockAddr::from(SocketAddrV4::new(dst, 0));
        self.sock.send_to(packet, &addr)
    }
}

pub struct RecvSocket {
    sock: Socket,
}

impl RecvSocket {
    /// A socket for `proto` (112, or 51 for AH) on `ifname`, joined to `group` when given;
    /// `ifname` "": on every interface (a unicast instance without one).
    pub fn new(
        ifname: &str,
        ifindex: u32,
        proto: i32,
        group: Option<Ipv4Addr>,
    ) -> io::Result<RecvSocket> {
        let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(proto)))?;
        if !ifname.is_empty() {
            sock.bind_device(Some(ifname.as_bytes()))?;
        }
        sock.set_multicast_all_v4(false)?;
        if let Some(g) = group {
            sock.join_multicast_v4_n(&g, &socket2::InterfaceIndexOrAddress::Index(ifindex))?;
        }
        sock.set_nonblocking(true)?;
        Ok(RecvSocket { sock })
    }

    /// One packet (IP header included), or WouldBlock.
    pub fn recv<'a>(&self, buf: &'a mut [u8]) -> io::Result<&'a [u8]> {
        // SAFETY: recv only writes initialized bytes into the buffer; reading it back as
        // [u8] up to the returned length is sound. MaybeUninit<u8> has u8's layout.
        let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        let n = self.sock.recv(uninit)?;
        Ok(&buf[..n])
    }
}

impl AsRawFd for RecvSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl std::os::fd::AsFd for RecvSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
