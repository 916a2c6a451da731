//! The parent: starts the children (fork + exec of this executable with one end of a
//! SOCK_SEQPACKET socketpair): the VRRP child when the configuration has VRRP instances,
//! the checker child when it has virtual servers (-P / -C / --all as keepalived). It
//! hands each its configuration, pings it, restarts it when it exits or hangs
//! (keepalived's backoff), hands a restarted VRRP child the last states so that a master
//! keeps its VIPs, reloads on SIGHUP by handing over to new children, and stops them
//! cleanly on SIGTERM / SIGINT.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ka_config::Config;
use ka_ipc::proc::{spawn_with_fd, Channel, ChildProc};

use crate::kept::Kept;
use crate::servers::Servers;
use ka_ipc::VrrpState as State;
use ka_ipc::{Handover, InstanceState, ToChild, ToParent, MAX_DATAGRAM, VERSION};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use signal_hook_mio::v1_0::Signals;

use crate::reload;

const SIGNALS: Token = Token(0);
/// The directory of reload_time_file (inotify).
const RELOAD_TIME: Token = Token(3);

/// How often a child is pinged, and how long it may stay silent before it counts as hung.
pub const PING_EVERY: Duration = Duration::from_millis(500);
pub const HUNG_AFTER: Duration = Duration::from_millis(2000);

/// How long a new child may take to read its configuration and open its sockets.
const PREPARE_WITHIN: Duration = Duration::from_secs(30);
/// How long after a reload the parent gives its free memory back again (the successors'
/// first reports have been read by then).
const TRIM_AFTER_RELOAD: Duration = Duration::from_secs(3);
/// Once this many real servers' states have been reported since the last trim, the
/// parent trims again [`TRIM_AFTER_RELOAD`] after the last report.
const BIG_REPORT: usize = 1024;

/// How long a retiring child may take to hand over, then to exit.
const HANDOVER_WITHIN: Duration = Duration::from_secs(3);

/// keepalived's child exit codes that stop everything (no respawn).
const PERMANENT: [i32; 3] = [1, 2, 4];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Vrrp,
    Check,
}

const KINDS: [Kind; 2] = [Kind::Vrrp, Kind::Check];

/// Why a reload or an upgrade left the running children in place.
#[derive(Debug)]
enum NotReplaced {
    /// A successor (this child kind) exited while preparing: it cannot run the
    /// configuration.
    CannotRun(&'static str),
    /// A successor could not be started.
    Spawn(io::Error),
}

impl std::fmt::Display for NotReplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReplaced::CannotRun(kind) => write!(f, "the {kind} child cannot run it"),
            NotReplaced::Spawn(e) => e.fmt(f),
        }
    }
}

