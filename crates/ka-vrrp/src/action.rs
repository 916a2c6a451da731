//! What the state machines ask the IO edge to do: plain data.

use std::net::IpAddr;

use serde::Serialize;

use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send an advert. IPv4: the whole IP packet (keepalived builds the header itself,
    /// IP_HDRINCL). IPv6: the VRRP message (the kernel adds the header and checksum).
    Send {
        dst: IpAddr,
        #[serde(serialize_with = "hex")]
        packet: Vec<u8>,
        priority: u8,
    },
    /// Add (or remove) the instance's VIPs and eVIPs.
    Vips { add: bool },
    /// Add (or remove) the instance's virtual_routes.
    Routes { add: bool },
    /// Add (or remove) the instance's virtual_rules.
    Rules { add: bool },
    /// Send gratuitous ARPs / unsolicited NAs for every VIP and eVIP, `repeat` rounds.
    Garp { repeat: u32 },
    /// Run a notify script with exactly this argv (fire and forget), as this user and
    /// group when configured (else the default script user).
    Notify {
        argv: Vec<String>,
        user: Option<String>,
        group: Option<String>,
    },
    /// Write one line (newline included) to the notify FIFOs.
    Fifo { line: String },
    /// A log line, worded as keepalived words it.
    Log { level: Level, line: String },
    /// Tell the parent (status, handing over to a restarted child).
    StateChanged { state: State, priority: u8 },
    /// An instance of a sync group wants to become MASTER (its master-down timer expired);
    /// the group decides.
    WantMaster,
    /// An instance of a sync group left MASTER or entered FAULT; the group follows.
    GroupEvent { state: State },
    /// Mail, when smtp_alert is on (the subject without keepalived's `[router_id] ` prefix).
    Alert {
        state: State,
        subject: String,
        body: String,
    },
}

/// Bytes as one lowercase hex string (recorded outputs stay one short line per action).
fn hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut t = String::with_capacity(b.len() * 2);
    for x in b {
        t.push_str(&format!("{x:02x}"));
    }
    s.serialize_str(&t)
}
