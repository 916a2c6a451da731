//! What the state machines ask the IO edge to do: plain data.

use std::net::IpAddr;
use std::sync::Arc;

use ka_config::model::{IpAddress, Route, Rule, Scope};
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
    /// Add (or remove) the instance's VIPs and eVIPs: these addresses.
    Vips {
        add: bool,
        #[serde(serialize_with = "seq")]
        addresses: Arc<[IpAddress]>,
    },
    /// Add (or remove) the instance's virtual_routes.
    Routes {
        add: bool,
        #[serde(serialize_with = "seq")]
        routes: Arc<[Route]>,
    },
    /// Add (or remove) the instance's virtual_rules.
    Rules {
        add: bool,
        #[serde(serialize_with = "seq")]
        rules: Arc<[Rule]>,
    },
    /// Send gratuitous ARPs / unsolicited NAs for these addresses (every VIP and eVIP),
    /// `repeat` rounds.
    Garp {
        repeat: u32,
        #[serde(serialize_with = "seq")]
        addresses: Arc<[IpAddress]>,
    },
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

fn seq<T: Serialize, S: serde::Serializer>(v: &Arc<[T]>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter())
}

/// What an instance holds while MASTER, resolved once from its configuration: its VIPs
/// and eVIPs (each on its device: the instance's interface unless the line names one),
/// its virtual_routes and virtual_rules. The actions that add, remove or announce them
/// carry them, so that carrying an action out needs no look back at the configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub addresses: Arc<[IpAddress]>,
    pub routes: Arc<[Route]>,
    pub rules: Arc<[Rule]>,
}

impl Held {
    /// Bare addresses (simulations and tests): host prefixes on the instance's interface.
    pub fn addresses(addrs: &[IpAddr]) -> Held {
        Held {
            addresses: addrs
                .iter()
                .map(|&addr| IpAddress {
                    addr,
                    prefix: if addr.is_ipv4() { 32 } else { 128 },
                    brd: None,
                    dev: None,
                    scope: Scope::Global,
                    label: None,
                    peer: None,
                    home: false,
                    nodad: false,
                    mngtmpaddr: false,
                    noprefixroute: false,
                    autojoin: false,
                    no_track: false,
                    use_vmac: false,
                    preferred_lft: None,
                    track_group: None,
                })
                .collect(),
            ..Held::default()
        }
    }

    pub fn vips(&self, add: bool) -> Action {
        Action::Vips {
            add,
            addresses: self.addresses.clone(),
        }
    }

    pub fn routes(&self, add: bool) -> Action {
        Action::Routes {
            add,
            routes: self.routes.clone(),
        }
    }

    pub fn rules(&self, add: bool) -> Action {
        Action::Rules {
            add,
            rules: self.rules.clone(),
        }
    }

    pub fn garp(&self, repeat: u32) -> Action {
        Action::Garp {
            repeat,
            addresses: self.addresses.clone(),
        }
    }
}
