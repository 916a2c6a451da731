//! A [`Router`]'s inputs and the actions it answers, as serde values, replayed on a
//! virtual clock: the conformance cases (`tests/conformance/CASE/` with
//! `keepalived.conf`, `input.jsonl` and `output.jsonl`) are recorded runs written in these terms, compared line
//! by line with what the router answers today.
//!
//! An input is what the VRRP child hands the router (a received advert, a tracker's new
//! status, a stop, a reload's hand-over); between two inputs every deadline that falls
//! due is run, as the child's timerfd would. An output is one [`Action`] with its time
//! and who it is for.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::instance::{Event, TrackStatus, TrackerId};
use crate::packet::{Auth, Envelope, Repr, Version};
use crate::rx::{AuthConfig, Received};
use crate::sync::{Router, Target};
use crate::time::Time;

/// One recorded input, at `at_ms` milliseconds on the virtual clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: f64,
    #[serde(flatten)]
    pub input: Input,
}

/// What the VRRP child hands the router.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input")]
pub enum Input {
    /// The instances begin, after `delay_ms` (vrrp_startup_delay).
    Start {
        #[serde(default)]
        delay_ms: u64,
    },
    /// An advert from `src` on `interface`. Unless given, its version, authentication
    /// and addresses are those of our instance with that VRID there (a peer configured
    /// alike), its interval 1 s.
    Advert {
        interface: String,
        src: IpAddr,
        vrid: u8,
        priority: u8,
        #[serde(default)]
        interval_ms: Option<u64>,
        #[serde(default)]
        addrs: Option<Vec<IpAddr>>,
    },
    /// A tracked object's new status.
    Tracker {
        tracker: TrackerId,
        status: TrackStatus,
    },
    /// Someone removed one of the instance's VIPs.
    VipRemoved { instance: String },
    /// A reload is about to hand over: every MASTER advertises at once.
    AdvertNow,
    /// A reload removed the instance.
    Delete { instance: String },
    /// A restarted child resumes the instance as MASTER.
    Resume { instance: String },
    /// A reload's successor begins a BACKUP with `left_ms` of its wait left.
    StartBackup { instance: String, left_ms: u64 },
    /// SIGTERM: every instance stops.
    Stop,
    /// The end of the recording: deadlines up to here run, nothing after.
    End,
}

/// One action the router answered, at `at_ms`, for an instance (its name) or a sync
/// group (`group NAME`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Output {
    pub at_ms: f64,
    pub target: String,
    pub action: Action,
}

/// Why a recording cannot be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// An input names an instance the configuration does not have.
    NoInstance(String),
    /// An input goes back in time.
    BackInTime { at_ms: String },
    /// Deadlines kept falling due without time moving on (a timer that never advances).
    Stuck { at_us: u64 },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::NoInstance(n) => write!(f, "no instance {n:?} in the configuration"),
            ReplayError::BackInTime { at_ms } => write!(f, "input at {at_ms} ms goes back in time"),
            ReplayError::Stuck { at_us } => write!(f, "deadlines keep falling due at {at_us} µs"),
        }
    }
}

impl std::error::Error for ReplayError {}

fn time(ms: f64) -> Time {
    Time::from_micros((ms * 1000.0).round().max(0.0) as u64)
}

fn ms(t: Time) -> f64 {
    t.micros() as f64 / 1000.0
}

