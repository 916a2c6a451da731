//! The checker child's hold on the kernel's IPVS table: the wanted table (ka-check::ipvs)
//! kept in step with the pool's operations, and each change reconciled against what the
//! kernel holds for the services concerned, read just before (someone may have changed
//! it; no copy of it is kept here).
//!
//! A kernel without IPVS is not fatal (keepalived 2.2.7's checker exits there, taking the
//! whole daemon down): it is said once, and everything but the table goes on.
//!
//! With nftables_ipvs the marks of the virtual server groups (ka-check's `ipvs::marks`)
//! go into their nftables table when the table is first programmed, in the same network
//! namespace as IPVS; a successor replaces the table in one transaction, and a stop
//! removes it.

use std::collections::BTreeSet;
use std::io;

use ka_check::ipvs::marks::Marks;
use ka_check::ipvs::{describe, Cmd, Counters, SvcKey, Table};
use ka_check::ipvs::{layout, reconcile, Wanted};
use ka_check::service::IpvsOp;
use ka_config::model::{Config, FlushOnStop};
use ka_net::nftables::Socket as NftSocket;
use ka_runtime::ipvs::{in_netns, open_in, Ipvs};

pub struct Lvs {
    /// net_namespace_ipvs: where the table is.
    netns: Option<String>,
    ipvs: Option<Ipvs>,
    wanted: Wanted,
    /// Virtual servers whose part of the table changed since the last [`Lvs::sync`].
    dirty: BTreeSet<usize>,
    flush: bool,
    flush_on_stop: Option<FlushOnStop>,
    timeouts: (u32, u32, u32),
    /// The first sync after start (logged: what a restart had to change).
    first: bool,
    /// nftables_ipvs: the marks, and the socket once their table is made.
    marks: Option<Marks>,
    nft: Option<NftSocket>,
    nft_seq: u32,
}

impl Lvs {
    pub fn new(cfg: &Config) -> Lvs {
        let t = &cfg.global.lvs_timeouts;
        Lvs {
            netns: cfg.global.net_namespace_ipvs.clone(),
            ipvs: None,
            wanted: Wanted::new(layout(cfg)),
            dirty: BTreeSet::new(),
            flush: cfg.global.lvs_flush,
            flush_on_stop: cfg.global.lvs_flush_on_stop,
            timeouts: (
                t.tcp.unwrap_or(0),
                t.tcpfin.unwrap_or(0),
                t.udp.unwrap_or(0),
            ),
            first: true,
            marks: Marks::from_config(cfg),
            nft: None,
            nft_seq: 0,
        }
    }

    /// Connects to the kernel (after a predecessor has handed over): lvs_flush and
    /// lvs_timeouts, and every virtual server marked for the first [`Lvs::sync`].
    pub fn start(&mut self) {
        let ipvs = match open_in(self.netns.as_deref()) {
            Ok(i) => i,
            Err(e) => {
                let why = if e.kind() == io::ErrorKind::NotFound {
                    "ip_vs is not loaded and modprobe could not load it".to_string()
                } else {
                    e.to_string()
                };
                log::warn!(
                    "IPVS is not available on this kernel ({why}): the IPVS table is not programmed; checks, notify scripts, FIFO lines and mail run"
                );
                return;
            }
        };
        self.ipvs = Some(ipvs);
        if self.flush {
            self.run(&[Cmd::Flush]);
        }
        let (tcp, fin, udp) = self.timeouts;
        if tcp + fin + udp > 0 {
            self.run(&[Cmd::Timeouts(tcp, fin, udp)]);
        }
        self.mark();
        self.dirty.extend(0..self.wanted.layout.len());
    }

