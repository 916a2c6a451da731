//! A simulated LAN on a virtual clock: routers (each a [`Router`] of instances and sync
//! groups) exchanging real advert bytes, with loss, delay (hence reordering) and
//! partitions. In process, no sockets: used by the property tests, the named scenarios
//! and the benchmark.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::time::Duration;

use crate::action::Action;
use crate::instance::{Event, State};
use crate::rx::Received;
use crate::sync::{Router, Target};
use crate::time::Time;

pub struct Node {
    pub name: String,
    pub router: Router,
    /// A dead node processes nothing and sends nothing (its processes were killed).
    pub alive: bool,
    /// Nodes deliver to each other only within the same partition.
    pub partition: u32,
    /// Which of its instances hold their VIPs now.
    pub holds: Vec<bool>,
    /// (time, instance, new state) for every transition.
    pub history: Vec<(Time, usize, State)>,
    /// Notify argv and FIFO lines, in order.
    pub notifies: Vec<(Time, Vec<String>)>,
    pub fifo: Vec<String>,
}

struct InFlight {
    at: Time,
    seq: u64,
    from: usize,
    src: IpAddr,
    dst: IpAddr,
    packet: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InFlight {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

pub struct Lan {
    pub now: Time,
    pub nodes: Vec<Node>,
    /// Probability (0..1) that a packet is lost, per receiver.
    pub loss: f64,
    /// Each packet takes between these two delays, per receiver (a spread reorders).
    pub delay: (Duration, Duration),
    queue: BinaryHeap<Reverse<InFlight>>,
    seq: u64,
    rng: u64,
    pub delivered: u64,
}

impl Lan {
    pub fn new(seed: u64) -> Self {
        Lan {
            now: Time::ZERO,
            nodes: Vec::new(),
            loss: 0.0,
            delay: (Duration::ZERO, Duration::ZERO),
            queue: BinaryHeap::new(),
            seq: 0,
            rng: seed | 1,
            delivered: 0,
        }
    }

    pub fn add(&mut self, name: &str, router: Router) -> usize {
        let n = router.instances.len();
        self.nodes.push(Node {
            name: name.into(),
            router,
            alive: true,
            partition: 0,
            holds: vec![false; n],
            history: Vec::new(),
            notifies: Vec::new(),
            fifo: Vec::new(),
        });
        self.nodes.len() - 1
    }

    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Starts every instance of node `n` now.
    pub fn start(&mut self, n: usize) {
        let count = self.nodes[n].router.instances.len();
        for i in 0..count {
            self.event(n, i, Event::Start);
        }
    }

    /// Feeds an event to one instance of one node.
    pub fn event(&mut self, n: usize, inst: usize, ev: Event) {
        if !self.nodes[n].alive {
            return;
        }
        let now = self.now;
        let acts = self.nodes[n].router.handle(now, inst, ev);
        self.apply(n, acts);
    }

    /// SIGKILL and link cut: the node stops at once, silently.
    pub fn kill(&mut self, n: usize) {
        self.nodes[n].alive = false;
    }

    /// Graceful stop: every instance stops (masters send priority 0).
    pub fn stop(&mut self, n: usize) {
        let count = self.nodes[n].router.instances.len();
        for i in 0..count {
            self.event(n, i, Event::Stop);
        }
        self.nodes[n].alive = false;
    }

    fn apply(&mut self, n: usize, acts: Vec<(Target, Action)>) {
        for (t, a) in acts {
            match (t, a) {
                (Target::Instance(i), Action::Send { dst, packet, .. }) => {
                    let src = self.nodes[n].router.instances[i].cfg.src;
                    self.send(n, src, dst, packet);
                }
                (Target::Instance(i), Action::Vips { add, .. }) => self.nodes[n].holds[i] = add,
                (Target::Instance(i), Action::StateChanged { state, .. }) => {
                    let now = self.now;
                    self.nodes[n].history.push((now, i, state));
                }
                (_, Action::Notify { argv, .. }) => {
                    let now = self.now;
                    self.nodes[n].notifies.push((now, argv));
                }
                (_, Action::Fifo { line }) => self.nodes[n].fifo.push(line),
                _ => {}
            }
        }
    }

    fn send(&mut self, from: usize, src: IpAddr, dst: IpAddr, packet: Vec<u8>) {
        for to in 0..self.nodes.len() {
            if to == from || self.nodes[to].partition != self.nodes[from].partition {
                continue;
            }
            if self.loss > 0.0 && (self.rand() % 1_000_000) as f64 / 1_000_000.0 < self.loss {
                continue;
            }
            let (lo, hi) = self.delay;
            let spread = hi.saturating_sub(lo).as_micros() as u64;
            let d = lo
                + Duration::from_micros(if spread > 0 {
                    self.rand() % (spread + 1)
                } else {
                    0
                });
            self.seq += 1;
            let f = InFlight {
                at: self.now + d,
                seq: self.seq,
                from: to,
                src,
                dst,
                packet: packet.clone(),
            };
            self.queue.push(Reverse(f));
        }
    }

    fn deliver(&mut self, f: InFlight) {
        let to = f.from;
        if !self.nodes[to].alive {
            return;
        }
        let rx = if f.src.is_ipv4() {
            match Received::from_ipv4(&f.packet) {
                Ok(r) => r,
                Err(_) => return,
            }
        } else {
            Received {
                src: f.src,
                dst: f.dst,
                ttl: 255,
                vrrp: &f.packet,
                ipv4: None,
            }
        };
        let Some(vrid) = rx.vrrp.get(1).copied() else {
            return;
        };
        let targets: Vec<usize> = self.nodes[to]
            .router
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.cfg.vrid == vrid
                    && i.cfg.src.is_ipv4() == f.src.is_ipv4()
                    && (i.cfg.peers.is_empty() || i.cfg.src == f.dst)
            })
            .map(|(k, _)| k)
            .collect();
        let now = self.now;
        for k in targets {
            self.delivered += 1;
            let acts = self.nodes[to].router.handle(now, k, Event::Packet(&rx));
            self.apply(to, acts);
        }
    }

