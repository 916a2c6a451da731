//! The checker child (`--child check`) in one mio loop: the ka-check state machines fed
//! with real probes (TCP_CHECK: a connect; HTTP_GET: a request per url, status code and
//! digest checked; SMTP_CHECK: greeting and HELO; MISC_CHECK: a script and its exit
//! code), and what they return carried
//! out: the IPVS table ([`crate::lvs`]), notify_up / notify_down / quorum scripts, LVS FIFO
//! lines, mail.
//!
//! On a kernel without IPVS the table is left out and everything else runs (keepalived
//! 2.2.7's checker exits there and takes the daemon down).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::Child;
use std::time::{Duration, Instant};

use ka_check::checker::{Checker, CheckerAction, Outcome};
use ka_check::config::CheckSpec;
use ka_check::http::{http_verdict, request_bytes};
use ka_check::service::{Action, Pool};
use ka_check::Time;
use ka_config::model::{CheckKind, Config, GlobalDefs, HttpProtocol, TrackFile, Url};
use ka_ipc::status::IpvsCounters;
use mio::net::TcpStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

use ka_runtime::error::RunError;
use ka_runtime::link::Exit;

use crate::tcp::connected;
use ka_runtime::scripts::{self, open_fifo, Dying};

fn ctx<T>(r: std::io::Result<T>, what: &str) -> Result<T, RunError> {
    ka_runtime::error::ctx(r, || what.to_string())
}

/// The most checks started in one turn of the loop (see `tick`).
const PROBES_PER_TICK: usize = 128;
/// The longest a turn goes on starting checks (see `tick`): a check that fails at once
/// is handled as it starts (the real server removed from IPVS, logged, reported), and
/// 128 of those took 2.3 s in the emulated IPVS VM, longer than the parent waits for a
/// Pong (4,000 real servers failing together: the checker was killed twice as hung).
const STARTS_WITHIN: Duration = Duration::from_millis(100);
/// After this many changes (IPVS operations) since the last trim, the process gives its
/// free memory back [`TRIM_AFTER`] after the last of them: with IPVS, each change reads
/// its services back from the kernel, and thousands of real servers failing together
/// left the heap some 300 bytes per real server larger than it held (the emulated IPVS
/// VM, 4,000 real servers, when each change read every service; none without IPVS).
const TRIM_AFTER_CHANGES: usize = 1024;
const TRIM_AFTER: Duration = Duration::from_secs(3);
const SIGNALS: Token = Token(0);
const PARENT: Token = Token(1);
const TIMER: Token = Token(2);
const ADDRS: Token = Token(3);
const FILES: Token = Token(4);
/// Probe sockets: this plus the checker's index.
const PROBE_BASE: usize = 16;
/// The largest HTTP response read; more is a failed check.
const MAX_RESPONSE: usize = 1 << 20;

enum Probe {
    Tcp {
        stream: TcpStream,
        deadline: Time,
    },
    Http {
        stream: TcpStream,
        deadline: Time,
        url: usize,
        request: Vec<u8>,
        written: usize,
        response: Vec<u8>,
        /// SSL_GET.
        tls: Option<Box<rustls::ClientConnection>>,
    },
    Misc {
        child: Child,
        deadline: Time,
        dynamic: bool,
    },
    /// UDP_CHECK and DNS_CHECK: a datagram out, the answer (or an ICMP error) back.
    Datagram {
        sock: mio::net::UdpSocket,
        deadline: Time,
        /// DNS_CHECK: the query's id.
        dns_id: Option<u16>,
    },
    /// PING_CHECK: an echo request from a raw ICMP socket connected to the server.
    Ping {
        sock: socket2::Socket,
        deadline: Time,
        seq: u16,
    },
    /// SMTP_CHECK: 220, then HELO → 250 (then QUIT).
    Smtp {
        stream: TcpStream,
        deadline: Time,
        dialogue: ka_check::smtp::SmtpCheck,
    },
}

impl Probe {
    fn deadline(&self) -> Time {
        match self {
            Probe::Tcp { deadline, .. }
            | Probe::Http { deadline, .. }
            | Probe::Smtp { deadline, .. }
            | Probe::Datagram { deadline, .. }
            | Probe::Ping { deadline, .. }
            | Probe::Misc { deadline, .. } => *deadline,
        }
    }
}

pub struct CheckProcess {
    /// global_defs and the track files: all the process reads of the configuration once
    /// it has built its checkers, pool and IPVS table (the rest, hundreds of bytes per
    /// real server, goes).
    global: GlobalDefs,
    track_files: Vec<TrackFile>,
    pool: Pool,
    specs: Vec<CheckSpec>,
    checkers: Vec<Checker>,
    /// The checkers' next deadlines (STYLE: one heap sets the poll timeout). Entries go
    /// stale when a checker's deadline moves; they are dropped when they surface.
    due: BinaryHeap<Reverse<(Time, usize)>>,
    probes: HashMap<usize, Probe>,
    epoch: Instant,
    parent: Option<ka_ipc::proc::Channel>,
    /// Real servers whose state the parent has not been told yet (sent in one message
    /// per turn of the loop; kept when the channel is full, never dropped).
    unreported: BTreeSet<(usize, usize)>,
    /// A report could not be sent (other than a full channel): the parent's picture may
    /// lack states, so a handover sends them all.
    reports_lost: bool,
    fifos: Vec<std::fs::File>,
    children: Vec<Child>,
    log_args: Vec<String>,
    rng: u64,
    poll: Poll,
    /// ha_suspend: address events, and which virtual servers are suspended.
    monitor: Option<ka_net::link::LinkMonitor>,
    suspended: Vec<bool>,
    fifo_script: Option<Child>,
    /// Scripts told to stop, SIGKILLed if they linger; reaped on SIGCHLD.
    dying: Dying,
    /// Probes started, started more than 100 ms after their time, and the latest start.
    started: u64,
    late: u64,
    max_late: Duration,
    lvs: crate::lvs::Lvs,
    files: Vec<FileCheck>,
    inotify: Option<ka_net::inotify::Inotify>,
    tls: Option<crate::tls::Tls>,
    /// HTTP_GET / SSL_GET url regexes, by (checker, url).
    regexes: HashMap<(usize, usize), regex::bytes::Regex>,
    ping_seq: u16,
    /// -I: the IPVS table stays at stop.
    dont_release_ipvs: bool,
    /// Per checker, for `keepalived-rs status`: the last probe and when its verdict
    /// last changed.
    last: Vec<LastProbe>,
    /// The last probe result recorded (see [`CheckProcess::said`]).
    last_said: std::rc::Rc<str>,
    /// IPVS operations since the process last gave its free memory back, and when it
    /// does so next (see [`TRIM_AFTER_CHANGES`]).
    changes_since_trim: usize,
    trim_at: Option<Instant>,
    /// `epoch` on the wall clock, in seconds since 1970.
    epoch_wall: f64,
    /// Each virtual server's status as last written (JSON and metric lines), with what
    /// it was made from: a status request encodes again only the virtual servers with
    /// a real server probed or changed since the last one.
    status_cache: Vec<Option<VsCached>>,
}

/// A virtual server's part of the status, what it was made from (its quorum, live
/// weight and sorry server), and its real servers' parts.
struct VsCached {
    head_key: Option<(bool, u32, bool)>,
    rs: Vec<Option<RsPart>>,
    json: String,
    /// Where the list of real servers starts in `json` (after its `[`).
    head_len: usize,
    lines: [String; 5],
}

/// A real server's part: its JSON and its lines of the last three checker families, and
/// what they were made from (alive, weight, its checkers' probe count and verdicts).
struct RsPart {
    key: (bool, u32, u64, u64),
    json: String,
    lines: [String; 3],
}

/// The kernel's counters as `status` shows them (a real server's with its connections).
fn ipvs_counters(c: ka_check::ipvs::Counters, rs: bool) -> IpvsCounters {
    IpvsCounters {
        connections: c.conns,
        packets_in: c.inpkts,
        packets_out: c.outpkts,
        bytes_in: c.inbytes,
        bytes_out: c.outbytes,
        active_connections: rs.then_some(u64::from(c.active_conns)),
        inactive_connections: rs.then_some(u64::from(c.inactive_conns)),
    }
}

/// A checker's last probe as `status` shows it.
#[derive(Clone, Default)]
struct LastProbe {
    /// Probes recorded (what the status cache keys on).
    count: u64,
    began: Option<Time>,
    /// Shared with the checkers whose probe said the same (see `CheckProcess::said`).
    result: Option<std::rc::Rc<str>>,
    latency: Option<Duration>,
    since: Time,
}

