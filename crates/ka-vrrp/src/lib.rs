//! VRRP (RFC 3768 VRRPv2, RFC 5798 VRRPv3) as keepalived 2.2.7 implements it, with no IO.
//!
//! - [`packet`], [`ip`], [`checksum`]: the advertisement codec in smoltcp's Packet/Repr
//!   style, keepalived's IPv4 header and IPsec AH, the v2 and v3 checksums;
//! - [`rx`]: the receive checks in keepalived's order, each failure its own [`DecodeError`];
//! - [`garp`]: gratuitous ARP frames and unsolicited neighbour advertisements;
//! - [`instance`]: one VRRP instance, a state machine fed with `(now, event)` that returns
//!   [`Action`]s and tells when it next needs to be woken;
//! - [`sync`]: sync groups over instances; [`script`]: vrrp_script results;
//! - [`dump`]: keepalived.stats and keepalived.data; [`json`]: the SIGJSON dump;
//! - [`reload`]: what a reload changes (which instances carry on, what is removed);
//! - [`replay`]: the router's inputs and actions as serde values, replayed on a virtual
//!   clock (the conformance cases).
//!
//! Time is handed in as [`Time`] (microseconds on the caller's monotonic clock): nothing
//! here reads a clock, opens a socket or starts a process.

#![forbid(unsafe_code)]

pub mod action;
pub mod checksum;
pub mod config;
pub mod dump;
pub mod error;
pub mod firewall;
pub mod garp;
pub mod instance;
pub mod ip;
pub mod json;
pub mod link_delay;
pub mod logs;
pub mod packet;
pub mod reload;
pub mod replay;
pub mod rx;
pub mod script;
pub mod sim;
pub mod state;
pub mod sync;
pub mod time;
pub mod track_process;

pub use action::Action;
pub use error::{DecodeError, Stats};
pub use time::Time;