    /// nftables_ipvs: the table with every group's marks, in one transaction; if the
    /// kernel refuses it whole (two groups' ranges overlap), the table and then each
    /// element on its own, those refused named in the log.
    fn mark(&mut self) {
        let Some(marks) = &self.marks else { return };
        let mut sock = match in_netns(self.netns.as_deref(), NftSocket::open) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("nftables_ipvs: cannot open a netfilter socket ({e}): the virtual server groups' addresses are not marked");
                return;
            }
        };
        let batch = marks.create(true, &mut self.nft_seq);
        let acked = ka_nft::acked_seqs(&batch);
        match sock.transact(&batch, &acked) {
            Ok(()) => log::info!(
                "nftables_ipvs: table {} with {} marked range(s)",
                marks.table,
                marks.elements.len()
            ),
            Err(e) => {
                log::warn!(
                    "nftables_ipvs: table {} refused whole ({e}); adding its ranges one by one",
                    marks.table
                );
                let bare = marks.create(false, &mut self.nft_seq);
                let acked = ka_nft::acked_seqs(&bare);
                if let Err(e) = sock.transact(&bare, &acked) {
                    log::warn!("nftables_ipvs: cannot make table {}: {e}", marks.table);
                    return;
                }
                for (el, b) in marks.element_batches(&mut self.nft_seq) {
                    let acked = ka_nft::acked_seqs(&b);
                    if let Err(e) = sock.transact(&b, &acked) {
                        log::warn!(
                            "nftables_ipvs: cannot mark {}-{} port {} with {}: {e}",
                            el.first,
                            el.last,
                            el.port,
                            el.mark
                        );
                    }
                }
            }
        }
        self.nft = Some(sock);
    }

    /// Removes the nftables_ipvs table (at stop, or at a reload whose configuration marks
    /// nothing any more).
    fn unmark(&mut self) {
        let (Some(marks), Some(mut sock)) = (&self.marks, self.nft.take()) else {
            return;
        };
        let b = marks.delete(&mut self.nft_seq);
        let acked = ka_nft::acked_seqs(&b);
        if let Err(e) = sock.transact(&b, &acked) {
            log::warn!("nftables_ipvs: cannot remove table {}: {e}", marks.table);
        }
    }

    pub fn available(&self) -> bool {
        self.ipvs.is_some()
    }

    /// The kernel's counters for each virtual server (summed over its services) and each
    /// of its real servers (None: not in the table); None without IPVS or when the table
    /// cannot be read.
    pub fn counters(&mut self) -> Option<Vec<(Counters, Vec<Option<Counters>>)>> {
        let ipvs = self.ipvs.as_mut()?;
        let kernel = match ipvs.counters(&self.wanted.keys()) {
            Ok(t) => t,
            Err(e) => {
                log::warn!("IPVS: cannot read the counters: {e}");
                return None;
            }
        };
        Some(
            self.wanted
                .layout
                .iter()
                .map(|l| {
                    let mut vs = Counters::default();
                    let mut rs: Vec<Option<Counters>> = vec![None; l.rs.len()];
                    for s in &l.services {
                        let Some((c, dests)) = kernel.get(&s.key) else {
                            continue;
                        };
                        vs += *c;
                        for (d, slot) in l.rs.iter().zip(rs.iter_mut()) {
                            let port = ka_check::ipvs::service_port(&s.key, d);
                            if let Some(c) = dests.get(&(d.addr, port)) {
                                *slot.get_or_insert_with(Counters::default) += *c;
                            }
                        }
                    }
                    (vs, rs)
                })
                .collect(),
        )
    }

    /// One of the pool's operations.
    pub fn op(&mut self, op: &IpvsOp) {
        let vs = self.wanted.apply(op);
        self.dirty.insert(vs);
    }

    /// Brings the kernel's table to what the changed virtual servers want.
    pub fn sync(&mut self) {
        if self.ipvs.is_none() {
            self.dirty.clear();
        }
        if self.dirty.is_empty() {
            return;
        }
        let mut wanted = Table::new();
        for vs in &self.dirty {
            wanted.extend(self.wanted.table_for(*vs));
        }
        let keys: Vec<SvcKey> = wanted.keys().cloned().collect();
        // Unreadable now: the virtual servers stay marked for the next change.
        let Some(kernel) = self.read(&keys) else {
            return;
        };
        self.dirty.clear();
        let cmds = reconcile(&wanted, &kernel);
        if self.first {
            self.first = false;
            log::info!(
                "IPVS: table read: {} service(s) of this configuration in place; {} change(s) to bring them to it",
                kernel.len(),
                cmds.len()
            );
        }
        self.run(&cmds);
    }

    /// What the kernel holds now for the services `keys` (those it has).
    fn read(&mut self, keys: &[SvcKey]) -> Option<Table> {
        let ipvs = self.ipvs.as_mut()?;
        match ipvs.dump(keys) {
            Ok(t) => Some(t),
            Err(e) => {
                log::warn!("IPVS: cannot read the table: {e}");
                None
            }
        }
    }

    /// Carries out commands; a refusal is logged (the next [`Lvs::sync`] reads the
    /// services again anyway).
    fn run(&mut self, cmds: &[Cmd]) {
        let Some(ipvs) = &mut self.ipvs else { return };
        for c in cmds {
            match ipvs.apply(c) {
                Ok(()) => log::debug!("IPVS: {}", describe(c)),
                Err(e) => log::warn!("IPVS: cannot {}: {e}", describe(c)),
            }
        }
    }

    /// Removes the services of this configuration that `which` selects and the kernel has.
    fn remove(&mut self, which: impl Fn(&SvcKey) -> bool) {
        let ours: Vec<SvcKey> = self
            .wanted
            .keys()
            .into_iter()
            .filter(|k| which(k))
            .collect();
        let Some(kernel) = self.read(&ours) else {
            return;
        };
        let gone: Vec<Cmd> = kernel.into_keys().map(Cmd::DelService).collect();
        self.run(&gone);
    }

    /// A reload: the successor's configuration keeps `keep`; the services it drops go.
    pub fn hand_over(&mut self, keep: &[SvcKey]) {
        self.remove(|k| !keep.contains(k));
        // The successor makes the marks table afresh in one transaction if it still
        // marks these groups; if it keeps none of the marked services, the table goes.
        let marked = self
            .marks
            .as_ref()
            .map(Marks::service_keys)
            .unwrap_or_default();
        if !marked.iter().any(|k| keep.contains(k)) {
            self.unmark();
        }
        self.nft = None;
    }

    /// Stop: the services this configuration made are removed (or the whole table flushed
    /// with lvs_flush_on_stop), unless -I keeps them. Nothing is sent to the kernel after.
    pub fn stop(&mut self, dont_release: bool) {
        if !dont_release {
            if self.flush_on_stop == Some(FlushOnStop::All) {
                self.run(&[Cmd::Flush]);
            } else {
                self.remove(|_| true);
            }
            self.unmark();
        }
        self.ipvs = None;
        self.nft = None;
    }
}
