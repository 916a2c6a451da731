//! Instances and sync groups together (keepalived vrrp_sync.c; section 4.5): members move
//! together, a FAULT in one faults all, a member goes MASTER only when every member wants
//! to, and group notifies come after the instance notifies.

use std::net::IpAddr;
use std::time::Duration;

use ka_config::model;

use crate::action::{Action, Level};
use crate::error::DecodeError;
use crate::instance::{Event, Instance, InstanceConfig, State, TrackStatus, TrackerId};
use crate::logs;
use crate::rx::Received;
use crate::time::Time;

/// A group's notify scripts: the same keywords as an instance's.
pub type GroupNotifies = crate::instance::Notifies;

pub struct SyncGroup {
    pub name: String,
    /// Indexes into [`Router::instances`].
    pub members: Vec<usize>,
    pub notifies: GroupNotifies,
    /// Mail on group state changes (keepalived vrrp_sync_smtp_notifier).
    pub smtp_alert: bool,
    state: State,
    /// When each member last asked to become MASTER.
    wants: Vec<Option<Time>>,
}

impl SyncGroup {
    pub fn new(name: &str, members: Vec<usize>, notifies: GroupNotifies) -> Self {
        let n = members.len();
        SyncGroup {
            name: name.into(),
            members,
            notifies,
            smtp_alert: false,
            state: State::Init,
            wants: vec![None; n],
        }
    }

    pub fn state(&self) -> State {
        self.state
    }
}

/// Who an action is for: an instance (by index) or a group (by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Instance(usize),
    Group(usize),
    /// The process as a whole (a log line about no instance in particular).
    Router,
}

/// All the instances of a VRRP process and their sync groups.
#[derive(Default)]
pub struct Router {
    pub instances: Vec<Instance>,
    pub groups: Vec<SyncGroup>,
    /// vrrp_startup_delay: when the instances start.
    start_at: Option<Time>,
    /// log_unknown_vrids: an advert no instance takes is logged.
    pub log_unknown_vrids: bool,
}

impl Router {
    /// fifo_write_vrrp_states_on_reload (keepalived vrrp_init_state): after a reload,
    /// each group's state, and the state of each instance that `kept` (its state before
    /// the reload) and is not MASTER, as FIFO lines; a transition writes its own.
    pub fn reload_fifo_lines(&self, kept: &dyn Fn(usize) -> bool) -> Vec<(Target, Action)> {
        let groups = self.groups.iter().enumerate().map(|(n, g)| {
            let line = format!("GROUP \"{}\" {} 0\n", g.name, g.state().name());
            (Target::Group(n), Action::Fifo { line })
        });
        let instances = self
            .instances
            .iter()
            .enumerate()
            .filter(|(n, i)| kept(*n) && matches!(i.state(), State::Backup | State::Fault))
            .map(|(n, i)| {
                let line = format!(
                    "INSTANCE \"{}\" {} {}\n",
                    i.name(),
                    i.state().name(),
                    i.effective_priority()
                );
                (Target::Instance(n), Action::Fifo { line })
            });
        groups.chain(instances).collect()
    }

    pub fn new(instances: Vec<Instance>, groups: Vec<SyncGroup>) -> Self {
        let mut r = Router {
            instances,
            groups,
            start_at: None,
            log_unknown_vrids: false,
        };
        for g in &r.groups {
            for &m in &g.members {
                r.instances[m].cfg.in_sync_group = true;
            }
        }
        // keepalived: group members' own weights are ignored... the caller resolves
        // trackers; here only membership matters.
        r.groups.iter_mut().for_each(|g| g.state = State::Init);
        r
    }

    pub fn next_deadline(&self) -> Option<Time> {
        self.instances
            .iter()
            .filter_map(|i| i.next_deadline())
            .chain(self.start_at)
            .min()
    }

    /// Starts every instance after `delay` (keepalived's vrrp_startup_delay postpones
    /// everything; 0 starts now).
    pub fn begin(&mut self, now: Time, delay: Duration) -> Vec<(Target, Action)> {
        if delay.is_zero() {
            return self.start_all(now);
        }
        self.start_at = Some(now + delay);
        Vec::new()
    }

