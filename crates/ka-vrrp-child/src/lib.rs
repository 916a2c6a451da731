//! The VRRP child process (`keepalived-rs --child vrrp`): [`process::VrrpProcess`] owns
//! the configuration, ka-vrrp's [`ka_vrrp::sync::Router`] (the instances and sync groups
//! as pure state machines), one set of sockets per interface, rtnetlink, the link monitor,
//! the vrrp_scripts and the notify FIFOs. Its mio loop turns packets, timers, link and
//! address events, script results and signals into router events, and carries out the
//! actions the router returns (adverts, VIPs, routes, rules, GARP, notifies, mail).
//! [`sync_daemons::SyncDaemons`] follows one instance with the IPVS sync daemon.

pub mod process;
pub mod sync_daemons;

pub use process::VrrpProcess;