fn now(epoch: Instant) -> Time {
    Time(epoch.elapsed().as_micros() as u64)
}

/// What the parent tells a running checker child.
enum ParentSays {
    Stop,
    /// A reload: the successor's configuration keeps these services.
    HandOver(Vec<ka_check::ipvs::SvcKey>),
}

/// A FILE_CHECK: a real server's checker that follows a tracked file.
struct FileCheck {
    vs: usize,
    rs: usize,
    /// Its index among the real server's checkers.
    index: usize,
    name: String,
    path: std::path::PathBuf,
    weight: i32,
    reverse: bool,
    /// What the file last said (ka_check::file::status): None is a fault.
    status: Option<i64>,
}

impl CheckProcess {
    pub fn new(cfg: Config) -> Result<CheckProcess, RunError> {
        ka_runtime::scripts::configure(&cfg.global);
        let (mut vss, all_specs) = ka_check::config::build(&cfg);
        // Probing checkers go to `specs`, FILE_CHECKs to `files`; a checker that cannot
        // run is left out, and its real server follows the others (up if none is left).
        // `specs` stays in the order of the servers (checkers_of relies on it).
        let mut specs = Vec::with_capacity(all_specs.len());
        let mut files: Vec<FileCheck> = Vec::new();
        for sp in all_specs {
            // keepalived (check_misc.c): a MISC_CHECK whose script cannot be found or
            // executed is disabled; its real server then follows its other checkers.
            if let CheckKind::Misc { path, .. } = &sp.how.kind {
                if !path
                    .command
                    .argv
                    .first()
                    .is_some_and(|c| scripts::executable(c))
                {
                    let quoted: Vec<String> =
                        path.command.argv.iter().map(|a| format!("'{a}'")).collect();
                    log::warn!(
                        "Disabling misc script {} since not found/accessible",
                        quoted.join(" ")
                    );
                    vss[sp.vs].real_servers[sp.rs].checkers -= 1;
                    continue;
                }
            }
            // FILE_CHECK has no probe: it follows its tracked file (inotify).
            if let CheckKind::File {
                track_file,
                weight,
                reverse,
            } = &sp.how.kind
            {
                match cfg.track_files.iter().find(|f| &f.name == track_file) {
                    Some(f) => {
                        // keepalived file_end_handler: no weight of its own → the file's.
                        let (w, r) = if *weight == 0 {
                            (f.weight, f.weight_reverse)
                        } else {
                            (*weight, *reverse)
                        };
                        files.push(FileCheck {
                            vs: sp.vs,
                            rs: sp.rs,
                            index: 0,
                            name: f.name.clone(),
                            path: std::path::PathBuf::from(&f.file),
                            weight: w,
                            reverse: r,
                            status: Some(0),
                        });
                    }
                    None => {
                        log::warn!("track_file {track_file} not found");
                        vss[sp.vs].real_servers[sp.rs].checkers -= 1;
                    }
                }
                continue;
            }
            specs.push(sp);
        }
        // Indexes among the real server's remaining checkers.
        // Counted by position (tens of thousands of real servers: no hashing).
        let mut seen: Vec<Vec<usize>> = vss.iter().map(|v| vec![0; v.real_servers.len()]).collect();
        for (vs, rs, index) in specs
            .iter_mut()
            .map(|sp| (sp.vs, sp.rs, &mut sp.index))
            .chain(files.iter_mut().map(|f| (f.vs, f.rs, &mut f.index)))
        {
            if let Some(k) = seen.get_mut(vs).and_then(|v| v.get_mut(rs)) {
                *index = *k;
                *k += 1;
            }
        }
        let checkers = specs
            .iter()
            .map(|s| Checker::new(s.how.timing.clone()))
            .collect();
        let mut fifo_paths: Vec<&str> = Vec::new();
        for f in [&cfg.global.notify_fifo, &cfg.global.lvs_notify_fifo]
            .into_iter()
            .flatten()
        {
            if !fifo_paths.contains(&f.path.as_str()) {
                fifo_paths.push(&f.path);
            }
        }
        let fifos = fifo_paths.iter().filter_map(|p| open_fifo(p)).collect();
        // lvs_notify_fifo_script: started with the FIFO's name as its last argument (the
        // global notify_fifo_script is the VRRP child's, as in keepalived).
        let fifo_script = match (
            &cfg.global.lvs_notify_fifo,
            &cfg.global.lvs_notify_fifo_script,
        ) {
            (Some(f), Some(sc)) => {
                let mut argv = sc.command.argv.clone();
                argv.push(f.path.clone());
                let who = sc.user.clone().map(|u| (u, sc.group.clone()));
                match scripts::start(&cfg.global, &argv, who.as_ref()) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        log::warn!("cannot run FIFO script {}: {e}", argv.join(" "));
                        None
                    }
                }
            }
            _ => None,
        };
        let tls = if specs
            .iter()
            .any(|sp| matches!(&sp.how.kind, CheckKind::Http(h) if h.ssl))
        {
            // keepalived "Error Initialize SSL, ctx": said once; the checks go on
            // without a client certificate (and fail where the server requires one).
            let with_cert = cfg
                .ssl
                .as_ref()
                .map(crate::tls::ClientCert::load)
                .transpose()
                .and_then(|c| crate::tls::Tls::new(c.flatten().as_ref()));
            Some(match with_cert {
                Ok(t) => t,
                Err(e) => {
                    log::error!("SSL: {e}; SSL_GET connects without a client certificate");
                    crate::tls::Tls::new(None).map_err(|e| RunError::Cannot(format!("TLS: {e}")))?
                }
            })
        } else {
            None
        };
        let mut regexes = HashMap::new();
        for (k, sp) in specs.iter().enumerate() {
            if let CheckKind::Http(h) = &sp.how.kind {
                for (i, u) in h.urls.iter().enumerate() {
                    // Compiled by the configuration's validation already; one that does
                    // not compile was reported there and dropped.
                    if let Some(Ok(re)) = u.compile_regex() {
                        regexes.insert((k, i), re);
                    }
                }
            }
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
            ^ u64::from(std::process::id());
        Ok(CheckProcess {
            pool: Pool::new(vss).with_init_notifies(cfg.global.rs_init_notifies),
            specs,
            checkers,
            due: BinaryHeap::new(),
            probes: HashMap::new(),
            epoch: Instant::now(),
            epoch_wall: ka_ipc::status::unix_now(),
            status_cache: Vec::new(),
            parent: None,
            unreported: BTreeSet::new(),
            reports_lost: false,
            fifos,
            children: Vec::new(),
            log_args: Vec::new(),
            rng: seed | 1,
            poll: ctx(Poll::new(), "poll")?,
            monitor: None,
            suspended: Vec::new(),
            fifo_script,
            dying: Dying::default(),
            started: 0,
            last: Vec::new(),
            last_said: "ok".into(),
            changes_since_trim: 0,
            trim_at: None,
            late: 0,
            max_late: Duration::ZERO,
            lvs: crate::lvs::Lvs::new(&cfg),
            files,
            inotify: None,
            tls,
            regexes,
            ping_seq: 0,
            dont_release_ipvs: false,
            global: cfg.global,
            track_files: cfg.track_files,
        })
    }

    pub fn with_parent(mut self, ch: ka_ipc::proc::Channel) -> Self {
        self.parent = Some(ch);
        self
    }

    /// The real servers' states a predecessor left: they carry on as they were. Found by
    /// name through an index (tens of thousands of servers: no search per server).
    pub fn with_servers(mut self, list: Vec<ka_ipc::ServerState>) -> Self {
        let mut at: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
        for (v, c) in self.pool.cfg.iter().enumerate() {
            for (r, rc) in c.real_servers.iter().enumerate() {
                at.entry((c.name.as_str(), rc.name.as_str()))
                    .or_insert((v, r));
            }
        }
        let found: Vec<(usize, usize, &ka_ipc::ServerState)> = list
            .iter()
            .filter_map(|st| {
                at.get(&(st.vs.as_str(), st.rs.as_str()))
                    .map(|&(v, r)| (v, r, st))
            })
            .collect();
        drop(at);
        for (v, r, st) in found {
            // A weight only a misc_dynamic check can have set: not carried to a server
            // whose new configuration has none.
            let mut dynamic = false;
            for k in checkers_of(&self.specs, v, r) {
                let d = matches!(
                    self.specs[k].how.kind,
                    CheckKind::Misc { dynamic: true, .. }
                );
                dynamic |= d;
                let w = st.dynamic_weight.filter(|_| d);
                self.checkers[k].inherit(st.alive, w);
            }
            let w = st.dynamic_weight.filter(|_| dynamic);
            self.pool.inherit(v, r, st.alive, w);
        }
        self
    }

    pub fn with_dont_release_ipvs(mut self, keep: bool) -> Self {
        self.dont_release_ipvs = keep;
        self
    }

    pub fn with_log_args(mut self, args: Vec<String>) -> Self {
        self.log_args = args;
        self
    }

    /// Watches descriptor `fd` for reading under `token`.
    fn register_fd(
        &self,
        fd: std::os::fd::RawFd,
        token: Token,
        what: &str,
    ) -> Result<(), RunError> {
        ctx(
            self.poll
                .registry()
                .register(&mut SourceFd(&fd), token, Interest::READABLE),
            &format!("register {what}"),
        )
    }

    fn random_below(&mut self, d: Duration) -> Duration {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let us = d.as_micros() as u64;
        Duration::from_micros(if us == 0 { 0 } else { self.rng % us })
    }

    pub fn run(mut self) -> Result<Exit, RunError> {
        // HUP (the parent reloads) and USR2 (a VRRP dump) must not end this process when
        // sent to the whole group.
        let mut signals = ctx(
            // SIGCHLD: a script that exits wakes the loop, which reaps it (no polling).
            Signals::new([SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGCHLD]),
            "signals",
        )?;
        ctx(
            self.poll
                .registry()
                .register(&mut signals, SIGNALS, Interest::READABLE),
            "register signals",
        )?;
        if let Some(ch) = &self.parent {
            let fd = std::os::fd::AsRawFd::as_raw_fd(ch);
            self.register_fd(fd, PARENT, "channel")?;
        }
        let timer = ctx(ka_net::timer::TimerFd::new(), "timerfd")?;
        {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&timer);
            self.register_fd(fd, TIMER, "timer")?;
        }
        // The predecessor (if any) has handed over: the table is ours to read and bring
        // to what this configuration and the inherited states want.
        self.lvs.start();
        self.suspended = vec![false; self.pool.cfg.len()];
        if self.pool.cfg.iter().any(|v| v.ha_suspend.is_some()) {
            let mut m = ctx(ka_net::link::LinkMonitor::new(), "address monitor")?;
            let b = self.global.lvs_netlink_monitor_rcv_bufs;
            if let Err(e) = ka_net::set_rcvbuf(&m, b.size, b.force) {
                log::info!("Cannot set the address monitor's receive buffer: {e}");
            }
            let fd = std::os::fd::AsRawFd::as_raw_fd(&m);
            self.register_fd(fd, ADDRS, "address monitor")?;
            let _ = m.changes();
            self.monitor = Some(m);
        }
        self.files_start()?;
        let acts = self.pool.start();
        self.apply(acts);
        let t = now(self.epoch);
        for k in 0..self.checkers.len() {
            let w = self.random_below(self.specs[k].how.warmup);
            self.checkers[k].start(t, w);
            self.schedule(k);
        }
        self.ha_suspend();
        let mut events = Events::with_capacity(256);
        let mut auto = ka_runtime::process::AutoPriority::new(&self.global.checker_process);
        loop {
            let t = now(self.epoch);
            let next = self
                .next_due()
                .into_iter()
                .chain(self.probes.values().map(Probe::deadline))
                .min();
            let wait = next.map(|n| if n > t { n - t } else { Duration::ZERO });
            timer.clear();
            let mut timeout = match timer.set(wait) {
                Ok(()) => None,
                Err(_) => wait,
            };
            // Reports the parent's channel could not take yet: tried again in 20 ms.
            if !self.unreported.is_empty() {
                let cap = Duration::from_millis(20);
                timeout = Some(timeout.map_or(cap, |d| d.min(cap)));
            }
            // A stopped script that lingers gets SIGKILL at its time; a burst of changes
            // ended gives its memory back at its time.
            for d in self.dying.next_deadline().into_iter().chain(self.trim_at) {
                let d = d.saturating_duration_since(Instant::now());
                timeout = Some(timeout.map_or(d, |t| t.min(d)));
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(RunError::Cannot(format!("poll: {e}")));
                }
            }
            // Woken after the earliest deadline: starved (max_auto_priority).
            if let Some(n) = next {
                let woke = now(self.epoch);
                if woke > n {
                    auto.woke_late(woke - n);
                }
            }
            let ready: Vec<Token> = events.iter().map(|e| e.token()).collect();
            for tok in ready {
                match tok {
                    SIGNALS => {
                        let sigs: Vec<i32> = signals.pending().collect();
                        if sigs.contains(&SIGUSR1) {
                            self.dump(None);
                        }
                        if sigs.iter().any(|&s| s == SIGTERM || s == SIGINT) {
                            self.stop();
                            return Ok(Exit::Stopped);
                        }
                    }
                    PARENT => match self.parent_messages() {
                        Some(ParentSays::Stop) => {
                            self.stop();
                            return Ok(Exit::Stopped);
                        }
                        Some(ParentSays::HandOver(keep)) => {
                            // Reload: the successor carries on; leave quietly, removing
                            // only the services its configuration dropped.
                            self.lvs.hand_over(&keep);
                            if let Some(c) = self.fifo_script.take() {
                                self.dying.stop(c);
                            }
                            // What the parent lacks of the real servers' states: the
                            // successor carries on from exactly these.
                            self.report_for_handover();
                            self.tell_parent(ka_ipc::ToParent::HandedOver(Vec::new()));
                            return Ok(Exit::HandedOver);
                        }
                        None => {}
                    },
                    TIMER => {}
                    FILES if self.inotify.as_ref().is_some_and(|i| i.drain()) => {
                        self.files_changed();
                    }
                    ADDRS => {
                        if let Some(m) = &mut self.monitor {
                            let _ = m.changes();
                        }
                        self.ha_suspend();
                    }
                    Token(n) if n >= PROBE_BASE => self.probe_ready(n - PROBE_BASE),
                    _ => {}
                }
            }
            self.tick();
            self.children
                .retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
            self.dying.reap(Instant::now());
            self.flush_reports();
            if self.trim_at.is_some_and(|t| t <= Instant::now()) {
                self.trim_at = None;
                self.changes_since_trim = 0;
                ka_ipc::proc::release_free_memory();
            }
        }
    }

    /// ha_suspend (keepalived update_checker_activity): the checkers of a virtual server
    /// whose address is not on this host pause, and resume when it comes back.
    fn ha_suspend(&mut self) {
        let present: Vec<std::net::IpAddr> = ka_net::iface::addresses()
            .unwrap_or_default()
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let t = now(self.epoch);
        for v in 0..self.pool.cfg.len() {
            let Some(ip) = self.pool.cfg[v].ha_suspend else {
                continue;
            };
            let suspend = !present.contains(&ip);
            if suspend == self.suspended[v] {
                continue;
            }
            self.suspended[v] = suspend;
            log::info!(
                "{} healthchecker for VS {}",
                if suspend { "Suspending" } else { "Activating" },
                self.pool.cfg[v].name
            );
            for k in 0..self.specs.len() {
                if self.specs[k].vs != v {
                    continue;
                }
                if suspend {
                    self.checkers[k].suspend();
                    if let Some(p) = self.probes.remove(&k) {
                        self.drop_probe(p);
                    }
                } else {
                    self.checkers[k].start(t, Duration::ZERO);
                    self.schedule(k);
                }
            }
        }
    }

    /// Closes a probe: its socket deregistered and closed, its script's group killed.
    fn drop_probe(&mut self, p: Probe) {
        match p {
            Probe::Tcp { mut stream, .. } => {
                let _ = self.poll.registry().deregister(&mut stream);
                // A TCP_CHECK connection carried nothing: closing it with a reset spares
                // both ends the FIN exchange and this host a TIME_WAIT socket per probe
                // (10,000 probes a second would otherwise hold ~600,000 of them).
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            }
            Probe::Http { mut stream, .. } | Probe::Smtp { mut stream, .. } => {
                let _ = self.poll.registry().deregister(&mut stream);
            }
            Probe::Misc { child, .. } => self.dying.stop(child),
            Probe::Datagram { mut sock, .. } => {
                let _ = self.poll.registry().deregister(&mut sock);
            }
            Probe::Ping { sock, .. } => {
                let fd = std::os::fd::AsRawFd::as_raw_fd(&sock);
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
        }
    }

    /// What the parent wants, if anything but Pings (answered here); a lost parent is a
    /// stop.
    fn parent_messages(&mut self) -> Option<ParentSays> {
        loop {
            let ch = self.parent.as_ref()?;
            match ch.recv::<ka_ipc::ToChild>() {
                Ok(Some(ka_ipc::ToChild::Ping(n))) => self.tell_parent(ka_ipc::ToParent::Pong(n)),
                Ok(Some(ka_ipc::ToChild::WriteStatus { seq, json, metrics })) => {
                    self.write_status(json.as_deref(), metrics.as_deref());
                    self.tell_parent(ka_ipc::ToParent::StatusWritten(seq));
                }
                Ok(Some(ka_ipc::ToChild::SaveDump(path))) => {
                    self.dump(Some(std::path::Path::new(&path)))
                }
                Ok(Some(ka_ipc::ToChild::Stop)) => return Some(ParentSays::Stop),
                Ok(Some(ka_ipc::ToChild::Handover(h))) => {
                    return Some(ParentSays::HandOver(h.ipvs_keep))
                }
                Ok(Some(other)) => log::warn!("unexpected message from the parent: {other:?}"),
                Ok(None) => return None,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    log::warn!("bad message from the parent: {e}")
                }
                Err(_) => return Some(ParentSays::Stop),
            }
        }
    }

    /// `keepalived-rs status`: every virtual and real server and checker as JSON, and the
    /// checker's metric families, each to its file when asked. A real server's part is
    /// encoded again only when it was probed or changed since the last request.
    fn write_status(&mut self, json_path: Option<&str>, metrics_path: Option<&str>) {
        use ka_runtime::metrics::{heads, ipvs_lines, CHECKER_FAMILIES, IPVS_FAMILIES};
        let n = self.pool.cfg.len();
        if self.status_cache.len() != n {
            self.status_cache = (0..n).map(|_| None).collect();
        }
        for v in 0..n {
            self.refresh_vs_status(v);
        }
        // The kernel's counters change all the time: read now, never cached.
        let counters: Vec<(IpvsCounters, Vec<Option<IpvsCounters>>)> = self
            .lvs
            .counters()
            .unwrap_or_default()
            .into_iter()
            .map(|(vs, rs)| {
                let rs = rs.into_iter().map(|c| c.map(|c| ipvs_counters(c, true)));
                (ipvs_counters(vs, false), rs.collect())
            })
            .collect();
        if let Some(path) = json_path {
            // Each cached part with the counters spliced in before its closing brace.
            let tail = |c: &IpvsCounters| {
                format!(
                    ",\"ipvs\":{}}}",
                    serde_json::to_string(c).unwrap_or_default()
                )
            };
            let tails: Vec<(String, Vec<Option<String>>)> = counters
                .iter()
                .map(|(vs, rs)| (tail(vs), rs.iter().map(|c| c.as_ref().map(tail)).collect()))
                .collect();
            let head = format!("{{\"ipvs\":{},\"virtual_servers\":[", self.lvs.available());
            let mut pieces: Vec<&[u8]> = vec![head.as_bytes()];
            for (v, c) in self.status_cache.iter().enumerate() {
                if v > 0 {
                    pieces.push(b",");
                }
                let Some(c) = c else {
                    pieces.push(b"null");
                    continue;
                };
                let Some((vs_tail, rs_tails)) = tails.get(v) else {
                    pieces.push(c.json.as_bytes());
                    continue;
                };
                pieces.push(&c.json.as_bytes()[..c.head_len]);
                let mut first = true;
                for (r, part) in c.rs.iter().enumerate() {
                    let Some(part) = part else { continue };
                    if !first {
                        pieces.push(b",");
                    }
                    first = false;
                    match rs_tails.get(r).and_then(|t| t.as_ref()) {
                        Some(t) => {
                            pieces.push(&part.json.as_bytes()[..part.json.len() - 1]);
                            pieces.push(t.as_bytes());
                        }
                        None => pieces.push(part.json.as_bytes()),
                    }
                }
                pieces.push(b"]");
                pieces.push(vs_tail.as_bytes());
            }
            pieces.push(b"]}");
            ka_runtime::dumps::write_status(path, &pieces);
        }
        if let Some(path) = metrics_path {
            let heads = heads(&CHECKER_FAMILIES);
            let mut pieces: Vec<&[u8]> = Vec::new();
            for (f, h) in heads.iter().enumerate() {
                pieces.push(h.as_bytes());
                for c in self.status_cache.iter().flatten() {
                    pieces.push(c.lines[f].as_bytes());
                }
            }
            let mut ipvs: [String; 8] = Default::default();
            for (v, (vs, rs)) in counters.iter().enumerate() {
                let c = &self.pool.cfg[v];
                ipvs_lines(&mut ipvs, &c.name, None, vs);
                for (rc, n) in c.real_servers.iter().zip(rs) {
                    if let Some(n) = n {
                        ipvs_lines(&mut ipvs, &c.name, Some(&rc.name), n);
                    }
                }
            }
            let ipvs_heads = ka_runtime::metrics::heads(&IPVS_FAMILIES);
            for (h, lines) in ipvs_heads.iter().zip(&ipvs) {
                if !lines.is_empty() {
                    pieces.push(h.as_bytes());
                    pieces.push(lines.as_bytes());
                }
            }
            ka_runtime::dumps::write_status(path, &pieces);
        }
    }

    /// Virtual server `v`'s part of the status (its JSON and its lines of each checker
    /// metric family): each real server's part is made again only when it was probed or
    /// changed (a verdict, a weight), and the virtual server's own when any of its parts
    /// or its quorum changed.
    fn refresh_vs_status(&mut self, v: usize) {
        use ka_ipc::status::{CheckerStatus, RsStatus, VsStatus};
        use ka_runtime::metrics::{rs_lines, vs_lines};
        let c = &self.pool.cfg[v];
        let head_key = (
            self.pool.quorum_up(v),
            self.pool.live_weight(v),
            self.pool.sorry_active(v),
        );
        let cache = self.status_cache[v].get_or_insert_with(|| VsCached {
            head_key: None,
            rs: (0..c.real_servers.len()).map(|_| None).collect(),
            json: String::new(),
            head_len: 0,
            lines: Default::default(),
        });
        let wall = |t: Time| self.epoch_wall + t.0 as f64 / 1e6;
        let mut changed = cache.head_key != Some(head_key);
        for (r, rc) in c.real_servers.iter().enumerate() {
            let mine = checkers_of(&self.specs, v, r);
            let weight = mine
                .clone()
                .find_map(|k| self.checkers[k].dynamic_weight())
                .unwrap_or(rc.weight);
            let (mut probes, mut ups) = (0u64, 0u64);
            for (i, k) in mine.clone().enumerate() {
                probes += self.last.get(k).map_or(0, |l| l.count);
                // A verdict can change without a probe (a reload's carry).
                ups |= u64::from(self.checkers[k].is_up()) << (i % 64);
            }
            let key = (self.pool.rs_alive(v, r), weight, probes, ups);
            if cache.rs[r].as_ref().is_some_and(|p| p.key == key) {
                continue;
            }
            changed = true;
            let rs = RsStatus {
                name: rc.name.clone(),
                alive: key.0,
                weight,
                checks: mine
                    .map(|k| {
                        let sp = &self.specs[k];
                        let l = self.last.get(k).cloned().unwrap_or_default();
                        CheckerStatus {
                            kind: sp.how.kind.keyword().to_string(),
                            target: sp.target.to_string(),
                            up: self.checkers[k].is_up(),
                            last_result: l.result.map(|r| r.to_string()),
                            latency: l.latency.map(|d| d.as_secs_f64()),
                            since: wall(l.since),
                        }
                    })
                    .collect(),
                ipvs: None,
            };
            cache.rs[r] = Some(RsPart {
                key,
                json: serde_json::to_string(&rs).unwrap_or_else(|_| "null".into()),
                lines: rs_lines(&c.name, &rs),
            });
        }
        if !changed {
            return;
        }
        cache.head_key = Some(head_key);
        let vs = VsStatus {
            name: c.name.clone(),
            quorum: c.quorum,
            quorum_up: head_key.0,
            live_weight: u64::from(head_key.1),
            sorry_server: c.sorry_server.clone(),
            sorry_active: head_key.2,
            real_servers: Vec::new(),
            ipvs: None,
        };
        // The virtual server with its (empty) list filled from the parts.
        let head = serde_json::to_string(&vs).unwrap_or_default();
        let head = head.strip_suffix("[]}").unwrap_or(&head);
        cache.json.clear();
        cache.json.push_str(head);
        cache.json.push('[');
        cache.head_len = cache.json.len();
        let [a, b] = vs_lines(&vs);
        cache.lines = [a, b, String::new(), String::new(), String::new()];
        for (r, part) in cache.rs.iter().enumerate() {
            let Some(part) = part else { continue };
            if r > 0 {
                cache.json.push(',');
            }
            cache.json.push_str(&part.json);
            for (l, p) in cache.lines[2..].iter_mut().zip(&part.lines) {
                l.push_str(p);
            }
        }
        cache.json.push_str("]}");
    }

    fn tell_parent(&mut self, m: ka_ipc::ToParent) {
        if let Some(ch) = &self.parent {
            if let Err(e) = ch.send(&m) {
                log::warn!("cannot report to the parent: {e}");
            }
        }
    }

    /// FILE_CHECK at start: init_file written, the directories watched, the files read
    /// and their verdicts set before the table is built (keepalived
    /// set_track_file_checkers_down).
    fn files_start(&mut self) -> Result<(), RunError> {
        if self.files.is_empty() {
            return Ok(());
        }
        for f in &self.files {
            if let Some(tf) = self.track_files.iter().find(|t| t.name == f.name) {
                ka_runtime::track_files::init_file(tf);
            }
        }
        let ino = ctx(
            ka_runtime::track_files::watch(
                self.files
                    .iter()
                    .map(|f| (f.name.as_str(), f.path.as_path())),
            ),
            "inotify",
        )?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&ino);
        self.register_fd(fd, FILES, "inotify")?;
        self.inotify = Some(ino);
        for i in 0..self.files.len() {
            let st = self.read_file(i);
            self.files[i].status = st;
        }
        for i in 0..self.files.len() {
            let (vs, rs, index, up) = {
                let f = &self.files[i];
                (f.vs, f.rs, f.index, f.status.is_some())
            };
            let w = self.file_weight(vs, rs);
            self.pool.preset(vs, rs, index, up, w);
        }
        Ok(())
    }

    /// What file check `i`'s file says now (its last verdict when the number is invalid).
    fn read_file(&self, i: usize) -> Option<i64> {
        let f = &self.files[i];
        match ka_runtime::track_files::read_value(&f.path) {
            Some(v) => ka_check::file::status(v, f.weight, f.reverse),
            None => f.status,
        }
    }

    /// Real server (vs, rs)'s weight with its files' changes.
    fn file_weight(&self, vs: usize, rs: usize) -> u32 {
        let base = self.pool.cfg[vs].real_servers[rs].weight;
        ka_check::file::effective_weight(
            base,
            self.files
                .iter()
                .filter(|f| f.vs == vs && f.rs == rs)
                .filter_map(|f| f.status),
        )
    }

    /// A watched directory changed: every file is read again and what changed applied.
    fn files_changed(&mut self) {
        for i in 0..self.files.len() {
            let new = self.read_file(i);
            let old = self.files[i].status;
            if new == old {
                continue;
            }
            self.files[i].status = new;
            let (vs, rs, index) = (self.files[i].vs, self.files[i].rs, self.files[i].index);
            let rs_name = self.pool.cfg[vs].real_servers[rs].name.clone();
            match (old.is_some(), new.is_some()) {
                (true, false) => {
                    log::info!(
                        "FILE_CHECK on service {rs_name} failed (tracked file {} now FAULT state).",
                        self.files[i].name
                    );
                    let acts = self
                        .pool
                        .checker_changed(vs, rs, index, false, "tracked file");
                    self.apply(acts);
                    self.report(vs, rs);
                }
                (false, true) => {
                    log::info!("FILE_CHECK on service {rs_name} succeeded.");
                    let w = self.file_weight(vs, rs);
                    let acts = self.pool.weight_changed(vs, rs, w);
                    self.apply(acts);
                    let acts = self.pool.checker_changed(vs, rs, index, true, "");
                    self.apply(acts);
                    self.report(vs, rs);
                }
                _ => {
                    let w = self.file_weight(vs, rs);
                    let acts = self.pool.weight_changed(vs, rs, w);
                    self.apply(acts);
                }
            }
        }
    }

    /// Puts checker `k`'s next deadline on the heap.
    fn schedule(&mut self, k: usize) {
        if let Some(d) = self.checkers[k].next_deadline() {
            self.due.push(Reverse((d, k)));
        }
    }

    /// The earliest checker deadline, dropping stale heap entries on the way.
    fn next_due(&mut self) -> Option<Time> {
        while let Some(&Reverse((d, k))) = self.due.peek() {
            if self.checkers[k].next_deadline() == Some(d) {
                return Some(d);
            }
            self.due.pop();
        }
        None
    }

    /// Timers, probe deadlines and finished scripts.
    fn tick(&mut self) {
        let t = now(self.epoch);
        // Probes past their deadline, and MISC scripts that have finished.
        let keys: Vec<usize> = self.probes.keys().copied().collect();
        for k in keys {
            let done = match self.probes.get_mut(&k) {
                Some(Probe::Misc {
                    child,
                    deadline,
                    dynamic,
                }) => match child.try_wait() {
                    Ok(Some(st)) => Some(misc_outcome(st, *dynamic)),
                    _ if *deadline <= t => Some(Outcome::Failure("timed out".into())),
                    _ => None,
                },
                Some(Probe::Tcp { deadline, .. })
                | Some(Probe::Http { deadline, .. })
                | Some(Probe::Smtp { deadline, .. })
                    if *deadline <= t =>
                {
                    Some(Outcome::Failure("timeout".into()))
                }
                // keepalived check_udp.c: silence is success unless a reply is required
                // (a closed port answers with an ICMP error).
                Some(Probe::Datagram {
                    deadline, dns_id, ..
                }) if *deadline <= t => {
                    let needs_reply = dns_id.is_some()
                        || matches!(
                            &self.specs[k].how.kind,
                            CheckKind::Udp {
                                require_reply: Some(_),
                                ..
                            }
                        );
                    Some(if needs_reply {
                        Outcome::Failure("timeout".into())
                    } else {
                        Outcome::Success
                    })
                }
                Some(Probe::Ping { deadline, .. }) if *deadline <= t => {
                    Some(Outcome::Failure("no echo reply".into()))
                }
                _ => None,
            };
            if let Some(o) = done {
                self.finish(k, o);
            }
        }
        // At most PROBES_PER_TICK checks start per turn of the loop, and none once the
        // turn has started checks for STARTS_WITHIN; the rest are still due at the next,
        // which comes at once after the parent's pings and the probes' events are served.
        // A checker with thousands of checks due together (a start, a slow machine, every
        // real server failing at once) stays answering rather than be judged hung and
        // restarted.
        let mut ready = Vec::new();
        while ready.len() < PROBES_PER_TICK {
            let Some(due) = self.next_due().filter(|d| *d <= t) else {
                break;
            };
            if let Some(Reverse((_, k))) = self.due.pop() {
                ready.push((due, k));
            }
        }
        let began = Instant::now();
        let mut ready = ready.into_iter();
        while let Some((due, k)) = ready.next() {
            if began.elapsed() > STARTS_WITHIN {
                // Due still: the next turn starts them.
                self.due.push(Reverse((due, k)));
                self.due.extend(ready.map(Reverse));
                break;
            }
            // A duplicate entry, or one a previous step of this loop moved on.
            if self.checkers[k].next_deadline() != Some(due) {
                continue;
            }
            let acts = self.checkers[k].timer(t);
            self.schedule(k);
            if acts.contains(&CheckerAction::Probe) {
                let late = t - due;
                self.started += 1;
                if late > Duration::from_millis(100) {
                    self.late += 1;
                }
                self.max_late = self.max_late.max(late);
                self.start_probe(k);
            }
        }
    }

    fn start_probe(&mut self, k: usize) {
        let t = now(self.epoch);
        if self.last.len() < self.checkers.len() {
            self.last.resize(self.checkers.len(), LastProbe::default());
        }
        self.last[k].began = Some(t);
        match self.new_probe(k) {
            Ok(p) => {
                self.probes.insert(k, p);
            }
            // Could not even start (no route, a script that cannot run): a failed check.
            Err(e) => self.record(k, Outcome::Failure(e.to_string())),
        }
    }

    /// The probe checker `k` runs now: a socket connecting or a script running.
    fn new_probe(&mut self, k: usize) -> Result<Probe, ProbeError> {
        let t = now(self.epoch);
        let deadline = t + self.specs[k].how.connect_timeout;
        let target = self.specs[k].target;
        let e = ProbeError::Io;
        Ok(match self.specs[k].how.kind.clone() {
            CheckKind::Misc {
                path,
                timeout,
                dynamic,
            } => {
                let who = path.user.clone().map(|u| (u, path.group.clone()));
                let child = scripts::start(&self.global, &path.command.argv, who.as_ref())
                    .map_err(ProbeError::Script)?;
                Probe::Misc {
                    child,
                    deadline: t + timeout,
                    dynamic,
                }
            }
            CheckKind::Http(_) => self.http_probe(k, 0)?,
            CheckKind::Smtp { helo_name, .. } => Probe::Smtp {
                stream: self.connect(k, target).map_err(e)?,
                deadline,
                dialogue: ka_check::smtp::SmtpCheck::new(&helo_name),
            },
            CheckKind::Udp { payload, .. } => Probe::Datagram {
                sock: self.datagram(k, &payload.unwrap_or_default()).map_err(e)?,
                deadline,
                dns_id: None,
            },
            CheckKind::Dns { qtype, name } => {
                let id = self.random_below(Duration::from_micros(65536)).as_micros() as u16;
                let q = ka_check::wire::dns_query(id, qtype, &name);
                Probe::Datagram {
                    sock: self.datagram(k, &q).map_err(e)?,
                    deadline,
                    dns_id: Some(id),
                }
            }
            CheckKind::Ping => {
                self.ping_seq = self.ping_seq.wrapping_add(1);
                let seq = self.ping_seq;
                Probe::Ping {
                    sock: self.ping(k, seq).map_err(e)?,
                    deadline,
                    seq,
                }
            }
            CheckKind::Tcp | CheckKind::File { .. } => Probe::Tcp {
                stream: self.connect(k, target).map_err(e)?,
                deadline,
            },
        })
    }

    /// A connection for url `url` of HTTP_GET / SSL_GET checker `k`.
    fn http_probe(&self, k: usize, url: usize) -> Result<Probe, ProbeError> {
        let sp = &self.specs[k];
        let CheckKind::Http(h) = &sp.how.kind else {
            return Err(ProbeError::NoUrl);
        };
        let u = h.urls.get(url).ok_or(ProbeError::NoUrl)?;
        let request = http_request(u, sp, h.http_protocol);
        let tls = match (&self.tls, h.ssl) {
            (Some(t), true) => {
                let name = if h.enable_sni {
                    h.sni_name.clone().or_else(|| sp.how.virtualhost.clone())
                } else {
                    None
                };
                Some(Box::new(
                    t.connect(name.as_deref(), sp.target.ip())
                        .map_err(ProbeError::Tls)?,
                ))
            }
            _ => None,
        };
        let stream = self.connect(k, sp.target).map_err(ProbeError::Io)?;
        Ok(Probe::Http {
            stream,
            deadline: now(self.epoch) + sp.how.connect_timeout,
            url,
            request,
            written: 0,
            response: Vec::new(),
            tls,
        })
    }

    /// A UDP socket connected to checker `k`'s target (from bindto, if given), `data` sent.
    fn datagram(&self, k: usize, data: &[u8]) -> io::Result<mio::net::UdpSocket> {
        let sp = &self.specs[k];
        let port = sp.how.bind_port.unwrap_or(0);
        let local = match (sp.how.bindto, sp.target) {
            (Some(ip), _) => SocketAddr::new(ip, port),
            (None, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], port)),
            (None, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], port)),
        };
        let mut sock = mio::net::UdpSocket::bind(local)?;
        sock.connect(sp.target)?;
        sock.send(data)?;
        self.poll
            .registry()
            .register(&mut sock, Token(PROBE_BASE + k), Interest::READABLE)?;
        Ok(sock)
    }

    /// The echo request of PING_CHECK `k`, from a raw socket connected to its target (the
    /// kernel then delivers only that host's ICMP to it).
    fn ping(&self, k: usize, seq: u16) -> io::Result<socket2::Socket> {
        use socket2::{Domain, Protocol, Socket, Type};
        let sp = &self.specs[k];
        let v6 = sp.target.is_ipv6();
        let sock = if v6 {
            Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?
        } else {
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?
        };
        sock.set_nonblocking(true)?;
        if let Some(ip) = sp.how.bindto {
            sock.bind(&SocketAddr::new(ip, 0).into())?;
        }
        let to = SocketAddr::new(sp.target.ip(), 0);
        sock.connect(&to.into())?;
        sock.send(&ka_check::wire::echo_request(v6, ping_id(k), seq))?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&sock);
        self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(PROBE_BASE + k),
            Interest::READABLE,
        )?;
        Ok(sock)
    }

    /// A non-blocking TCP connect for checker `k`, from bindto / bind_port and with its
    /// fwmark when the configuration gives them.
    fn connect(&self, k: usize, to: SocketAddr) -> io::Result<TcpStream> {
        let sp = &self.specs[k];
        let plain = sp.how.bindto.is_none()
            && sp.how.bind_port.is_none()
            && sp.how.fwmark.is_none()
            && sp.how.bind_if.is_none();
        let mut s = if plain {
            TcpStream::connect(to)?
        } else {
            use socket2::{Domain, Socket, Type};
            let sock = Socket::new(Domain::for_address(to), Type::STREAM, None)?;
            sock.set_nonblocking(true)?;
            if let Some(m) = sp.how.fwmark {
                sock.set_mark(m)?;
            }
            // keepalived socket_bind_connect: a failure is logged and the probe goes on.
            if let Some(dev) = &sp.how.bind_if {
                if let Err(e) = sock.bind_device(Some(dev.as_bytes())) {
                    log::info!("Checker can't bind to device {dev}: {e}");
                }
            }
            if sp.how.bindto.is_some() || sp.how.bind_port.is_some() {
                let ip = sp.how.bindto.unwrap_or(match to {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
                });
                sock.set_reuse_address(true)?;
                sock.bind(&SocketAddr::new(ip, sp.how.bind_port.unwrap_or(0)).into())?;
            }
            match sock.connect(&to.into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            TcpStream::from_std(sock.into())
        };
        self.poll.registry().register(
            &mut s,
            Token(PROBE_BASE + k),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(s)
    }

    /// A socket of checker `k` is ready.
    fn probe_ready(&mut self, k: usize) {
        let outcome = match self.probes.get_mut(&k) {
            Some(Probe::Tcp { stream, .. }) => match connected(stream) {
                Ok(true) => Some(Outcome::Success),
                Ok(false) => None,
                Err(e) => Some(Outcome::Failure(e.to_string())),
            },
            Some(Probe::Http {
                stream,
                request,
                written,
                response,
                url,
                tls,
                ..
            }) => {
                let ended = match tls {
                    Some(c) => {
                        crate::tls::progress(stream, c, request, written, response, MAX_RESPONSE)
                    }
                    None => http_progress(stream, request, written, response),
                };
                match ended {
                    Some(Outcome::Success) => {
                        let CheckKind::Http(h) = &self.specs[k].how.kind else {
                            return;
                        };
                        let re = self.regexes.get(&(k, *url));
                        Some(match http_verdict(&h.urls[*url], response, re) {
                            Ok(()) => Outcome::Success,
                            Err(e) => Outcome::Failure(e.to_string()),
                        })
                    }
                    other => other,
                }
            }
            Some(Probe::Smtp {
                stream, dialogue, ..
            }) => smtp_progress(stream, dialogue),
            Some(Probe::Datagram { sock, dns_id, .. }) => {
                datagram_outcome(sock, *dns_id, &self.specs[k].how.kind)
            }
            Some(Probe::Ping { sock, seq, .. }) => {
                ping_outcome(sock, self.specs[k].target.is_ipv6(), ping_id(k), *seq)
            }
            _ => None,
        };
        let Some(outcome) = outcome else { return };
        // HTTP: a good answer to one url moves on to the next.
        if outcome == Outcome::Success {
            if let Some(next) = self.next_url(k) {
                self.probes.insert(k, next);
                return;
            }
        }
        self.finish(k, outcome);
    }

    /// After url `n` passed: a probe for url n+1, if there is one.
    fn next_url(&mut self, k: usize) -> Option<Probe> {
        let Some(Probe::Http { url, .. }) = self.probes.get(&k) else {
            return None;
        };
        let url = *url + 1;
        let CheckKind::Http(h) = &self.specs[k].how.kind else {
            return None;
        };
        h.urls.get(url)?;
        if let Some(Probe::Http { mut stream, .. }) = self.probes.remove(&k) {
            let _ = self.poll.registry().deregister(&mut stream);
        }
        self.http_probe(k, url).ok()
    }

    /// Probe `k` ended with `outcome`: its socket closed (or its script, if it timed out,
    /// killed), the outcome recorded.
    fn finish(&mut self, k: usize, outcome: Outcome) {
        // A script that exited is only reaped; one that timed out is stopped (Dying).
        if let Some(p) = self.probes.remove(&k) {
            self.drop_probe(p);
        }
        self.record(k, outcome);
    }

    /// What a probe said, as the last one that said the same holds it: thousands of real
    /// servers failing together ("connect: Network is unreachable") share one string.
    fn said(&mut self, what: &str) -> std::rc::Rc<str> {
        if *self.last_said != *what {
            self.last_said = what.into();
        }
        self.last_said.clone()
    }

    /// Feeds a probe's outcome to checker `k`, and what that changes to the pool.
    fn record(&mut self, k: usize, outcome: Outcome) {
        let t = now(self.epoch);
        if self.last.len() < self.checkers.len() {
            self.last.resize(self.checkers.len(), LastProbe::default());
        }
        let said = self.said(match &outcome {
            Outcome::Failure(why) => why,
            _ => "ok",
        });
        let l = &mut self.last[k];
        l.count += 1;
        l.latency = l.began.take().map(|b| t - b);
        l.result = Some(said);
        let acts = self.checkers[k].result(t, outcome);
        self.schedule(k);
        let sp = self.specs[k].clone();
        let c = &self.pool.cfg[sp.vs];
        let rs_name = c.real_servers[sp.rs].name.clone();
        let kind = sp.how.kind.keyword();
        for a in acts {
            match a {
                CheckerAction::Changed { up: true, .. } => {
                    self.last[k].since = t;
                    log::info!("{kind} on service {rs_name} succeeded.");
                    let acts = self.pool.checker_changed(sp.vs, sp.rs, sp.index, true, "");
                    self.apply(acts);
                    self.report(sp.vs, sp.rs);
                }
                CheckerAction::Changed { up: false, why } => {
                    self.last[k].since = t;
                    if sp.how.timing.retry > 0 {
                        log::info!(
                            "{kind} on service {rs_name} failed after {} retries ({why}).",
                            sp.how.timing.retry
                        );
                    } else {
                        log::info!("{kind} on service {rs_name} failed ({why}).");
                    }
                    let acts = self
                        .pool
                        .checker_changed(sp.vs, sp.rs, sp.index, false, &why);
                    self.apply(acts);
                    self.report(sp.vs, sp.rs);
                }
                CheckerAction::Retrying { attempt, why } => {
                    if sp.how.log_all_failures {
                        log::info!("{kind} on service {rs_name} failed ({why}), retry {attempt}.");
                    }
                }
                CheckerAction::Weight(w) => {
                    let acts = self.pool.weight_changed(sp.vs, sp.rs, w);
                    self.apply(acts);
                    self.report(sp.vs, sp.rs);
                }
                CheckerAction::Probe => {}
            }
        }
    }

    /// Notes that the parent must learn a real server's state (kept for a successor).
    fn report(&mut self, vs: usize, rs: usize) {
        self.unreported.insert((vs, rs));
    }

    fn server_state(&mut self, vs: usize, rs: usize) -> ka_ipc::ServerState {
        ka_ipc::ServerState {
            vs: self.pool.cfg[vs].name.clone(),
            rs: self.pool.cfg[vs].real_servers[rs].name.clone(),
            alive: self.pool.rs_alive(vs, rs),
            dynamic_weight: checkers_of(&self.specs, vs, rs)
                .find_map(|k| self.checkers[k].dynamic_weight()),
        }
    }

    fn server_states(&mut self, keys: Vec<(usize, usize)>) -> Vec<ka_ipc::ServerState> {
        keys.into_iter()
            .map(|(v, r)| self.server_state(v, r))
            .collect()
    }

    /// Sends the states noted since the last turn in one message; when the channel is
    /// full they wait for the next turn (the loop comes back within 20 ms while any
    /// wait).
    fn flush_reports(&mut self) {
        if self.unreported.is_empty() {
            return;
        }
        if self.parent.is_none() {
            self.unreported.clear();
            return;
        }
        let keys: Vec<(usize, usize)> = self.unreported.iter().copied().collect();
        let list = self.server_states(keys);
        let Some(ch) = &self.parent else { return };
        match ch.send(&ka_ipc::ToParent::Servers(list)) {
            Ok(()) => self.unreported.clear(),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => {
                log::warn!("cannot report real servers to the parent: {e}");
                self.unreported.clear();
                self.reports_lost = true;
            }
        }
    }

    /// The states a successor needs that the parent has not read from us yet, for a
    /// handover (waits for room in the channel). Every other state was reported as it
    /// changed and is ahead of these in the channel, or was never reported because it is
    /// still the one the configuration (or our predecessor) gave, which a successor
    /// starts from too. So a reload at tens of thousands of real servers sends what
    /// changed, not all of them; if a report was ever lost, all of them.
    fn report_for_handover(&mut self) {
        let sizes: Vec<usize> = self.pool.cfg.iter().map(|v| v.real_servers.len()).collect();
        let keys = handover_keys(self.reports_lost, &self.unreported, &sizes);
        self.unreported.clear();
        if self.parent.is_none() || keys.is_empty() {
            return;
        }
        let list = self.server_states(keys);
        let Some(ch) = &self.parent else { return };
        let m = ka_ipc::ToParent::Servers(list);
        if let Err(e) = ch.send_waiting(&m, Duration::from_secs(10)) {
            log::warn!("cannot hand the real servers' states to the parent: {e}");
        }
    }

    fn apply(&mut self, acts: Vec<Action>) {
        for a in acts {
            match a {
                Action::Ipvs(op) => {
                    self.lvs.op(&op);
                    self.changes_since_trim += 1;
                    if self.changes_since_trim >= TRIM_AFTER_CHANGES {
                        self.trim_at = Some(Instant::now() + TRIM_AFTER);
                    }
                }
                Action::Notify(n) => match scripts::start(&self.global, &n.argv, n.user.as_ref()) {
                    Ok(c) => self.children.push(c),
                    Err(e) => log::warn!("cannot run {}: {e}", n.argv.join(" ")),
                },
                Action::Fifo(line) => {
                    for f in &mut self.fifos {
                        let _ = f.write_all(line.as_bytes());
                    }
                }
                Action::Alert { subject, body } => self.alert(&subject, &body),
                Action::Log(line) => log::info!("{line}"),
            }
        }
        self.lvs.sync();
    }

    fn alert(&mut self, subject: &str, body: &str) {
        let Some(mail) = ka_runtime::smtp::Mail::from_config(&self.global, subject, body) else {
            return;
        };
        match ka_runtime::smtp::spawn_sender(&mail, "mail-check", &self.log_args) {
            Ok(c) => self.children.push(c),
            Err(e) => log::warn!("cannot send the SMTP alert '{subject}': {e}"),
        }
    }

    /// SIGUSR1: keepalived_check.data in $TMPDIR (or /tmp), the virtual and real servers
    /// with their states; or to `to` (config_save_dir).
    fn dump(&self, to: Option<&std::path::Path>) {
        let mut s = format!(
            "------< Checks >------\n Probes started = {}\n Started more than 100 ms late = {}\n Latest start = {} ms late\n",
            self.started,
            self.late,
            self.max_late.as_millis()
        );
        s.push_str(&format!(
            " IPVS = {}\n",
            if self.lvs.available() {
                "programmed"
            } else {
                "not available"
            }
        ));
        s.push_str("------< LVS Topology >------\n");
        for (v, c) in self.pool.cfg.iter().enumerate() {
            s.push_str(&format!(" VS = {}\n", c.name));
            s.push_str(&format!(
                "   Quorum = {}, hysteresis = {}, state = {}, live weight = {}\n",
                c.quorum,
                c.hysteresis,
                if self.pool.quorum_up(v) { "UP" } else { "DOWN" },
                self.pool.live_weight(v)
            ));
            if let Some(sorry) = &c.sorry_server {
                s.push_str(&format!(
                    "   sorry server = {sorry}{}\n",
                    if self.pool.sorry_active(v) {
                        " (active)"
                    } else {
                        ""
                    }
                ));
            }
            for (r, rc) in c.real_servers.iter().enumerate() {
                s.push_str(&format!(
                    "   RS = {}, weight = {}, alive = {}\n",
                    rc.name,
                    rc.weight,
                    if self.pool.rs_alive(v, r) {
                        "yes"
                    } else {
                        "no"
                    }
                ));
                for (k, sp) in self.specs.iter().enumerate() {
                    if sp.vs == v && sp.rs == r {
                        s.push_str(&format!(
                            "     {} {} is {}\n",
                            sp.how.kind.keyword(),
                            sp.target,
                            if self.checkers[k].is_up() {
                                "up"
                            } else {
                                "down"
                            }
                        ));
                    }
                }
            }
        }
        match to {
            Some(path) => ka_runtime::dumps::write(path, &s),
            None => {
                let path = ka_runtime::dumps::data_path(&self.global, "_check");
                ka_runtime::dumps::write(&path, &s);
            }
        }
    }

    fn stop(&mut self) {
        for (_, p) in self.probes.drain() {
            if let Probe::Misc { child, .. } = p {
                self.dying.stop(child);
            }
        }
        let acts = self.pool.stop();
        // The table goes (or stays, with -I) as a whole: the pool's removals one by one
        // (keepalived clear_services) are not sent after it.
        self.lvs.stop(self.dont_release_ipvs);
        self.apply(acts);
        if let Some(c) = self.fifo_script.take() {
            self.dying.stop(c);
        }
        log::info!("Stopped");
    }
}

/// PING_CHECK's echo id for checker `k` (the raw socket sees every reply from its host).
fn ping_id(k: usize) -> u16 {
    (std::process::id() as u16) ^ (k as u16)
}

/// Why a probe could not even start (a failed check, with this as its reason).
#[derive(Debug)]
enum ProbeError {
    Io(io::Error),
    Script(scripts::ScriptError),
    Tls(crate::tls::TlsError),
    /// An HTTP probe for a url the checker does not have.
    NoUrl,
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Io(e) => e.fmt(f),
            ProbeError::Script(e) => write!(f, "cannot run: {e}"),
            ProbeError::Tls(e) => e.fmt(f),
            ProbeError::NoUrl => f.write_str("no such url"),
        }
    }
}

