//! One VRRP instance (RFC 5798 section 6.4, as keepalived 2.2.7 implements it in vrrp.c
//! vrrp_state_backup / vrrp_state_master_rx / vrrp_init_state): fed with `(now, event)`,
//! returns [`Action`]s; [`Instance::next_deadline`] says when to call it again.

use std::net::IpAddr;
use std::time::Duration;

use crate::action::{Action, Level};
use crate::error::{DecodeError, Stats};
use crate::ip;
use crate::logs;
use crate::packet::{Auth, Envelope, Repr, Version};
use crate::rx::{self, AuthConfig, Note, Peer, Received, RxConfig};
use crate::time::Time;

pub use crate::state::State;

/// GARP / NA timing (keepalived vrrp_arp.c and vrrp_scheduler.c; section 4.6).
#[derive(Clone, Debug, PartialEq)]
pub struct GarpConfig {
    pub master_delay: Duration,
    pub master_repeat: u32,
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
    /// garp_extra_if: while MASTER, one GARP / NA this often for each of these addresses
    /// (one per interface other than the instance's own); zero: off.
    pub extra_if: Duration,
    pub extra_addresses: std::sync::Arc<[ka_config::model::IpAddress]>,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
            extra_if: Duration::ZERO,
            extra_addresses: std::sync::Arc::from([]),
        }
    }
}

/// A notify script: its argv and the user (and group) to run it as, if configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyScript {
    pub argv: Vec<String>,
    pub user: Option<String>,
    pub group: Option<String>,
}

impl NotifyScript {
    pub fn new(argv: Vec<String>) -> Self {
        NotifyScript {
            argv,
            user: None,
            group: None,
        }
    }

    /// The action that runs it, with `extra` arguments appended.
    pub fn action(&self, extra: &[String]) -> Action {
        let mut argv = self.argv.clone();
        argv.extend_from_slice(extra);
        Action::Notify {
            argv,
            user: self.user.clone(),
            group: self.group.clone(),
        }
    }
}

/// Notify scripts: per state, and the generic one called with `INSTANCE|GROUP name STATE
/// prio`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notifies {
    pub master: Option<Box<NotifyScript>>,
    pub backup: Option<Box<NotifyScript>>,
    pub fault: Option<Box<NotifyScript>>,
    pub stop: Option<Box<NotifyScript>>,
    pub generic: Option<Box<NotifyScript>>,
    /// notify_master_rx_lower_pri: run as configured (no arguments added).
    pub master_rx_lower_pri: Option<Box<NotifyScript>>,
    /// notify_deleted SCRIPT: run when a reload removes the instance.
    pub deleted: Option<Box<NotifyScript>>,
}

impl Notifies {
    /// The state script for `state`, if configured.
    pub fn for_state(&self, state: State) -> Option<&NotifyScript> {
        match state {
            State::Master => self.master.as_deref(),
            State::Backup => self.backup.as_deref(),
            State::Fault => self.fault.as_deref(),
            State::Stop => self.stop.as_deref(),
            State::Init => None,
        }
    }
}

/// Everything an instance needs to know, resolved from the configuration.
#[derive(Clone, Debug)]
pub struct InstanceConfig {
    pub name: String,
    /// The interface its adverts come in on (the base interface with use_vmac); none in
    /// simulations.
    pub interface: Option<String>,
    /// `vrf`: a unicast instance without an interface sends and receives in this VRF.
    pub vrf: Option<String>,
    /// The interface its adverts are received on when it is not `interface`: its ipvlan
    /// (`use_ipvlan`), set by the VRRP child once it exists.
    pub rx_via: Option<String>,
    pub vrid: u8,
    pub version: Version,
    /// Configured priority (255: address owner).
    pub priority: u8,
    /// `state MASTER` was configured.
    pub want_master: bool,
    pub adver_int: Duration,
    pub auth: AuthConfig,
    pub vips: Vec<IpAddr>,
    /// The addresses, routes and rules the instance holds while MASTER, as its actions
    /// name them.
    pub held: crate::action::Held,
    /// Our primary address: the advert source and the tie-break (RFC 5798 6.4.3).
    pub src: IpAddr,
    /// `src` was configured (mcast_src_ip / unicast_src_ip), not read from the interface:
    /// it stays when the interface's addresses change.
    pub src_fixed: bool,
    /// An IPv6 instance (its VIPs are, or `native_ipv6`).
    pub ipv6: bool,
    /// Unicast VRRPv3 over IPv4: the checksum as configured (`old_unicast_checksum`).
    pub unicast_checksum: crate::rx::UnicastChecksum,
    pub mcast_group: IpAddr,
    pub peers: Vec<Peer>,
    pub unicast_ttl: u8,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub down_timer_adverts: u32,
    pub garp: GarpConfig,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub skip_check_adv_addr: bool,
    pub check_unicast_src: bool,
    /// keepalived unicast_fault_no_peer without any unicast_peer: a configuration fault,
    /// FAULT for good (keepalived's num_config_faults).
    pub no_unicast_peers_fault: bool,
    /// keepalived notify_deleted: a reload that removes the instance notifies DELETED
    /// (else FAULT, keepalived's old way).
    pub notify_deleted: bool,
    pub v3_checksum_as_v2: bool,
    /// keepalived owner_ignore_adverts: while at priority 255, received adverts are
    /// dropped (RFC 5798 6.4.3: the owner does not process them).
    pub owner_ignore_adverts: bool,
    /// keepalived timer_expired_backup: the highest priority another router has. A
    /// MASTER that finds, when its loop wakes, that such a router would have taken over
    /// already (its advert 3 intervals plus that router's skew late) goes BACKUP rather
    /// than advertise over the new master.
    pub timer_expired_backup: Option<u8>,
    pub notifies: Notifies,
    pub smtp_alert: bool,
    /// Member of a sync group: transitions to MASTER are decided by the group.
    pub in_sync_group: bool,
    /// keepalived notify_priority_changes: a FIFO line (`INSTANCE "name"
    /// MASTER_PRIORITY|BACKUP_PRIORITY prio`) whenever the effective priority changes.
    pub notify_priority_changes: bool,
    /// `kernel_rx_buf_size`: this instance's part of its receive socket's SO_RCVBUF.
    pub kernel_rx_buf_size: Option<u32>,
    /// Accept mode, or the address owner: traffic to the VIPs is not dropped while it
    /// holds them (else they go into the firewall's sets, see [`crate::firewall`]).
    pub accept: bool,
}

