//! vrrp_script results as a state machine (keepalived vrrp_track.c, vrrp_scheduler.c):
//! when to run the script, what a result or a timeout means, and when the tracked status
//! changes. Running the process is the caller's job.

use std::time::Duration;

use crate::time::Time;

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptConfig {
    pub name: String,
    pub argv: Vec<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
    /// Start in the failed state instead of unknown.
    pub init_fail: bool,
    /// The user (and group) to run it as; None: the default script user.
    pub user: Option<(String, Option<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No result yet.
    Init,
    Good,
    Bad,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptEvent {
    Start,
    Timer,
    /// The process ended: exit status 0 is success; anything else (or a signal) fails.
    Exited {
        success: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptAction {
    /// Start the script now.
    Run { argv: Vec<String> },
    /// It ran past its timeout: SIGTERM its process group (SIGKILL 2 s later); counts as
    /// a failure.
    Kill,
    /// The tracked status changed.
    Changed(Status),
}

pub struct ScriptTracker {
    pub cfg: ScriptConfig,
    status: Status,
    /// Consecutive results that disagree with the status.
    streak: u32,
    next_run: Option<Time>,
    running_since: Option<Time>,
}

impl ScriptTracker {
    pub fn new(cfg: ScriptConfig) -> Self {
        let status = if cfg.init_fail {
            Status::Bad
        } else {
            Status::Init
        };
        ScriptTracker {
            cfg,
            status,
            streak: 0,
            next_run: None,
            running_since: None,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// Consecutive results that disagree with the status so far (toward `rise` when it is
    /// bad, toward `fall` when it is good).
    pub fn streak(&self) -> u32 {
        self.streak
    }

    /// A successor's start: the status the predecessor's tracker had, so that the next
    /// result counts from there (rise and fall as if nothing had restarted).
    pub fn carry(&mut self, good: bool) {
        self.status = if good { Status::Good } else { Status::Bad };
        self.streak = 0;
    }

    pub fn next_deadline(&self) -> Option<Time> {
        match self.running_since {
            Some(t) => Some(t + self.cfg.timeout),
            None => self.next_run,
        }
    }

    pub fn handle(&mut self, now: Time, ev: ScriptEvent) -> Vec<ScriptAction> {
        let mut out = Vec::new();
        match ev {
            ScriptEvent::Start => {
                self.next_run = Some(now);
                self.timer(now, &mut out);
            }
            ScriptEvent::Timer => self.timer(now, &mut out),
            ScriptEvent::Exited { success } => {
                if let Some(started) = self.running_since.take() {
                    self.next_run = Some(started + self.cfg.interval);
                    self.result(success, &mut out);
                }
            }
        }
        out
    }

    fn timer(&mut self, now: Time, out: &mut Vec<ScriptAction>) {
        if let Some(started) = self.running_since {
            if now >= started + self.cfg.timeout {
                // keepalived: a timeout is a failure.
                self.running_since = None;
                self.next_run = Some(started + self.cfg.interval);
                out.push(ScriptAction::Kill);
                self.result(false, out);
            }
            return;
        }
        if self.next_run.is_some_and(|t| t <= now) {
            self.running_since = Some(now);
            self.next_run = None;
            out.push(ScriptAction::Run {
                argv: self.cfg.argv.clone(),
            });
        }
    }

    /// keepalived: the first result decides at once; after that `fall` consecutive
    /// failures make a good script bad and `rise` consecutive successes a bad one good.
    fn result(&mut self, success: bool, out: &mut Vec<ScriptAction>) {
        let new = match (self.status, success) {
            (Status::Init, true) => Some(Status::Good),
            (Status::Init, false) => Some(Status::Bad),
            (Status::Good, true) | (Status::Bad, false) => {
                self.streak = 0;
                None
            }
            (Status::Good, false) => {
                self.streak += 1;
                (self.streak >= self.cfg.fall).then_some(Status::Bad)
            }
            (Status::Bad, true) => {
                self.streak += 1;
                (self.streak >= self.cfg.rise).then_some(Status::Good)
            }
        };
        if let Some(s) = new {
            self.status = s;
            self.streak = 0;
            out.push(ScriptAction::Changed(s));
        }
    }
}