    fn next_event(&self) -> Option<Time> {
        let q = self.queue.peek().map(|Reverse(f)| f.at);
        let t = self
            .nodes
            .iter()
            .filter(|n| n.alive)
            .filter_map(|n| n.router.next_deadline())
            .min();
        match (q, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs until `end` (inclusive), then sets the clock to `end`.
    pub fn run_until(&mut self, end: Time) {
        while let Some(t) = self.next_event() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            while self.queue.peek().is_some_and(|Reverse(f)| f.at <= self.now) {
                if let Some(Reverse(f)) = self.queue.pop() {
                    self.deliver(f);
                }
            }
            for n in 0..self.nodes.len() {
                if self.nodes[n].alive
                    && self.nodes[n]
                        .router
                        .next_deadline()
                        .is_some_and(|d| d <= self.now)
                {
                    let now = self.now;
                    let acts = self.nodes[n].router.tick(now);
                    self.apply(n, acts);
                }
            }
        }
        self.now = self.now.max(end);
    }

    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.run_until(end);
    }

    /// Nodes (alive) whose instance with this VRID is MASTER.
    pub fn masters(&self, vrid: u8) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                self.nodes[n].alive
                    && self.nodes[n]
                        .router
                        .instances
                        .iter()
                        .any(|i| i.cfg.vrid == vrid && i.state() == State::Master)
            })
            .collect()
    }

    /// Nodes (alive) holding the VIPs of the instance with this VRID.
    pub fn holders(&self, vrid: u8) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                let node = &self.nodes[n];
                node.alive
                    && node
                        .router
                        .instances
                        .iter()
                        .zip(&node.holds)
                        .any(|(i, h)| i.cfg.vrid == vrid && *h)
            })
            .collect()
    }

    pub fn state(&self, n: usize, name: &str) -> Option<State> {
        self.nodes[n]
            .router
            .instances
            .iter()
            .find(|i| i.name() == name)
            .map(|i| i.state())
    }

    /// When instance `name` of node `n` last entered `state`, if ever.
    pub fn entered(&self, n: usize, name: &str, state: State) -> Option<Time> {
        let idx = self.nodes[n]
            .router
            .instances
            .iter()
            .position(|i| i.name() == name)?;
        self.nodes[n]
            .history
            .iter()
            .rev()
            .find(|(_, i, s)| *i == idx && *s == state)
            .map(|(t, _, _)| *t)
    }
}