/// UDP_CHECK / DNS_CHECK: the answer judged (an ICMP error shows as a failed receive).
fn datagram_outcome(
    sock: &mio::net::UdpSocket,
    dns_id: Option<u16>,
    kind: &CheckKind,
) -> Option<Outcome> {
    let mut buf = [0u8; 4096];
    let verdict = match sock.recv(&mut buf) {
        Ok(n) => match (dns_id, kind) {
            (Some(id), _) => ka_check::wire::dns_verdict(id, &buf[..n]),
            (
                None,
                CheckKind::Udp {
                    require_reply,
                    min_reply_length,
                    max_reply_length,
                    ..
                },
            ) => ka_check::wire::udp_verdict(
                &buf[..n],
                require_reply.as_deref(),
                *min_reply_length,
                *max_reply_length,
            ),
            _ => Ok(()),
        }
        .map_err(|e| e.to_string()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
        Err(e) => Err(e.to_string()),
    };
    Some(match verdict {
        Ok(()) => Outcome::Success,
        Err(e) => Outcome::Failure(e),
    })
}

/// PING_CHECK: the echo reply to (id, seq) among what the raw socket received.
fn ping_outcome(sock: &socket2::Socket, v6: bool, id: u16, seq: u16) -> Option<Outcome> {
    let mut buf = [0u8; 1500];
    loop {
        match io::Read::read(&mut &*sock, &mut buf) {
            Ok(n) if ka_check::wire::is_echo_reply(v6, &buf[..n], id, seq) => {
                return Some(Outcome::Success)
            }
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Outcome::Failure(e.to_string())),
        }
    }
}

