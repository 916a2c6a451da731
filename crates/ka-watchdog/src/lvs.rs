//! The checker child's hold on the kernel's IPVS table: the wanted table (ka-check::ipvs)
//! kept in step with the pool's operations, and each change reconciled against what the
//! kernel holds for the services concerned, read just before (someone may have changed
//! it; no copy of it is kept here).
//!
//! A kernel without IPVS is not fatal (keepalived 2.2.7's checker exits there, taking the
//! whole daemon down): it is said once, and everything but the table goes on.

use std::collections::BTreeSet;
use std::io;

use ka_check::ipvs::{layout, reconcile, Wanted};
use ka_check::service::IpvsOp;
use ka_config::model::{Config, FlushOnStop};
use ka_net::ipvs::{Cmd, Ipvs, SvcKey, Table};

pub struct Lvs {
    ipvs: Option<Ipvs>,
    wanted: Wanted,
    /// Virtual servers whose part of the table changed since the last [`Lvs::sync`].
    dirty: BTreeSet<usize>,
    flush: bool,
    flush_on_stop: Option<FlushOnStop>,
    timeouts: (u32, u32, u32),
    /// The first sync after start (logged: what a restart had to change).
    first: bool,
}

/// Opens the IPVS family, loading ip_vs first if it is not there (as keepalived does).
fn open() -> io::Result<Ipvs> {
    match Ipvs::open() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let _ = std::process::Command::new("modprobe")
                .arg("ip_vs")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            Ipvs::open()
        }
        r => r,
    }
}

impl Lvs {
    pub fn new(cfg: &Config) -> Lvs {
        let t = &cfg.global.lvs_timeouts;
        Lvs {
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
        }
    }

    /// Connects to the kernel (after a predecessor has handed over): lvs_flush and
    /// lvs_timeouts, and every virtual server marked for the first [`Lvs::sync`].
    pub fn start(&mut self) {
        let ipvs = match open() {
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
        self.dirty.extend(0..self.wanted.layout.len());
    }

    pub fn available(&self) -> bool {
        self.ipvs.is_some()
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
        }
        self.ipvs = None;
    }
}

/// A command as ipvsadm would be told it.
fn describe(c: &Cmd) -> String {
    match c {
        Cmd::NewService(s) => format!("add service {} ({})", s.key, s.sched),
        Cmd::SetService(s) => format!("change service {} ({})", s.key, s.sched),
        Cmd::DelService(k) => format!("remove service {k}"),
        Cmd::NewDest(k, d) => format!(
            "add real server {} to {k} (weight {})",
            endpoint(d.addr, d.port),
            d.weight
        ),
        Cmd::SetDest(k, d) => format!(
            "set real server {} of {k} to weight {}",
            endpoint(d.addr, d.port),
            d.weight
        ),
        Cmd::DelDest(k, a, p) => format!("remove real server {} from {k}", endpoint(*a, *p)),
        Cmd::Flush => "flush the table".into(),
        Cmd::Timeouts(..) => "set the timeouts".into(),
        Cmd::NewDaemon(d) => {
            format!("start the {:?} sync daemon on {}", d.role, d.interface).to_lowercase()
        }
        Cmd::DelDaemon(r) => format!("stop the {r:?} sync daemon").to_lowercase(),
    }
}

fn endpoint(a: std::net::IpAddr, p: u16) -> String {
    match a {
        std::net::IpAddr::V4(v) => format!("{v}:{p}"),
        std::net::IpAddr::V6(v) => format!("[{v}]:{p}"),
    }
}

/// The IPVS connection-synchronisation daemon the VRRP child drives (`lvs_sync_daemon IF
/// INSTANCE`): a backup daemon from start, the master daemon while INSTANCE is MASTER
/// (keepalived vrrp.c become_master / leave_master → ipvs_syncd_master / backup).
pub struct SyncDaemons {
    ipvs: Option<Ipvs>,
    cfg: ka_config::model::LvsSyncDaemon,
    /// Whether the master daemon runs (else the backup one).
    master: bool,
}

impl SyncDaemons {
    pub fn new(cfg: &Config) -> Option<SyncDaemons> {
        let c = cfg.global.lvs_sync_daemon.clone()?;
        Some(SyncDaemons {
            ipvs: None,
            cfg: c,
            master: false,
        })
    }

    /// The instance whose state decides.
    pub fn instance(&self) -> &str {
        &self.cfg.instance
    }

    fn daemon(&self, role: ka_net::ipvs::SyncRole) -> ka_net::ipvs::SyncDaemon {
        ka_net::ipvs::SyncDaemon {
            role,
            interface: self.cfg.interface.clone(),
            sync_id: u32::from(self.cfg.id.unwrap_or(0)),
            maxlen: self.cfg.maxlen,
            group: self.cfg.group,
            port: self.cfg.port,
            ttl: self.cfg.ttl,
        }
    }

    /// Runs one command; a daemon already running (after a restart) is not an error.
    fn run(&mut self, cmd: Cmd) {
        let Some(ipvs) = &mut self.ipvs else { return };
        match ipvs.apply(&cmd) {
            Ok(()) => log::info!("IPVS: {}", describe(&cmd)),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(e) if matches!(cmd, Cmd::DelDaemon(_)) && e.raw_os_error() == Some(libc::ESRCH) => {
            }
            Err(e) => log::warn!("IPVS: cannot {}: {e}", describe(&cmd)),
        }
    }

    /// At start: the backup daemon.
    pub fn start(&mut self) {
        match open() {
            Ok(i) => self.ipvs = Some(i),
            Err(e) => {
                log::warn!(
                    "lvs_sync_daemon: IPVS is not available on this kernel ({e}); no sync daemon"
                );
                return;
            }
        }
        let d = self.daemon(ka_net::ipvs::SyncRole::Backup);
        self.run(Cmd::NewDaemon(d));
    }

    /// The instance's state changed.
    pub fn state(&mut self, master: bool) {
        if master == self.master {
            return;
        }
        self.master = master;
        use ka_net::ipvs::SyncRole::{Backup, Master};
        let (stop, start) = if master {
            (Backup, Master)
        } else {
            (Master, Backup)
        };
        self.run(Cmd::DelDaemon(stop));
        let d = self.daemon(start);
        self.run(Cmd::NewDaemon(d));
    }

    /// At stop: whichever daemon runs goes.
    pub fn stop(&mut self) {
        let role = if self.master {
            ka_net::ipvs::SyncRole::Master
        } else {
            ka_net::ipvs::SyncRole::Backup
        };
        self.run(Cmd::DelDaemon(role));
        self.ipvs = None;
    }
}
