//! Real and virtual server state (keepalived check/ipwrapper.c update_svr_checker_state,
//! perform_svr_state, update_quorum_state): a real server is up while all its checkers
//! are; going down removes it from IPVS (or sets its weight to 0 with
//! inhibit_on_failure), going up puts it back; the live weight decides the quorum, and
//! losing it brings in the sorry server. Every change also yields the notify script, the
//! FIFO line and the mail keepalived would send.

/// A script to run, and as whom.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Notify {
    pub argv: Vec<String>,
    pub user: Option<(String, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RsConfig {
    /// keepalived's name for it: `[ip]:tcp:port`.
    pub name: String,
    pub weight: u32,
    pub inhibit_on_failure: bool,
    /// Boxed: most real servers have none, and their room was a sixth of the checker's
    /// memory per real server.
    pub notify_up: Option<Box<Notify>>,
    pub notify_down: Option<Box<Notify>>,
    pub smtp_alert: bool,
    /// How many checkers it has (none: always up).
    pub checkers: usize,
    /// alpha: its checkers start down.
    pub alpha: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VsConfig {
    /// keepalived's name for it: `[ip]:tcp:port`, `FWM n` or `group NAME`.
    pub name: String,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Notify>,
    pub quorum_down: Option<Notify>,
    pub sorry_server: Option<String>,
    pub sorry_server_inhibit: bool,
    pub smtp_alert: bool,
    pub omega: bool,
    /// ha_suspend: checks pause while this address is not on this host.
    pub ha_suspend: Option<std::net::IpAddr>,
    pub real_servers: Vec<RsConfig>,
}

/// What to do in the kernel's IPVS table (indexes into the configuration).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpvsOp {
    AddDest { vs: usize, rs: usize, weight: u32 },
    SetWeight { vs: usize, rs: usize, weight: u32 },
    DelDest { vs: usize, rs: usize },
    AddSorry { vs: usize, weight: u32 },
    DelSorry { vs: usize },
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Ipvs(IpvsOp),
    Notify(Notify),
    /// A line for the LVS notify FIFO(s).
    Fifo(String),
    /// Mail (the subject without keepalived's `[router_id] ` prefix).
    Alert {
        subject: String,
        body: String,
    },
    Log(String),
}

#[derive(Clone, Debug)]
struct RsState {
    checkers_up: Vec<bool>,
    alive: bool,
    weight: u32,
    /// Its state came from a predecessor (a reload): not new at start.
    inherited: bool,
}

#[derive(Clone, Debug)]
struct VsState {
    rs: Vec<RsState>,
    quorum_up: bool,
    sorry_active: bool,
}

pub struct Pool {
    pub cfg: Vec<VsConfig>,
    vs: Vec<VsState>,
    /// rs_init_notifies: [`Pool::start`] notifies the real servers it brings up.
    init_notifies: bool,
}

impl Pool {
    pub fn new(cfg: Vec<VsConfig>) -> Pool {
        let vs = cfg
            .iter()
            .map(|v| VsState {
                rs: v
                    .real_servers
                    .iter()
                    .map(|r| RsState {
                        checkers_up: vec![!r.alpha; r.checkers],
                        alive: r.checkers == 0 || !r.alpha,
                        weight: r.weight,
                        inherited: false,
                    })
                    .collect(),
                quorum_up: true,
                sorry_active: false,
            })
            .collect();
        Pool {
            cfg,
            vs,
            init_notifies: false,
        }
    }

    /// keepalived's global rs_init_notifies.
    pub fn with_init_notifies(mut self, on: bool) -> Pool {
        self.init_notifies = on;
        self
    }

    pub fn rs_alive(&self, vs: usize, rs: usize) -> bool {
        self.vs[vs].rs[rs].alive
    }

    pub fn quorum_up(&self, vs: usize) -> bool {
        self.vs[vs].quorum_up
    }

    pub fn sorry_active(&self, vs: usize) -> bool {
        self.vs[vs].sorry_active
    }

    /// The sum of the weights of the live real servers.
    pub fn live_weight(&self, vs: usize) -> u32 {
        self.vs[vs]
            .rs
            .iter()
            .filter(|r| r.alive)
            .map(|r| r.weight)
            .sum()
    }

    /// Before [`Pool::start`]: a real server's state as a predecessor left it, with the
    /// weight a misc_dynamic check had set.
    pub fn inherit(&mut self, vs: usize, rs: usize, alive: bool, weight: Option<u32>) {
        if let Some(st) = self.vs.get_mut(vs).and_then(|v| v.rs.get_mut(rs)) {
            if let Some(w) = weight {
                st.weight = w;
            }
            st.alive = alive || st.checkers_up.is_empty();
            st.inherited = true;
            for c in &mut st.checkers_up {
                *c = alive;
            }
        }
    }

    /// Before [`Pool::start`]: what a FILE_CHECK read at start says (keepalived
    /// set_track_file_checkers_down, set_track_file_weights): the checker up or down, and
    /// the server's weight.
    pub fn preset(&mut self, vs: usize, rs: usize, checker: usize, up: bool, weight: u32) {
        if let Some(st) = self.vs.get_mut(vs).and_then(|v| v.rs.get_mut(rs)) {
            if let Some(c) = st.checkers_up.get_mut(checker) {
                *c = up;
            }
            st.alive = st.checkers_up.iter().all(|&c| c);
            st.weight = weight;
        }
    }

    /// keepalived init_service_vs: live real servers go in (alpha ones start down; with
    /// inhibit_on_failure a down one is present at weight 0); the quorum is evaluated
    /// at once, and a sorry server brought in without notifies if it is lacking.
    pub fn start(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        for v in 0..self.cfg.len() {
            for r in 0..self.cfg[v].real_servers.len() {
                let st = &self.vs[v].rs[r];
                if st.alive {
                    out.push(Action::Ipvs(IpvsOp::AddDest {
                        vs: v,
                        rs: r,
                        weight: st.weight,
                    }));
                    // keepalived init_service_rs: with rs_init_notifies, a real server
                    // brought up at start runs its notify_up and tells the FIFO (not
                    // one a reload carried over).
                    if self.init_notifies && !st.inherited {
                        let (rc, c) = (&self.cfg[v].real_servers[r], &self.cfg[v]);
                        if let Some(n) = &rc.notify_up {
                            out.push(Action::Notify(Notify::clone(n)));
                        }
                        out.push(Action::Fifo(format!("RS {} {} UP\n", rc.name, c.name)));
                    }
                } else if self.cfg[v].real_servers[r].inhibit_on_failure {
                    out.push(Action::Ipvs(IpvsOp::AddDest {
                        vs: v,
                        rs: r,
                        weight: 0,
                    }));
                }
            }
            if self.cfg[v].sorry_server_inhibit && self.cfg[v].sorry_server.is_some() {
                out.push(Action::Ipvs(IpvsOp::AddSorry { vs: v, weight: 0 }));
            }
            let live = self.live_weight(v);
            if live < self.cfg[v].quorum || live == 0 {
                self.vs[v].quorum_up = false;
                self.bring_sorry(v, &mut out);
            }
        }
        out
    }

    /// A checker of real server `rs` of virtual server `vs` went up or down.
    pub fn checker_changed(
        &mut self,
        vs: usize,
        rs: usize,
        checker: usize,
        up: bool,
        why: &str,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(st) = self.vs.get_mut(vs).and_then(|v| v.rs.get_mut(rs)) else {
            return out;
        };
        if let Some(c) = st.checkers_up.get_mut(checker) {
            *c = up;
        }
        let alive = st.checkers_up.iter().all(|&c| c);
        if alive != st.alive {
            st.alive = alive;
            self.rs_changed(vs, rs, alive, why, &mut out);
            self.quorum(vs, &mut out);
        }
        out
    }

    /// misc_dynamic (or FILE_CHECK) set a new weight.
    pub fn weight_changed(&mut self, vs: usize, rs: usize, weight: u32) -> Vec<Action> {
        let mut out = Vec::new();
        let st = &mut self.vs[vs].rs[rs];
        if st.weight == weight {
            return out;
        }
        st.weight = weight;
        let alive = st.alive;
        let c = &self.cfg[vs];
        out.push(Action::Log(format!(
            "Changing weight to {weight} for service {} of VS {}",
            c.real_servers[rs].name, c.name
        )));
        if alive && !self.vs[vs].sorry_active {
            out.push(Action::Ipvs(IpvsOp::SetWeight { vs, rs, weight }));
        }
        self.quorum(vs, &mut out);
        out
    }

    fn rs_changed(&mut self, v: usize, r: usize, up: bool, why: &str, out: &mut Vec<Action>) {
        let c = &self.cfg[v];
        let rc = &c.real_servers[r];
        let weight = self.vs[v].rs[r].weight;
        let inhibit = rc.inhibit_on_failure;
        let verb = match (up, inhibit) {
            (true, false) => "Adding service",
            (true, true) => "Enabling service",
            (false, false) => "Removing service",
            (false, true) => "Disabling service",
        };
        let prep = if up { "to" } else { "from" };
        out.push(Action::Log(format!(
            "{verb} {} {prep} VS {}",
            rc.name, c.name
        )));
        // While the sorry server serves, changes are recorded, not pushed (keepalived).
        if !self.vs[v].sorry_active {
            out.push(Action::Ipvs(match (up, inhibit) {
                (true, false) => IpvsOp::AddDest {
                    vs: v,
                    rs: r,
                    weight,
                },
                (true, true) => IpvsOp::SetWeight {
                    vs: v,
                    rs: r,
                    weight,
                },
                (false, false) => IpvsOp::DelDest { vs: v, rs: r },
                (false, true) => IpvsOp::SetWeight {
                    vs: v,
                    rs: r,
                    weight: 0,
                },
            }));
        }
        let notify = if up { &rc.notify_up } else { &rc.notify_down };
        if let Some(n) = notify {
            out.push(Action::Notify(Notify::clone(n)));
        }
        let word = if up { "UP" } else { "DOWN" };
        out.push(Action::Fifo(format!("RS {} {} {word}\n", rc.name, c.name)));
        if rc.smtp_alert {
            out.push(Action::Alert {
                subject: format!(
                    "Realserver {} of virtual server {} - {word}",
                    rc.name, c.name
                ),
                body: if up {
                    "=> CHECK succeed on service <=".to_string()
                } else {
                    format!("=> CHECK failed on service : {why} <=")
                },
            });
        }
    }

    /// keepalived update_quorum_state.
    fn quorum(&mut self, v: usize, out: &mut Vec<Action>) {
        let live = self.live_weight(v);
        let c = &self.cfg[v];
        let (q, h) = (c.quorum, c.hysteresis);
        if !self.vs[v].quorum_up && live >= q + h && live > 0 {
            self.vs[v].quorum_up = true;
            let line = format!(
                "Gained quorum {q}+{h}={} <= {live} for VS {}",
                q + h,
                c.name
            );
            out.push(Action::Log(line));
            if self.vs[v].sorry_active {
                self.vs[v].sorry_active = false;
                if c.sorry_server_inhibit {
                    out.push(Action::Ipvs(IpvsOp::AddSorry { vs: v, weight: 0 }));
                } else {
                    out.push(Action::Ipvs(IpvsOp::DelSorry { vs: v }));
                }
                // The real servers' recorded states go back into the table.
                for (r, st) in self.vs[v].rs.iter().enumerate() {
                    let inhibit = c.real_servers[r].inhibit_on_failure;
                    if st.alive {
                        out.push(Action::Ipvs(IpvsOp::AddDest {
                            vs: v,
                            rs: r,
                            weight: st.weight,
                        }));
                    } else if inhibit {
                        out.push(Action::Ipvs(IpvsOp::AddDest {
                            vs: v,
                            rs: r,
                            weight: 0,
                        }));
                    }
                }
            }
            if let Some(n) = &c.quorum_up {
                out.push(Action::Notify(n.clone()));
            }
            out.push(Action::Fifo(format!("VS {} UP\n", c.name)));
            if c.smtp_alert {
                out.push(Action::Alert {
                    subject: format!("Virtualserver {} - UP", c.name),
                    body: format!("=> Gained quorum {q}+{h}={} <= {live} <=", q + h),
                });
            }
        } else if self.vs[v].quorum_up && (live < q.saturating_sub(h) || live == 0) {
            self.vs[v].quorum_up = false;
            let line = format!(
                "Lost quorum {q}-{h}={} > {live} for VS {}",
                q.saturating_sub(h),
                c.name
            );
            out.push(Action::Log(line));
            self.bring_sorry(v, out);
            let c = &self.cfg[v];
            if let Some(n) = &c.quorum_down {
                out.push(Action::Notify(n.clone()));
            }
            out.push(Action::Fifo(format!("VS {} DOWN\n", c.name)));
            if c.smtp_alert {
                out.push(Action::Alert {
                    subject: format!("Virtualserver {} - DOWN", c.name),
                    body: format!("=> Lost quorum {q}-{h}={} > {live} <=", q.saturating_sub(h)),
                });
            }
        }
    }

    /// Quorum lost with a sorry server: the live real servers leave the table, the sorry
    /// server takes their place.
    fn bring_sorry(&mut self, v: usize, out: &mut Vec<Action>) {
        let c = &self.cfg[v];
        if c.sorry_server.is_none() || self.vs[v].sorry_active {
            return;
        }
        self.vs[v].sorry_active = true;
        // keepalived perform_quorum_state: only the live servers leave; an inhibited
        // dead one stays at weight 0 beside the sorry server.
        for (r, st) in self.vs[v].rs.iter().enumerate() {
            if st.alive {
                out.push(Action::Ipvs(IpvsOp::DelDest { vs: v, rs: r }));
            }
        }
        out.push(Action::Log(format!(
            "Adding sorry server {} to VS {}",
            c.sorry_server.as_deref().unwrap_or(""),
            c.name
        )));
        out.push(Action::Ipvs(IpvsOp::AddSorry { vs: v, weight: 1 }));
    }

    /// Shutting down: with omega the down notifiers run (keepalived clear_services);
    /// everything keepalived-rs put in the table comes out.
    pub fn stop(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        for v in 0..self.cfg.len() {
            let c = &self.cfg[v];
            for (r, st) in self.vs[v].rs.iter().enumerate() {
                let rc = &c.real_servers[r];
                if c.omega && st.alive {
                    out.push(Action::Log(format!(
                        "Shutting down service {} from VS {}",
                        rc.name, c.name
                    )));
                    if let Some(n) = &rc.notify_down {
                        out.push(Action::Notify(Notify::clone(n)));
                    }
                }
                if (st.alive && !self.vs[v].sorry_active) || (!st.alive && rc.inhibit_on_failure) {
                    out.push(Action::Ipvs(IpvsOp::DelDest { vs: v, rs: r }));
                }
            }
            if c.omega && self.vs[v].quorum_up {
                if let Some(n) = &c.quorum_down {
                    out.push(Action::Notify(n.clone()));
                }
            }
            if self.vs[v].sorry_active || (c.sorry_server_inhibit && c.sorry_server.is_some()) {
                out.push(Action::Ipvs(IpvsOp::DelSorry { vs: v }));
            }
        }
        out
    }
}
