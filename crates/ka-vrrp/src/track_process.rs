//! vrrp_track_process: the processes that match a configured name (or command line),
//! counted against keepalived's quorum, with its fork and terminate delays
//! (keepalived track_process.c), on the virtual clock. The VRRP child reports what it
//! sees in /proc; a change of status goes to the instances as `TrackerId::Process`.

use std::collections::BTreeSet;
use std::time::Duration;

use ka_config::model::{self, ParamMatch};

use crate::Time;

/// What a vrrp_track_process block matches and when it is up.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessConfig {
    pub name: String,
    /// The process name (/proc/PID/comm), or with `full_command` the command (the first
    /// word of /proc/PID/cmdline).
    pub path: String,
    /// The parameters after it, when they are matched.
    pub params: Vec<String>,
    pub param_match: ParamMatch,
    pub full_command: bool,
    pub quorum: u32,
    pub quorum_max: u32,
    pub fork_delay: Duration,
    pub terminate_delay: Duration,
}

impl ProcessConfig {
    /// keepalived's reading of the block: parameters, or `param_match`, mean the command
    /// line is matched; `delay` stands for the fork and terminate delays not given.
    pub fn from_model(m: &model::TrackProcess) -> ProcessConfig {
        let params: Vec<String> = m.process.iter().skip(1).cloned().collect();
        let param_match = match m.param_match {
            ParamMatch::Any if !params.is_empty() => ParamMatch::Exact,
            p => p,
        };
        ProcessConfig {
            name: m.name.clone(),
            path: m.process.first().cloned().unwrap_or_default(),
            full_command: m.full_command || param_match != ParamMatch::Any,
            params,
            param_match,
            quorum: m.quorum,
            quorum_max: m.quorum_max.unwrap_or(u32::MAX),
            fork_delay: m.fork_delay.unwrap_or(m.delay),
            terminate_delay: m.terminate_delay.unwrap_or(m.delay),
        }
    }

    /// Whether the command line (NUL-separated, as /proc/PID/cmdline) is read.
    pub fn needs_cmdline(&self) -> bool {
        self.full_command
    }

    /// Whether a process with this name (/proc/PID/comm) and command line matches
    /// (keepalived check_process and check_params: an exact match, never a pattern).
    pub fn matches(&self, comm: &str, cmdline: &[u8]) -> bool {
        if !self.full_command {
            return comm == self.path;
        }
        let mut words = cmdline.split(|&b| b == 0);
        if words.next() != Some(self.path.as_bytes()) {
            return false;
        }
        // The parameters as keepalived compares them: each followed by its NUL.
        let rest = &cmdline[(self.path.len() + 1).min(cmdline.len())..];
        let want: Vec<u8> = self
            .params
            .iter()
            .flat_map(|p| p.bytes().chain(std::iter::once(0)))
            .collect();
        match self.param_match {
            ParamMatch::Any => true,
            ParamMatch::Exact => rest == want.as_slice(),
            ParamMatch::Partial => rest.starts_with(&want),
            // The last parameter may be longer than the one configured.
            ParamMatch::Initial => {
                want.is_empty()
                    || rest.len() >= want.len() && rest.starts_with(&want[..want.len() - 1])
            }
        }
    }
}

/// The matching processes of one vrrp_track_process and its status.
#[derive(Clone, Debug)]
pub struct ProcessTracker {
    cfg: ProcessConfig,
    pids: BTreeSet<u32>,
    up: Option<bool>,
    /// Quorum gained by a fork: reported at this time unless lost before.
    fork_timer: Option<Time>,
    /// Quorum lost by an exit: reported at this time unless gained before.
    terminate_timer: Option<Time>,
}

impl ProcessTracker {
    pub fn new(cfg: ProcessConfig) -> ProcessTracker {
        ProcessTracker {
            cfg,
            pids: BTreeSet::new(),
            up: None,
            fork_timer: None,
            terminate_timer: None,
        }
    }

    pub fn config(&self) -> &ProcessConfig {
        &self.cfg
    }

    /// The processes counted now.
    pub fn count(&self) -> usize {
        self.pids.len()
    }

    pub fn counts(&self, pid: u32) -> bool {
        self.pids.contains(&pid)
    }

