//! The parent: starts the VRRP child (fork + exec of this executable with one end of a
//! SOCK_SEQPACKET socketpair), hands it the parsed configuration, pings it, restarts it
//! when it exits or hangs (keepalived's backoff), hands a restarted child the last states
//! so that a master keeps its VIPs, and stops it cleanly on SIGTERM / SIGINT.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use ka_config::Config;
use ka_ipc::proc::{spawn_with_fd, Channel};
use ka_ipc::{Handover, InstanceState, ToChild, ToParent, MAX_DATAGRAM, VERSION};

use crate::reload;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

const SIGNALS: Token = Token(0);
const CHILD: Token = Token(1);

/// How often the child is pinged, and how long it may stay silent before it counts as hung.
pub const PING_EVERY: Duration = Duration::from_millis(500);
pub const HUNG_AFTER: Duration = Duration::from_millis(2000);

/// How long a new child may take to read its configuration and open its sockets.
const PREPARE_WITHIN: Duration = Duration::from_secs(30);
/// How long a retiring child may take to hand over, then to exit.
const HANDOVER_WITHIN: Duration = Duration::from_secs(3);

/// keepalived's child exit codes that stop everything (no respawn).
const PERMANENT: [i32; 3] = [1, 2, 4];

struct Running {
    child: Child,
    ch: Channel,
    started: Instant,
    last_pong: Instant,
    next_ping: Instant,
    seq: u64,
}

/// Reads the configuration again (for a reload), with the options of the first read.
pub type Loader = Box<dyn Fn() -> ka_config::Loaded>;