fn misc_outcome(st: std::process::ExitStatus, dynamic: bool) -> Outcome {
    match st.code() {
        Some(0) => Outcome::Success,
        Some(c) if dynamic && c >= 2 => Outcome::SuccessWeight((c - 2) as u32),
        Some(c) => Outcome::Failure(format!("exit code {c}")),
        None => Outcome::Failure("killed by a signal".into()),
    }
}

/// Drives one SMTP_CHECK: what the server sent goes to its dialogue (ka-check), what the
/// dialogue answers is written back; Some once the check is over.
fn smtp_progress(s: &mut TcpStream, dialogue: &mut ka_check::smtp::SmtpCheck) -> Option<Outcome> {
    match connected(s) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => return Some(Outcome::Failure(e.to_string())),
    }
    let mut chunk = [0u8; 4096];
    loop {
        let n = match s.read(&mut chunk) {
            Ok(0) => return Some(Outcome::Failure("connection closed".into())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Outcome::Failure(e.to_string())),
        };
        let (send, end) = dialogue.received(&chunk[..n]);
        if !send.is_empty() {
            if let Err(e) = s.write_all(&send) {
                // The QUIT after a passed check may find the server gone: still a pass.
                if end.is_none() {
                    return Some(Outcome::Failure(e.to_string()));
                }
            }
        }
        if end.is_some() {
            return end;
        }
    }
}