/// Runs `steps` against `router` and returns every action it answered, in order.
pub fn replay(router: &mut Router, steps: &[Step]) -> Result<Vec<Output>, ReplayError> {
    let mut out = Vec::new();
    let mut clock = Time(0);
    for step in steps {
        let at = time(step.at_ms);
        if at < clock {
            return Err(ReplayError::BackInTime {
                at_ms: step.at_ms.to_string(),
            });
        }
        run_timers(router, at, &mut out)?;
        clock = at;
        let acts = match &step.input {
            Input::End => break,
            Input::Start { delay_ms } => router.begin(at, Duration::from_millis(*delay_ms)),
            Input::Advert {
                interface,
                src,
                vrid,
                priority,
                interval_ms,
                addrs,
            } => {
                let bytes = advert(
                    router,
                    interface,
                    *src,
                    *vrid,
                    *priority,
                    *interval_ms,
                    addrs,
                );
                match &bytes {
                    AdvertBytes::V4(b) => match Received::from_ipv4(b) {
                        Ok(rx) => router.packet(at, interface, &rx),
                        Err(e) => router.bad_packet(at, interface, &e),
                    },
                    AdvertBytes::V6 { src, dst, vrrp } => {
                        let rx = Received {
                            src: *src,
                            dst: *dst,
                            ttl: 255,
                            vrrp,
                            ipv4: None,
                        };
                        router.packet(at, interface, &rx)
                    }
                }
            }
            Input::Tracker { tracker, status } => router.tracker(at, tracker, *status),
            Input::AdvertNow => router.advert_now(at),
            Input::VipRemoved { instance } => {
                router.handle(at, index(router, instance)?, Event::VipRemoved)
            }
            Input::Delete { instance } => {
                router.handle(at, index(router, instance)?, Event::Delete)
            }
            Input::Resume { instance } => {
                router.handle(at, index(router, instance)?, Event::Resume)
            }
            Input::StartBackup { instance, left_ms } => router.handle(
                at,
                index(router, instance)?,
                Event::StartBackup {
                    left: Duration::from_millis(*left_ms),
                },
            ),
            Input::Stop => {
                let mut acts = Vec::new();
                for i in 0..router.instances.len() {
                    acts.extend(router.handle(at, i, Event::Stop));
                }
                acts
            }
        };
        record(router, at, acts, &mut out);
    }
    Ok(out)
}

fn index(router: &Router, name: &str) -> Result<usize, ReplayError> {
    router
        .instances
        .iter()
        .position(|i| i.name() == name)
        .ok_or_else(|| ReplayError::NoInstance(name.into()))
}

/// Runs every deadline up to and including `until`.
fn run_timers(router: &mut Router, until: Time, out: &mut Vec<Output>) -> Result<(), ReplayError> {
    let mut same = 0;
    let mut last = None;
    while let Some(t) = router.next_deadline() {
        if t > until {
            break;
        }
        if last == Some(t) {
            same += 1;
            if same > 10_000 {
                return Err(ReplayError::Stuck { at_us: t.micros() });
            }
        } else {
            same = 0;
        }
        last = Some(t);
        let acts = router.tick(t);
        record(router, t, acts, out);
    }
    Ok(())
}

fn record(router: &Router, at: Time, acts: Vec<(Target, Action)>, out: &mut Vec<Output>) {
    for (target, action) in acts {
        let target = match target {
            Target::Instance(i) => router.instances[i].name().to_string(),
            Target::Group(g) => format!("group {}", router.groups[g].name),
            Target::Router => "router".to_string(),
        };
        out.push(Output {
            at_ms: ms(at),
            target,
            action,
        });
    }
}

enum AdvertBytes {
    V4(Vec<u8>),
    V6 {
        src: IpAddr,
        dst: IpAddr,
        vrrp: Vec<u8>,
    },
}

/// An advert as a peer configured like our instance `vrid` on `interface` sends it.
fn advert(
    router: &Router,
    interface: &str,
    src: IpAddr,
    vrid: u8,
    priority: u8,
    interval_ms: Option<u64>,
    addrs: &Option<Vec<IpAddr>>,
) -> AdvertBytes {
    let ours = router
        .instances
        .iter()
        .map(|i| &i.cfg)
        .find(|c| c.vrid == vrid && c.rx_on() == interface);
    let version = ours.map_or(Version::V2, |c| c.version);
    let (auth, ah) = match ours.map(|c| &c.auth) {
        Some(AuthConfig::Pass(p)) => (Auth::Pass(*p), None),
        Some(AuthConfig::Ah(k)) => (Auth::Ah, Some(*k)),
        _ => (Auth::None, None),
    };
    let dst = ours.map_or(IpAddr::from([224, 0, 0, 18]), |c| {
        if c.peers.is_empty() {
            c.mcast_group
        } else {
            c.src
        }
    });
    let repr = Repr {
        version,
        vrid,
        priority,
        adver_int_cs: (interval_ms.unwrap_or(1000) / 10) as u16,
        auth,
        addrs: addrs
            .clone()
            .unwrap_or_else(|| ours.map(|c| c.vips.clone()).unwrap_or_default()),
    };
    let vrrp = repr.to_bytes(&Envelope { src, dst });
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => AdvertBytes::V4(crate::ip::build_ipv4(
            s,
            d,
            1,
            255,
            ah.as_ref().map(|k| (k, 1)),
            false,
            &vrrp,
        )),
        _ => AdvertBytes::V6 { src, dst, vrrp },
    }
}