pub struct Watchdog {
    config: Config,
    loader: Loader,
    /// A child has been started before: the next one resumes (no startup delay).
    started_once: bool,
    exe: PathBuf,
    child_args: Vec<String>,
    running: Option<Running>,
    /// The last state each instance reported.
    states: BTreeMap<String, InstanceState>,
    /// System settings the children changed, with their values before the first change.
    originals: BTreeMap<String, u32>,
    /// Index into the backoff sequence, and when the next start is due.
    restarts: usize,
    next_start: Option<Instant>,
    dont_respawn: bool,
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
        child_args: Vec<String>,
        dont_respawn: bool,
    ) -> io::Result<Watchdog> {
        Ok(Watchdog {
            config,
            loader,
            started_once: false,
            exe: std::env::current_exe()?,
            child_args,
            running: None,
            states: BTreeMap::new(),
            originals: BTreeMap::new(),
            restarts: 0,
            next_start: Some(Instant::now()),
            dont_respawn,
        })
    }

    /// Starts a child with `config` and waits until it has read it and opened its sockets
    /// (`Prepared`) or has exited (then `reap` sees why). The running child, if any, keeps
    /// being answered meanwhile.
    /// The flag says whether it got there.
    fn spawn(&mut self, config: &Config, poll: &Poll) -> io::Result<(Running, bool)> {
        let (ch, theirs) = Channel::pair()?;
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--child",
            "vrrp",
            "--parent-pid",
            &std::process::id().to_string(),
        ]);
        cmd.args(&self.child_args);
        let mut child = spawn_with_fd(cmd, theirs)?;
        log::info!("Starting VRRP child process, pid={}", child.id());
        ch.send(&ToChild::Hello { version: VERSION })?;
        let blob = ka_ipc::codec::encode_config(config).map_err(io::Error::other)?;
        let parts: Vec<&[u8]> = blob.chunks(MAX_DATAGRAM - 64).collect();
        for (k, p) in parts.iter().enumerate() {
            send_blocking(
                &ch,
                &ToChild::ConfigPart {
                    data: p.to_vec(),
                    last: k + 1 == parts.len(),
                },
            )?;
        }
        let end = Instant::now() + PREPARE_WITHIN;
        let mut prepared = false;
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
                        "VRRP child speaks protocol {version}, expected {VERSION}"
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
                            "the VRRP child did not load its configuration in time",
                        ));
                    }
                    // Keep the running child (during a reload) answered and watched.
                    self.messages();
                    self.ping(poll);
                    std::thread::sleep(Duration::from_millis(1));
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

    /// Lets a prepared child run: the states to resume (None on the first start), Go.
    fn go(
        &mut self,
        r: Running,
        resume: Option<Vec<InstanceState>>,
        poll: &Poll,
    ) -> io::Result<()> {
        // A child that has already exited cannot be told; reap() sees its exit code.
        if let Some(states) = resume {
            let masters = states.into_iter().filter(|s| s.state == "MASTER").collect();
            let _ = send_blocking(&r.ch, &ToChild::Resume(masters));
        }
        if !self.originals.is_empty() {
            let o = self
                .originals
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let _ = send_blocking(&r.ch, &ToChild::Originals(o));
        }
        let _ = send_blocking(&r.ch, &ToChild::Go);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        poll.registry()
            .register(&mut SourceFd(&fd), CHILD, Interest::READABLE)?;
        self.running = Some(r);
        Ok(())
    }

    fn start_child(&mut self, poll: &Poll) -> io::Result<()> {
        let config = self.config.clone();
        let (r, _) = self.spawn(&config, poll)?;
        let resume = self
            .started_once
            .then(|| self.states.values().cloned().collect());
        self.started_once = true;
        self.go(r, resume, poll)
    }

    /// SIGHUP: read the configuration again; if it is clean, start a child with it, let
    /// the running child hand over (one advert, remove what is gone, exit without
    /// touching the rest), then let the new one resume the states. Any failure before
    /// the handover leaves the running child and its configuration untouched.
    fn reload(&mut self, poll: &Poll) {
        log::info!("Reloading");
        let loaded = (self.loader)();
        use ka_config::Severity::{Error, Security};
        for d in &loaded.diagnostics {
            match d.severity {
                Error | Security => log::error!("{}", d.short(&loaded.sources)),
                _ => log::warn!("{}", d.short(&loaded.sources)),
            }
        }
        if loaded.fatal || loaded.count(|s| matches!(s, Error | Security)) > 0 {
            log::error!(
                "Reload failed: the configuration has errors; keeping the running configuration"
            );
            return;
        }
        let new_config = loaded.config;
        drop((loaded.tree, loaded.sources, loaded.diagnostics));
        ka_ipc::proc::release_free_memory();
        if self.running.is_none() {
            // No child now (waiting to respawn): the next start uses the new configuration.
            self.config = new_config;
            log::info!("Reload complete (no VRRP child running)");
            return;
        }
        let plan = reload::plan(&self.config, &new_config);
        let mut next = match self.spawn(&new_config, poll) {
            Ok((r, true)) => r,
            Ok((mut r, false)) => {
                let status = r.child.wait().map(|s| s.to_string()).unwrap_or_default();
                log::error!(
                    "Reload failed: the VRRP child cannot run the new configuration ({status}); keeping the running configuration"
                );
                return;
            }
            Err(e) => {
                log::error!("Reload failed: {e}; keeping the running configuration");
                return;
            }
        };
        let last = self.hand_over(poll, plan.handover.clone());
        let carried = reload::carry_states(&plan, &last);
        self.states = carried
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect();
        self.config = new_config;
        next.started = Instant::now();
        let pid = next.child.id();
        match self.go(next, Some(carried), poll) {
            Ok(()) => log::info!("Reload complete: VRRP child process, pid={pid}"),
            Err(e) => log::error!("Reload: cannot start the new VRRP child: {e}"),
        }
    }

    /// Tells the running child to hand over and waits for its last states and its exit.
    fn hand_over(&mut self, poll: &Poll, h: Handover) -> Vec<InstanceState> {
        let Some(mut old) = self.running.take() else {
            return self.states.values().cloned().collect();
        };
        let fd = std::os::fd::AsRawFd::as_raw_fd(&old.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        let mut last = None;
        if send_blocking(&old.ch, &ToChild::Handover(h)).is_ok() {
            let end = Instant::now() + HANDOVER_WITHIN;
            while last.is_none() && Instant::now() < end {
                match old.ch.recv::<ToParent>() {
                    Ok(Some(ToParent::HandedOver(s))) => last = Some(s),
                    Ok(Some(ToParent::State(s))) => {
                        self.states.insert(s.name.clone(), s);
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => break,
                }
            }
        }
        if last.is_none() {
            log::warn!(
                "VRRP child process({}) did not hand over: using its last reported states",
                old.child.id()
            );
        }
        let end = Instant::now() + HANDOVER_WITHIN;
        loop {
            match old.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(1)),
                _ => {
                    let _ = old.child.kill();
                    let _ = old.child.wait();
                    break;
                }
            }
        }
        last.unwrap_or_else(|| self.states.values().cloned().collect())
    }

    /// Runs until SIGTERM / SIGINT or a permanent child error; returns the exit code.
    pub fn run(mut self) -> io::Result<i32> {
        let mut poll = Poll::new()?;
        let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2])?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let mut events = Events::with_capacity(16);
        loop {
            let now = Instant::now();
            if self.next_start.is_some_and(|t| t <= now) && self.running.is_none() {
                self.next_start = None;
                if let Err(e) = self.start_child(&poll) {
                    log::error!("cannot start the VRRP child: {e}");
                    return Ok(1);
                }
            }
            let mut deadlines = vec![];
            if let Some(t) = self.next_start {
                deadlines.push(t);
            }
            if let Some(r) = &self.running {
                deadlines.push(r.next_ping);
            }
            let timeout = deadlines
                .into_iter()
                .min()
                .map(|t| t.saturating_duration_since(Instant::now()));
            if let Err(e) = poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
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
                                // keepalived: the data and stats dumps are the VRRP child's.
                                SIGUSR1 | SIGUSR2 => {
                                    if let Some(r) = &self.running {
                                        let _ = ka_ipc::proc::signal(r.child.id() as i32, sig);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    CHILD => self.messages(),
                    _ => {}
                }
            }
            if let Some(code) = self.reap(&poll) {
                return Ok(code);
            }
            self.ping(&poll);
        }
    }

    fn messages(&mut self) {
        let Some(r) = &mut self.running else { return };
        loop {
            match r.ch.recv::<ToParent>() {
                Ok(Some(ToParent::Pong(_))) => r.last_pong = Instant::now(),
                Ok(Some(ToParent::State(s))) => {
                    r.last_pong = Instant::now();
                    self.states.insert(s.name.clone(), s);
                }
                Ok(Some(ToParent::Ready)) => r.last_pong = Instant::now(),
                Ok(Some(ToParent::Originals(o))) => {
                    for (k, v) in o {
                        self.originals.entry(k).or_insert(v);
                    }
                }
                Ok(Some(ToParent::Hello { version })) if version != VERSION => {
                    log::error!("VRRP child speaks protocol {version}, expected {VERSION}");
                }
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    log::warn!("bad message from the VRRP child: {e}")
                }
                // Gone: reap() sees the exit.
                Err(_) => return,
            }
        }
    }

    fn ping(&mut self, poll: &Poll) {
        let Some(r) = &mut self.running else { return };
        let now = Instant::now();
        if now.duration_since(r.last_pong) > HUNG_AFTER {
            log::warn!(
                "VRRP child process({}) is not answering: killing it",
                r.child.id()
            );
            let _ = r.child.kill();
            let _ = r.child.wait();
            self.child_gone(poll);
            return;
        }
        if now >= r.next_ping {
            r.seq += 1;
            let _ = r.ch.send(&ToChild::Ping(r.seq));
            r.next_ping = now + PING_EVERY;
        }
    }

    /// Whether the child has exited; Some(code) when everything must stop.
    fn reap(&mut self, poll: &Poll) -> Option<i32> {
        let r = self.running.as_mut()?;
        match r.child.try_wait() {
            Ok(Some(status)) => {
                let code = status.code();
                let pid = r.child.id();
                if let Some(c) = code.filter(|c| PERMANENT.contains(c)) {
                    log::error!(
                        "VRRP child process({pid}) exited with permanent error {c}. Terminating"
                    );
                    self.running = None;
                    return Some(c);
                }
                match status.signal() {
                    Some(sig) => {
                        log::warn!("VRRP child process({pid}) died from signal {sig}: Respawning")
                    }
                    None => log::warn!(
                        "VRRP child process({pid}) exited with status {code:?}: Respawning"
                    ),
                }
                self.child_gone(poll);
                if self.dont_respawn {
                    log::error!("VRRP child died and -R is set: Exiting");
                    return Some(0);
                }
                None
            }
            _ => None,
        }
    }

    fn child_gone(&mut self, poll: &Poll) {
        let Some(r) = self.running.take() else { return };
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        // keepalived: a child that ran 60 s or more restarts at once and resets the delay.
        if r.started.elapsed() >= Duration::from_secs(60) {
            self.restarts = 0;
        }
        let delay = restart_delay(self.restarts);
        self.restarts += 1;
        self.next_start = Some(Instant::now() + delay);
    }

    fn stop(&mut self, poll: &Poll) {
        let Some(mut r) = self.running.take() else {
            return;
        };
        let _ = r.ch.send(&ToChild::Stop);
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match r.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    log::warn!("VRRP child did not stop in 5 s: killing it");
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    break;
                }
            }
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r.ch);
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        log::info!("Stopped keepalived-rs");
    }
}

