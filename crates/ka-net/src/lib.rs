//! The Linux edges keepalived-rs talks to, kept small and synchronous:
//! - [`netlink`]: adding and removing addresses over rtnetlink;
//! - [`iface`]: interface index, MAC and primary addresses;
//! - [`vrrp`]: raw VRRP sockets (IPv4: IP_HDRINCL send, multicast receive, unicast);
//! - [`packet`]: AF_PACKET frames (gratuitous ARP);
//! - [`genl`]: a generic netlink socket that carries requests built elsewhere (IPVS);
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
pub mod packet;
pub mod timer;
pub mod vrrp;
pub mod vrrp6;