/// keepalived check_http.c: `GET path HTTP/1.x`, `User-Agent: KeepAliveClient`, `Host:`
/// (the virtual host, else the address; the port unless 80), and `Connection: close`
/// for HTTP/1.1.
/// The checkers of real server `rs` of virtual server `vs`: `specs` is in the order of the
/// servers (see [`CheckProcess::new`]), so they are a run of it, found by bisection (no
/// index to hold beside tens of thousands of real servers).
fn checkers_of(specs: &[CheckSpec], vs: usize, rs: usize) -> std::ops::Range<usize> {
    let start = specs.partition_point(|sp| (sp.vs, sp.rs) < (vs, rs));
    let end = start + specs[start..].partition_point(|sp| (sp.vs, sp.rs) == (vs, rs));
    start..end
}

fn http_request(u: &Url, sp: &CheckSpec, proto: HttpProtocol) -> Vec<u8> {
    let vhost = u.virtualhost.as_deref().or(sp.how.virtualhost.as_deref());
    request_bytes(&u.path, vhost, sp.target, proto)
}

/// Drives one HTTP exchange; Some when it has ended (the answer judged by
/// [`http_verdict`] once the server closes).
fn http_progress(
    s: &mut TcpStream,
    request: &[u8],
    written: &mut usize,
    response: &mut Vec<u8>,
) -> Option<Outcome> {
    match connected(s) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => return Some(Outcome::Failure(e.to_string())),
    }
    while *written < request.len() {
        match s.write(&request[*written..]) {
            Ok(n) => *written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Outcome::Failure(e.to_string())),
        }
    }
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(Outcome::Success),
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if response.len() > MAX_RESPONSE {
                    return Some(Outcome::Failure(format!(
                        "response larger than {MAX_RESPONSE} bytes"
                    )));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Outcome::Failure(e.to_string())),
        }
    }
}

