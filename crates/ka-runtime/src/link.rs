//! The child's end of the link to the watchdog parent: the start-up handshake (protocol
//! version, configuration, then the predecessor's states and Go).

use std::io;
use std::time::{Duration, Instant};

use ka_config::Config;
use ka_ipc::proc::Channel;
use ka_ipc::{InstanceState, ToChild, ToParent, VERSION};

/// Why a child's run ended.
pub enum Exit {
    /// Stopped: priority 0 sent, addresses removed (VRRP), our IPVS entries removed
    /// (checker).
    Stopped,
    /// Handed over to a successor (reload): everything left in place for it.
    HandedOver,
}

/// How long a new child may take to receive its configuration.
const PREPARE_WITHIN: Duration = Duration::from_secs(30);

/// In the child: the configuration, and the bytes it was sent as.
pub fn child_setup(ch: &Channel) -> io::Result<(Config, Vec<u8>)> {
    let end = Instant::now() + PREPARE_WITHIN;
    let mut blob = Vec::new();
    loop {
        match ch.recv::<ToChild>()? {
            None => {
                if Instant::now() > end {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no configuration from the parent",
                    ));
                }
                ch.wait_readable(Some(end.saturating_duration_since(Instant::now())));
            }
            Some(ToChild::Hello { version }) => {
                if version != VERSION {
                    return Err(io::Error::other(format!(
                        "parent speaks protocol {version}, expected {VERSION}"
                    )));
                }
                ch.send(&ToParent::Hello { version: VERSION })?;
            }
            Some(ToChild::ConfigPart { data, last }) => {
                blob.extend_from_slice(&data);
                if last {
                    let cfg = ka_ipc::codec::decode_config(&blob).map_err(io::Error::other)?;
                    return Ok((cfg, blob));
                }
            }
            Some(ToChild::Ping(n)) => ch.send(&ToParent::Pong(n))?,
            Some(other) => {
                return Err(io::Error::other(format!(
                    "unexpected {other:?} before the configuration"
                )))
            }
        }
    }
}

/// What a prepared child learns before it runs.
pub struct GoAhead {
    /// The predecessor's last states (MASTERs resume as MASTER); None on a first start
    /// (the startup delay applies).
    pub resume: Option<Vec<InstanceState>>,
    /// System settings earlier children changed, with their original values.
    pub originals: Vec<(String, u32)>,
    /// The real servers' states a predecessor checker left.
    pub servers: Vec<ka_ipc::ServerState>,
    /// The vrrp_scripts' statuses a predecessor VRRP child left.
    pub scripts: Vec<(String, bool)>,
    /// The predecessor handed over at a reload.
    pub reloaded: bool,
}

/// In the child, once prepared: waits for Go. Err on Stop or a lost parent. There is no
/// deadline: during a reload the predecessor hands over first.
pub fn child_wait_go(ch: &Channel) -> io::Result<GoAhead> {
    ch.send(&ToParent::Prepared)?;
    let mut g = GoAhead {
        resume: None,
        originals: Vec::new(),
        servers: Vec::new(),
        scripts: Vec::new(),
        reloaded: false,
    };
    loop {
        match ch.recv::<ToChild>()? {
            None => {
                ch.wait_readable(None);
            }
            // Lists add up: a parent may send one in several messages.
            Some(ToChild::Resume(states)) => g.resume.get_or_insert_with(Vec::new).extend(states),
            Some(ToChild::Originals(o)) => g.originals.extend(o),
            Some(ToChild::Servers(s)) => g.servers.extend(s),
            Some(ToChild::Scripts(s)) => g.scripts.extend(s),
            Some(ToChild::Reloaded) => g.reloaded = true,
            Some(ToChild::Go) => return Ok(g),
            Some(ToChild::Ping(n)) => ch.send(&ToParent::Pong(n))?,
            Some(ToChild::Stop) => return Err(io::Error::other("stopped before starting")),
            Some(other) => return Err(io::Error::other(format!("unexpected {other:?} before Go"))),
        }
    }
}
