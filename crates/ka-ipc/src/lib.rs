//! The parent <-> child channel: one enum per direction, one bincode message per
//! SOCK_SEQPACKET datagram, a protocol version first, a size bound on decode.
//! A configuration larger than one datagram travels in parts.
//!
//! Also the two process-level edges the channel needs: starting a child with its end of
//! the socketpair, and PR_SET_PDEATHSIG in the child.

pub mod codec;
pub mod proc;

use serde::{Deserialize, Serialize};

/// Bumped whenever a message changes.
pub const VERSION: u32 = 1;

/// Largest payload of one datagram (below the default SO_SNDBUF of 212992).
pub const MAX_DATAGRAM: usize = 64 * 1024;

/// An instance's state as the parent keeps it (names as keepalived prints them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    pub name: String,
    pub state: String,
    pub priority: u8,
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
    /// The states the previous child reported: masters resume as MASTER with their VIPs.
    Resume(Vec<InstanceState>),
    /// Start running (after the configuration and any resume).
    Go,
    Ping(u64),
    /// Stop cleanly (masters send priority 0 and remove their VIPs).
    Stop,
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
}
