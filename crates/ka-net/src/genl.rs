//! A generic netlink socket that sends requests and returns what the kernel answers, as
//! bytes: the messages themselves are built and read by pure code (ka-check's
//! `ipvs::kernel` for the IPVS family).

use std::io;

/// A NETLINK_GENERIC socket, bound and connected to the kernel.
pub struct Socket {
    sock: netlink_sys::Socket,
}

impl Socket {
    pub fn open() -> io::Result<Socket> {
        let mut sock = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_GENERIC)?;
        sock.bind_auto()?;
        sock.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        Ok(Socket { sock })
    }

    /// Sends one request (a whole netlink message).
    pub fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        self.sock.send(msg, 0).map(|_| ())
    }

    /// Waits for the next datagram from the kernel, whatever its size.
    pub fn recv(&mut self) -> io::Result<Vec<u8>> {
        self.sock.recv_from_full().map(|(rx, _)| rx)
    }
}
