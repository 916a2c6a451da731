//! One checker's timing, as keepalived 2.2.7 runs every checker type (check_tcp.c
//! tcp_epilog, and the same epilogue in check_http.c, check_smtp.c, check_misc.c):
//!
//! - the first probe runs after a random 0..warmup delay (the caller draws it);
//! - a success: up (if it was not), retries reset, the next probe after delay_loop;
//! - a failure of an up checker: retried `retry` times, delay_before_retry apart, then
//!   down and back to delay_loop; a down checker keeps probing every delay_loop;
//! - at start the first failure is enough (keepalived starts with the retries used up);
//! - alpha: the checker starts down, else up.

use std::time::Duration;

use crate::Time;

#[derive(Clone, Debug, PartialEq)]
pub struct CheckerConfig {
    pub delay_loop: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub alpha: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// MISC_CHECK with misc_dynamic: up, with this weight (exit code - 2).
    SuccessWeight(u32),
    Failure(String),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckerAction {
    /// Run one probe now; answer with [`Checker::result`].
    Probe,
    /// The checker went up or down (`why`: the last failure).
    Changed { up: bool, why: String },
    /// A failure that will be retried (keepalived logs it when log_all_failures is set).
    Retrying { attempt: u32, why: String },
    /// misc_dynamic: the real server's weight from now on.
    Weight(u32),
}

#[derive(Clone, Debug)]
pub struct Checker {
    pub cfg: CheckerConfig,
    up: bool,
    has_run: bool,
    retry_it: u32,
    next: Option<Time>,
    probing: bool,
    weight: Option<u32>,
}

impl Checker {
    pub fn new(cfg: CheckerConfig) -> Checker {
        Checker {
            up: !cfg.alpha,
            has_run: false,
            // keepalived starts with the retries used up: the first failure is enough.
            retry_it: cfg.retry,
            next: None,
            probing: false,
            weight: None,
            cfg,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    pub fn has_run(&self) -> bool {
        self.has_run
    }

    /// The weight misc_dynamic last set, if any.
    pub fn dynamic_weight(&self) -> Option<u32> {
        self.weight
    }

    pub fn next_deadline(&self) -> Option<Time> {
        self.next
    }

    /// Carries on from a predecessor's state (restart or reload): up or down as it was,
    /// as a checker that has run (keepalived migrate_checkers), with the weight a
    /// misc_dynamic predecessor last set (so that the same exit code changes nothing).
    pub fn inherit(&mut self, up: bool, weight: Option<u32>) {
        self.up = up;
        self.weight = weight;
        self.has_run = true;
        self.retry_it = 0;
    }

    /// Schedules the first probe `warmup` from now (the caller draws 0..warmup).
    pub fn start(&mut self, now: Time, warmup: Duration) {
        self.next = Some(now + warmup);
    }

    /// Stops probing (ha_suspend, or the end); a probe under way is forgotten.
    pub fn suspend(&mut self) {
        self.next = None;
        self.probing = false;
    }

    pub fn timer(&mut self, now: Time) -> Vec<CheckerAction> {
        match self.next {
            Some(t) if t <= now && !self.probing => {
                self.next = None;
                self.probing = true;
                vec![CheckerAction::Probe]
            }
            _ => vec![],
        }
    }

    pub fn result(&mut self, now: Time, outcome: Outcome) -> Vec<CheckerAction> {
        if !self.probing {
            return vec![];
        }
        self.probing = false;
        let mut out = Vec::new();
        let mut delay = self.cfg.delay_loop;
        match outcome {
            Outcome::Success | Outcome::SuccessWeight(_) => {
                if let Outcome::SuccessWeight(w) = outcome {
                    if self.weight != Some(w) {
                        self.weight = Some(w);
                        out.push(CheckerAction::Weight(w));
                    }
                }
                self.retry_it = 0;
                if !self.up {
                    self.up = true;
                    out.push(CheckerAction::Changed {
                        up: true,
                        why: String::new(),
                    });
                }
            }
            Outcome::Failure(why) => {
                if (self.up || !self.has_run) && self.retry_it >= self.cfg.retry {
                    self.retry_it = 0;
                    if self.up {
                        self.up = false;
                        out.push(CheckerAction::Changed { up: false, why });
                    }
                } else if self.up {
                    self.retry_it += 1;
                    delay = self.cfg.delay_before_retry;
                    out.push(CheckerAction::Retrying {
                        attempt: self.retry_it,
                        why,
                    });
                }
            }
        }
        self.has_run = true;
        self.next = Some(now + delay);
        out
    }
}