impl Kind {
    fn arg(self) -> &'static str {
        match self {
            Kind::Vrrp => "vrrp",
            Kind::Check => "check",
        }
    }

    /// As keepalived's log lines name the child.
    fn name(self) -> &'static str {
        match self {
            Kind::Vrrp => "VRRP",
            Kind::Check => "Healthcheck",
        }
    }

    fn token(self) -> Token {
        match self {
            Kind::Vrrp => Token(1),
            Kind::Check => Token(2),
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Which children run (keepalived start_keepalived): -P only VRRP, -C only the checker;
/// each only if the configuration has something for it, unless --all.
#[derive(Clone, Copy, Debug, Default)]
pub struct Selection {
    pub vrrp_only: bool,
    pub check_only: bool,
    pub all: bool,
}

impl Selection {
    pub fn wants(&self, k: Kind, c: &Kept) -> bool {
        match k {
            Kind::Vrrp => !self.check_only && (self.all || c.has_instances()),
            Kind::Check => !self.vrrp_only && (self.all || c.has_virtual_servers()),
        }
    }
}

struct Running {
    child: ChildProc,
    ch: Channel,
    started: Instant,
    last_pong: Instant,
    next_ping: Instant,
    seq: u64,
}

#[derive(Default)]
struct Slot {
    running: Option<Running>,
    /// Index into the backoff sequence, and when the next start is due.
    restarts: usize,
    next_start: Option<Instant>,
    /// A child has been started before: the next one resumes (no startup delay).
    started_once: bool,
    /// Children in a row that died within `QUICK_DEATH` of their start.
    quick_deaths: usize,
    /// A child loaded the configuration and opened its sockets at least once.
    prepared_once: bool,
    /// Restarts after a crash or hang since the daemon started (for status).
    restarts_total: u64,
}

/// A child that dies this soon after its start counts towards a crash loop.
const QUICK_DEATH: Duration = Duration::from_secs(1);
/// A VRRP child holding VIPs is restarted at once (its successor advertises at once);
/// after this many quick deaths in a row the parent releases the VIPs instead, so that
/// no address stays up without adverts while the back-off runs.
const QUICK_DEATHS_BEFORE_RELEASE: usize = 3;
/// A VRRP child silent this long (pings are every 500 ms) has its MASTERs' adverts sent
/// by the parent until it speaks again or its successor does.
const SILENT_AFTER: Duration = Duration::from_millis(1000);
/// Lateness of the parent's own loop below this is not forgiven to the children.
const LATE_FORGIVEN: Duration = Duration::from_millis(50);

/// Reads the configuration again (for a reload), with the options of the first read.
pub type Loader = Box<dyn Fn() -> crate::reload::Reading>;

pub struct Watchdog {
    /// The running configuration, encoded (the typed model is decoded when needed).
    config: Kept,
    loader: Loader,
    /// reload_time_file followed, and the reload it has scheduled.
    reload_timer: Option<crate::reload_time::ReloadTimer>,
    select: Selection,
    exe: PathBuf,
    child_args: Vec<String>,
    slots: [Slot; 2],
    /// The last state each VRRP instance reported.
    states: BTreeMap<String, InstanceState>,
    /// Each vrrp_script's last status, handed to a successor VRRP child.
    scripts: BTreeMap<String, bool>,
    /// System settings the VRRP children changed, with their values before the first
    /// change.
    originals: BTreeMap<String, u32>,
    /// The last state of each real server (vs, rs) the checker child reported.
    /// The real servers' last reported states, by virtual server, then real server.
    servers: Servers,
    dont_respawn: bool,
    /// The control socket and metrics endpoint, when asked for.
    control_opts: Option<crate::control::Options>,
    control: Option<crate::control::Control>,
    /// The status request outstanding: its number, when it was sent, and which children
    /// have written their part.
    status_seq: u64,
    asked: Option<Asked>,
    /// Reloads asked for, and how the last one ended.
    reloads: u64,
    last_reload: Option<ka_ipc::status::ReloadStatus>,
    /// How the running configuration was read: what it read from outside its text and
    /// what reading it said (None: not known, every reload reads the files).
    running_read: Option<crate::reload::Read>,
    started_wall: f64,
    /// The adverts of the VRRP child's MASTER instances, sent by the parent while the
    /// child is silent (hung, stopped, dead or restarting).
    adverts: BTreeMap<String, Replay>,
    /// One raw socket per interface, opened when first needed.
    senders: BTreeMap<String, ka_net::vrrp::SendSocket>,
    /// Whether the parent is sending adverts for the child now.
    standing_in: bool,
    /// systemd's notify socket (Type=notify), when the daemon runs under it.
    notify: Option<crate::notify::Notify>,
    /// READY=1 has been sent (every wanted child loaded the configuration once).
    ready_sent: bool,
    /// Free memory goes back to the system then: once the children's reports that follow
    /// a reload (every real server's state) have come and gone.
    trim_at: Option<Instant>,
    /// Real servers' states reported since the last trim.
    reported_since_trim: usize,
    /// A STATUS= update is due (states or servers changed) no earlier than this.
    status_due: Option<Instant>,
    /// When the last STATUS= line went.
    status_sent: Option<Instant>,
    /// The command line this parent was started with (an upgrade runs the new executable
    /// with it).
    argv: Vec<String>,
    /// Upgrades in place this PID went through, and how the last one asked for ended.
    upgrades: u64,
    last_upgrade: Option<ka_ipc::status::ReloadStatus>,
    /// Set by [`Watchdog::adopt`]: the children of the previous executable are to be
    /// replaced as soon as the loop runs (the version they came from).
    pending_upgrade: Option<String>,
    /// During a SIGHUP reload with config_save_dir: the reload's number and the
    /// directories of the running configuration (the "pre" dumps) and of the new one
    /// (the "post" dumps).
    saving: Option<Saving>,
}

/// config_save_dir at one reload (keepalived save_config).
struct Saving {
    reload: u64,
    pre: Option<String>,
    post: Option<String>,
}

impl Saving {
    /// keepalived's file name, `keepalived_PROCESS.PID.N.pre|post`, with the pid of the
    /// child that writes it (the retiring one before, its successor after).
    fn path(dir: &str, k: Kind, pid: u32, reload: u64, post: bool) -> String {
        let process = match k {
            Kind::Vrrp => "vrrp",
            Kind::Check => "check",
        };
        let when = if post { "post" } else { "pre" };
        format!("{dir}/keepalived_{process}.{pid}.{reload}.{when}")
    }
}

/// keepalived config_save_dir_handler: the directory is made (0700) when missing.
fn make_save_dir(dir: &str) {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => log::info!("config_save_dir {dir} created"),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => log::error!("Unable to create config_save_dir {dir} ({e})"),
    }
}

/// A status request sent to the children: which parts, and who has written theirs.
#[derive(Clone, Copy)]
struct Asked {
    seq: u64,
    at: Instant,
    answered: [bool; 2],
    json: bool,
    metrics: bool,
}

/// A MASTER's advert, as its child last sent it.
struct Replay {
    ifname: String,
    dst: std::net::Ipv4Addr,
    packet: Vec<u8>,
    interval: Duration,
    next: Instant,
}

/// keepalived calc_restart_delay: 0, 1, 2, 4, 8, 16, 32, 60, 60, ... seconds.
pub fn restart_delay(n: usize) -> Duration {
    const SEQ: [u64; 8] = [0, 1, 2, 4, 8, 16, 32, 60];
    Duration::from_secs(SEQ[n.min(SEQ.len() - 1)])
}

impl Watchdog {
    pub fn new(
        config: Config,
        loader: Loader,
        select: Selection,
        child_args: Vec<String>,
        dont_respawn: bool,
    ) -> io::Result<Watchdog> {
        let kept = Kept::new(&config)?;
        if let Some(d) = &config.global.config_save_dir {
            make_save_dir(d);
        }
        // The typed model goes: its memory back to the system.
        drop(config);
        ka_ipc::proc::release_free_memory();
        let config = kept;
        let mut slots: [Slot; 2] = Default::default();
        for k in KINDS {
            if select.wants(k, &config) {
                slots[k.slot()].next_start = Some(Instant::now());
            }
        }
        Ok(Watchdog {
            config,
            loader,
            reload_timer: None,
            select,
            exe: std::env::current_exe()?,
            child_args,
            slots,
            states: BTreeMap::new(),
            scripts: BTreeMap::new(),
            originals: BTreeMap::new(),
            servers: Servers::default(),
            trim_at: None,
            reported_since_trim: 0,
            dont_respawn,
            control_opts: None,
            control: None,
            status_seq: 0,
            asked: None,
            reloads: 0,
            last_reload: None,
            running_read: None,
            started_wall: ka_ipc::status::unix_now(),
            adverts: BTreeMap::new(),
            senders: BTreeMap::new(),
            standing_in: false,
            notify: None,
            ready_sent: false,
            status_due: None,
            status_sent: None,
            argv: std::env::args().collect(),
            upgrades: 0,
            last_upgrade: None,
            pending_upgrade: None,
            saving: None,
        })
    }

    /// An upgrade in place: the children the previous executable left running (their
    /// channels open on the descriptors it named) become this parent's, with what it knew;
    /// [`Watchdog::run`] then replaces them through the reload hand-over.
    // The one unsafe block of this crate: taking ownership of an inherited descriptor.
    #[allow(unsafe_code)]
    /// Without `replace` (the configuration could not be loaded) the adopted children run
    /// on as they are.
    pub fn adopt(mut self, c: crate::upgrade::Carried, replace: bool) -> Self {
        let now = Instant::now();
        for ch in &c.children {
            let k = match ch.kind.as_str() {
                "vrrp" => Kind::Vrrp,
                "check" => Kind::Check,
                _ => continue,
            };
            // SAFETY: the previous executable kept this descriptor open for us across its
            // exec; nothing else in this process owns it.
            let chan = match unsafe { Channel::from_inherited(ch.fd) } {
                Ok(chan) => chan,
                Err(e) => {
                    log::error!("upgrade: the {} child's channel: {e}", k.name());
                    continue;
                }
            };
            let _ = ka_ipc::proc::set_cloexec(ch.fd, true);
            let slot = &mut self.slots[k.slot()];
            slot.running = Some(Running {
                child: ChildProc::Adopted {
                    pid: ch.pid,
                    status: None,
                },
                ch: chan,
                started: now
                    .checked_sub(Duration::from_millis(ch.running_ms))
                    .unwrap_or(now),
                last_pong: now,
                next_ping: now,
                seq: 0,
            });
            slot.next_start = None;
            slot.started_once = true;
            slot.prepared_once = true;
            slot.restarts_total = ch.restarts_total;
        }
        self.states = c.states.into_iter().map(|s| (s.name.clone(), s)).collect();
        self.scripts = c.scripts.into_iter().collect();
        self.originals = c.originals.into_iter().collect();
        self.servers = Servers::default();
        for s in c.servers {
            self.servers.update(&s);
        }
        self.reloads = c.reloads;
        self.last_reload = c.last_reload;
        self.upgrades = c.upgrades;
        self.started_wall = c.started_wall;
        self.ready_sent = true;
        if replace {
            self.pending_upgrade = Some(c.from_version);
        } else {
            self.upgrades += 1;
            let why = format!(
                "the configuration cannot be loaded: the children of v{} run on",
                c.from_version
            );
            log::error!("Upgrade: {why}");
            self.last_upgrade = Some(ka_ipc::status::ReloadStatus {
                time: ka_ipc::status::unix_now(),
                result: why,
            });
        }
        self
    }

    /// `keepalived-rs upgrade`: if the executable at this parent's path (the package has
    /// replaced it) can take over, exec it with the children's channels and what this
    /// parent knows. Returns only when it cannot (the reason), everything left running.
    fn upgrade(&mut self) -> String {
        let check = match crate::upgrade::ask(&self.exe, &self.argv) {
            Ok(c) => c,
            Err(e) => return e.to_string(),
        };
        if let Err(e) = crate::upgrade::compatible(&check) {
            return e.to_string();
        }
        if let Some(c) = &mut self.control {
            c.answer_upgrade(None);
        }
        let mut children = Vec::new();
        for k in KINDS {
            let slot = &self.slots[k.slot()];
            if let Some(r) = &slot.running {
                let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
                children.push(crate::upgrade::CarriedChild {
                    kind: k.arg().to_string(),
                    pid: r.child.id(),
                    fd,
                    running_ms: r.started.elapsed().as_millis() as u64,
                    restarts_total: slot.restarts_total,
                });
            }
        }
        let (notify_socket, watchdog_usec) =
            self.notify.as_ref().map_or((None, None), |n| n.vars());
        let carried = crate::upgrade::Carried {
            format: crate::upgrade::FORMAT,
            from_version: env!("CARGO_PKG_VERSION").to_string(),
            children,
            states: self.states.values().cloned().collect(),
            scripts: self.scripts.iter().map(|(n, g)| (n.clone(), *g)).collect(),
            originals: self
                .originals
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            servers: self.servers.list(),
            reloads: self.reloads,
            last_reload: self.last_reload.clone(),
            upgrades: self.upgrades,
            started_wall: self.started_wall,
            notify_socket,
            watchdog_usec,
        };
        let dir = self
            .control
            .as_ref()
            .map_or_else(|| PathBuf::from("/run/keepalived-rs"), |c| c.status_dir());
        let path = match crate::upgrade::write(&dir, &carried) {
            Ok(p) => p,
            Err(e) => return format!("cannot write the state for the new executable: {e}"),
        };
        let fds: Vec<i32> = carried.children.iter().map(|c| c.fd).collect();
        for &fd in &fds {
            let _ = ka_ipc::proc::set_cloexec(fd, false);
        }
        let args = crate::upgrade::argv(
            &self.argv,
            &[crate::upgrade::STATE_OPTION, &path.to_string_lossy()],
        );
        log::info!(
            "Upgrading in place: {} takes over (pid {} and the children kept)",
            self.exe.display(),
            std::process::id()
        );
        // A signal that arrives during the exec waits for the new program's handlers.
        ka_ipc::proc::block_signals(&ka_runtime::signals::daemon_signals(), true);
        let e = ka_ipc::proc::exec(&self.exe, &args);
        // Still here: the exec failed; everything is as it was.
        ka_ipc::proc::block_signals(&ka_runtime::signals::daemon_signals(), false);
        for &fd in &fds {
            let _ = ka_ipc::proc::set_cloexec(fd, true);
        }
        let _ = std::fs::remove_file(&path);
        format!("cannot run {}: {e}", self.exe.display())
    }

    /// An upgrade's outcome, for status, events and the service manager.
    fn upgrade_done(&mut self, result: &str) {
        self.last_upgrade = Some(ka_ipc::status::ReloadStatus {
            time: ka_ipc::status::unix_now(),
            result: result.to_string(),
        });
        self.event(ka_ipc::status::Event::Process {
            time: ka_ipc::status::unix_now(),
            process: "keepalived-rs".into(),
            what: format!("upgrade {result}"),
        });
    }

    /// The adopted children replaced by ones of this executable (the reload hand-over).
    fn finish_upgrade(&mut self, poll: &Poll) {
        let Some(from) = self.pending_upgrade.take() else {
            return;
        };
        self.upgrades += 1;
        log::info!(
            "Upgraded in place from keepalived-rs v{from} to v{}: replacing the children",
            env!("CARGO_PKG_VERSION")
        );
        let result = match self
            .config
            .config()
            .map_err(NotReplaced::Spawn)
            .and_then(|config| self.replace_children(config, poll))
        {
            Ok(config) => {
                self.forget_removed_servers(&config);
                "complete".to_string()
            }
            Err(e) => format!("children not replaced ({e}); those of v{from} run on"),
        };
        log::info!("Upgrade {result}");
        self.upgrade_done(&result);
        let text = self.status_line();
        if let Some(n) = &mut self.notify {
            n.ready(&text);
        }
    }

    /// Whether the VRRP child has been silent past [`SILENT_AFTER`] (or is not running).
    fn vrrp_silent(&self, now: Instant) -> bool {
        match &self.slots[Kind::Vrrp.slot()].running {
            Some(r) => now.saturating_duration_since(r.last_pong) > SILENT_AFTER,
            None => true,
        }
    }

    /// While the VRRP child is silent, its MASTERs' adverts go out from here at their
    /// interval: a backup sees no gap, and the VIPs are never held without adverts.
    /// Duplicates with a child that is only slow are harmless (the same priority from the
    /// same address).
    fn stand_in(&mut self) {
        let now = Instant::now();
        let silent = !self.adverts.is_empty() && self.vrrp_silent(now);
        if silent != self.standing_in {
            self.standing_in = silent;
            if silent {
                log::warn!(
                    "VRRP child silent: sending the adverts of its {} MASTER instance(s)",
                    self.adverts.len()
                );
            } else {
                log::info!("VRRP child speaks again: it sends its adverts itself");
            }
        }
        if !silent {
            for a in self.adverts.values_mut() {
                a.next = now;
            }
            return;
        }
        for (name, a) in &mut self.adverts {
            if a.next > now {
                continue;
            }
            a.next = now + a.interval;
            if !self.senders.contains_key(&a.ifname) {
                match ka_net::vrrp::SendSocket::new(&a.ifname) {
                    Ok(s) => {
                        self.senders.insert(a.ifname.clone(), s);
                    }
                    Err(e) => {
                        log::warn!("({name}) cannot advertise on {}: {e}", a.ifname);
                        continue;
                    }
                }
            }
            if let Some(s) = self.senders.get(&a.ifname) {
                if let Err(e) = s.send(a.dst, &a.packet) {
                    log::warn!("({name}) cannot send its advert: {e}");
                }
            }
        }
    }

    /// When the parent next sends an advert for a silent child.
    fn stand_in_deadline(&self) -> Option<Instant> {
        if self.adverts.is_empty() {
            return None;
        }
        let now = Instant::now();
        if self.standing_in {
            return self.adverts.values().map(|a| a.next).min();
        }
        self.slots[Kind::Vrrp.slot()]
            .running
            .as_ref()
            .map_or(Some(now), |r| Some(r.last_pong + SILENT_AFTER))
    }

    /// How the running configuration was read: a reload whose inputs are all unchanged
    /// leaves the running children alone.
    pub fn with_read(mut self, read: crate::reload::Read) -> Self {
        self.running_read = Some(read);
        self
    }

    /// Speak systemd's notify protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG).
    pub fn with_notify(mut self, n: Option<crate::notify::Notify>) -> Self {
        self.notify = n;
        self
    }

    /// The STATUS= text from the instances' and real servers' last reported states.
    fn status_line(&self) -> String {
        let instances: Vec<(String, String)> = self
            .states
            .values()
            .map(|s| (s.name.clone(), s.state.to_string()))
            .collect();
        let total = self.config.real_servers();
        let down = self.servers.down(|vs| self.config.has_vs(vs));
        crate::notify::status_text(&instances, total.saturating_sub(down), total)
    }

    /// READY=1 once every wanted child has loaded the configuration; then STATUS= as
    /// states change (at most once a second), and WATCHDOG=1 when due.
    fn notify_tick(&mut self, now: Instant) {
        if self.notify.is_none() {
            return;
        }
        if !self.ready_sent {
            let all = KINDS.iter().all(|&k| {
                !self.select.wants(k, &self.config) || self.slots[k.slot()].prepared_once
            });
            if all {
                let text = self.status_line();
                if let Some(n) = &mut self.notify {
                    n.ready(&text);
                }
                self.ready_sent = true;
            }
        } else if self.status_due.is_some_and(|t| now >= t) {
            self.status_due = None;
            self.status_sent = Some(now);
            let text = self.status_line();
            if let Some(n) = &mut self.notify {
                n.status(&text);
            }
        }
        if let Some(n) = &mut self.notify {
            n.watchdog(now);
        }
    }

    /// A state changed: the STATUS= line is sent again at once, or a second after the
    /// last one (a burst of changes makes one line).
    fn status_changed(&mut self) {
        if self.notify.is_some() && self.status_due.is_none() {
            let now = Instant::now();
            let next = self.status_sent.map_or(now, |t| t + Duration::from_secs(1));
            self.status_due = Some(next.max(now));
        }
    }

    /// Serve `keepalived-rs status`, `events` and, with an address, `/metrics`.
    pub fn with_control(mut self, opts: crate::control::Options) -> Self {
        self.control_opts = Some(opts);
        self
    }

    /// Asks the running children for their status files: the JSON and the metric
    /// families, each if a client waits for it (once per round of requests).
    fn ask_status(&mut self) {
        if self.asked.is_some() {
            return;
        }
        let Some(control) = &self.control else {
            return;
        };
        let (json, metrics) = control.waiting();
        if !json && !metrics {
            return;
        }
        let dir = control.status_dir();
        self.status_seq += 1;
        let seq = self.status_seq;
        let mut answered = [true; 2];
        for k in KINDS {
            if let Some(r) = &self.slots[k.slot()].running {
                let file = |ext: &str| {
                    let p = dir.join(format!("{}.status.{ext}", k.arg()));
                    p.to_string_lossy().into_owned()
                };
                let m = ToChild::WriteStatus {
                    seq,
                    json: json.then(|| file("json")),
                    metrics: metrics.then(|| file("prom")),
                };
                if r.ch.send(&m).is_ok() {
                    answered[k.slot()] = false;
                }
            }
        }
        self.asked = Some(Asked {
            seq,
            at: Instant::now(),
            answered,
            json,
            metrics,
        });
        if answered.iter().all(|a| *a) {
            self.answer_status();
        }
    }

    /// A child wrote its part; the answer goes out once both have.
    fn status_written(&mut self, k: Kind, seq: u64) {
        if let Some(a) = &mut self.asked {
            if a.seq == seq {
                a.answered[k.slot()] = true;
                if a.answered.iter().all(|a| *a) {
                    self.answer_status();
                }
            }
        }
    }

    /// The status from the children's files (a child that did not answer is left out and
    /// shown as such), to every client waiting for what was asked; clients that came
    /// for something else meanwhile get the next round.
    fn answer_status(&mut self) {
        let Some(asked) = self.asked.take() else {
            return;
        };
        let answered = asked.answered;
        let Some(control) = &self.control else { return };
        let dir = control.status_dir();
        let read = |k: Kind, ext: &str| -> Option<Vec<u8>> {
            let running = self.slots[k.slot()].running.is_some();
            (running && answered[k.slot()])
                .then(|| std::fs::read(dir.join(format!("{}.status.{ext}", k.arg()))).ok())
                .flatten()
        };
        let processes = KINDS
            .iter()
            .map(|&k| {
                let slot = &self.slots[k.slot()];
                let r = slot.running.as_ref();
                ka_ipc::status::ProcessStatus {
                    name: if k == Kind::Vrrp { "vrrp" } else { "checker" }.into(),
                    pid: r.map(|r| r.child.id()),
                    started: r
                        .map(|r| ka_ipc::status::unix_now() - r.started.elapsed().as_secs_f64()),
                    restarts: slot.restarts_total,
                    answered: r.is_some() && answered[k.slot()],
                }
            })
            .collect();
        let parent = ka_ipc::status::ParentStatus {
            version: env!("CARGO_PKG_VERSION").into(),
            pid: std::process::id(),
            started: self.started_wall,
            processes,
            reloads: self.reloads,
            last_reload: self.last_reload.clone(),
            upgrades: self.upgrades,
            last_upgrade: self.last_upgrade.clone(),
            exe: self.exe.display().to_string(),
        };
        // The JSON answer splices the children's parts in as they are: no decoding.
        let part = |t: Option<Vec<u8>>| t.filter(|t| t.first() == Some(&b'{'));
        // The answers are lists of parts: the children's files are sent as they were
        // read, never copied into one buffer.
        let mut json: Vec<std::rc::Rc<Vec<u8>>> = Vec::new();
        if asked.json {
            let own = serde_json::to_vec(&parent).unwrap_or_else(|_| b"null".to_vec());
            json.push(
                format!("{{\"keepalived_rs\":{}", String::from_utf8_lossy(&own))
                    .into_bytes()
                    .into(),
            );
            for (key, k) in [
                (&b",\"vrrp\":"[..], Kind::Vrrp),
                (b",\"checker\":", Kind::Check),
            ] {
                json.push(std::rc::Rc::new(key.to_vec()));
                json.push(
                    part(read(k, "json"))
                        .unwrap_or_else(|| b"null".to_vec())
                        .into(),
                );
            }
            json.push(std::rc::Rc::new(b"}".to_vec()));
        }
        // The metrics: the parent's families, then each child's as it rendered them.
        let mut metrics: Vec<std::rc::Rc<Vec<u8>>> = Vec::new();
        if asked.metrics {
            let mut own = String::new();
            ka_runtime::metrics::parent(&mut own, &parent);
            metrics.push(own.into_bytes().into());
            for k in KINDS {
                if let Some(t) = read(k, "prom") {
                    metrics.push(t.into());
                }
            }
        }
        if let Some(c) = &mut self.control {
            c.answer(
                asked.json.then_some(json.as_slice()),
                asked.metrics.then_some(metrics.as_slice()),
            );
        }
        self.ask_status();
    }

    /// One event line to every `keepalived-rs events` client.
    fn event(&mut self, e: ka_ipc::status::Event) {
        if let Some(c) = &mut self.control {
            if let Ok(line) = serde_json::to_string(&e) {
                c.broadcast(&line);
            }
        }
    }

    fn running(&self, k: Kind) -> Option<&Running> {
        self.slots[k.slot()].running.as_ref()
    }

    /// Starts a child of kind `k` with `config` and waits until it has read it and opened
    /// its sockets (`Prepared`) or has exited (then `reap` sees why). The running
    /// children keep being answered meanwhile. The flag says whether it got there.
    fn spawn(&mut self, k: Kind, config: &Kept, poll: &Poll) -> io::Result<(Running, bool)> {
        let (ch, theirs) = Channel::pair()?;
        let mut cmd = ka_ipc::proc::this_program(&self.exe);
        cmd.args([
            "--child",
            k.arg(),
            "--parent-pid",
            &std::process::id().to_string(),
        ]);
        cmd.args(&self.child_args);
        let mut child = ChildProc::Spawned(spawn_with_fd(cmd, theirs)?);
        log::info!("Starting {} child process, pid={}", k.name(), child.id());
        ch.send(&ToChild::Hello { version: VERSION })?;
        let blob = config.blob();
        let parts: Vec<&[u8]> = blob.chunks(MAX_DATAGRAM - 64).collect();
        for (n, p) in parts.iter().enumerate() {
            send_blocking(
                &ch,
                &ToChild::ConfigPart {
                    data: p.to_vec(),
                    last: n + 1 == parts.len(),
                },
            )?;
        }
        let end = Instant::now() + PREPARE_WITHIN;
        let mut prepared = false;
        // Readable once the child has exited (None on a kernel without pidfd_open).
        let exited = ka_ipc::proc::exit_fd(child.id()).ok();
        loop {
            match ch.recv::<ToParent>() {
                Ok(Some(ToParent::Prepared)) => {
                    prepared = true;
                    break;
                }
                Ok(Some(ToParent::Hello { version })) if version != VERSION => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(io::Error::other(format!(
                        "{} child speaks protocol {version}, expected {VERSION}",
                        k.name()
                    )));
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    if matches!(child.try_wait(), Ok(Some(_))) {
                        break;
                    }
                    if Instant::now() > end {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the child did not load its configuration in time",
                        ));
                    }
                    // Wait for the child (a message or its exit) and keep the running
                    // children (during a reload) answered and watched meanwhile.
                    let mut own = vec![ch.as_fd()];
                    let mut until = end;
                    match &exited {
                        Some(fd) => own.push(fd.as_fd()),
                        None => until = until.min(Instant::now() + Duration::from_millis(10)),
                    }
                    self.wait_for(&own, until);
                    for other in KINDS {
                        self.messages(other);
                        self.ping(other, poll);
                    }
                }
                // The child closed its end: it is exiting; reap() sees why.
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let r = Running {
            child,
            ch,
            started: now,
            last_pong: now,
            next_ping: now + PING_EVERY,
            seq: 0,
        };
        Ok((r, prepared))
    }

    /// Lets a prepared child run: for the VRRP child the states to resume (None on the
    /// first start) and the original settings; then Go.
    fn go(
        &mut self,
        k: Kind,
        r: Running,
        resume: Option<Vec<InstanceState>>,
        reload: bool,
        poll: &Poll,
    ) -> io::Result<()> {
        // A child that has already exited cannot be told; reap() sees its exit code.
        if k == Kind::Vrrp {
            if let Some(states) = resume {
                if reload {
                    let _ = send_blocking(&r.ch, &ToChild::Reloaded);
                }
                if !self.scripts.is_empty() {
                    let list = self.scripts.iter().map(|(n, g)| (n.clone(), *g)).collect();
                    let _ = send_blocking(&r.ch, &ToChild::Scripts(list));
                }
                let _ = send_blocking(&r.ch, &ToChild::Resume(states));
            }
            if !self.originals.is_empty() {
                let o = self
                    .originals
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                let _ = send_blocking(&r.ch, &ToChild::Originals(o));
            }
        }
        if k == Kind::Check && !self.servers.is_empty() {
            let list = self.servers.list();
            let _ = send_blocking(&r.ch, &ToChild::Servers(list));
        }
        let _ = send_blocking(&r.ch, &ToChild::Go);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        poll.registry()
            .register(&mut SourceFd(&fd), k.token(), Interest::READABLE)?;
        self.slots[k.slot()].running = Some(r);
        Ok(())
    }

    fn start_child(&mut self, k: Kind, poll: &Poll) -> io::Result<()> {
        let config = self.config.clone();
        let (r, prepared) = self.spawn(k, &config, poll)?;
        let slot = &mut self.slots[k.slot()];
        slot.prepared_once |= prepared;
        let resume = slot
            .started_once
            .then(|| self.states.values().cloned().collect());
        slot.started_once = true;
        self.go(k, r, resume, false, poll)
    }

    /// Follows the running configuration's reload_time_file (keepalived: the file is read
    /// at start and after each reload; a directory that does not exist means no
    /// scheduled reload until the next one).
    fn follow_reload_time(&mut self, poll: &Poll) {
        let want = self.config.reload_time().map(|(f, r)| (f.to_string(), r));
        let same = match (&self.reload_timer, &want) {
            (Some(t), Some((f, r))) => t.path == std::path::Path::new(f) && t.repeat == *r,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if let Some(t) = self.reload_timer.take() {
            let _ = poll.registry().deregister(&mut SourceFd(&t.fd()));
        }
        let Some((file, repeat)) = want else { return };
        match crate::reload_time::ReloadTimer::new(&file, repeat) {
            Ok(t) => {
                let fd = t.fd();
                if let Err(e) =
                    poll.registry()
                        .register(&mut SourceFd(&fd), RELOAD_TIME, Interest::READABLE)
                {
                    log::warn!("reload_time_file {file}: cannot follow it ({e})");
                    return;
                }
                self.reload_timer = Some(t);
            }
            Err(e) => log::warn!("reload_time_file {file}: cannot follow its directory ({e})"),
        }
    }

    /// How the reload asked for at `time` ended, for status, metrics and events.
    fn reload_done(&mut self, time: f64, result: &str) {
        self.last_reload = Some(ka_ipc::status::ReloadStatus {
            time,
            result: result.to_string(),
        });
        // The service is ready again either way: a refused reload keeps the running
        // configuration, and says why.
        let text = if result == "complete" {
            self.status_line()
        } else {
            format!("Reload {result}; running the previous configuration")
        };
        if let Some(n) = &mut self.notify {
            n.ready(&text);
        }
        self.event(ka_ipc::status::Event::Process {
            time: ka_ipc::status::unix_now(),
            process: "keepalived-rs".into(),
            what: format!("reload {result}"),
        });
    }

    /// SIGHUP: read the configuration again; if it is clean, for each child start a
    /// successor with it, let the running one hand over (the VRRP child: one advert,
    /// remove what is gone, exit without touching the rest), then let the successor run
    /// (the VRRP one resuming the states). A failure before a handover leaves that child
    /// and the running configuration untouched.
    fn reload(&mut self, poll: &Poll) {
        log::info!("Reloading");
        if let Some(n) = &mut self.notify {
            n.reloading();
        }
        self.reloads += 1;
        let asked = ka_ipc::status::unix_now();
        let t0 = Instant::now();
        // keepalived's reload_file: there while the files are read.
        let reload_file = self.config.reload_file().map(str::to_string);
        if let Some(f) = &reload_file {
            crate::reload::create_reload_file(f);
        }
        // Every file and everything else the running configuration was read from gives
        // the same answer: reading would give the same configuration.
        let unchanged = self
            .running_read
            .as_ref()
            .is_some_and(|r| r.inputs.unchanged(&ka_config::fs::RealFs));
        let (read, new_config) = if unchanged {
            // It stays the running configuration's reading (a few lines and paths).
            (self.running_read.clone().unwrap_or_default(), None)
        } else {
            let reading = (self.loader)();
            (reading.read, Some(reading.config))
        };
        if let Some(f) = &reload_file {
            let _ = std::fs::remove_file(f);
        }
        for (error, line) in &read.said {
            if *error {
                log::error!("{line}");
            } else {
                log::warn!("{line}");
            }
        }
        if let Some(log_file) = self.config.reload_check_config() {
            if let Err(e) = std::fs::write(log_file, read.check_log()) {
                log::info!("cannot write the config check log {log_file} - {e}");
            }
            if read.refused() {
                log::info!("New config failed validation, see {log_file} for details");
            }
        }
        if read.refused() {
            log::error!(
                "Reload failed: the configuration has errors; keeping the running configuration"
            );
            self.reload_done(asked, "refused: the configuration has errors");
            return;
        }
        let Some(new_config) = new_config else {
            self.reload_unchanged(asked, t0, poll);
            return;
        };
        let read_in = t0.elapsed();
        let post = new_config.global.config_save_dir.clone();
        if let Some(d) = &post {
            make_save_dir(d);
        }
        let pre = self.config.config_save_dir().map(str::to_string);
        if pre.is_some() || post.is_some() {
            self.saving = Some(Saving {
                reload: self.reloads,
                pre,
                post,
            });
        }
        let replaced = self.replace_children(new_config, poll);
        self.saving = None;
        match &replaced {
            Ok(_) => {
                self.running_read = Some(read);
                log::info!(
                    "Reload complete ({} ms: configuration read in {} ms)",
                    t0.elapsed().as_millis(),
                    read_in.as_millis()
                );
                self.reload_done(asked, "complete");
                self.follow_reload_time(poll);
            }
            Err(why) => self.reload_done(asked, &format!("refused: {why}")),
        }
        // The successors run: what follows is the parent's own bookkeeping.
        if let Ok(config) = replaced {
            self.forget_removed_servers(&config);
        }
        // The configuration replaced (or the one refused) is gone: its memory back to
        // the system, so that RSS returns to its level before the reload.
        ka_ipc::proc::release_free_memory();
        self.trim_at = Some(Instant::now() + TRIM_AFTER_RELOAD);
    }

    /// A reload whose inputs are all unchanged: the running children carry on untouched
    /// (no successor, no hand-over, nothing re-notified); a child waiting to be started
    /// again starts now, as after any reload, and config_save_dir gets its dumps.
    fn reload_unchanged(&mut self, asked: f64, t0: Instant, poll: &Poll) {
        if let Some(dir) = self.config.config_save_dir().map(str::to_string) {
            make_save_dir(&dir);
            for k in KINDS {
                if let Some(r) = &self.slots[k.slot()].running {
                    let pid = r.child.id();
                    for post in [false, true] {
                        let path = Saving::path(&dir, k, pid, self.reloads, post);
                        let _ = send_blocking(&r.ch, &ToChild::SaveDump(path));
                    }
                }
            }
        }
        // fifo_write_vrrp_states_on_reload: the running VRRP child writes the states.
        if let Some(r) = &self.slots[Kind::Vrrp.slot()].running {
            let _ = send_blocking(&r.ch, &ToChild::Reloaded);
        }
        for k in KINDS {
            let slot = &mut self.slots[k.slot()];
            if self.select.wants(k, &self.config)
                && slot.running.is_none()
                && slot.next_start.is_none()
            {
                slot.next_start = Some(Instant::now());
            }
        }
        log::info!(
            "Reload complete ({} ms: the configuration files and what they read are unchanged; the running children carry on)",
            t0.elapsed().as_millis()
        );
        self.reload_done(asked, "complete");
        self.follow_reload_time(poll);
        // Comparing the inputs read every file again: the heap pages that took are given
        // back (36,544 real servers: the parent kept 0.8 MB more after the first such
        // reload, none of it in use).
        ka_ipc::proc::release_free_memory();
    }

    /// Replaces the running children by ones that run `new_config`: every successor is
    /// prepared first (a configuration one of them cannot run changes nothing at all,
    /// Err), then each running child hands over to its successor.
    /// Returns the new configuration, for [`Self::forget_removed_servers`] once the reload
    /// is reported.
    fn replace_children(&mut self, new_config: Config, poll: &Poll) -> Result<Config, NotReplaced> {
        let kept = Kept::new(&new_config).map_err(NotReplaced::Spawn)?;
        // Prepare every successor first: a configuration one of them cannot run changes
        // nothing at all.
        let mut next: Vec<(Kind, Running)> = Vec::new();
        for k in KINDS {
            if !self.select.wants(k, &kept) || self.running(k).is_none() {
                continue;
            }
            match self.spawn(k, &kept, poll) {
                Ok((r, true)) => next.push((k, r)),
                Ok((mut r, false)) => {
                    let status = r.child.wait().map(|s| s.to_string()).unwrap_or_default();
                    log::error!(
                        "Reload failed: the {} child cannot run the new configuration ({status}); keeping the running configuration",
                        k.name()
                    );
                    abandon(next);
                    return Err(NotReplaced::CannotRun(k.name()));
                }
                Err(e) => {
                    log::error!("Reload failed: {e}; keeping the running configuration");
                    abandon(next);
                    return Err(NotReplaced::Spawn(e));
                }
            }
        }
        let old = match self.config.vrrp_part() {
            Ok(old) => old,
            Err(e) => {
                abandon(next);
                return Err(NotReplaced::Spawn(e));
            }
        };
        let plan = ka_vrrp::reload::plan_parts(&old, &new_config);
        drop(old);
        for k in KINDS {
            let wanted = self.select.wants(k, &kept);
            let successor = next
                .iter()
                .position(|(nk, _)| *nk == k)
                .map(|p| next.remove(p).1);
            match successor {
                Some(mut r) => {
                    let h = if k == Kind::Vrrp {
                        Handover {
                            vrrp: plan.removed.clone(),
                            ..Handover::default()
                        }
                    } else {
                        Handover {
                            ipvs_keep: ka_check::ipvs::Wanted::new(ka_check::ipvs::layout(
                                &new_config,
                            ))
                            .keys(),
                            ..Handover::default()
                        }
                    };
                    let last = self.hand_over(k, poll, h);
                    let resume = if k == Kind::Vrrp {
                        let carried = reload::carry_states(&plan, &last);
                        self.states = reload::remembered(&carried)
                            .into_iter()
                            .map(|s| (s.name.clone(), s))
                            .collect();
                        Some(carried)
                    } else {
                        None
                    };
                    r.started = Instant::now();
                    let pid = r.child.id();
                    match self.go(k, r, resume, true, poll) {
                        Ok(()) => {
                            log::info!("Reload: {} child process, pid={pid}", k.name());
                            if let Some(Saving {
                                reload,
                                post: Some(dir),
                                ..
                            }) = &self.saving
                            {
                                let path = Saving::path(dir, k, pid, *reload, true);
                                if let Some(r) = &self.slots[k.slot()].running {
                                    let _ = send_blocking(&r.ch, &ToChild::SaveDump(path));
                                }
                            }
                        }
                        Err(e) => {
                            log::error!("Reload: cannot start the new {} child: {e}", k.name())
                        }
                    }
                }
                None if !wanted => {
                    // Nothing for it in the new configuration.
                    self.stop_child(k, poll, Instant::now() + self.config.child_wait_time());
                    self.slots[k.slot()].next_start = None;
                }
                None => {
                    // Newly wanted (or waiting to respawn): start it with the new one.
                    if self.running(k).is_none() && self.slots[k.slot()].next_start.is_none() {
                        self.slots[k.slot()].next_start = Some(Instant::now());
                    }
                }
            }
        }
        self.config = kept;
        // The successors report their MASTERs' adverts as they send their first.
        self.adverts.clear();
        Ok(new_config)
    }

    /// After a reload, once the successors run: the real servers the new configuration no
    /// longer has are forgotten (else every reload that drops some would leave them here
    /// for good). Bookkeeping only, so it waits until the reload is reported complete
    /// (tens of milliseconds at tens of thousands of real servers).
    fn forget_removed_servers(&mut self, new_config: &Config) {
        let keep: BTreeMap<String, std::collections::BTreeSet<String>> = new_config
            .virtual_servers
            .iter()
            .map(|v| {
                let rss = v
                    .real_servers
                    .iter()
                    .map(|r| ka_check::config::rs_name(v, r))
                    .collect();
                (ka_check::config::vs_name(v), rss)
            })
            .collect();
        self.servers
            .retain(|vs, rs| keep.get(vs).is_some_and(|rss| rss.contains(rs)));
    }

    /// Tells the running child of kind `k` to hand over and waits for its last states
    /// and its exit.
    fn hand_over(&mut self, k: Kind, poll: &Poll, h: Handover) -> Vec<InstanceState> {
        let Some(mut old) = self.slots[k.slot()].running.take() else {
            return self.states.values().cloned().collect();
        };
        let fd = std::os::fd::AsRawFd::as_raw_fd(&old.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        let mut last = None;
        if let (
            Some(Saving {
                reload,
                pre: Some(dir),
                ..
            }),
            ChildProc::Spawned(_),
        ) = (&self.saving, &old.child)
        {
            let path = Saving::path(dir, k, old.child.id(), *reload, false);
            let _ = send_blocking(&old.ch, &ToChild::SaveDump(path));
        }
        if send_blocking(&old.ch, &ToChild::Handover(h)).is_ok() {
            let end = Instant::now() + HANDOVER_WITHIN;
            while last.is_none() && Instant::now() < end {
                match old.ch.recv::<ToParent>() {
                    Ok(Some(ToParent::HandedOver(s))) => last = Some(s),
                    // States, servers, adverts stopped by deleted instances, events.
                    Ok(Some(m)) => self.message(k, m),
                    Ok(None) => {
                        old.ch
                            .wait_readable(Some(end.saturating_duration_since(Instant::now())));
                    }
                    Err(_) => break,
                }
            }
        }
        if last.is_none() {
            log::warn!(
                "{} child process({}) did not hand over: using its last reported states",
                k.name(),
                old.child.id()
            );
        }
        if !matches!(old.child.wait_within(HANDOVER_WITHIN), Ok(Some(_))) {
            let _ = old.child.kill();
            let _ = old.child.wait();
        }
        if k == Kind::Check {
            return Vec::new();
        }
        last.unwrap_or_else(|| self.states.values().cloned().collect())
    }

    /// Runs until SIGTERM / SIGINT or a permanent child error; returns the exit code.
    pub fn run(mut self) -> io::Result<i32> {
        let mut poll = Poll::new()?;
        let mut handled = ka_runtime::signals::daemon_signals().to_vec();
        handled.push(SIGCHLD);
        let mut signals = Signals::new(handled)?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        // An upgrade in place blocked them across its exec: the handlers are in place now.
        ka_ipc::proc::block_signals(&ka_runtime::signals::daemon_signals(), false);
        if let Some(opts) = self.control_opts.clone() {
            match crate::control::Control::open(&opts, poll.registry()) {
                Ok(c) => self.control = Some(c),
                Err(e) => log::warn!(
                    "no control socket at {}: {e}; `keepalived-rs status` will not reach this daemon",
                    opts.socket.display()
                ),
            }
        }
        // keepalived: the startup script runs before the children start (not again after a
        // reload, nor after an upgrade in place, whose children are running).
        if self.pending_upgrade.is_none() && !self.slots.iter().any(|s| s.running.is_some()) {
            self.start_stop_script(true);
        }
        self.finish_upgrade(&poll);
        self.follow_reload_time(&poll);
        let mut events = Events::with_capacity(64);
        loop {
            for k in KINDS {
                let now = Instant::now();
                let slot = &mut self.slots[k.slot()];
                if slot.next_start.is_some_and(|t| t <= now) && slot.running.is_none() {
                    slot.next_start = None;
                    if let Err(e) = self.start_child(k, &poll) {
                        log::error!("cannot start the {} child: {e}", k.name());
                        self.stop(&poll);
                        return Ok(1);
                    }
                }
            }
            self.notify_tick(Instant::now());
            if self.trim_at.is_some_and(|t| t <= Instant::now()) {
                self.trim_at = None;
                self.reported_since_trim = 0;
                ka_ipc::proc::release_free_memory();
            }
            let mut deadlines = vec![];
            for slot in &self.slots {
                deadlines.extend(slot.next_start);
                deadlines.extend(slot.running.as_ref().map(|r| r.next_ping));
            }
            deadlines.extend(self.asked.map(|a| a.at + crate::control::STATUS_WAIT));
            deadlines.extend(self.control.as_ref().and_then(|c| c.next_deadline()));
            deadlines.extend(self.stand_in_deadline());
            deadlines.extend(self.status_due);
            deadlines.extend(self.trim_at);
            deadlines.extend(self.reload_timer.as_ref().and_then(|t| t.deadline()));
            deadlines.extend(self.notify.as_mut().and_then(|n| n.watchdog_deadline()));
            let timeout = deadlines
                .into_iter()
                .min()
                .map(|t| t.saturating_duration_since(Instant::now()));
            let before = Instant::now();
            if let Err(e) = poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            // The parent's own lateness (it was not scheduled, or stopped): the children
            // are not judged by the time during which the parent could not hear them.
            if let Some(t) = timeout {
                let late = Instant::now().saturating_duration_since(before + t);
                if late > LATE_FORGIVEN {
                    self.forgive(late);
                }
            }
            for ev in events.iter() {
                match ev.token() {
                    SIGNALS => {
                        for sig in signals.pending() {
                            match sig {
                                SIGTERM | SIGINT => {
                                    self.stop(&poll);
                                    return Ok(0);
                                }
                                SIGHUP => self.reload(&poll),
                                // Exits are seen by reap() below.
                                SIGCHLD => {}
                                // keepalived: the data dump goes to every child, the stats,
                                // stats-clear and JSON dumps to the VRRP child.
                                _ => {
                                    for k in KINDS {
                                        if sig != SIGUSR1 && k != Kind::Vrrp {
                                            continue;
                                        }
                                        if let Some(r) = self.running(k) {
                                            let _ = ka_ipc::proc::signal(r.child.id() as i32, sig);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    RELOAD_TIME => {
                        if let Some(t) = &mut self.reload_timer {
                            t.changed();
                        }
                    }
                    t if self.control.as_ref().is_some_and(|c| c.owns(t)) => {
                        let mut req = crate::control::Requests::default();
                        if let Some(c) = &mut self.control {
                            c.ready(t, &mut req);
                        }
                        if req.status {
                            self.ask_status();
                        }
                        if req.upgrade {
                            let why = self.upgrade();
                            log::error!("Upgrade refused: {why}; the daemon runs on as it was");
                            self.upgrade_done(&format!("refused: {why}"));
                            if let Some(c) = &mut self.control {
                                c.answer_upgrade(Some(&why));
                            }
                        }
                    }
                    t => {
                        for k in KINDS {
                            if k.token() == t {
                                self.messages(k);
                            }
                        }
                    }
                }
            }
            // reload_time_file: the time has come.
            if let Some(t) = &mut self.reload_timer {
                if t.deadline().is_some_and(|d| d <= Instant::now()) {
                    t.fire();
                    self.reload(&poll);
                }
            }
            for k in KINDS {
                if let Some(code) = self.reap(k, &poll) {
                    self.stop(&poll);
                    return Ok(code);
                }
                // Whatever the child sent is read before it is judged.
                self.messages(k);
                self.ping(k, &poll);
            }
            self.stand_in();
            let now = Instant::now();
            self.notify_tick(now);
            if self
                .asked
                .is_some_and(|a| now >= a.at + crate::control::STATUS_WAIT)
            {
                self.answer_status();
            }
            if let Some(c) = &mut self.control {
                c.expire(now);
            }
        }
    }

    /// Reads everything the child sent (every message counts as a sign of life), then
    /// acts on it.
    fn messages(&mut self, k: Kind) {
        let Some(r) = &mut self.slots[k.slot()].running else {
            return;
        };
        let mut got = Vec::new();
        loop {
            match r.ch.recv::<ToParent>() {
                Ok(Some(m)) => {
                    r.last_pong = Instant::now();
                    got.push(m);
                }
                Ok(None) => break,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    log::warn!("bad message from the {} child: {e}", k.name())
                }
                // Gone: reap() sees the exit.
                Err(_) => break,
            }
        }
        for m in got {
            self.message(k, m);
        }
    }

    fn message(&mut self, k: Kind, m: ToParent) {
        match m {
            ToParent::State(s) => {
                let e = ka_ipc::status::Event::Instance {
                    time: ka_ipc::status::unix_now(),
                    name: s.name.clone(),
                    state: s.state.to_string(),
                    priority: s.priority,
                    reason: s.reason.clone(),
                };
                self.states.insert(s.name.clone(), s);
                self.event(e);
                self.status_changed();
            }
            ToParent::StatusWritten(seq) => self.status_written(k, seq),
            ToParent::Originals(o) => {
                for (key, v) in o {
                    self.originals.entry(key).or_insert(v);
                }
            }
            ToParent::Servers(list) => {
                // Thousands of states (the first checks at scale, a hand-over): the
                // memory they came through goes back once they stop coming.
                self.reported_since_trim += list.len();
                if self.reported_since_trim >= BIG_REPORT {
                    self.trim_at = Some(Instant::now() + TRIM_AFTER_RELOAD);
                }
                let mut changed = false;
                for st in list {
                    // A handover repeats every state: an event only where one changed.
                    if self.servers.update(&st) {
                        self.event(ka_ipc::status::Event::RealServer {
                            time: ka_ipc::status::unix_now(),
                            virtual_server: st.vs,
                            real_server: st.rs,
                            up: st.alive,
                        });
                        changed = true;
                    }
                }
                if changed {
                    self.status_changed();
                }
            }
            ToParent::Script { name, good } => {
                self.scripts.insert(name, good);
            }
            ToParent::Advert {
                instance,
                ifname,
                dst,
                packet,
                interval_ms,
            } => {
                let interval = Duration::from_millis(u64::from(interval_ms.max(10)));
                self.adverts.insert(
                    instance,
                    Replay {
                        ifname,
                        dst,
                        packet,
                        interval,
                        next: Instant::now(),
                    },
                );
            }
            ToParent::AdvertStop { instance } => {
                self.adverts.remove(&instance);
            }
            ToParent::Hello { version } if version != VERSION => {
                log::error!(
                    "{} child speaks protocol {version}, expected {VERSION}",
                    k.name()
                );
            }
            _ => {}
        }
    }

    /// Moves every child's last answer forward by `late`: time the parent itself lost.
    fn forgive(&mut self, late: Duration) {
        let now = Instant::now();
        for slot in &mut self.slots {
            if let Some(r) = &mut slot.running {
                r.last_pong = (r.last_pong + late).min(now);
            }
        }
    }

    /// Whether the VIPs of any instance of the running configuration are on their
    /// interfaces (the kernel's truth, whatever the parent last read).
    fn holds_vips(&self) -> bool {
        let Ok(config) = self.config.config() else {
            return false;
        };
        let present = ka_net::iface::addresses().unwrap_or_default();
        config.instances.iter().any(|m| {
            !m.vips.is_empty()
                && m.vips.iter().all(|a| {
                    let dev = a.dev.as_deref().or(m.interface.as_deref()).unwrap_or("");
                    present.iter().any(|(d, p)| d == dev && *p == a.addr)
                })
        })
    }

    /// A VRRP child in a crash loop: the parent removes the VIPs it left, so that no
    /// address stays up without adverts (the peers take over after their master-down
    /// interval, as from a dead node). Addresses on a VMAC go with the VMAC's child.
    fn release_vips(&mut self) {
        let mut nl = match ka_net::netlink::Netlink::new() {
            Ok(nl) => nl,
            Err(e) => {
                log::error!("cannot release the VIPs: netlink: {e}");
                return;
            }
        };
        let config = match self.config.config() {
            Ok(c) => c,
            Err(e) => {
                log::error!("cannot release the VIPs: {e}");
                return;
            }
        };
        let present = ka_net::iface::addresses().unwrap_or_default();
        for m in &config.instances {
            for a in m.vips.iter().chain(&m.excluded_vips) {
                let dev = a.dev.as_deref().or(m.interface.as_deref()).unwrap_or("");
                if !present.iter().any(|(d, p)| d == dev && *p == a.addr) {
                    continue;
                }
                let Ok(ifindex) = ka_net::iface::index(dev) else {
                    continue;
                };
                let addr = ka_net::netlink::Addr {
                    ifindex,
                    addr: a.addr,
                    prefix: a.prefix,
                    brd: None,
                };
                match nl.del_addr(&addr) {
                    Ok(()) => log::warn!("({}) released {}/{} on {dev}", m.name, a.addr, a.prefix),
                    Err(e) => log::error!("({}) cannot release {}: {e}", m.name, a.addr),
                }
            }
        }
        for s in self.states.values_mut() {
            if s.state == State::Master {
                s.state = State::Backup;
            }
        }
        // No more adverts for addresses that are gone.
        self.adverts.clear();
    }

    /// Waits until one of `own` or a running child's channel is readable, until `until`
    /// at the latest, or until a running child is due a ping or would be judged hung.
    fn wait_for(&self, own: &[std::os::fd::BorrowedFd], until: Instant) {
        let mut fds = own.to_vec();
        let mut due = until;
        for r in self.slots.iter().filter_map(|s| s.running.as_ref()) {
            fds.push(r.ch.as_fd());
            due = due.min(r.next_ping).min(r.last_pong + HUNG_AFTER);
        }
        ka_ipc::proc::wait_readable(&fds, Some(due.saturating_duration_since(Instant::now())));
    }

    fn ping(&mut self, k: Kind, poll: &Poll) {
        let Some(r) = &mut self.slots[k.slot()].running else {
            return;
        };
        let now = Instant::now();
        if now.duration_since(r.last_pong) > HUNG_AFTER {
            log::warn!(
                "{} child process({}) is not answering: killing it",
                k.name(),
                r.child.id()
            );
            let _ = r.child.kill();
            let _ = r.child.wait();
            self.child_gone(k, poll);
            return;
        }
        if now >= r.next_ping {
            r.seq += 1;
            let _ = r.ch.send(&ToChild::Ping(r.seq));
            r.next_ping = now + PING_EVERY;
        }
    }

    /// Whether the child has exited; Some(code) when everything must stop.
    fn reap(&mut self, k: Kind, poll: &Poll) -> Option<i32> {
        let r = self.slots[k.slot()].running.as_mut()?;
        match r.child.try_wait() {
            Ok(Some(status)) => {
                let code = status.code();
                let pid = r.child.id();
                let name = k.name();
                if let Some(c) = code.filter(|c| PERMANENT.contains(c)) {
                    log::error!(
                        "{name} child process({pid}) exited with permanent error {c}. Terminating"
                    );
                    self.slots[k.slot()].running = None;
                    return Some(c);
                }
                match status.signal() {
                    Some(sig) => {
                        log::warn!("{name} child process({pid}) died from signal {sig}: Respawning")
                    }
                    None => log::warn!(
                        "{name} child process({pid}) exited with status {code:?}: Respawning"
                    ),
                }
                self.child_gone(k, poll);
                if self.dont_respawn {
                    log::error!("{name} child died and -R is set: Exiting");
                    return Some(0);
                }
                None
            }
            _ => None,
        }
    }

    fn child_gone(&mut self, k: Kind, poll: &Poll) {
        let slot = &mut self.slots[k.slot()];
        let Some(r) = slot.running.take() else { return };
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        // keepalived: a child that ran 60 s or more restarts at once and resets the delay.
        if r.started.elapsed() >= Duration::from_secs(60) {
            slot.restarts = 0;
        }
        if r.started.elapsed() < QUICK_DEATH {
            slot.quick_deaths += 1;
        } else {
            slot.quick_deaths = 0;
        }
        let what = format!("{} child process({}) gone", k.name(), r.child.id());
        let mut delay = restart_delay(slot.restarts);
        slot.restarts += 1;
        slot.restarts_total += 1;
        // The back-off never delays the adverts of held VIPs: a VRRP child that held
        // them is replaced at once, and its successor resumes as MASTER and advertises.
        // In a crash loop the VIPs are released instead, and the back-off applies.
        if k == Kind::Vrrp && !delay.is_zero() {
            let held = self.states.values().any(|s| s.state == State::Master) || self.holds_vips();
            if held && self.slots[k.slot()].quick_deaths < QUICK_DEATHS_BEFORE_RELEASE {
                log::info!("VRRP child held VIPs: restarting it at once");
                delay = Duration::ZERO;
            } else if held {
                log::error!(
                    "VRRP child died {} times in a row within {} s of its start: releasing the VIPs",
                    self.slots[k.slot()].quick_deaths,
                    QUICK_DEATH.as_secs()
                );
                self.release_vips();
            }
        }
        self.slots[k.slot()].next_start = Some(Instant::now() + delay);
        self.event(ka_ipc::status::Event::Process {
            time: ka_ipc::status::unix_now(),
            process: k.arg().into(),
            what: format!("{what}: restart in {} s", delay.as_secs()),
        });
    }

    /// Stops every child: Stop to each at once, then up to 5 s for each to exit.
    fn stop(&mut self, poll: &Poll) {
        if let Some(n) = &self.notify {
            n.stopping();
        }
        for k in KINDS {
            if let Some(r) = self.running(k) {
                let _ = r.ch.send(&ToChild::Stop);
            }
        }
        // keepalived's child_wait_time: one deadline for all the children.
        let end = Instant::now() + self.config.child_wait_time();
        for k in KINDS {
            self.stop_child(k, poll, end);
        }
        self.start_stop_script(false);
        log::info!("Stopped keepalived-rs");
    }

    /// keepalived's startup_script (before the children start) or shutdown_script (once
    /// they have stopped): run and waited for, at most its timeout; then SIGTERM to its
    /// process group, and SIGKILL 2 s later.
    fn start_stop_script(&self, startup: bool) {
        let Ok(config) = self.config.config() else {
            return;
        };
        let g = &config.global;
        let (script, timeout, what) = if startup {
            (&g.startup_script, g.startup_script_timeout, "startup")
        } else {
            (&g.shutdown_script, g.shutdown_script_timeout, "shutdown")
        };
        let Some(script) = script else {
            return;
        };
        let argv = &script.command.argv;
        let own = script.user.clone().map(|u| (u, script.group.clone()));
        log::info!("Running {what} script {}", argv[0]);
        let mut child = match ka_runtime::scripts::start(g, argv, own.as_ref()) {
            Ok(c) => c,
            Err(e) => {
                log::info!("Call of {what} script {} failed: {e}", argv[0]);
                return;
            }
        };
        let pid = child.id();
        let wait = |child: &mut std::process::Child, within: Duration| {
            ka_ipc::proc::exited_within(pid, within, || child.try_wait())
                .ok()
                .flatten()
        };
        let status = wait(&mut child, Duration::from_secs(u64::from(timeout))).or_else(|| {
            log::info!("{what} script (PID {pid}) timed out after {timeout} s: terminating it");
            let _ = ka_ipc::proc::signal(-(pid as i32), SIGTERM);
            wait(&mut child, Duration::from_secs(2)).or_else(|| {
                let _ = ka_ipc::proc::signal(-(pid as i32), signal_hook::consts::SIGKILL);
                child.wait().ok()
            })
        });
        match status.and_then(|s| s.code()) {
            Some(0) => log::info!("{what} script succeeded"),
            Some(c) => log::info!("{what} script failed, status {c}"),
            None => {}
        }
    }

    /// Stops the running child of kind `k`: SIGKILL if it has not exited by `end`.
    fn stop_child(&mut self, k: Kind, poll: &Poll, end: Instant) {
        let Some(mut r) = self.slots[k.slot()].running.take() else {
            return;
        };
        let _ = r.ch.send(&ToChild::Stop);
        let within = end.saturating_duration_since(Instant::now());
        if !matches!(r.child.wait_within(within), Ok(Some(_))) {
            log::warn!(
                "{} child did not stop in {} s (child_wait_time): killing it",
                k.name(),
                self.config.child_wait_time().as_secs()
            );
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
    }
}

/// Prepared successors of a reload that failed: they go without having run.
fn abandon(next: Vec<(Kind, Running)>) {
    for (_, mut r) in next {
        let _ = r.ch.send(&ToChild::Stop);
        let _ = r.child.kill();
        let _ = r.child.wait();
    }
}

/// Sends, waiting while the socket buffer is full (the child reads as it starts).
fn send_blocking(ch: &Channel, m: &ToChild) -> io::Result<()> {
    ch.send_waiting(m, Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_backoff() {
        let d: Vec<u64> = (0..10).map(|n| restart_delay(n).as_secs()).collect();
        assert_eq!(d, vec![0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