impl InstanceConfig {
    /// The sockets its adverts arrive on, as the router is told: its interface's name;
    /// for a unicast instance without one, `:VRF`, or `:` outside any VRF (no interface
    /// name has a ':').
    pub fn rx_on(&self) -> std::borrow::Cow<'_, str> {
        if let Some(v) = &self.rx_via {
            return std::borrow::Cow::Borrowed(v.as_str());
        }
        match (&self.interface, &self.vrf) {
            (Some(i), _) => std::borrow::Cow::Borrowed(i.as_str()),
            (None, v) => std::borrow::Cow::Owned(format!(":{}", v.as_deref().unwrap_or(""))),
        }
    }

    /// The VIPs as held: `held.addresses` lists the VIPs first, then the excluded ones.
    pub fn vip_addresses(&self) -> &[ka_config::model::IpAddress] {
        self.held.addresses.get(..self.vips.len()).unwrap_or(&[])
    }

    /// A plain configuration (tests and simulations): v2 without auth, 1 s adverts.
    pub fn simple(name: &str, vrid: u8, priority: u8, src: IpAddr, vips: Vec<IpAddr>) -> Self {
        InstanceConfig {
            name: name.into(),
            interface: None,
            vrf: None,
            rx_via: None,
            vrid,
            version: Version::V2,
            priority,
            want_master: priority == 255,
            adver_int: Duration::from_secs(1),
            auth: AuthConfig::None,
            held: crate::action::Held::addresses(&vips),
            vips,
            src,
            src_fixed: false,
            ipv6: src.is_ipv6(),
            unicast_checksum: crate::rx::UnicastChecksum::Detect(std::net::Ipv4Addr::new(
                224, 0, 0, 18,
            )),
            mcast_group: if src.is_ipv4() {
                IpAddr::from([224, 0, 0, 18])
            } else {
                "ff02::12".parse().unwrap_or(IpAddr::from([0u8; 16]))
            },
            peers: Vec::new(),
            unicast_ttl: 255,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            down_timer_adverts: 3,
            garp: GarpConfig::default(),
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            skip_check_adv_addr: false,
            check_unicast_src: false,
            no_unicast_peers_fault: false,
            notify_deleted: false,
            v3_checksum_as_v2: false,
            owner_ignore_adverts: false,
            timer_expired_backup: None,
            notifies: Notifies::default(),
            smtp_alert: false,
            in_sync_group: false,
            notify_priority_changes: false,
            kernel_rx_buf_size: None,
            accept: true,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.priority == 255
    }

    fn adver_int_cs(&self) -> u16 {
        (self.adver_int.as_millis() / 10).min(4095) as u16
    }
}

/// What a tracked object is: its kind and name.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TrackerId {
    Script(String),
    Interface(String),
    File(String),
    Process(String),
    /// `track_src_ip`: the configured source address, on the instance's interface.
    SourceAddress(String),
}

impl TrackerId {
    /// Its kind, as status and logs name it, and its name.
    pub fn describe(&self) -> (&'static str, &str) {
        match self {
            TrackerId::Script(n) => ("script", n),
            TrackerId::Interface(n) => ("interface", n),
            TrackerId::File(n) => ("file", n),
            TrackerId::Process(n) => ("process", n),
            TrackerId::SourceAddress(n) => ("source address", n),
        }
    }
}

/// How a tracker counts (keepalived vrrp_track.c).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracker {
    /// 0: a failure puts the instance in FAULT.
    pub weight: i32,
    pub reverse: bool,
    /// Up/down for scripts, interfaces and processes; the value for files.
    pub status: TrackStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackStatus {
    /// No result yet (a weight-0 tracker keeps the instance out of MASTER meanwhile).
    Unknown,
    Up,
    Down,
    /// track_file: the integer read from the file.
    Value(i64),
}

/// Why an instance made its last transition (for status and events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Started (INIT → BACKUP, or FAULT when a tracker is not good yet).
    Startup,
    /// The master-down timer ran out: no advert from a master (RFC 5798 6.4.2).
    MasterDown,
    /// The master sent priority 0 (it is leaving), and the skew time ran out.
    PriorityZero,
    /// The address owner (priority 255) takes over at once.
    Owner,
    /// An advert with a higher priority (or equal with a higher address) arrived.
    HigherPriority,
    /// A tracked object failed or recovered.
    Tracker { id: TrackerId, up: bool },
    /// Resumed by a successor process (restart or reload).
    Resumed,
    /// Its sync group moved it.
    SyncGroup,
    /// Someone else removed one of its VIPs.
    VipRemoved,
    /// Stopped (the daemon stops).
    Stopped,
    /// Removed by a reload.
    Deleted,
    /// Its loop woke so late that a backup would have taken over (timer_expired_backup).
    LateTimer,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Startup => f.write_str("startup"),
            Reason::MasterDown => f.write_str("master down timer expired"),
            Reason::PriorityZero => f.write_str("master sent priority 0"),
            Reason::Owner => f.write_str("address owner"),
            Reason::HigherPriority => f.write_str("higher priority advert"),
            Reason::Tracker { id, up } => {
                let (kind, name) = id.describe();
                write!(
                    f,
                    "{kind} {name} {}",
                    if *up { "recovered" } else { "failed" }
                )
            }
            Reason::Resumed => f.write_str("resumed by a successor process"),
            Reason::LateTimer => f.write_str("woke too late to still be master"),
            Reason::SyncGroup => f.write_str("sync group"),
            Reason::VipRemoved => f.write_str("a VIP was removed by someone else"),
            Reason::Stopped => f.write_str("stopped"),
            Reason::Deleted => f.write_str("removed by a reload"),
        }
    }
}