/// The real servers (virtual server, real server) whose state a handover sends: those
/// not reported yet, or every one (`sizes`: each virtual server's count) once a report
/// was lost.
fn handover_keys(
    reports_lost: bool,
    unreported: &BTreeSet<(usize, usize)>,
    sizes: &[usize],
) -> Vec<(usize, usize)> {
    if reports_lost {
        sizes
            .iter()
            .enumerate()
            .flat_map(|(v, &n)| (0..n).map(move |r| (v, r)))
            .collect()
    } else {
        unreported.iter().copied().collect()
    }
}

#[cfg(test)]
mod handover_tests {
    use super::*;

    #[test]
    fn a_handover_sends_what_the_parent_lacks() {
        let unreported: BTreeSet<_> = [(0, 1), (2, 0)].into_iter().collect();
        assert_eq!(
            handover_keys(false, &unreported, &[2, 0, 1]),
            vec![(0, 1), (2, 0)]
        );
        assert!(handover_keys(false, &BTreeSet::new(), &[2, 0, 1]).is_empty());
    }

    #[test]
    fn after_a_lost_report_a_handover_sends_every_state() {
        let unreported: BTreeSet<_> = [(0, 1)].into_iter().collect();
        assert_eq!(
            handover_keys(true, &unreported, &[2, 0, 1]),
            vec![(0, 0), (0, 1), (2, 0)]
        );
    }
}