    pub fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.pids.iter().copied()
    }

    /// The status last reported (None before `start`).
    pub fn status(&self) -> Option<bool> {
        self.up
    }

    fn in_range(&self) -> bool {
        let n = self.pids.len() as u64;
        n >= u64::from(self.cfg.quorum) && n <= u64::from(self.cfg.quorum_max)
    }

    fn update(&mut self, up: bool) -> Option<bool> {
        if self.up == Some(up) {
            return None;
        }
        self.up = Some(up);
        Some(up)
    }

    /// The processes found at start: the status, reported at once.
    pub fn start(&mut self, pids: impl IntoIterator<Item = u32>) -> Option<bool> {
        self.pids = pids.into_iter().collect();
        self.fork_timer = None;
        self.terminate_timer = None;
        let up = self.in_range();
        self.update(up)
    }

    /// A process that matches now: new (exec), or one renamed to the name. Counted at
    /// once; a pending terminate delay is cancelled.
    pub fn exec(&mut self, pid: u32) -> Option<bool> {
        self.add(pid, None)
    }

    /// A child of a counted process (fork): counted; a quorum gained this way is
    /// reported after fork_delay (a daemon's workers come and go).
    pub fn fork(&mut self, now: Time, child: u32) -> Option<bool> {
        self.add(child, Some(now))
    }

    fn add(&mut self, pid: u32, forked_at: Option<Time>) -> Option<bool> {
        if !self.pids.insert(pid) {
            return None;
        }
        let n = self.pids.len() as u64;
        if n != u64::from(self.cfg.quorum) && n != u64::from(self.cfg.quorum_max) + 1 {
            return None;
        }
        if self.terminate_timer.take().is_none() {
            if let Some(now) = forked_at.filter(|_| !self.cfg.fork_delay.is_zero()) {
                self.fork_timer = Some(now + self.cfg.fork_delay);
                return None;
            }
        }
        self.update(n == u64::from(self.cfg.quorum))
    }

    /// A counted process has exited: a quorum lost this way is reported after
    /// terminate_delay (a daemon restarting); a pending fork delay is cancelled.
    pub fn exited(&mut self, now: Time, pid: u32) -> Option<bool> {
        self.remove(pid, Some(now))
    }

    /// A counted process no longer matches (it ran another program, or was renamed):
    /// no delay.
    pub fn no_longer(&mut self, pid: u32) -> Option<bool> {
        self.remove(pid, None)
    }

    fn remove(&mut self, pid: u32, exited_at: Option<Time>) -> Option<bool> {
        if !self.pids.remove(&pid) {
            return None;
        }
        let n = self.pids.len() as u64;
        if n + 1 != u64::from(self.cfg.quorum) && n != u64::from(self.cfg.quorum_max) {
            return None;
        }
        if self.fork_timer.take().is_none() {
            if let Some(now) = exited_at.filter(|_| !self.cfg.terminate_delay.is_zero()) {
                self.terminate_timer = Some(now + self.cfg.terminate_delay);
                return None;
            }
        }
        self.update(n == u64::from(self.cfg.quorum_max))
    }

    /// One read of /proc: every process as (pid, parent, whether it matches), in pid
    /// order. The first read starts the tracker. After that a counted process that is
    /// gone has exited, one that no longer matches ran another program, and a new match
    /// is a fork when its parent is counted, else an exec. The status, when the read
    /// changed it (or on the first).
    pub fn observe(&mut self, now: Time, procs: &[(u32, u32, bool)]) -> Option<bool> {
        if self.up.is_none() {
            return self.start(procs.iter().filter(|p| p.2).map(|p| p.0));
        }
        let before = self.up;
        let counted: Vec<u32> = self.pids.iter().copied().collect();
        for pid in counted {
            match procs.binary_search_by_key(&pid, |p| p.0) {
                Err(_) => self.exited(now, pid),
                Ok(k) if !procs[k].2 => self.no_longer(pid),
                Ok(_) => None,
            };
        }
        for &(pid, ppid, _) in procs.iter().filter(|p| p.2) {
            if self.counts(pid) {
                continue;
            }
            if self.counts(ppid) {
                self.fork(now, pid);
            } else {
                self.exec(pid);
            }
        }
        self.up.filter(|_| self.up != before)
    }

    pub fn next_deadline(&self) -> Option<Time> {
        [self.fork_timer, self.terminate_timer]
            .into_iter()
            .flatten()
            .min()
    }

    /// A delay that has run out: the status as the count says now.
    pub fn tick(&mut self, now: Time) -> Option<bool> {
        let mut due = false;
        for t in [&mut self.fork_timer, &mut self.terminate_timer] {
            if t.is_some_and(|t| t <= now) {
                *t = None;
                due = true;
            }
        }
        if !due {
            return None;
        }
        let up = self.in_range();
        self.update(up)
    }
}
