//! A NETLINK_NETFILTER socket that carries nf_tables batches (built by pure code:
//! ka-vrrp's `firewall`) and reads the kernel's acknowledgements.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

/// A NETLINK_NETFILTER socket, bound and connected to the kernel.
pub struct Socket {
    sock: netlink_sys::Socket,
}

/// How long the kernel may take to answer a batch.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

impl Socket {
    pub fn open() -> io::Result<Socket> {
        let mut sock = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_NETFILTER)?;
        sock.bind_auto()?;
        sock.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        let tv = nix::sys::time::TimeVal::new(ANSWER_WITHIN.as_secs() as _, 0);
        nix::sys::socket::setsockopt(
            &sock.as_fd(),
            nix::sys::socket::sockopt::ReceiveTimeout,
            &tv,
        )
        .map_err(io::Error::from)?;
        Ok(Socket { sock })
    }

    /// Sends one batch and waits until the kernel has acknowledged each message whose
    /// sequence number is in `seqs`; the first error it reports, if any (the kernel then
    /// applies none of the batch).
    pub fn transact(&mut self, batch: &[u8], seqs: &[u32]) -> io::Result<()> {
        let mut pending: Vec<u32> = seqs.to_vec();
        self.sock.send(batch, 0)?;
        while !pending.is_empty() {
            let (rx, _) = self.sock.recv_from_full()?;
            let mut b = &rx[..];
            while b.len() >= 16 {
                let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let ty = u16::from_ne_bytes([b[4], b[5]]);
                let seq = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
                if len < 16 || len > b.len() {
                    break;
                }
                // NLMSG_ERROR: an error code (0: an acknowledgement) for one message.
                if ty == 2 && len >= 20 && pending.contains(&seq) {
                    let code = i32::from_ne_bytes([b[16], b[17], b[18], b[19]]);
                    if code != 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    pending.retain(|s| *s != seq);
                }
                b = &b[((len + 3) & !3).min(b.len())..];
            }
        }
        Ok(())
    }
}