    fn start_all(&mut self, now: Time) -> Vec<(Target, Action)> {
        self.start_at = None;
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            let acts = self.instances[i].handle(now, Event::Start);
            self.absorb(now, i, acts, &mut out);
        }
        self.mark(now);
        out
    }

    /// Group rules move members outside their own `handle`: their transitions are
    /// timed here.
    fn mark(&mut self, now: Time) {
        for i in &mut self.instances {
            i.mark(now);
        }
    }

    /// keepalived's STATS_CLEAR: every instance's counters back to zero.
    pub fn clear_stats(&mut self) {
        for i in &mut self.instances {
            i.clear_stats();
        }
    }

    fn group_of(&self, inst: usize) -> Option<usize> {
        self.groups.iter().position(|g| g.members.contains(&inst))
    }

    /// Feeds one event to one instance and applies the group rules to what follows.
    pub fn handle(&mut self, now: Time, inst: usize, ev: Event) -> Vec<(Target, Action)> {
        let carried = matches!(ev, Event::StartBackup { .. } | Event::Resume);
        let acts = self.instances[inst].handle(now, ev);
        let mut out = Vec::new();
        self.absorb(now, inst, acts, &mut out);
        if carried {
            self.carried_groups();
        }
        self.mark(now);
        out
    }

    /// Members carried over a reload in their state, without a transition: a group
    /// whose members all agree now takes their state, without a notify either
    /// (keepalived restores a group's state at a reload).
    fn carried_groups(&mut self) {
        for g in &mut self.groups {
            let Some(first) = g.members.first().map(|&m| self.instances[m].state()) else {
                continue;
            };
            if g.state == State::Init
                && first != State::Init
                && g.members
                    .iter()
                    .all(|&m| self.instances[m].state() == first)
            {
                g.state = first;
            }
        }
    }

    /// A packet received on `interface`, to the instances of its VRID there (an IPv6
    /// packet only to IPv6 instances): each checks it in keepalived's order.
    pub fn packet(&mut self, now: Time, interface: &str, rx: &Received) -> Vec<(Target, Action)> {
        let Some(&vrid) = rx.vrrp.get(1) else {
            return Vec::new();
        };
        let v6 = rx.src.is_ipv6();
        let ours = |c: &InstanceConfig| {
            c.vrid == vrid && c.rx_on() == interface && (!v6 || c.src.is_ipv6())
        };
        if !self.instances.iter().any(|i| ours(&i.cfg)) {
            // keepalived vrrp_read_dispatcher_thread: ignored, logged if asked to.
            if !self.log_unknown_vrids {
                return Vec::new();
            }
            let line =
                format!("Unknown VRID({vrid}) received on interface({interface}). ignoring...");
            return vec![(
                Target::Router,
                Action::Log {
                    level: crate::action::Level::Info,
                    line,
                },
            )];
        }
        self.each(now, ours, |_| Event::Packet(rx))
    }

    /// A packet on `interface` that failed before its VRID could be read: every instance
    /// on the interface counts it.
    pub fn bad_packet(
        &mut self,
        now: Time,
        interface: &str,
        error: &DecodeError,
    ) -> Vec<(Target, Action)> {
        self.each(
            now,
            |c| c.rx_on() == interface,
            |_| Event::Bad {
                src: None,
                error: error.clone(),
            },
        )
    }

    /// A tracked object's new status, to the instances that track it.
    pub fn tracker(
        &mut self,
        now: Time,
        id: &TrackerId,
        status: TrackStatus,
    ) -> Vec<(Target, Action)> {
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            if !self.instances[i].tracks(id) {
                continue;
            }
            let acts = self.instances[i].handle(
                now,
                Event::Tracker {
                    id: id.clone(),
                    status,
                },
            );
            self.absorb(now, i, acts, &mut out);
        }
        self.mark(now);
        out
    }

    /// Someone removed `addr`: every MASTER holding it (on the device `on` accepts, given
    /// the instance's index and its address line) goes BACKUP and takes it back after
    /// its skew time (keepalived set_vrrp_backup).
    pub fn address_removed(
        &mut self,
        now: Time,
        addr: IpAddr,
        on: impl Fn(usize, &model::IpAddress) -> bool,
    ) -> Vec<(Target, Action)> {
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            let inst = &self.instances[i];
            let held = inst.state() == State::Master
                && inst
                    .cfg
                    .held
                    .addresses
                    .iter()
                    .any(|a| a.addr == addr && on(i, a));
            if held {
                out.push((
                    Target::Instance(i),
                    Action::Log {
                        level: Level::Info,
                        line: format!("({}) VIP {addr} was removed by someone else", inst.name()),
                    },
                ));
                let acts = self.instances[i].handle(now, Event::VipRemoved);
                self.absorb(now, i, acts, &mut out);
            }
        }
        self.mark(now);
        out
    }

    /// SIGTERM: every instance stops (a MASTER sends priority 0 and lets its addresses go).
    pub fn stop(&mut self, now: Time) -> Vec<(Target, Action)> {
        self.each(now, |_| true, |_| Event::Stop)
    }

    /// A reload removed these instances: each MASTER sends priority 0 and lets go, each
    /// is notified. Not through the group rules: a deleted member must not take its sync
    /// group, which carries on in the successor, to FAULT.
    pub fn delete(&mut self, now: Time, names: &[String]) -> Vec<(Target, Action)> {
        let mut out = Vec::new();
        for (i, inst) in self.instances.iter_mut().enumerate() {
            if names.iter().any(|n| n == inst.name()) {
                out.extend(
                    inst.handle(now, Event::Delete)
                        .into_iter()
                        .map(|a| (Target::Instance(i), a)),
                );
            }
        }
        out
    }

    /// Before a reload hands over: what each MASTER that carries on lets go of because
    /// the new configuration drops it (`removed`), as the actions that remove it.
    pub fn let_go(&self, removed: &crate::reload::Removed) -> Vec<(Target, Action)> {
        let mut out = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            let name = inst.name();
            if inst.state() != State::Master || removed.deleted.iter().any(|d| d == name) {
                continue;
            }
            if let Some(gone) = of(&removed.vips, name) {
                let addresses: Vec<model::IpAddress> = gone
                    .into_iter()
                    .map(|a| model::IpAddress {
                        dev: a.dev.clone().or_else(|| inst.cfg.interface.clone()),
                        ..a
                    })
                    .collect();
                out.push((
                    Target::Instance(i),
                    Action::Vips {
                        add: false,
                        addresses: addresses.into(),
                    },
                ));
            }
            if let Some(gone) = of(&removed.rules, name) {
                out.push((
                    Target::Instance(i),
                    Action::Rules {
                        add: false,
                        rules: gone.into(),
                    },
                ));
            }
            if let Some(gone) = of(&removed.routes, name) {
                out.push((
                    Target::Instance(i),
                    Action::Routes {
                        add: false,
                        routes: gone.into(),
                    },
                ));
            }
        }
        out
    }

    /// Before a reload hands over: every MASTER advertises at once.
    pub fn advert_now(&mut self, now: Time) -> Vec<(Target, Action)> {
        self.each(now, |_| true, |_| Event::AdvertNow)
    }

    /// Feeds `event` to every instance whose configuration `select` picks.
    fn each<'e>(
        &mut self,
        now: Time,
        select: impl Fn(&InstanceConfig) -> bool,
        event: impl Fn(usize) -> Event<'e>,
    ) -> Vec<(Target, Action)> {
        let mut out = Vec::new();
        for i in 0..self.instances.len() {
            if select(&self.instances[i].cfg) {
                let acts = self.instances[i].handle(now, event(i));
                self.absorb(now, i, acts, &mut out);
            }
        }
        self.mark(now);
        out
    }

    /// Wakes every instance whose deadline has passed.
    pub fn tick(&mut self, now: Time) -> Vec<(Target, Action)> {
        if self.start_at.is_some_and(|t| t <= now) {
            return self.start_all(now);
        }
        let mut out = Vec::new();
        // keepalived's thread timeout handler: woken after a deadline had passed, a
        // MASTER with timer_expired_backup checks whether it has been replaced meanwhile.
        if let Some(due) = self.next_deadline().filter(|&d| d < now) {
            let ago = now - due;
            let mut late = false;
            for i in 0..self.instances.len() {
                let mut acts = Vec::new();
                if self.instances[i].woke_late(now, &mut acts) {
                    if !late {
                        late = true;
                        out.push((
                            Target::Router,
                            Action::Log {
                                level: crate::action::Level::Info,
                                line: format!(
                                    "VRRP thread timer expired {}.{:06} seconds ago",
                                    ago.as_secs(),
                                    ago.subsec_micros()
                                ),
                            },
                        ));
                    }
                    self.absorb(now, i, acts, &mut out);
                }
            }
        }
        for i in 0..self.instances.len() {
            if self.instances[i].next_deadline().is_some_and(|t| t <= now) {
                let acts = self.instances[i].handle(now, Event::Timer);
                self.absorb(now, i, acts, &mut out);
            }
        }
        self.mark(now);
        out
    }

    fn absorb(
        &mut self,
        now: Time,
        inst: usize,
        acts: Vec<Action>,
        out: &mut Vec<(Target, Action)>,
    ) {
        let mut follow = Vec::new();
        for a in acts {
            match a {
                Action::WantMaster => follow.push((inst, None)),
                Action::GroupEvent { state } => follow.push((inst, Some(state))),
                other => out.push((Target::Instance(inst), other)),
            }
        }
        for (i, ev) in follow {
            let Some(g) = self.group_of(i) else { continue };
            match ev {
                None => self.want_master(now, g, i, out),
                Some(state) => self.member_changed(now, g, i, state, out),
            }
        }
    }

    fn want_master(&mut self, now: Time, g: usize, inst: usize, out: &mut Vec<(Target, Action)>) {
        let pos = self.groups[g]
            .members
            .iter()
            .position(|&m| m == inst)
            .unwrap_or(0);
        self.groups[g].wants[pos] = Some(now);
        let all = self.groups[g].members.iter().enumerate().all(|(k, &m)| {
            let inst = &self.instances[m];
            inst.state() == State::Master
                || self.groups[g].wants[k]
                    .is_some_and(|t| now - t <= inst.master_down() + Duration::from_millis(1))
        });
        if !all {
            return;
        }
        for k in 0..self.groups[g].members.len() {
            self.groups[g].wants[k] = None;
        }
        let members = self.groups[g].members.clone();
        for m in members {
            if self.instances[m].state() == State::Backup {
                let mut acts = Vec::new();
                self.instances[m].become_master(now, &mut acts);
                self.absorb(now, m, acts, out);
            }
        }
    }

    fn member_changed(
        &mut self,
        now: Time,
        g: usize,
        inst: usize,
        state: State,
        out: &mut Vec<(Target, Action)>,
    ) {
        let members = self.groups[g].members.clone();
        match state {
            State::Fault => {
                for &m in members.iter().filter(|&&m| m != inst) {
                    let mut acts = Vec::new();
                    self.instances[m].group_fault(&mut acts);
                    self.absorb(now, m, acts, out);
                }
            }
            State::Backup => {
                let any_fault = members.iter().any(|&m| self.instances[m].own_fault());
                for &m in members.iter().filter(|&&m| m != inst) {
                    let mut acts = Vec::new();
                    match self.instances[m].state() {
                        State::Master => {
                            let wait = self.instances[m].master_down();
                            self.instances[m].become_backup(now, wait, &mut acts);
                        }
                        State::Fault if !any_fault => {
                            self.instances[m].group_unfault(now, &mut acts)
                        }
                        _ => {}
                    }
                    self.absorb(now, m, acts, out);
                }
            }
            _ => {}
        }
        // The group's own state: what all its members agree on.
        let first = self.instances[members[0]].state();
        if members.iter().all(|&m| self.instances[m].state() == first)
            && self.groups[g].state != first
        {
            self.groups[g].state = first;
            self.group_notify(g, first, out);
        }
    }

    /// Group notifies come after the instance notifies (keepalived vrrp_sync.c).
    fn group_notify(&self, g: usize, state: State, out: &mut Vec<(Target, Action)>) {
        let grp = &self.groups[g];
        let t = Target::Group(g);
        out.push((
            t,
            Action::Log {
                level: Level::Info,
                line: logs::group_entering(&grp.name, state.name()),
            },
        ));
        let n = &grp.notifies;
        let script = n.for_state(state);
        if let Some(sc) = script {
            out.push((t, sc.action(&[])));
        }
        if let Some(g) = &n.generic {
            out.push((
                t,
                g.action(&[
                    "GROUP".to_string(),
                    grp.name.clone(),
                    state.name().to_string(),
                    "0".to_string(),
                ]),
            ));
        }
        out.push((
            t,
            Action::Fifo {
                line: format!("GROUP \"{}\" {} 0\n", grp.name, state.name()),
            },
        ));
        if grp.smtp_alert && matches!(state, State::Master | State::Backup | State::Fault) {
            out.push((
                t,
                Action::Alert {
                    state,
                    subject: format!("VRRP Group {} - Entering {} state", grp.name, state.name()),
                    body: format!(
                        "=> All VRRP group instances are now in {} state <=",
                        state.name()
                    ),
                },
            ));
        }
    }
}

/// The list `l` gives instance `name`.
fn of<T: Clone>(l: &[(String, Vec<T>)], name: &str) -> Option<Vec<T>> {
    l.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}