/// Sends, waiting while the socket buffer is full (the child reads as it starts).
fn send_blocking(ch: &Channel, m: &ToChild) -> io::Result<()> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        match ch.send(m) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(1))
            }
            r => return r,
        }
    }
}

/// In the child: the configuration.
pub fn child_setup(ch: &Channel) -> io::Result<Config> {
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
                std::thread::sleep(Duration::from_millis(1));
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
                    return ka_ipc::codec::decode_config(&blob).map_err(io::Error::other);
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
    /// The instances to resume as MASTER; None on a first start (the startup delay
    /// applies).
    pub resume: Option<Vec<String>>,
    /// System settings earlier children changed, with their original values.
    pub originals: Vec<(String, u32)>,
}

/// In the child, once prepared: waits for Go. Err on Stop or a lost parent. There is no
/// deadline: during a reload the predecessor hands over first.
pub fn child_wait_go(ch: &Channel) -> io::Result<GoAhead> {
    ch.send(&ToParent::Prepared)?;
    let mut g = GoAhead {
        resume: None,
        originals: Vec::new(),
    };
    loop {
        match ch.recv::<ToChild>()? {
            None => std::thread::sleep(Duration::from_millis(1)),
            Some(ToChild::Resume(states)) => {
                g.resume = Some(states.into_iter().map(|s| s.name).collect())
            }
            Some(ToChild::Originals(o)) => g.originals = o,
            Some(ToChild::Go) => return Ok(g),
            Some(ToChild::Ping(n)) => ch.send(&ToParent::Pong(n))?,
            Some(ToChild::Stop) => return Err(io::Error::other("stopped before starting")),
            Some(other) => return Err(io::Error::other(format!("unexpected {other:?} before Go"))),
        }
    }
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