#[cfg(test)]
mod checkers_of_tests {
    use super::*;

    #[test]
    fn a_real_servers_checkers_are_found_in_the_ordered_list() {
        let text = "virtual_server 192.0.2.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n\
            real_server 10.0.0.1 80 {\n TCP_CHECK {\n }\n TCP_CHECK {\n connect_port 81\n }\n }\n\
            real_server 10.0.0.2 80 {\n }\n\
            real_server 10.0.0.3 80 {\n TCP_CHECK {\n }\n }\n}\n\
            virtual_server 192.0.2.2 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n\
            real_server 10.0.0.4 80 {\n TCP_CHECK {\n }\n }\n}\n";
        let l = ka_config::parse_str("k.conf", text, &Default::default());
        assert_eq!(l.errors(), 0);
        let (_, specs) = ka_check::config::build(&l.config);
        assert_eq!(checkers_of(&specs, 0, 0), 0..2);
        assert_eq!(checkers_of(&specs, 0, 1), 2..2, "no checker");
        assert_eq!(checkers_of(&specs, 0, 2), 2..3);
        assert_eq!(checkers_of(&specs, 1, 0), 3..4);
        assert_eq!(checkers_of(&specs, 1, 1), 4..4, "no such server");
        assert_eq!(specs[1].target.port(), 81);
    }
}