impl Tracker {
    /// The tracker's part of the effective priority, or None if it puts us in FAULT.
    /// keepalived: a positive weight is added while up, a negative one while down;
    /// `reverse` swaps up and down; a file's value is multiplied by the weight.
    pub fn contribution(&self) -> Option<i64> {
        match self.status {
            TrackStatus::Value(v) => {
                // keepalived track_file.c update_track_file_status: with weight 0 any
                // value but 0 is a fault (with reverse, 0 is); otherwise value × weight.
                if self.weight == 0 {
                    return if (v != 0) != self.reverse {
                        None
                    } else {
                        Some(0)
                    };
                }
                let w = self.weight as i64 * v;
                Some(if self.reverse { -w } else { w })
            }
            TrackStatus::Unknown => {
                if self.weight == 0 {
                    None
                } else {
                    Some(0)
                }
            }
            s => {
                let up = (s == TrackStatus::Up) != self.reverse;
                if self.weight == 0 {
                    return if up { Some(0) } else { None };
                }
                let w = self.weight as i64;
                Some(match (up, w > 0) {
                    (true, true) => w,
                    (false, false) => w,
                    _ => 0,
                })
            }
        }
    }
}

/// Inputs.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// Begin (any startup delay is over).
    Start,
    /// Begin as a reload's successor of a BACKUP whose master-down deadline was `left`
    /// away when its predecessor handed over (sooner than a full Master_Down_Interval
    /// after a priority-0 advert, or with the master silent for a while): the wait
    /// carries on instead of starting again.
    StartBackup { left: Duration },
    /// Begin directly as MASTER with the VIPs already in place (a VRRP child restarted
    /// after a crash, handed its predecessor's state): advertise at once, no GARP storm.
    Resume,
    /// A deadline passed.
    Timer,
    /// A packet for this VRID, as received (checked here, in keepalived's order).
    Packet(&'a Received<'a>),
    /// A packet that failed before it could be matched to its checks (IP header, ...).
    Bad {
        src: Option<IpAddr>,
        error: DecodeError,
    },
    /// A tracked object changed.
    Tracker { id: TrackerId, status: TrackStatus },
    /// Graceful stop (SIGTERM).
    Stop,
    /// A reload removed the instance (keepalived clear_diff_vrrp): a MASTER sends
    /// priority 0 and drops its addresses; notified FAULT.
    Delete,
    /// A reload is about to hand over: a MASTER advertises at once (keepalived does
    /// before it reloads), so the successor's first advert follows closely.
    AdvertNow,
    /// Someone removed one of our VIPs while we are MASTER.
    VipRemoved,
}

/// RFC 3768 6.1 / RFC 5798 6.1: Skew_Time of a router of priority `prio` (v3: a share of
/// the advert interval `adv`).
fn skew_of(version: Version, prio: u8, adv: Duration) -> Duration {
    let prio = u64::from(prio);
    match version {
        Version::V2 => Duration::from_micros((256 - prio) * 1_000_000 / 256),
        Version::V3 => Duration::from_micros((256 - prio) * adv.as_micros() as u64 / 256),
    }
}

/// Named deadlines (STYLE habit 2: timers are data).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Timers {
    /// MASTER: next advert. BACKUP: master down. INIT: the owner's start.
    adver: Option<Time>,
    /// The second GARP burst after becoming MASTER.
    garp_delay: Option<Time>,
    /// Periodic GARP refresh while MASTER.
    garp_refresh: Option<Time>,
    /// The next garp_extra_if round.
    garp_extra: Option<Time>,
    /// The delayed GARP round after a lower-priority advert.
    garp_lower: Option<Time>,
}

/// An instance's tracked objects in [`TrackerId`] order. Most instances track one or two
/// objects, for which a sorted vector takes a tenth of a B-tree's smallest node.
#[derive(Default)]
struct Trackers(Vec<(TrackerId, Tracker)>);

impl Trackers {
    /// Adds `id`, or replaces what it had.
    fn insert(&mut self, id: TrackerId, t: Tracker) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&id)) {
            Ok(n) => self.0[n].1 = t,
            Err(n) => {
                // One at a time: a vector's first growth would make room for four.
                self.0.reserve_exact(1);
                self.0.insert(n, (id, t))
            }
        }
    }

    fn get(&self, id: &TrackerId) -> Option<&Tracker> {
        let n = self.0.binary_search_by(|(k, _)| k.cmp(id)).ok()?;
        Some(&self.0[n].1)
    }

    fn get_mut(&mut self, id: &TrackerId) -> Option<&mut Tracker> {
        let n = self.0.binary_search_by(|(k, _)| k.cmp(id)).ok()?;
        Some(&mut self.0[n].1)
    }
}

pub struct Instance {
    pub cfg: InstanceConfig,
    state: State,
    trackers: Trackers,
    timers: Timers,
    /// The master's advertised interval (v3 backups adopt it; RFC 5798 6.4.2).
    master_adver_int: Duration,
    /// Who we last accepted as master.
    master: Option<IpAddr>,
    /// keepalived 2.2.7: an owner that meets another owner drops to 254.
    owner_demoted: bool,
    ip_id: u16,
    ah_seq: u32,
    pub stats: Stats,
    last_bad_log: Option<Time>,
    bad_suppressed: u64,
    /// owner_ignore_adverts: when the last "Dropping packet(s)" line was logged.
    last_owner_drop_log: Option<Time>,
    effective: u8,
    /// End of the preempt_delay window, once the first lower-priority advert opened it.
    preempt_until: Option<Time>,
    /// The priority of the last advert accepted from a master (keepalived's
    /// master_priority; 0 until one is heard).
    master_priority: u8,
    /// The state at the last [`Instance::mark`], and when it was entered.
    marked: State,
    last_transition: Option<Time>,
    /// The cause of the transition being made, and of the last one made.
    pending_reason: Reason,
    last_reason: Option<Reason>,
    /// A priority-0 advert shortened the master-down wait.
    prio_zero_heard: bool,
    /// A unicast VRRPv3 advert summed the old way was accepted: this instance sums the
    /// old way from now on (keepalived's CHKSUM_COMPATIBILITY_AUTO).
    old_checksum_detected: bool,
}

impl Instance {
    pub fn new(cfg: InstanceConfig) -> Self {
        let adv = cfg.adver_int;
        let mut i = Instance {
            cfg,
            state: State::Init,
            trackers: Trackers::default(),
            timers: Timers::default(),
            master_adver_int: adv,
            master: None,
            owner_demoted: false,
            ip_id: 0,
            ah_seq: 0,
            stats: Stats::default(),
            last_bad_log: None,
            bad_suppressed: 0,
            last_owner_drop_log: None,
            effective: 0,
            preempt_until: None,
            master_priority: 0,
            marked: State::Init,
            last_transition: None,
            pending_reason: Reason::Startup,
            last_reason: None,
            prio_zero_heard: false,
            old_checksum_detected: false,
        };
        i.effective = i.compute_priority().unwrap_or(i.cfg.priority);
        i
    }

