//! The Linux edges keepalived-rs talks to, kept small and synchronous:
//! - [`netlink`]: adding and removing addresses over rtnetlink;
//! - [`iface`]: interface index, MAC and primary addresses;
//! - [`vrrp`]: raw VRRP sockets (IPv4: IP_HDRINCL send, multicast receive, unicast);
//! - [`packet`]: AF_PACKET frames (gratuitous ARP);
//! - [`genl`]: a generic netlink socket that carries requests built elsewhere (IPVS);
//! - [`nftables`]: a netfilter netlink socket that carries nf_tables batches built
//!   elsewhere (ka-vrrp's `firewall`);
//! - [`inotify`]: directories watched for files written or removed;
//! - [`timer`]: a timerfd, for wakeups finer than epoll's milliseconds.
//!
//! Most of the workspace's `unsafe` lives here, each use with its `SAFETY:` line.

// Calls into the kernel and the C library live here; each unsafe block says why it
// is sound (SAFETY).
#![allow(unsafe_code)]

pub mod genl;
pub mod iface;
pub mod inotify;
pub mod link;
pub mod netlink;
pub mod nftables;
pub mod packet;
pub mod timer;
pub mod vrrp;
pub mod vrrp6;

/// A socket's receive buffer (SO_RCVBUF; the kernel doubles it), through SO_RCVBUFFORCE
/// when `force` (root may go beyond net.core.rmem_max). 0 leaves it alone.
pub fn set_rcvbuf(sock: &impl std::os::fd::AsFd, size: u32, force: bool) -> std::io::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt};
    if size == 0 {
        return Ok(());
    }
    let size = size as usize;
    if force {
        setsockopt(sock, sockopt::RcvBufForce, &size)?;
    } else {
        setsockopt(sock, sockopt::RcvBuf, &size)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_receive_buffer_is_set_and_zero_leaves_it() {
        use nix::sys::socket::{getsockopt, sockopt};
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = getsockopt(&s, sockopt::RcvBuf).unwrap();
        super::set_rcvbuf(&s, 0, false).unwrap();
        assert_eq!(getsockopt(&s, sockopt::RcvBuf).unwrap(), before);
        super::set_rcvbuf(&s, 50000, false).unwrap();
        // The kernel doubles what it is given (socket(7)).
        assert_eq!(getsockopt(&s, sockopt::RcvBuf).unwrap(), 100000);
    }
}
