//! The IPVS connection-synchronisation daemon the VRRP child drives.

use ka_config::model::Config;
use ka_runtime::ipvs::{describe, Cmd};
use ka_runtime::ipvs::{open_in, Ipvs};

/// The IPVS connection-synchronisation daemon the VRRP child drives (`lvs_sync_daemon IF
/// INSTANCE`): a backup daemon from start, the master daemon while INSTANCE is MASTER
/// (keepalived vrrp.c become_master / leave_master → ipvs_syncd_master / backup).
pub struct SyncDaemons {
    /// net_namespace_ipvs: where the sync daemons run.
    netns: Option<String>,
    ipvs: Option<Ipvs>,
    cfg: ka_config::model::LvsSyncDaemon,
    /// Whether the master daemon runs (else the backup one).
    master: bool,
}

impl SyncDaemons {
    pub fn new(cfg: &Config) -> Option<SyncDaemons> {
        let c = cfg.global.lvs_sync_daemon.clone()?;
        Some(SyncDaemons {
            netns: cfg.global.net_namespace_ipvs.clone(),
            ipvs: None,
            cfg: c,
            master: false,
        })
    }

    /// The instance whose state decides.
    pub fn instance(&self) -> &str {
        &self.cfg.instance
    }

    fn daemon(&self, role: ka_runtime::ipvs::SyncRole) -> ka_runtime::ipvs::SyncDaemon {
        ka_runtime::ipvs::SyncDaemon {
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
        match open_in(self.netns.as_deref()) {
            Ok(i) => self.ipvs = Some(i),
            Err(e) => {
                log::warn!(
                    "lvs_sync_daemon: IPVS is not available on this kernel ({e}); no sync daemon"
                );
                return;
            }
        }
        let d = self.daemon(ka_runtime::ipvs::SyncRole::Backup);
        self.run(Cmd::NewDaemon(d));
    }

    /// The instance's state changed.
    pub fn state(&mut self, master: bool) {
        if master == self.master {
            return;
        }
        self.master = master;
        use ka_runtime::ipvs::SyncRole::{Backup, Master};
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
            ka_runtime::ipvs::SyncRole::Master
        } else {
            ka_runtime::ipvs::SyncRole::Backup
        };
        self.run(Cmd::DelDaemon(role));
        self.ipvs = None;
    }
}