    /// Declares a tracked object (before `Start`); its status starts Unknown unless given.
    pub fn add_tracker(&mut self, id: TrackerId, weight: i32, reverse: bool, status: TrackStatus) {
        self.trackers.insert(
            id,
            Tracker {
                weight,
                reverse,
                status,
            },
        );
        self.effective = self.compute_priority().unwrap_or(self.effective);
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The priority put in adverts (keepalived's effective_priority).
    pub fn effective_priority(&self) -> u8 {
        self.effective
    }

    pub fn master(&self) -> Option<IpAddr> {
        self.master
    }

    /// The priority the current master last advertised (0 until one is heard).
    pub fn master_priority(&self) -> u8 {
        self.master_priority
    }

    /// The advert interval adopted from the master (v3), else our own.
    pub fn master_adver_int(&self) -> Duration {
        self.master_adver_int
    }

    /// When the instance entered its current state (None: never left INIT).
    pub fn last_transition(&self) -> Option<Time> {
        self.last_transition
    }

    /// Records `now` as the time of the last transition if the state changed since the
    /// last mark (called after every event, by [`Instance::handle`] and the router).
    pub fn mark(&mut self, now: Time) {
        if self.state != self.marked {
            self.marked = self.state;
            self.last_transition = Some(now);
            self.last_reason = Some(self.pending_reason.clone());
        }
    }

    /// Why the last transition happened (None: never left INIT).
    pub fn last_reason(&self) -> Option<&Reason> {
        self.last_reason.as_ref()
    }

    /// The tracked objects, each with its weight and status.
    pub fn trackers(&self) -> impl Iterator<Item = (&TrackerId, &Tracker)> {
        self.trackers.0.iter().map(|(id, t)| (id, t))
    }

    /// Whether the instance tracks `id`.
    pub fn tracks(&self, id: &TrackerId) -> bool {
        self.trackers.get(id).is_some()
    }

    /// The statistics counters back to zero (keepalived's STATS_CLEAR).
    pub fn clear_stats(&mut self) {
        self.stats = Stats::default();
    }

    pub fn next_deadline(&self) -> Option<Time> {
        let t = &self.timers;
        [
            t.adver,
            t.garp_delay,
            t.garp_refresh,
            t.garp_lower,
            t.garp_extra,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// BACKUP: how long until the master is declared down (what a reload hands over).
    pub fn master_down_left(&self, now: Time) -> Option<Duration> {
        match (self.state, self.timers.adver) {
            (State::Backup, Some(t)) => Some(t - now),
            _ => None,
        }
    }

    /// RFC 3768 6.1 / RFC 5798 6.1: Skew_Time, from the effective priority.
    pub fn skew(&self) -> Duration {
        skew_of(self.cfg.version, self.effective, self.master_adver_int)
    }

    /// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time.
    pub fn master_down(&self) -> Duration {
        self.master_adver_int * self.cfg.down_timer_adverts + self.skew()
    }

    /// The effective priority, or None if a weight-0 tracker is failing (FAULT).
    /// keepalived vrrp_set_effective_priority: base + Σ weights, clamped to 1..254;
    /// the address owner is never changed by trackers.
    fn compute_priority(&self) -> Option<u8> {
        if self.cfg.no_unicast_peers_fault {
            return None;
        }
        let mut sum: i64 = 0;
        for (_, t) in &self.trackers.0 {
            sum += t.contribution()?;
        }
        if self.cfg.is_owner() {
            return Some(if self.owner_demoted { 254 } else { 255 });
        }
        Some((self.cfg.priority as i64 + sum).clamp(1, 254) as u8)
    }

    fn faulted(&self) -> bool {
        self.compute_priority().is_none()
    }

    fn log(&self, out: &mut Vec<Action>, line: String) {
        out.push(Action::Log {
            level: Level::Info,
            line,
        });
    }

    // ---- sending ----

    fn advert_bytes(&mut self, priority: u8, dst: IpAddr) -> Vec<u8> {
        let repr = Repr {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            adver_int_cs: match self.cfg.version {
                Version::V2 => (self.cfg.adver_int.as_secs().clamp(1, 255) * 100) as u16,
                Version::V3 => self.cfg.adver_int_cs(),
            },
            auth: match &self.cfg.auth {
                AuthConfig::None => Auth::None,
                AuthConfig::Pass(p) => Auth::Pass(*p),
                AuthConfig::Ah(_) => Auth::Ah,
            },
            addrs: self.cfg.vips.clone(),
        };
        // old_unicast_checksum: the pseudo-header carries the multicast group (unicast
        // VRRPv3 over IPv4 only); the IP header keeps the peer.
        let sum_dst = match self.unicast_checksum() {
            crate::rx::UnicastChecksum::Old(g)
                if self.cfg.version == Version::V3
                    && !self.cfg.peers.is_empty()
                    && dst.is_ipv4() =>
            {
                IpAddr::V4(g)
            }
            _ => dst,
        };
        let mut vrrp = repr.to_bytes(&Envelope {
            src: self.cfg.src,
            dst: sum_dst,
        });
        if self.cfg.version == Version::V3 && self.cfg.v3_checksum_as_v2 {
            // v3_checksum_as_v2 (RFC 9568 interop): no pseudo-header in the checksum.
            vrrp[6..8].fill(0);
            let sum = crate::checksum::data(&vrrp);
            vrrp[6..8].copy_from_slice(&sum.to_be_bytes());
        }
        match (self.cfg.src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                // keepalived: the IP ID increments and never wraps to 0.
                self.ip_id = if self.ip_id == u16::MAX {
                    1
                } else {
                    self.ip_id + 1
                };
                let ttl = if self.cfg.peers.is_empty() {
                    ip::TTL
                } else {
                    self.cfg.unicast_ttl
                };
                let ah = match &self.cfg.auth {
                    AuthConfig::Ah(key) => {
                        self.ah_seq = self.ah_seq.saturating_add(1);
                        Some((key, self.ah_seq))
                    }
                    _ => None,
                };
                ip::build_ipv4(s, d, self.ip_id, ttl, ah, !self.cfg.peers.is_empty(), &vrrp)
            }
            _ => vrrp,
        }
    }

    /// One advert to the group, or one copy per unicast peer.
    fn send(&mut self, priority: u8, out: &mut Vec<Action>) {
        let dsts: Vec<IpAddr> = if self.cfg.peers.is_empty() {
            vec![self.cfg.mcast_group]
        } else {
            self.cfg.peers.iter().map(|p| p.addr).collect()
        };
        for dst in dsts {
            let packet = self.advert_bytes(priority, dst);
            out.push(Action::Send {
                dst,
                packet,
                priority,
            });
        }
        self.stats.advert_sent += 1;
        if priority == 0 {
            self.stats.pri_zero_sent += 1;
        }
    }

    // ---- transitions ----

    fn notify(&self, state: State, out: &mut Vec<Action>) {
        let script = self.cfg.notifies.for_state(state);
        let body = match state {
            State::Master => "=> VRRP Instance is now owning VRRP VIPs <=",
            State::Backup => "=> VRRP Instance is nolonger owning VRRP VIPs <=",
            State::Fault => "=> VRRP Instance is in FAULT state <=",
            _ => "=> VRRP Instance stopped <=",
        };
        let subject = format!("Entering {} state", state.name());
        self.notify_as(state, state.name(), script, (&subject, body), out);
    }

    /// A reload removed the instance (keepalived send_instance_notifies with
    /// VRRP_STATE_DELETED): with notify_deleted, DELETED and its script; without, the old
    /// way: FAULT to the generic script and the FIFOs, and no state script at all
    /// (keepalived picks the script while the state is still DELETED).
    fn notify_deleted(&self, out: &mut Vec<Action>) {
        if self.cfg.notify_deleted {
            let script = self.cfg.notifies.deleted.as_deref();
            let mail = ("Deleted", "=> VRRP Deleted at reload <=");
            self.notify_as(State::Fault, "DELETED", script, mail, out);
        } else {
            let mail = (
                "Entering FAULT state",
                "=> VRRP Instance is in FAULT state <=",
            );
            self.notify_as(State::Fault, "FAULT", None, mail, out);
        }
    }

    /// The notifications of a transition: `word` is the state as scripts and FIFOs read
    /// it, `state` as the parent and the sync group keep it.
    fn notify_as(
        &self,
        state: State,
        word: &str,
        script: Option<&NotifyScript>,
        (subject, body): (&str, &str),
        out: &mut Vec<Action>,
    ) {
        let n = &self.cfg.notifies;
        if let Some(sc) = script {
            out.push(sc.action(&[]));
        }
        let prio = self.effective.to_string();
        if let Some(g) = &n.generic {
            out.push(g.action(&[
                "INSTANCE".to_string(),
                self.cfg.name.clone(),
                word.to_string(),
                prio.clone(),
            ]));
        }
        out.push(Action::Fifo {
            line: format!("INSTANCE \"{}\" {} {}\n", self.cfg.name, word, prio),
        });
        out.push(Action::StateChanged {
            state,
            priority: self.effective,
        });
        if self.cfg.smtp_alert {
            out.push(Action::Alert {
                state,
                subject: format!("VRRP Instance {} - {subject}", self.cfg.name),
                body: body.into(),
            });
        }
        if self.cfg.in_sync_group {
            out.push(Action::GroupEvent { state });
        }
    }

    /// BACKUP → MASTER (keepalived vrrp_state_goto_master / vrrp_state_become_master):
    /// advert first, then addresses, routes, rules, GARP, notify.
    pub fn become_master(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.state == State::Master {
            return;
        }
        self.preempt_until = None;
        self.send(self.effective, out);
        self.state = State::Master;
        self.stats.become_master += 1;
        self.master = Some(self.cfg.src);
        self.timers = Timers {
            adver: Some(now + self.cfg.adver_int),
            ..Timers::default()
        };
        self.log(out, logs::entering(&self.cfg.name, "MASTER"));
        out.push(self.cfg.held.vips(true));
        out.push(self.cfg.held.routes(true));
        out.push(self.cfg.held.rules(true));
        out.push(self.cfg.held.garp(self.cfg.garp.master_repeat));
        if !self.cfg.garp.master_delay.is_zero() {
            self.timers.garp_delay = Some(now + self.cfg.garp.master_delay);
        }
        if !self.cfg.garp.master_refresh.is_zero() {
            self.timers.garp_refresh = Some(now + self.cfg.garp.master_refresh);
        }
        self.arm_garp_extra(now);
        self.notify(State::Master, out);
    }

    /// Leaves MASTER: optionally a priority-0 advert, then addresses, routes and rules go.
    fn leave_master(&mut self, prio_zero: bool, out: &mut Vec<Action>) {
        if self.state != State::Master {
            return;
        }
        if prio_zero {
            self.send(0, out);
            self.log(out, logs::sent_zero(&self.cfg.name));
        }
        out.push(self.cfg.held.rules(false));
        out.push(self.cfg.held.routes(false));
        out.push(self.cfg.held.vips(false));
        self.stats.release_master += 1;
    }

    /// keepalived vrrp_thread_timeout_handler (`timer_expired_backup`), when the loop woke
    /// late: a MASTER whose last advert went out so long ago that a router of the
    /// configured priority has taken over by now goes BACKUP instead of advertising.
    /// Returns whether it did.
    pub fn woke_late(&mut self, now: Time, out: &mut Vec<Action>) -> bool {
        let (Some(other), State::Master, Some(next)) =
            (self.cfg.timer_expired_backup, self.state, self.timers.adver)
        else {
            return false;
        };
        // The next advert was due at `next`, one interval after the last; a backup of
        // priority `other` declares us down 3 intervals plus its skew after the last.
        let adv = self.cfg.adver_int;
        if now < next + adv * 2 + skew_of(self.cfg.version, other, adv) {
            return false;
        }
        self.pending_reason = Reason::LateTimer;
        let wait = self.master_down();
        self.become_backup(now, wait, out);
        true
    }

    /// → BACKUP with the given master-down wait (keepalived: no priority-0 advert).
    pub fn become_backup(&mut self, now: Time, wait: Duration, out: &mut Vec<Action>) {
        let was = self.state;
        self.leave_master(false, out);
        self.state = State::Backup;
        self.timers = Timers {
            adver: Some(now + wait),
            ..Timers::default()
        };
        if was != State::Backup {
            let line = if was == State::Init {
                logs::entering_backup_init(&self.cfg.name)
            } else {
                logs::entering(&self.cfg.name, "BACKUP")
            };
            self.log(out, line);
            self.notify(State::Backup, out);
        }
    }

    /// → FAULT: a master sends priority 0 and drops its addresses (section 4.4).
    pub fn enter_fault(&mut self, out: &mut Vec<Action>) {
        if self.state == State::Fault || self.state == State::Stop {
            return;
        }
        self.leave_master(true, out);
        self.state = State::Fault;
        self.timers = Timers::default();
        self.log(out, logs::entering(&self.cfg.name, "FAULT"));
        self.notify(State::Fault, out);
    }

    /// The master-down wait when (re)entering BACKUP: the owner waits one advert plus the
    /// skew, everyone else the full Master_Down_Interval.
    fn backup_wait(&self) -> Duration {
        if self.cfg.is_owner() {
            self.cfg.adver_int + self.skew()
        } else {
            self.master_down()
        }
    }

    pub fn handle(&mut self, now: Time, ev: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match ev {
            Event::Start => self.start(now, &mut out),
            // A BACKUP carried over a reload keeps its state as keepalived's
            // vrrp_init_state does: no "(init)" line, no notify, no FIFO line (unless
            // something now puts it in FAULT or makes it the owner that takes over).
            Event::StartBackup { left } if self.carries_backup() => {
                self.pending_reason = Reason::Resumed;
                self.effective = self.compute_priority().unwrap_or(self.effective);
                self.state = State::Backup;
                self.timers = Timers {
                    adver: Some(now + self.master_down().min(left)),
                    ..Timers::default()
                };
            }
            Event::StartBackup { left } => {
                self.start(now, &mut out);
                if self.state == State::Backup && self.timers.adver.is_some_and(|t| t > now + left)
                {
                    self.timers.adver = Some(now + left);
                }
            }
            Event::Resume if self.faulted() => {
                self.pending_reason = Reason::Resumed;
                // Resumed as MASTER, but a weight-0 tracker is down now: drop the
                // predecessor's VIPs through FAULT.
                self.state = State::Master;
                self.enter_fault(&mut out);
            }
            Event::Resume => {
                self.pending_reason = Reason::Resumed;
                self.state = State::Master;
                self.master = Some(self.cfg.src);
                self.send(self.effective, &mut out);
                self.timers = Timers {
                    adver: Some(now + self.cfg.adver_int),
                    ..Timers::default()
                };
                if !self.cfg.garp.master_refresh.is_zero() {
                    self.timers.garp_refresh = Some(now + self.cfg.garp.master_refresh);
                }
                self.arm_garp_extra(now);
            }
            Event::Timer => self.timer(now, &mut out),
            Event::Packet(rx) => self.packet(now, rx, &mut out),
            Event::Bad { src, error } => self.bad(now, src, &error, &mut out),
            Event::Tracker { id, status } => self.tracker(now, id, status, &mut out),
            Event::Stop => {
                self.pending_reason = Reason::Stopped;
                self.stop(&mut out)
            }
            Event::Delete => {
                self.pending_reason = Reason::Deleted;
                if self.state != State::Stop {
                    self.leave_master(true, &mut out);
                    self.state = State::Stop;
                    self.timers = Timers::default();
                    self.log(
                        &mut out,
                        format!("({}) removed by the reload", self.cfg.name),
                    );
                    self.notify_deleted(&mut out);
                }
            }
            Event::AdvertNow => {
                if self.state == State::Master {
                    self.send(self.effective, &mut out);
                    self.timers.adver = Some(now + self.cfg.adver_int);
                }
            }
            Event::VipRemoved => {
                // keepalived set_vrrp_backup: go BACKUP and retake quickly (skew only).
                if self.state == State::Master {
                    self.pending_reason = Reason::VipRemoved;
                    let skew = self.skew();
                    self.become_backup(now, skew, &mut out);
                }
            }
        }
        self.mark(now);
        out
    }

    /// garp_extra_if: the next round, when there is something to send.
    fn arm_garp_extra(&mut self, now: Time) {
        let g = &self.cfg.garp;
        if !g.extra_if.is_zero() && !g.extra_addresses.is_empty() {
            self.timers.garp_extra = Some(now + g.extra_if);
        }
    }

    /// Whether a BACKUP carried over a reload stays BACKUP quietly: nothing that would
    /// make its start a transition (a weight-0 tracker down, unicast without peers, the
    /// owner that takes over).
    fn carries_backup(&self) -> bool {
        let owner_takes_over = self.cfg.is_owner() && self.cfg.want_master;
        self.state == State::Init
            && !self.faulted()
            && !owner_takes_over
            && !self.cfg.no_unicast_peers_fault
    }

    fn start(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.state != State::Init {
            return;
        }
        self.pending_reason = Reason::Startup;
        self.effective = self.compute_priority().unwrap_or(self.effective);
        if self.cfg.no_unicast_peers_fault {
            self.log(
                out,
                format!(
                    "({}) Cannot use unicast without any peers - going to fault state",
                    self.cfg.name
                ),
            );
        }
        if self.faulted() {
            // Weight-0 trackers without a good result keep us out (section 4.3).
            self.enter_fault(out);
            return;
        }
        if self.cfg.is_owner() && self.cfg.want_master {
            // keepalived vrrp_init_state: the owner takes over after about 1 µs.
            self.timers.adver = Some(now + Duration::from_micros(1));
            return;
        }
        let wait = self.master_down();
        self.become_backup(now, wait, out);
    }

    fn timer(&mut self, now: Time, out: &mut Vec<Action>) {
        let due = |t: Option<Time>| t.is_some_and(|t| t <= now);
        if due(self.timers.garp_delay) {
            self.timers.garp_delay = None;
            if self.state == State::Master {
                out.push(self.cfg.held.garp(self.cfg.garp.master_repeat));
            }
        }
        if due(self.timers.garp_lower) {
            self.timers.garp_lower = None;
            if self.state == State::Master {
                out.push(self.cfg.held.garp(self.cfg.garp.lower_prio_repeat));
            }
        }
        if due(self.timers.garp_extra) {
            self.timers.garp_extra = None;
            if self.state == State::Master {
                out.push(Action::Garp {
                    repeat: 1,
                    addresses: self.cfg.garp.extra_addresses.clone(),
                });
                self.arm_garp_extra(now);
            }
        }
        if due(self.timers.garp_refresh) {
            self.timers.garp_refresh = Some(now + self.cfg.garp.master_refresh);
            if self.state == State::Master {
                out.push(self.cfg.held.garp(self.cfg.garp.master_refresh_repeat));
            }
        }
        if due(self.timers.adver) {
            match self.state {
                State::Master => {
                    self.send(self.effective, out);
                    self.timers.adver = Some(now + self.cfg.adver_int);
                }
                State::Init => {
                    self.timers.adver = None;
                    self.state = State::Backup;
                    self.pending_reason = Reason::Owner;
                    self.become_master(now, out);
                }
                State::Backup => {
                    // RFC 5798 6.4.2: Master_Down_Timer fired.
                    self.pending_reason = if std::mem::take(&mut self.prio_zero_heard) {
                        Reason::PriorityZero
                    } else {
                        Reason::MasterDown
                    };
                    if self.cfg.in_sync_group {
                        // The group decides; until then wait another interval.
                        self.timers.adver = Some(now + self.master_down());
                        out.push(Action::WantMaster);
                    } else {
                        self.become_master(now, out);
                    }
                }
                State::Fault | State::Stop => self.timers.adver = None,
            }
        }
    }

    fn bad(&mut self, now: Time, src: Option<IpAddr>, e: &DecodeError, out: &mut Vec<Action>) {
        self.stats.count(e);
        // STYLE habit 4: bad input is counted; its log is rate-limited (one a second).
        match self.last_bad_log {
            Some(t) if now - t < Duration::from_secs(1) => self.bad_suppressed += 1,
            _ => {
                out.push(Action::Log {
                    level: Level::Warning,
                    line: logs::bad_packet(
                        &self.cfg.name,
                        src,
                        &e.to_string(),
                        self.bad_suppressed,
                    ),
                });
                self.bad_suppressed = 0;
                self.last_bad_log = Some(now);
            }
        }
    }

    fn rx_config(&self) -> RxConfig {
        RxConfig {
            version: self.cfg.version,
            auth: self.cfg.auth.clone(),
            adver_int_cs: match self.cfg.version {
                Version::V2 => (self.cfg.adver_int.as_secs().clamp(1, 255) * 100) as u16,
                Version::V3 => self.cfg.adver_int_cs(),
            },
            vips: self.cfg.vips.clone(),
            peers: self.cfg.peers.clone(),
            check_unicast_src: self.cfg.check_unicast_src,
            v3_checksum_as_v2: self.cfg.v3_checksum_as_v2,
            unicast_checksum: self.unicast_checksum(),
        }
    }

    /// The unicast VRRPv3 checksum in use: as configured, or the old one once detected.
    pub fn unicast_checksum(&self) -> crate::rx::UnicastChecksum {
        match self.cfg.unicast_checksum {
            crate::rx::UnicastChecksum::Detect(g) if self.old_checksum_detected => {
                crate::rx::UnicastChecksum::Old(g)
            }
            c => c,
        }
    }

    fn packet(&mut self, now: Time, rx: &Received, out: &mut Vec<Action>) {
        // keepalived: packets are ignored in FAULT and INIT (and once stopped).
        if matches!(self.state, State::Fault | State::Init | State::Stop) {
            return;
        }
        // The address list is checked in MASTER, and in BACKUP unless
        // skip_check_adv_addr and the sender is the master we know.
        let check_addrs = self.state == State::Master
            || !(self.cfg.skip_check_adv_addr && self.master == Some(rx.src));
        let (repr, note) = match rx::check(&self.rx_config(), rx, check_addrs) {
            Ok(x) => x,
            Err(e) => return self.bad(now, Some(rx.src), &e, out),
        };
        if self.cfg.owner_ignore_adverts && self.effective == 255 {
            // keepalived 2.3.3: dropped before it counts, logged at most once a second.
            if self
                .last_owner_drop_log
                .is_none_or(|t| now - t >= Duration::from_secs(1))
            {
                self.last_owner_drop_log = Some(now);
                out.push(Action::Log {
                    level: Level::Info,
                    line: format!(
                        "({}) Dropping packet(s) from {} since we are address owner",
                        self.cfg.name, rx.src
                    ),
                });
            }
            return;
        }
        self.stats.advert_rcvd += 1;
        if repr.priority == 0 {
            self.stats.pri_zero_rcvd += 1;
        }
        if note == Some(Note::OldChecksum) && !self.old_checksum_detected {
            self.old_checksum_detected = true;
            out.push(Action::Log {
                level: Level::Info,
                line: format!(
                    "({}) Setting unicast VRRPv3 checksum to old version",
                    self.cfg.name
                ),
            });
        }
        if let Some(Note::IntervalDiffers { ours_cs, theirs_cs }) = note {
            if self.state == State::Master {
                out.push(Action::Log {
                    level: Level::Info,
                    line: logs::interval_differs(&self.cfg.name, ours_cs, theirs_cs),
                });
            }
        }
        match self.state {
            State::Backup => self.backup_rx(now, rx.src, &repr, out),
            State::Master => self.master_rx(now, rx.src, &repr, out),
            _ => {}
        }
    }

    /// keepalived vrrp_state_backup, RFC 5798 6.4.2.
    fn backup_rx(&mut self, now: Time, src: IpAddr, adv: &Repr, out: &mut Vec<Action>) {
        if adv.priority == 0 {
            // The master is leaving: take over after Skew_Time.
            self.log(out, logs::prio_zero_received(&self.cfg.name));
            self.timers.adver = Some(now + self.skew());
            self.prio_zero_heard = true;
            return;
        }
        let preempt_window = self.preempt_until.is_some_and(|t| now < t);
        let lower = adv.priority < self.effective;
        if lower && !self.cfg.nopreempt && !preempt_window {
            if !self.cfg.preempt_delay.is_zero() && self.preempt_until.is_none() {
                // The first lower-priority advert opens the preempt_delay window;
                // adverts are accepted until it ends.
                self.preempt_until = Some(now + self.cfg.preempt_delay);
            } else {
                // Ignore it: our Master_Down_Timer runs out and we take over.
                return;
            }
        }
        if !lower {
            self.preempt_until = None;
        }
        if self.cfg.version == Version::V3 {
            // RFC 5798 6.4.2: a v3 backup adopts the master's interval.
            self.master_adver_int = Duration::from_millis(adv.adver_int_cs as u64 * 10);
        }
        self.master = Some(src);
        self.master_priority = adv.priority;
        self.prio_zero_heard = false;
        self.timers.adver = Some(now + self.master_down());
    }

    /// keepalived vrrp_state_master_rx, RFC 5798 6.4.3.
    fn master_rx(&mut self, now: Time, src: IpAddr, adv: &Repr, out: &mut Vec<Action>) {
        let ours = self.effective;
        if adv.priority == 0 {
            self.log(out, logs::master_prio_zero_received(&self.cfg.name));
            self.send(ours, out);
            self.timers.adver = Some(now + self.cfg.adver_int);
            return;
        }
        if adv.priority == ours && src == self.cfg.src {
            out.push(Action::Log {
                level: Level::Warning,
                line: logs::same_prio_own_ip(&self.cfg.name, src),
            });
            return;
        }
        if adv.priority == 255 && ours == 255 && self.cfg.is_owner() {
            // keepalived 2.2.7: two owners; ours drops to 254 at once.
            self.owner_demoted = true;
            self.effective = 254;
            out.push(Action::Log {
                level: Level::Warning,
                line: logs::owner_conflict(&self.cfg.name, src),
            });
        }
        let ours = self.effective;
        if adv.priority < ours || (adv.priority == ours && ip_less(src, self.cfg.src)) {
            // We stay master; the other router must learn it.
            self.log(
                out,
                logs::lower_prio(&self.cfg.name, src, adv.priority, ours),
            );
            if !self.cfg.lower_prio_no_advert {
                self.send(ours, out);
                self.timers.adver = Some(now + self.cfg.adver_int);
            }
            if self.cfg.garp.lower_prio_repeat > 0 {
                out.push(self.cfg.held.garp(self.cfg.garp.lower_prio_repeat));
                if !self.cfg.garp.lower_prio_delay.is_zero() {
                    self.timers.garp_lower = Some(now + self.cfg.garp.lower_prio_delay);
                }
            }
            // keepalived send_event_notify: a lower priority router became master (a
            // break between the two); its script lets this one take its addresses back.
            if let Some(s) = &self.cfg.notifies.master_rx_lower_pri {
                out.push(Action::Notify {
                    argv: s.argv.clone(),
                    user: s.user.clone(),
                    group: s.group.clone(),
                });
            }
            out.push(Action::Fifo {
                line: format!(
                    "INSTANCE \"{}\" MASTER_RX_LOWER_PRI {ours}\n",
                    self.cfg.name
                ),
            });
            return;
        }
        // Higher priority, or equal with a higher primary address: yield.
        self.log(
            out,
            logs::higher_prio(&self.cfg.name, src, adv.priority, ours),
        );
        if self.cfg.higher_prio_send_advert {
            self.send(ours, out);
        }
        if self.cfg.version == Version::V3 {
            self.master_adver_int = Duration::from_millis(adv.adver_int_cs as u64 * 10);
        }
        self.master = Some(src);
        self.master_priority = adv.priority;
        self.pending_reason = Reason::HigherPriority;
        let wait = self.master_down();
        self.become_backup(now, wait, out);
    }

    fn tracker(&mut self, now: Time, id: TrackerId, status: TrackStatus, out: &mut Vec<Action>) {
        let Some(t) = self.trackers.get_mut(&id) else {
            return;
        };
        if t.status == status {
            return;
        }
        t.status = status;
        let up = t.contribution().is_some();
        self.pending_reason = Reason::Tracker { id: id.clone(), up };
        match self.compute_priority() {
            None => {
                if self.state != State::Init {
                    self.enter_fault(out);
                }
            }
            Some(p) => {
                self.priority_changed(p, out);
                if self.state == State::Fault {
                    // keepalived try_up_instance: every reason cleared → BACKUP.
                    let wait = self.backup_wait();
                    self.become_backup(now, wait, out);
                }
            }
        }
    }

    /// keepalived vrrp_set_effective_priority: the new priority, logged; a BACKUP's
    /// master-down deadline moves with its Skew_Time; a FIFO line when
    /// notify_priority_changes is on.
    fn priority_changed(&mut self, p: u8, out: &mut Vec<Action>) {
        if p == self.effective {
            return;
        }
        let old_down = self.master_down();
        out.push(Action::Log {
            level: Level::Info,
            line: format!(
                "({}) Changing effective priority from {} to {}",
                self.cfg.name, self.effective, p
            ),
        });
        self.effective = p;
        let new_down = self.master_down();
        if let (State::Backup, Some(t)) = (self.state, self.timers.adver) {
            self.timers.adver = Some(if new_down >= old_down {
                t + (new_down - old_down)
            } else {
                Time::from_micros(t.0.saturating_sub((old_down - new_down).as_micros() as u64))
            });
        }
        if self.cfg.notify_priority_changes {
            let what = if self.state == State::Master {
                "MASTER_PRIORITY"
            } else {
                "BACKUP_PRIORITY"
            };
            out.push(Action::Fifo {
                line: format!("INSTANCE \"{}\" {what} {p}\n", self.cfg.name),
            });
        }
    }

    fn stop(&mut self, out: &mut Vec<Action>) {
        if self.state == State::Stop {
            return;
        }
        self.leave_master(true, out);
        self.state = State::Stop;
        self.timers = Timers::default();
        self.notify(State::Stop, out);
    }

    /// For sync groups: go to FAULT because another member did.
    pub fn group_fault(&mut self, out: &mut Vec<Action>) {
        self.pending_reason = Reason::SyncGroup;
        self.enter_fault(out);
    }

    /// For sync groups: leave FAULT once the whole group may.
    pub fn group_unfault(&mut self, now: Time, out: &mut Vec<Action>) {
        if self.state == State::Fault && !self.faulted() {
            self.pending_reason = Reason::SyncGroup;
            let wait = self.backup_wait();
            self.become_backup(now, wait, out);
        }
    }

    /// Whether this instance itself is failing (not because its group is).
    pub fn own_fault(&self) -> bool {
        self.faulted()
    }
}

/// RFC 5798 6.4.3: addresses compared as unsigned integers in network order.
fn ip_less(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a) < u32::from(b),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a) < u128::from(b),
        _ => false,
    }
}
