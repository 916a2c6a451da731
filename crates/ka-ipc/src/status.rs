//! What `keepalived-rs status` shows: each child writes its part as JSON when the parent
//! asks (`ToChild::WriteStatus`), to a file the parent then reads, so that a large status
//! (thousands of real servers) never crowds the channel that carries pings and states.
//! The schema is documented in docs/STATUS.md; fields are only ever added.

use serde::{Deserialize, Serialize};

/// The VRRP child's part.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VrrpStatus {
    pub instances: Vec<InstanceStatus>,
    pub sync_groups: Vec<GroupStatus>,
    pub scripts: Vec<ScriptStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub name: String,
    /// INIT, BACKUP, MASTER, FAULT or STOP.
    pub state: String,
    /// When the state was entered, in seconds since 1970 (0: never left INIT).
    pub since: f64,
    /// Why: "master down timer expired", "higher priority advert", "script chk failed", …
    pub reason: String,
    pub interface: String,
    pub vrid: u8,
    pub version: u8,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub trackers: Vec<TrackerStatus>,
    /// The master as last heard (ourselves when MASTER), and its advertised priority.
    pub master: Option<String>,
    pub master_priority: u8,
    /// Seconds between adverts (ours; the master's for a v3 backup).
    pub advert_int: f64,
    /// As keepalived prints them: the address, with `/LEN` unless it is a host prefix.
    pub vips: Vec<String>,
    /// vrrp_garp_master_delay, in seconds.
    pub garp_delay: f64,
    /// Whether the VIPs are on the interface (the instance is MASTER).
    pub vips_set: bool,
    pub stats: Counters,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackerStatus {
    /// script, interface, file or process.
    pub kind: String,
    pub name: String,
    /// UP, DOWN, UNKNOWN, or a tracked file's value.
    pub status: String,
    pub weight: i32,
    /// Its part of the effective priority; None when it puts the instance in FAULT.
    pub contribution: Option<i64>,
}

/// keepalived's per-instance counters (keepalived.stats), and the drops keepalived-rs
/// counts apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub advert_interval_err: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    pub checksum_err: u64,
    pub version_err: u64,
    pub other_err: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStatus {
    pub name: String,
    pub state: String,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScriptStatus {
    pub name: String,
    /// GOOD, BAD or INIT (no result yet).
    pub status: String,
    /// Whether it is running now.
    pub running: bool,
    /// Consecutive results against the status so far, and how many turn it: `rise`
    /// while it is BAD (or INIT), `fall` while it is GOOD.
    pub streak: u32,
    pub rise: u32,
    pub fall: u32,
}

/// The checker child's part.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckStatus {
    /// Whether the kernel's IPVS table is programmed (false: no IPVS on this kernel).
    pub ipvs: bool,
    pub virtual_servers: Vec<VsStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VsStatus {
    /// As keepalived prints it: `[10.0.0.1]:tcp:80`, `FWM 1`, `group NAME`.
    pub name: String,
    pub quorum: u32,
    pub quorum_up: bool,
    pub live_weight: u64,
    pub sorry_server: Option<String>,
    pub sorry_active: bool,
    pub real_servers: Vec<RsStatus>,
    /// What the kernel counted for its services (summed over a group's); absent without
    /// IPVS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipvs: Option<IpvsCounters>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RsStatus {
    pub name: String,
    pub alive: bool,
    /// The weight it has (configured, or as a MISC_CHECK set it).
    pub weight: u32,
    pub checks: Vec<CheckerStatus>,
    /// What the kernel counted for it (summed over a group's services); absent without
    /// IPVS or while it is not in the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipvs: Option<IpvsCounters>,
}

/// The kernel's IPVS counters (ipvsadm -L --stats, and for a real server ActiveConn and
/// InActConn): totals since the service or destination was added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpvsCounters {
    pub connections: u64,
    pub packets_in: u64,
    pub packets_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Real servers only: connections established now, and the others (ipvsadm -L).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_connections: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_connections: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckerStatus {
    /// TCP_CHECK, HTTP_GET, …
    pub kind: String,
    pub target: String,
    pub up: bool,
    /// The last probe's result: "ok", or its error ("Connection refused", …); None before
    /// the first.
    pub last_result: Option<String>,
    /// How long the last probe took, in seconds.
    pub latency: Option<f64>,
    /// When `up` last changed (or the checker started), in seconds since 1970.
    pub since: f64,
}

/// A state change as `keepalived-rs events` streams it (one JSON line each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Instance {
        time: f64,
        name: String,
        state: String,
        priority: u8,
        reason: String,
    },
    RealServer {
        time: f64,
        virtual_server: String,
        real_server: String,
        up: bool,
    },
    Process {
        time: f64,
        process: String,
        what: String,
    },
}

/// Seconds since 1970 now.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The whole answer to `status`: the parent's own part and each child's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub keepalived_rs: ParentStatus,
    /// None: no VRRP child runs, or it did not answer in time (see `processes`).
    pub vrrp: Option<VrrpStatus>,
    pub checker: Option<CheckStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParentStatus {
    pub version: String,
    pub pid: u32,
    /// When the daemon started, in seconds since 1970.
    pub started: f64,
    pub processes: Vec<ProcessStatus>,
    pub reloads: u64,
    pub last_reload: Option<ReloadStatus>,
    /// Upgrades in place (`keepalived-rs upgrade`) this PID went through, and how the last
    /// one asked for ended ("complete", or why not).
    #[serde(default)]
    pub upgrades: u64,
    #[serde(default)]
    pub last_upgrade: Option<ReloadStatus>,
    /// The executable the parent runs (a new one after an upgrade in place).
    #[serde(default)]
    pub exe: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessStatus {
    /// vrrp or checker.
    pub name: String,
    pub pid: Option<u32>,
    /// When the running one started, in seconds since 1970.
    pub started: Option<f64>,
    /// Restarts after a crash or hang since the daemon started.
    pub restarts: u64,
    /// Whether it answered this status request.
    pub answered: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReloadStatus {
    pub time: f64,
    /// "complete", or why it was refused.
    pub result: String,
}
