//! The checkers and the server pool driven by recorded inputs on a virtual clock, their
//! answers as serde values: the conformance cases (`tests/conformance/CASE/`
//! `{keepalived.conf, input.jsonl, output.jsonl}`) compare them line by line.
//!
//! An input says what the probes of a real server answer from then on (a server that
//! goes down, comes back, or reports a misc_dynamic weight); every checker probes at its
//! own deadlines, each probe answered at once with its server's current outcome, and
//! what follows goes to the pool as the checker child sends it. Warmup is taken as 0
//! (the child draws a random 0..warmup delay).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checker::{Checker, CheckerAction, Outcome};
use crate::config::CheckSpec;
use crate::service::{Action, Pool, VsConfig};
use crate::Time;

/// One recorded input, at `at_ms` milliseconds on the virtual clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: f64,
    #[serde(flatten)]
    pub input: Input,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input")]
pub enum Input {
    /// The pool starts (real servers into IPVS, quorum) and every checker with it.
    Start,
    /// From now on the probes of `real_server` (keepalived's name, `[ip]:tcp:port`;
    /// in every virtual server that has it), or only of its checker `checker`, answer
    /// `outcome`.
    Probes {
        real_server: String,
        #[serde(default)]
        checker: Option<usize>,
        outcome: Outcome,
    },
    /// The checker child stops: the pool removes what it added.
    Stop,
    /// The end of the recording.
    End,
}

/// Who answered, and what.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// A checker of a real server (its index among the server's checkers).
    Checker {
        real_server: String,
        index: usize,
        action: CheckerAction,
    },
    /// The pool.
    Pool(Action),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Output {
    pub at_ms: f64,
    #[serde(flatten)]
    pub answer: Answer,
}

/// Why a recording cannot be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    NoRealServer(String),
    BackInTime { at_ms: String },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::NoRealServer(n) => write!(f, "no real server {n:?} in the configuration"),
            ReplayError::BackInTime { at_ms } => write!(f, "input at {at_ms} ms goes back in time"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// The pool and its checkers, as the checker child holds them.
pub struct Replay {
    pub pool: Pool,
    specs: Vec<CheckSpec>,
    checkers: Vec<Checker>,
    /// What each checker's probes answer now.
    answers: Vec<Outcome>,
}

fn time(ms: f64) -> Time {
    Time((ms * 1000.0).round().max(0.0) as u64)
}

impl Replay {
    pub fn new(cfg: Vec<VsConfig>, specs: Vec<CheckSpec>) -> Replay {
        Replay {
            pool: Pool::new(cfg),
            checkers: specs
                .iter()
                .map(|s| Checker::new(s.how.timing.clone()))
                .collect(),
            answers: vec![Outcome::Success; specs.len()],
            specs,
        }
    }

    fn rs_name(&self, k: usize) -> String {
        let s = &self.specs[k];
        self.pool.cfg[s.vs].real_servers[s.rs].name.clone()
    }

    /// Runs `steps` and returns every answer, in order.
    pub fn run(&mut self, steps: &[Step]) -> Result<Vec<Output>, ReplayError> {
        let mut out = Vec::new();
        let mut clock = Time(0);
        for step in steps {
            let at = time(step.at_ms);
            if at < clock {
                return Err(ReplayError::BackInTime {
                    at_ms: step.at_ms.to_string(),
                });
            }
            self.run_timers(at, &mut out);
            clock = at;
            let at_ms = at.0 as f64 / 1000.0;
            match &step.input {
                Input::End => break,
                Input::Start => {
                    for a in self.pool.start() {
                        out.push(Output {
                            at_ms,
                            answer: Answer::Pool(a),
                        });
                    }
                    for c in &mut self.checkers {
                        c.start(at, Duration::ZERO);
                    }
                }
                Input::Probes {
                    real_server,
                    checker,
                    outcome,
                } => {
                    let ks: Vec<usize> = (0..self.specs.len())
                        .filter(|&k| {
                            self.rs_name(k) == *real_server
                                && checker.is_none_or(|c| c == self.specs[k].index)
                        })
                        .collect();
                    if ks.is_empty() {
                        return Err(ReplayError::NoRealServer(real_server.clone()));
                    }
                    for k in ks {
                        self.answers[k] = outcome.clone();
                    }
                }
                Input::Stop => {
                    for a in self.pool.stop() {
                        out.push(Output {
                            at_ms,
                            answer: Answer::Pool(a),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every probe due up to and including `until`, each answered at once.
    fn run_timers(&mut self, until: Time, out: &mut Vec<Output>) {
        loop {
            let Some((t, k)) = (0..self.checkers.len())
                .filter_map(|k| self.checkers[k].next_deadline().map(|t| (t, k)))
                .min()
                .filter(|(t, _)| *t <= until)
            else {
                return;
            };
            let mut acts = self.checkers[k].timer(t);
            if acts.contains(&CheckerAction::Probe) {
                acts.extend(self.checkers[k].result(t, self.answers[k].clone()));
            }
            let at_ms = t.0 as f64 / 1000.0;
            let s = self.specs[k].clone();
            for a in acts {
                let follow = match &a {
                    CheckerAction::Changed { up, why } => {
                        // As the child: an up change carries no reason.
                        let why = if *up { "" } else { why.as_str() };
                        self.pool.checker_changed(s.vs, s.rs, s.index, *up, why)
                    }
                    CheckerAction::Weight(w) => self.pool.weight_changed(s.vs, s.rs, *w),
                    _ => Vec::new(),
                };
                out.push(Output {
                    at_ms,
                    answer: Answer::Checker {
                        real_server: self.rs_name(k),
                        index: s.index,
                        action: a,
                    },
                });
                out.extend(follow.into_iter().map(|a| Output {
                    at_ms,
                    answer: Answer::Pool(a),
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            ReplayError::NoRealServer("[10.0.0.1]:tcp:80".into()).to_string(),
            "no real server \"[10.0.0.1]:tcp:80\" in the configuration"
        );
        assert_eq!(
            ReplayError::BackInTime { at_ms: "5".into() }.to_string(),
            "input at 5 ms goes back in time"
        );
    }
}
