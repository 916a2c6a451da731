//! The parent <-> child channel: one enum per direction, one bincode message per
//! SOCK_SEQPACKET datagram (fragments when it is larger than one may be), a protocol
//! version first, a size bound on decode. The configuration travels in parts.
//!
//! Also the two process-level edges the channel needs: starting a child with its end of
//! the socketpair, and PR_SET_PDEATHSIG in the child.

// Calls into the kernel and the C library live here; each unsafe block says why it
// is sound (SAFETY).
#![allow(unsafe_code)]

pub mod codec;
pub mod proc;
pub mod status;

use serde::{Deserialize, Serialize};

/// An instance's state, as the VRRP child reports it.
pub use ka_vrrp::state::State as VrrpState;

/// Bumped whenever a message changes in a way the other side of another version could
/// not read. A variant added at the end of [`ToChild`] that only a parent of this version
/// sends, and only to children it spawned (`Reloaded`, `SaveDump`), keeps it: an upgrade in place
/// from the version before stays possible.
pub const VERSION: u32 = 11;

/// Largest datagram (below the default SO_SNDBUF of 212992); a longer message travels in
/// fragments of this size ([`proc::Channel`]).
pub const MAX_DATAGRAM: usize = 64 * 1024;

/// Largest message (the states of hundreds of thousands of real servers).
pub const MAX_MESSAGE: usize = 64 << 20;

/// An instance's state as the parent keeps it (names as keepalived prints them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    pub name: String,
    pub state: VrrpState,
    pub priority: u8,
    /// Why it entered this state (empty in a handover).
    pub reason: String,
    /// A BACKUP handing over during a reload: milliseconds until it would declare the
    /// master down, so that its successor keeps the deadline (None elsewhere).
    pub master_down_left_ms: Option<u32>,
}

/// A real server's state as the parent keeps it (names as keepalived prints them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerState {
    pub vs: String,
    pub rs: String,
    pub alive: bool,
    /// The weight a misc_dynamic MISC_CHECK last set (None: none has).
    pub dynamic_weight: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToChild {
    Hello {
        version: u32,
    },
    /// A part of the bincode-encoded configuration; `last` ends it.
    ConfigPart {
        data: Vec<u8>,
        last: bool,
    },
    /// Sent to a child that replaces another (restart or reload), even when empty: the
    /// instances listed as MASTER resume as MASTER with their VIPs; a BACKUP with a
    /// `master_down_left_ms` keeps that deadline; no startup delay.
    Resume(Vec<InstanceState>),
    /// The original values of the system settings earlier children changed (VMAC's
    /// arp_ignore, rp_filter, ...), keyed by their /proc/sys path: restored at stop.
    Originals(Vec<(String, u32)>),
    /// For a checker child that replaces another: the real servers' last states, so
    /// that they carry on (no notify for a server whose state did not change).
    Servers(Vec<ServerState>),
    /// Write your status as JSON ([`status::VrrpStatus`] or [`status::CheckStatus`]) to
    /// `json`, and your metric families (Prometheus text) to `metrics`, each when given
    /// (through a temporary file and a rename), then answer `StatusWritten(seq)`.
    WriteStatus {
        seq: u64,
        json: Option<String>,
        metrics: Option<String>,
    },
    /// Sent with `Resume`: each vrrp_script's last status (true: good), so that an
    /// instance tracking it resumes as it was instead of waiting in FAULT for a result.
    Scripts(Vec<(String, bool)>),
    /// Start running (after the configuration and any resume).
    Go,
    /// Reload: a new child is ready with the new configuration. Advertise once, remove
    /// what the new configuration no longer has, answer `HandedOver`, exit, leaving
    /// everything else in place for the successor.
    Handover(Handover),
    Ping(u64),
    /// Stop cleanly (masters send priority 0 and remove their VIPs).
    Stop,
    /// Sent with `Resume` when the predecessor handed over at a reload (not after a
    /// crash): fifo_write_vrrp_states_on_reload applies.
    Reloaded,
    /// `config_save_dir`: write your data dump (the SIGUSR1 text) to this file, now
    /// (keepalived's save_config). Sent at a reload to the retiring child just before
    /// `Handover` and to its successor just after `Go`, only to children this parent
    /// spawned.
    SaveDump(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToParent {
    Hello {
        version: u32,
    },
    Pong(u64),
    State(InstanceState),
    /// Configuration loaded, instances started.
    Ready,
    /// Configuration loaded and sockets open; waiting for `Go` (the predecessor, if any,
    /// still runs).
    Prepared,
    /// System settings changed, with the values they had before (kept by the parent for
    /// the successors).
    Originals(Vec<(String, u32)>),
    /// Real servers that went up or down or changed weight since the last report
    /// (checker child); before `HandedOver`, every real server.
    Servers(Vec<ServerState>),
    /// A MASTER's advert (IPv4, the whole packet as sent), whenever its priority or
    /// source changes: the parent sends it again, every `interval_ms`, while the VRRP
    /// child is silent, so that a hung or restarting child does not leave a VIP up
    /// without adverts.
    Advert {
        instance: String,
        ifname: String,
        dst: std::net::Ipv4Addr,
        packet: Vec<u8>,
        interval_ms: u32,
    },
    /// The instance left MASTER: its advert is no longer sent for it.
    AdvertStop {
        instance: String,
    },
    /// The status asked for by `WriteStatus(seq)` is in its file.
    StatusWritten(u64),
    /// A vrrp_script's status changed (true: good), kept for successors.
    Script {
        name: String,
        good: bool,
    },
    /// Handover done: every instance's state at that moment; the child exits next.
    HandedOver(Vec<InstanceState>),
}

/// What a retiring child removes because the new configuration no longer has it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// For the VRRP child: instances deleted, addresses, routes and rules dropped.
    pub vrrp: ka_vrrp::reload::Removed,
    /// For the checker child: the IPVS services the new configuration has (the others
    /// it made are removed).
    pub ipvs_keep: Vec<ka_check::ipvs::SvcKey>,
}
