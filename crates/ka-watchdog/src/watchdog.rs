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
use ka_ipc::{InstanceState, ToChild, ToParent, MAX_DATAGRAM, VERSION};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

const SIGNALS: Token = Token(0);
const CHILD: Token = Token(1);

/// How often the child is pinged, and how long it may stay silent before it counts as hung.
pub const PING_EVERY: Duration = Duration::from_millis(500);
pub const HUNG_AFTER: Duration = Duration::from_millis(2000);

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

pub struct Watchdog {
    config: Config,
    exe: PathBuf,
    child_args: Vec<String>,
    running: Option<Running>,
    /// The last state each instance reported.
    states: BTreeMap<String, InstanceState>,
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
        child_args: Vec<String>,
        dont_respawn: bool,
    ) -> io::Result<Watchdog> {
        Ok(Watchdog {
            config,
            exe: std::env::current_exe()?,
            child_args,
            running: None,
            states: BTreeMap::new(),
            restarts: 0,
            next_start: Some(Instant::now()),
            dont_respawn,
        })
    }

    fn start_child(&mut self, poll: &Poll) -> io::Result<()> {
        let (ch, theirs) = Channel::pair()?;
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--child",
            "vrrp",
            "--parent-pid",
            &std::process::id().to_string(),
        ]);
        cmd.args(&self.child_args);
        let child = spawn_with_fd(cmd, theirs)?;
        log::info!("Starting VRRP child process, pid={}", child.id());
        ch.send(&ToChild::Hello { version: VERSION })?;
        let blob = ka_ipc::codec::encode_config(&self.config).map_err(io::Error::other)?;
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
        let masters: Vec<InstanceState> = self
            .states
            .values()
            .filter(|s| s.state == "MASTER")
            .cloned()
            .collect();
        if !masters.is_empty() {
            send_blocking(&ch, &ToChild::Resume(masters))?;
        }
        send_blocking(&ch, &ToChild::Go)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&ch);
        poll.registry()
            .register(&mut SourceFd(&fd), CHILD, Interest::READABLE)?;
        let now = Instant::now();
        self.running = Some(Running {
            child,
            ch,
            started: now,
            last_pong: now,
            next_ping: now + PING_EVERY,
            seq: 0,
        });
        Ok(())
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
                                SIGHUP => log::info!("Reload is not supported by this build yet; configuration unchanged"),
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

/// In the child: the configuration, the states to resume, then Go.
pub fn child_setup(ch: &Channel) -> io::Result<(Config, Vec<String>)> {
    let end = Instant::now() + Duration::from_secs(30);
    let mut blob = Vec::new();
    let mut config = None;
    let mut resume = Vec::new();
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
                    config = Some(ka_ipc::codec::decode_config(&blob).map_err(io::Error::other)?);
                }
            }
            Some(ToChild::Resume(states)) => resume = states.into_iter().map(|s| s.name).collect(),
            Some(ToChild::Go) => {
                return config
                    .map(|c| (c, resume))
                    .ok_or_else(|| io::Error::other("Go before the configuration"))
            }
            Some(ToChild::Ping(n)) => ch.send(&ToParent::Pong(n))?,
            Some(ToChild::Stop) => return Err(io::Error::other("stopped before starting")),
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
