//! Raw VRRP sockets for IPv6 (keepalived vrrp_if.c): the kernel builds the IPv6 header;
//! we send the VRRP message (its checksum already computed) with hop limit 255 and traffic
//! class 0xC0 from the interface's link-local address, and receive with the hop limit and
//! destination from ancillary data.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::vrrp::PROTO_VRRP;

fn setopt(s: &Socket, level: i32, name: i32, v: i32) -> io::Result<()> {
    // SAFETY: setsockopt with a pointer to a live i32 and its size.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            &v as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as u32,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub struct Socket6 {
    sock: Socket,
    ifindex: u32,
}

/// A received IPv6 advert.
pub struct Received6 {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub len: usize,
}

impl Socket6 {
    /// One socket on `ifname` for sending from `src` (link-local) and receiving, joined to
    /// `group`. `ifname` "" (ifindex 0): a unicast instance without an interface, sending
    /// from and receiving on its global `src`, which need not be configured yet.
    pub fn new(
        ifname: &str,
        ifindex: u32,
        src: Ipv6Addr,
        group: Option<Ipv6Addr>,
    ) -> io::Result<Socket6> {
        let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(PROTO_VRRP)))?;
        if !ifname.is_empty() {
            sock.bind_device(Some(ifname.as_bytes()))?;
        }
        if ifindex == 0 {
            setopt(&sock, libc::IPPROTO_IPV6, libc::IPV6_FREEBIND, 1)?;
        }
        sock.set_multicast_hops_v6(255)?;
        sock.set_unicast_hops_v6(255)?;
        sock.set_multicast_loop_v6(false)?;
        setopt(&sock, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, 0xc0)?;
        setopt(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
        setopt(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
        sock.bind(&SockAddr::from(SocketAddrV6::new(src, 0, 0, ifindex)))?;
        if let Some(g) = group {
            sock.join_multicast_v6(&g, ifindex)?;
        }
        sock.set_nonblocking(true)?;
        Ok(Socket6 { sock, ifindex })
    }

    pub fn send(&self, dst: Ipv6Addr, msg: &[u8]) -> io::Result<usize> {
        self.sock.send_to(
            msg,
            &SockAddr::from(SocketAddrV6::new(dst, 0, 0, self.ifindex)),
        )
    }

    /// One packet into `buf`, with its source, destination and hop limit; or WouldBlock.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received6> {
        // SAFETY: zeroed sockaddr_in6 / msghdr / iovec are valid values.
        let mut from: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
        let mut ctrl = [MaybeUninit::<u8>::uninit(); 256];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = &mut from as *mut libc::sockaddr_in6 as *mut libc::c_void;
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as u32;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = ctrl.len();
        // SAFETY: every pointer in `msg` refers to a live buffer of the stated size.
        let n = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &mut msg, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut hop_limit = 0u8;
        let mut dst = Ipv6Addr::UNSPECIFIED;
        // SAFETY: the CMSG_* macros walk the control buffer the kernel filled, within
        // msg_controllen; each payload is read with the type its level/type announce.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let h = &*c;
                if h.cmsg_level == libc::IPPROTO_IPV6 && h.cmsg_type == libc::IPV6_HOPLIMIT {
                    hop_limit = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const i32) as u8;
                } else if h.cmsg_level == libc::IPPROTO_IPV6 && h.cmsg_type == libc::IPV6_PKTINFO {
                    let pi =
                        std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::in6_pktinfo);
                    dst = Ipv6Addr::from(pi.ipi6_addr.s6_addr);
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        Ok(Received6 {
            src: Ipv6Addr::from(from.sin6_addr.s6_addr),
            dst,
            hop_limit,
            len: n as usize,
        })
    }
}

impl AsRawFd for Socket6 {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl std::os::fd::AsFd for Socket6 {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
