//! AF_PACKET sockets: whole Ethernet frames out of one interface (gratuitous ARP).

use std::io;
use std::os::fd::AsRawFd;

use socket2::{Domain, Socket, Type};

pub struct FrameSocket {
    sock: Socket,
    ifindex: i32,
}

impl FrameSocket {
    pub fn new(ifindex: u32) -> io::Result<FrameSocket> {
        let proto = (libc::ETH_P_ARP as u16).to_be() as i32;
        let sock = Socket::new(Domain::PACKET, Type::RAW, Some(proto.into()))?;
        sock.set_nonblocking(true)?;
        Ok(FrameSocket {
            sock,
            ifindex: ifindex as i32,
        })
    }

    /// Sends one frame (destination MAC first) out of the interface.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        if frame.len() < 14 {
            return Err(io::Error::other("frame too short"));
        }
        // SAFETY: sockaddr_ll is plain old data; zeroed is valid.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = u16::from_be_bytes([frame[12], frame[13]]).to_be();
        sll.sll_ifindex = self.ifindex;
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&frame[..6]);
        // SAFETY: `frame` and `sll` are valid for the call; the lengths are theirs.
        let r = unsafe {
            libc::sendto(
                self.sock.as_raw_fd(),
                frame.as_ptr() as *const libc::c_void,
                frame.len(),
                0,
                &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}
