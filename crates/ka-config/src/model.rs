//! The typed configuration: what keepalived.conf means, with every default and derived value
//! filled in. It carries no source positions, so that `parse(dump(parse(x))) == parse(x)`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub global: GlobalDefs,
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    /// keepalived's `track_group` blocks: the instances that track the interface of each
    /// static address, route and rule naming the group.
    pub track_groups: Vec<TrackGroup>,
    /// keepalived's `garp_group` blocks: the spacing of gratuitous ARPs and NAs on their
    /// interfaces.
    pub garp_groups: Vec<GarpGroup>,
    /// keepalived's `interface_up_down_delays`: per interface, how long a link going
    /// down, and coming up, waits before it counts.
    pub interface_delays: Vec<InterfaceDelay>,
    /// keepalived's `linkbeat_interfaces`: interfaces whose link is polled (every
    /// second) rather than followed through netlink.
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<VrrpInstance>,
    pub ssl: Option<SslDefaults>,
    pub vs_groups: Vec<VirtualServerGroup>,
    pub virtual_servers: Vec<VirtualServer>,
}

/// A command line for a script: the program and its arguments, split shell-style.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub argv: Vec<String>,
}

/// A script with an optional user and group to run it as.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub command: Command,
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fifo {
    pub path: String,
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpServer {
    /// An address, or a host name resolved when mail is sent.
    pub host: String,
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvsSyncDaemon {
    pub interface: String,
    pub instance: String,
    pub id: Option<u8>,
    pub maxlen: Option<u16>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    pub group: Option<IpAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvsTimeouts {
    pub tcp: Option<u32>,
    pub tcpfin: Option<u32>,
    pub udp: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlushOnStop {
    All,
    VirtualServers,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalDefs {
    pub notification_email: Vec<String>,
    pub notification_email_from: Option<String>,
    pub smtp_server: Option<SmtpServer>,
    pub smtp_connect_timeout: Duration,
    pub smtp_helo_name: Option<String>,
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    pub smtp_alert_checker: Option<bool>,
    pub no_email_faults: bool,
    pub no_checker_emails: bool,
    pub router_id: Option<String>,
    pub vrrp_mcast_group4: Ipv4Addr,
    pub vrrp_mcast_group6: Ipv6Addr,
    pub script_user: Option<(String, Option<String>)>,
    pub enable_script_security: bool,
    pub notify_fifo: Option<Fifo>,
    pub notify_fifo_script: Option<Script>,
    pub vrrp_notify_fifo: Option<Fifo>,
    pub vrrp_notify_fifo_script: Option<Script>,
    pub lvs_notify_fifo: Option<Fifo>,
    pub lvs_notify_fifo_script: Option<Script>,
    /// Run by the parent before it starts the children (they start when it has exited or
    /// its timeout, in seconds, has passed), and after they have stopped.
    pub startup_script: Option<Script>,
    pub startup_script_timeout: u32,
    pub shutdown_script: Option<Script>,
    pub shutdown_script_timeout: u32,
    pub vrrp_garp_master_delay: Duration,
    pub vrrp_garp_master_repeat: u32,
    pub vrrp_garp_master_refresh: Duration,
    pub vrrp_garp_master_refresh_repeat: u32,
    pub vrrp_garp_lower_prio_delay: Duration,
    pub vrrp_garp_lower_prio_repeat: u32,
    pub vrrp_garp_interval: Duration,
    pub vrrp_gna_interval: Duration,
    pub vrrp_min_garp: bool,
    pub vrrp_version: u8,
    pub vrrp_strict: bool,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_down_timer_adverts: u32,
    pub v3_checksum_as_v2: bool,
    /// `vrrp_notify_priority_changes`: the default for instances whose group and own
    /// block do not say (notify FIFO lines on effective priority changes).
    pub vrrp_notify_priority_changes: bool,
    pub vrrp_startup_delay: Duration,
    /// `vrrp_delay_after_boot` (keepalived 2.4.0): until the system has been up this
    /// long, the VRRP instances wait; the longer of this and vrrp_startup_delay wins.
    pub vrrp_delay_after_boot: Option<Duration>,
    /// `vrrp_owner_ignore_adverts` (keepalived 2.3.3): address owners drop adverts.
    pub vrrp_owner_ignore_adverts: bool,
    /// `vrrp_rx_bufs_policy`: the VRRP receive sockets' SO_RCVBUF, summed over the
    /// instances on each (`vrrp_rx_bufs_multiplier` times their MTU or advert size, or a
    /// size each); System leaves the kernel's default.
    pub vrrp_rx_bufs_policy: RxBufsPolicy,
    /// `fifo_write_vrrp_states_on_reload`: after a reload, the states that did not change
    /// go to the notify FIFOs too.
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `vrrp_garp_extra_if`: the instances' default `garp_extra_if`.
    pub vrrp_garp_extra_if: Option<GarpExtraIf>,
    /// `disable_local_igmp`: net.ipv4.igmp_link_local_mcast_reports off while running.
    pub disable_local_igmp: bool,
    /// `child_wait_time` (a top-level keyword): how long the parent waits for its
    /// children to stop before killing them.
    pub child_wait_time: Duration,
    /// Top-level `net_namespace_ipvs [NAME]`: the network namespace IPVS is programmed in
    /// ("" is PID 1's, keepalived's "(default)"); None: the daemon's own.
    pub net_namespace_ipvs: Option<String>,
    /// Top-level `linkbeat_use_polling`: every instance's interface is polled.
    pub linkbeat_use_polling: bool,
    /// `net_namespace NAME` (top level or global_defs): the daemon runs in the network
    /// namespace /run/netns/NAME.
    pub net_namespace: Option<String>,
    /// `instance NAME`: pid files (and syslog ident) carry the name, so that several
    /// daemons can run on one host.
    pub instance: Option<String>,
    /// `use_pid_dir` (implied by net_namespace and instance): pid files in /run/keepalived.
    pub use_pid_dir: bool,
    /// `data_use_instance`: the data dumps' names carry the namespace and instance.
    pub data_use_instance: bool,
    pub vrrp_rx_bufs_multiplier: u32,
    /// `*_rcv_bufs` and `*_rcv_bufs_force`: netlink sockets' receive buffers.
    pub vrrp_netlink_cmd_rcv_bufs: RcvBufs,
    pub vrrp_netlink_monitor_rcv_bufs: RcvBufs,
    pub lvs_netlink_cmd_rcv_bufs: RcvBufs,
    pub lvs_netlink_monitor_rcv_bufs: RcvBufs,
    pub process_monitor_rcv_bufs: RcvBufs,
    /// Where iproute2's name files are (`iproute_usr_dir`, `iproute_etc_dir`, keepalived
    /// 2.3.2); the names are resolved when the file is read.
    pub iproute_usr_dir: Option<String>,
    pub iproute_etc_dir: Option<String>,
    /// `use_symlink_paths` (keepalived 2.3.0): scripts run from their paths as written,
    /// symbolic links not resolved.
    pub use_symlink_paths: bool,
    /// `reload_check_config [LOG_FILE]`: where the check of a new configuration before a
    /// reload is written (keepalived-rs always checks it; default /dev/null).
    pub reload_check_config: Option<String>,
    /// `reload_file [PATH]`: a file that exists while a reload reads the configuration
    /// (default /run/keepalived.reload).
    pub reload_file: Option<String>,
    /// `config_save_dir DIR`: at each reload every child writes its data dump (the
    /// SIGUSR1 text) there before and after (keepalived's save_config), as
    /// `keepalived_{vrrp,check}.PID.N.{pre,post}`. Without its trailing '/'.
    pub config_save_dir: Option<String>,
    /// `reload_time_file PATH`: a file naming when to reload; `reload_repeat`: keep it
    /// and reload at that time every day.
    pub reload_time_file: Option<String>,
    pub reload_repeat: bool,
    /// `random_seed N`: `${_RANDOM}`'s seed when this configuration is read again (a
    /// reload), so that reloads give the same values.
    pub random_seed: Option<u32>,
    /// `vmac_prefix`: the start of the names of VMACs not given one (default "vrrp":
    /// `vrrp.VRID`).
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix`: the start of the names of the VMACs made for single addresses
    /// (`use_vmac` on an address line, `use_vmac_addr`); default vmac_prefix's.
    pub vmac_addr_prefix: Option<String>,
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    pub lvs_flush: bool,
    /// Real servers up at start are notified (notify_up, the FIFO) as keepalived's
    /// init_service_rs does with rs_init_notifies.
    pub rs_init_notifies: bool,
    /// Adverts for a VRID no instance has on their interface are logged.
    pub log_unknown_vrids: bool,
    /// Every checker logs every failure, not only the one that changes its state.
    pub checker_log_all_failures: bool,
    pub lvs_flush_on_stop: Option<FlushOnStop>,
    pub lvs_timeouts: LvsTimeouts,
    pub dynamic_interfaces: bool,
    pub dynamic_interfaces_allow_if_changes: bool,
    pub default_interface: Option<String>,
    /// The layout of the SIGJSON dump: 1 (a top-level array, the default) or 2 (an
    /// object with "vrrp" and "track_process"; keepalived 2.2.8).
    pub json_version: u8,
    /// Where the SIGUSR1, SIGUSR2 and SIGJSON dumps go (keepalived 2.3.3): an absolute
    /// path names the file (a trailing '/' a directory); otherwise the name goes in $TMPDIR.
    pub state_dump_file: Option<String>,
    pub stats_dump_file: Option<String>,
    pub json_dump_file: Option<String>,
    /// How the VRRP child runs (`vrrp_priority`, `vrrp_rt_priority`, `vrrp_rlimit_rttime`,
    /// `vrrp_no_swap`, `vrrp_cpu_affinity`, `vrrp_process_name`).
    pub vrrp_process: ProcessSettings,
    /// How the checker child runs (the `checker_` ones).
    pub checker_process: ProcessSettings,
    /// The parent's process name (`process_name`).
    pub process_name: Option<String>,
    /// The daemon's umask (`umask`): the mode bits its files are created without.
    pub umask: Option<u32>,
    /// `nftables [TABLE]` (or `vrrp_iptables`, which Debian's keepalived, built with
    /// nftables only, reads as `nftables keepalived`): the table whose sets drop traffic
    /// to and from the VIPs of masters not in accept mode.
    pub nftables: Option<String>,
    /// `nftables_priority`: its base chains' priority (-1).
    pub nftables_priority: i32,
    /// `nftables_counters`: counters on its rules.
    pub nftables_counters: bool,
    /// `nftables_ifindex`: IPv6 link-local VIPs keyed by interface index (what this
    /// build does in any case; see docs/COMPATIBILITY.md).
    pub nftables_ifindex: bool,
    /// `nftables_ipvs [TABLE]` (default keepalived_ipvs): a virtual server on a group of
    /// addresses (no fwmark entries) becomes one firewall-mark service per protocol,
    /// the table's maps giving each address and port of the group its mark.
    pub nftables_ipvs: Option<String>,
    /// `nftables_ipvs_priority`: its input chain's priority (-1).
    pub nftables_ipvs_priority: i32,
    /// `nftables_ipvs_start_fwmark`: the first mark given out (1000).
    pub nftables_ipvs_start_fwmark: u32,
}

/// How a child process runs (keepalived's per-process keywords in global_defs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSettings {
    /// The nice value, -20..19 (`*_priority`).
    pub priority: Option<i32>,
    /// SCHED_RR priority, 1..99 (`*_rt_priority`); children's scripts do not inherit it.
    pub rt_priority: Option<u32>,
    /// RLIMIT_RTTIME in microseconds (`*_rlimit_rttime`), applied with `rt_priority`.
    pub rlimit_rttime: Option<u32>,
    /// Locked in memory (`*_no_swap`: mlockall).
    pub no_swap: bool,
    /// The CPUs it may run on (`*_cpu_affinity`); empty: any.
    pub cpu_affinity: Vec<u32>,
    /// Its process name (`*_process_name`, `process_names`), at most 15 characters.
    pub name: Option<String>,
    /// The highest SCHED_RR priority it raises itself to, one step each time its loop
    /// wakes later than `min_auto_priority_delay` (`max_auto_priority`; 0: never).
    pub max_auto_priority: u32,
    /// How late, in microseconds, a wake-up must be to count (default 1,000,000).
    pub min_auto_priority_delay: Option<u32>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_connect_timeout: Duration::from_secs(30),
            smtp_helo_name: None,
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            no_email_faults: false,
            no_checker_emails: false,
            router_id: None,
            json_version: 1,
            state_dump_file: None,
            stats_dump_file: None,
            json_dump_file: None,
            vrrp_mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            vrrp_mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            script_user: None,
            enable_script_security: false,
            notify_fifo: None,
            notify_fifo_script: None,
            vrrp_notify_fifo: None,
            vrrp_notify_fifo_script: None,
            lvs_notify_fifo: None,
            lvs_notify_fifo_script: None,
            startup_script: None,
            startup_script_timeout: 10,
            shutdown_script: None,
            shutdown_script_timeout: 10,
            vrrp_garp_master_delay: Duration::from_secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Duration::ZERO,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: Duration::from_secs(5),
            vrrp_garp_lower_prio_repeat: 5,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_min_garp: false,
            vrrp_version: 2,
            vrrp_strict: false,
            vrrp_check_unicast_src: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_down_timer_adverts: 3,
            v3_checksum_as_v2: false,
            vrrp_notify_priority_changes: false,
            vrrp_startup_delay: Duration::ZERO,
            vrrp_delay_after_boot: None,
            vrrp_owner_ignore_adverts: false,
            vrrp_rx_bufs_policy: RxBufsPolicy::System,
            child_wait_time: Duration::from_secs(5),
            linkbeat_use_polling: false,
            net_namespace_ipvs: None,
            net_namespace: None,
            instance: None,
            use_pid_dir: false,
            data_use_instance: false,
            disable_local_igmp: false,
            vrrp_garp_extra_if: None,
            fifo_write_vrrp_states_on_reload: false,
            vrrp_rx_bufs_multiplier: 3,
            vrrp_netlink_cmd_rcv_bufs: RcvBufs::default(),
            vrrp_netlink_monitor_rcv_bufs: RcvBufs::default(),
            lvs_netlink_cmd_rcv_bufs: RcvBufs::default(),
            lvs_netlink_monitor_rcv_bufs: RcvBufs::default(),
            process_monitor_rcv_bufs: RcvBufs::default(),
            iproute_usr_dir: None,
            iproute_etc_dir: None,
            use_symlink_paths: false,
            reload_check_config: None,
            reload_file: None,
            reload_time_file: None,
            config_save_dir: None,
            reload_repeat: false,
            random_seed: None,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            lvs_sync_daemon: None,
            lvs_flush: false,
            rs_init_notifies: false,
            log_unknown_vrids: false,
            checker_log_all_failures: false,
            lvs_flush_on_stop: None,
            lvs_timeouts: LvsTimeouts::default(),
            dynamic_interfaces: false,
            dynamic_interfaces_allow_if_changes: false,
            default_interface: None,
            vrrp_process: ProcessSettings::default(),
            checker_process: ProcessSettings::default(),
            process_name: None,
            umask: None,
            nftables: None,
            nftables_priority: -1,
            nftables_ipvs: None,
            nftables_ipvs_priority: -1,
            nftables_ipvs_start_fwmark: 1000,
            nftables_counters: false,
            nftables_ifindex: false,
        }
    }
}

/// `brd` of an address: an address, `+` (all host bits set) or `-` (all clear).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    Plus,
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
    Number(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifetime {
    Forever,
    Seconds(u32),
}

/// An address line of virtual_ipaddress, virtual_ipaddress_excluded or static_ipaddress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpAddress {
    pub addr: IpAddr,
    pub prefix: u8,
    pub brd: Option<Broadcast>,
    /// Resolved: the instance's interface (or default_interface) when not given.
    pub dev: Option<String>,
    pub scope: Scope,
    pub label: Option<String>,
    pub peer: Option<(IpAddr, u8)>,
    pub home: bool,
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    pub no_track: bool,
    pub use_vmac: bool,
    pub preferred_lft: Option<Lifetime>,
    pub track_group: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteType {
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub weight: Option<u16>,
    pub onlink: bool,
}

/// A route of static_routes or virtual_routes (`ip route` syntax).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub kind: RouteType,
    pub dst: IpAddr,
    pub dst_len: u8,
    pub src: Option<IpAddr>,
    pub via: Option<IpAddr>,
    /// `or IP`: a second gateway (keepalived's two-gateway form).
    pub or_via: Option<IpAddr>,
    pub dev: Option<String>,
    pub scope: Option<Scope>,
    pub table: Option<u32>,
    /// `vrf NAME`: the route goes in that VRF's table (read from the VRF when the route
    /// is added).
    pub vrf: Option<String>,
    pub metric: Option<u32>,
    pub protocol: Option<u8>,
    pub tos: Option<u8>,
    pub mtu: Option<u32>,
    pub onlink: bool,
    pub no_track: bool,
    pub nexthops: Vec<Nexthop>,
    pub track_group: Option<String>,
}

/// A rule of static_rules or virtual_rules (`ip rule` syntax).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub fwmark: Option<(u32, Option<u32>)>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tos: Option<u8>,
    pub not: bool,
    pub no_track: bool,
    pub track_group: Option<String>,
}

/// `interface_up_down_delays { IF DOWN_DELAY [UP_DELAY] }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceDelay {
    pub interface: String,
    pub down: Duration,
    pub up: Duration,
}

/// How keepalived polls a link (`linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkbeatType {
    Mii,
    Ethtool,
    Ioctl,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkbeatInterface {
    pub interface: String,
    /// None: the first method that works (MII, then ETHTOOL, then IOCTL).
    pub kind: Option<LinkbeatType>,
}

/// `garp_group { garp_interval S gna_interval S interface IF interfaces { IF ... } }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GarpGroup {
    /// Between two gratuitous ARPs on the group's interfaces (zero: not spaced).
    pub garp_interval: Duration,
    /// Between two unsolicited neighbour advertisements.
    pub gna_interval: Duration,
    pub interfaces: Vec<String>,
}

/// `track_group NAME { group { INSTANCE ... } }` (keepalived vrrp_static_track.c).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackGroup {
    pub name: String,
    pub instances: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpScript {
    pub name: String,
    pub script: Command,
    pub interval: Duration,
    pub timeout: Duration,
    pub weight: i32,
    pub weight_reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<(String, Option<String>)>,
    pub init_fail: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackFile {
    pub name: String,
    pub file: String,
    pub weight: i32,
    pub weight_reverse: bool,
    pub init_file: Option<(i64, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamMatch {
    /// Not given, and no parameters: the name alone is matched.
    Any,
    Exact,
    Initial,
    Partial,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackProcess {
    pub name: String,
    pub process: Vec<String>,
    pub param_match: ParamMatch,
    pub weight: i32,
    pub weight_reverse: bool,
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    pub delay: Duration,
    pub fork_delay: Option<Duration>,
    pub terminate_delay: Option<Duration>,
    pub full_command: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Notifies {
    pub master: Option<Box<Script>>,
    pub backup: Option<Box<Script>>,
    pub fault: Option<Box<Script>>,
    pub stop: Option<Box<Script>>,
    /// The generic script, called with `TYPE NAME STATE PRIORITY`.
    pub notify: Option<Box<Script>>,
    /// An instance's `notify_master_rx_lower_pri` (a MASTER heard a lower priority
    /// master); sync groups have none.
    pub master_rx_lower_pri: Option<Box<Script>>,
    /// An instance's `notify_deleted SCRIPT` (run when a reload removes it).
    pub deleted: Option<Box<Script>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncGroup {
    pub name: String,
    pub members: Vec<String>,
    pub notifies: Notifies,
    pub smtp_alert: bool,
    /// `notify_priority_changes` in the group's block (its members' default).
    pub notify_priority_changes: Option<bool>,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): the members'
    /// own trackers keep their weights.
    pub tracking_weight: bool,
    /// The group's own trackers: every member tracks them (already merged into each
    /// member's lists by the loader, as keepalived's sync_group_tracking_init does).
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InitialState {
    Master,
    Backup,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    /// The password, at most 8 bytes (keepalived cuts longer ones).
    Pass(String),
    /// IPsec AH (HMAC-MD5-96) keyed with the password.
    Ah(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackRef {
    pub name: String,
    /// None: the tracked object's own weight.
    pub weight: Option<i32>,
    pub reverse: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vmac {
    pub name: Option<String>,
    pub mac: Option<[u8; 6]>,
    /// Its interface group (`group GID`, keepalived 2.3.0); none: the kernel's 0.
    pub group: Option<u32>,
    /// `netlink_notify_msg` (keepalived 2.3.0): after the VMAC is made or removed, the
    /// base interface's group is set again, so that the kernel announces the base
    /// interface (RTM_NEWLINK) even when it does not for a promiscuity change (a bridge).
    pub netlink_notify: bool,
}

/// `use_ipvlan` (keepalived's VRRP_IPVLAN_BIT).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ipvlan {
    /// Its name; none: as a VMAC's (`PREFIX.VRID`).
    pub name: Option<String>,
    /// The address put on it, which is also the advert source when none is configured
    /// (an IPv4 instance needs one).
    pub address: Option<(IpAddr, u8)>,
    pub mode: IpvlanMode,
    /// Its interface group (`group GID`, keepalived 2.3.0); none: the kernel's 0.
    pub group: Option<u32>,
}

/// An ipvlan's flags (IFLA_IPVLAN_FLAGS); its mode is always L2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpvlanMode {
    Bridge,
    Private,
    Vepa,
}

impl IpvlanMode {
    /// The kernel's IPVLAN_F_* value.
    pub fn flags(self) -> u16 {
        match self {
            IpvlanMode::Bridge => 0,
            IpvlanMode::Private => 1,
            IpvlanMode::Vepa => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IpvlanMode::Bridge => "bridge",
            IpvlanMode::Private => "private",
            IpvlanMode::Vepa => "vepa",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GarpTiming {
    pub master_delay: Duration,
    pub master_repeat: u32,
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
    /// `garp_extra_if [all] SECS`: while MASTER, a gratuitous ARP / NA this often on the
    /// interfaces of the VIPs other than the instance's own.
    pub extra_if: Option<GarpExtraIf>,
}

/// `garp_extra_if` / `vrrp_garp_extra_if`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GarpExtraIf {
    pub interval: u32,
    /// `all`: every interface of the VIPs, not only VMACs.
    pub all: bool,
}

impl VrrpInstance {
    /// An IPv6 instance: `native_ipv6`, or its first VIP is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.native_ipv6 || self.vips.first().is_some_and(|a| a.addr.is_ipv6())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpInstance {
    pub name: String,
    /// The configured wish; derived from the priority when not given (255: MASTER).
    pub state: InitialState,
    pub interface: Option<String>,
    pub vrid: u8,
    pub priority: u8,
    pub advert_int: Duration,
    pub version: u8,
    pub auth: Option<Auth>,
    /// `auth_hmac { … }` (keepalived 2.4): read and checked, not acted on (see
    /// docs/COMPATIBILITY.md).
    pub auth_hmac: Option<AuthHmac>,
    pub vips: Vec<IpAddress>,
    pub excluded_vips: Vec<IpAddress>,
    pub virtual_routes: Vec<Route>,
    pub virtual_rules: Vec<Rule>,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub notifies: Notifies,
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub dont_track_primary: bool,
    /// `track_src_ip` with a configured mcast_src_ip / unicast_src_ip: FAULT while that
    /// address is not on the instance's interface (keepalived clears it otherwise).
    pub track_src_ip: bool,
    /// `native_ipv6`: an IPv6 instance (VRRPv3) whatever its VIPs (none, with
    /// no_virtual_ipaddress); with IPv4 VIPs keepalived refuses it.
    pub native_ipv6: bool,
    /// `old_unicast_checksum [never]`: unicast VRRPv3 checksums summed as keepalived
    /// before 1.3.6 did (Some(true)), never (Some(false)); None: detected from a peer.
    pub old_unicast_checksum: Option<bool>,
    /// net.ipv4.conf.IF.promote_secondaries set on the instance's interface while it runs
    /// (`promote_secondaries`): the VIPs stay when the interface's primary address goes.
    pub promote_secondaries: bool,
    /// `linkbeat_use_polling` in the instance (deprecated in keepalived): its interface
    /// is polled.
    pub linkbeat_use_polling: bool,
    pub src_ip: Option<IpAddr>,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_ttl: u8,
    /// `unicast_fault_no_peer`: with no unicast_peer, FAULT instead of multicast.
    pub unicast_fault_no_peer: bool,
    /// `notify_deleted` (with or without a script): a reload that removes the instance
    /// notifies DELETED instead of keepalived's old FAULT.
    pub notify_deleted: bool,
    pub mcast_dst_ip: Option<IpAddr>,
    pub garp: GarpTiming,
    pub smtp_alert: bool,
    /// `notify_priority_changes` in the instance's block (else its sync group's, else
    /// global_defs' `vrrp_notify_priority_changes`).
    pub notify_priority_changes: Option<bool>,
    pub use_vmac: Option<Vmac>,
    /// `use_ipvlan [IFNAME] [ADDR/LEN] [bridge|private|vepa]`: adverts from an L2 ipvlan
    /// of the interface with its own address (keepalived netlink_link_add_ipvlan); the
    /// VIPs stay on the interface, as keepalived leaves them.
    pub use_ipvlan: Option<Ipvlan>,
    /// `vrf NAME`: a unicast instance without an interface sends and receives in that
    /// VRF (its sockets bound to the VRF device).
    pub vrf: Option<String>,
    pub vmac_xmit_base: bool,
    /// `use_vmac_addr`: every VIP and eVIP on another interface than the instance's, or
    /// of the other family, goes on a VMAC of its own there (keepalived VRRP_VMAC_ADDR).
    pub use_vmac_addr: bool,
    pub accept: bool,
    pub strict_mode: bool,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u32,
    /// `no_virtual_ipaddress` (keepalived 2.2.8): an instance with no VIPs on purpose
    /// (notify scripts move the address), no warning.
    pub no_virtual_ipaddress: bool,
    /// VRRPv3 IPv4 adverts checksummed without the pseudo-header (`v3_checksum_as_v2`,
    /// keepalived 2.2.8; the instance's own, else global_defs').
    pub v3_checksum_as_v2: bool,
    /// The address owner drops received adverts (`owner_ignore_adverts`, keepalived
    /// 2.3.3; strict mode or global_defs' `vrrp_owner_ignore_adverts` for the owner).
    pub owner_ignore_adverts: bool,
    /// `timer_expired_backup [PRIO]` (keepalived 2.2.8, with nopreempt): a MASTER whose
    /// loop woke so late that a router of this priority would have taken over goes
    /// BACKUP instead of advertising.
    pub timer_expired_backup: Option<u8>,
    pub debug: u8,
    /// `kernel_rx_buf_size`: this instance's part of its receive socket's SO_RCVBUF.
    pub kernel_rx_buf_size: Option<u32>,
}

/// `vrrp_rx_bufs_policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RxBufsPolicy {
    System,
    Mtu,
    Advert,
    Size(u32),
}

/// A netlink socket's receive buffer: `size` bytes (0: the kernel's default), through
/// SO_RCVBUFFORCE when `force` (beyond net.core.rmem_max).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcvBufs {
    pub size: u32,
    pub force: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SslDefaults {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
}

/// keepalived 2.4's `auth_hmac` block: its keys (id and value as written: `hex:…`,
/// `file:…` or a string), the key sent with, the anti-replay mode, the freshness window
/// and the mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthHmac {
    pub keys: Vec<(u8, String)>,
    pub active_key: u8,
    /// `anti_replay time` (true, the default) or `monotonic`.
    pub anti_replay_time: bool,
    pub time_window: Option<u32>,
    /// `enforce` (the default), `permissive` or `receive-only`.
    pub mode: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VsGroupEntry {
    /// `IP [PORT]` or a range `IP-LAST [PORT]` (LAST replaces the last byte(s)).
    Range {
        first: IpAddr,
        last: IpAddr,
        port: u16,
    },
    Fwmark {
        mark: u32,
        family: Option<Family>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Family {
    Inet,
    Inet6,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualServerGroup {
    pub name: String,
    pub entries: Vec<VsGroupEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VsKey {
    Addr { ip: IpAddr, port: u16 },
    Fwmark(u32),
    Group(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LbKind {
    Nat,
    Dr,
    Tun(Tunnel),
}

/// IPVS tunnel encapsulation (IP_VS_CONN_F_TUNNEL_TYPE_*), kernel 5.3 on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TunnelType {
    #[default]
    Ipip,
    Gue,
    Gre,
}

/// The tunnel's checksum (IP_VS_TUNNEL_ENCAP_FLAG_*), kernel 5.3 on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TunnelCsum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

/// A TUN forwarding's options: `lb_kind TUN type gue port 6080 csum`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tunnel {
    pub kind: TunnelType,
    /// The GUE destination port (0 for the other types).
    pub port: u16,
    pub csum: TunnelCsum,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SorryServer {
    pub ip: IpAddr,
    pub port: u16,
    /// `sorry_server_lvs_method` (None: the virtual server's).
    pub lb_kind: Option<LbKind>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VirtualServer {
    pub key: VsKey,
    pub ip_family: Option<Family>,
    pub delay_loop: Duration,
    pub lb_algo: String,
    pub lb_kind: LbKind,
    pub persistence_timeout: Option<u32>,
    pub persistence_granularity: Option<String>,
    pub protocol: Protocol,
    pub ha_suspend: bool,
    pub virtualhost: Option<String>,
    pub sorry_server: Option<SorryServer>,
    pub sorry_server_inhibit: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub alpha: bool,
    pub omega: bool,
    pub inhibit_on_failure: bool,
    pub connect_timeout: Duration,
    pub warmup: Option<Duration>,
    pub weight: i32,
    pub smtp_alert: Option<bool>,
    pub ops: bool,
    /// The scheduler's flags (`flag-1` … `flag-3`; `sh-fallback` / `mh-fallback` are flag 1,
    /// `sh-port` / `mh-port` flag 2): bit 0 is IP_VS_SVC_F_SCHED1.
    pub sched_flags: u8,
    /// The IPVS persistence engine (`persistence_engine sip`), sent with a persistent
    /// service only, as keepalived does.
    pub persistence_engine: Option<String>,
    pub real_servers: Vec<RealServer>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealServer {
    pub ip: IpAddr,
    pub port: u16,
    pub weight: i32,
    pub inhibit_on_failure: bool,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    pub uthreshold: Option<u32>,
    pub lthreshold: Option<u32>,
    pub lb_kind: Option<LbKind>,
    pub alpha: bool,
    pub delay_loop: Duration,
    pub connect_timeout: Duration,
    pub warmup: Option<Duration>,
    pub smtp_alert: bool,
    pub virtualhost: Option<String>,
    pub checkers: Vec<Checker>,
}

/// Settings every checker has (MISC_CHECK uses only the timing ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckCommon {
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
    pub connect_timeout: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub warmup: Duration,
    pub delay_loop: Duration,
    pub alpha: bool,
    pub log_all_failures: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Url {
    pub path: String,
    pub digest: Option<String>,
    /// Inclusive ranges; empty means 200-299.
    pub status_codes: Vec<(u16, u16)>,
    pub virtualhost: Option<String>,
    pub regex: Option<String>,
    pub regex_no_match: bool,
    /// keepalived's `regex_options`: the PCRE2 option names given, as written.
    pub regex_options: Vec<String>,
    /// The first body offset at which a match may start (keepalived `regex_min_offset`).
    pub regex_min_offset: usize,
    /// The last body offset at which a match may start (keepalived `regex_max_offset`).
    pub regex_max_offset: Option<usize>,
    /// keepalived's `regex_stack START MAX` (PCRE2's JIT stack), kept for the dump.
    pub regex_stack: Option<(u64, u64)>,
}

/// How the PCRE2 options keepalived's `regex_options` names map onto keepalived-rs's
/// regex engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexOption {
    /// Changes how the pattern matches, and the engine has the same switch.
    Applied,
    /// Changes only PCRE2's optimisation, callouts or limits: the match is the same.
    NoEffect,
    /// Changes PCRE2's pattern syntax in a way the engine has no switch for.
    NoCounterpart,
}

/// keepalived 2.2.7's regex option names (check_http.c `regex_options`), with what each
/// does here.
pub const REGEX_OPTIONS: &[(&str, RegexOption)] = &[
    ("allow_empty_class", RegexOption::NoCounterpart),
    ("alt_bsux", RegexOption::NoCounterpart),
    ("auto_callout", RegexOption::NoEffect),
    ("caseless", RegexOption::Applied),
    ("dollar_endonly", RegexOption::Applied),
    ("dotall", RegexOption::Applied),
    ("dupnames", RegexOption::NoCounterpart),
    ("extended", RegexOption::Applied),
    ("firstline", RegexOption::Applied),
    ("match_unset_backref", RegexOption::NoCounterpart),
    ("multiline", RegexOption::Applied),
    ("never_ucp", RegexOption::Applied),
    ("never_utf", RegexOption::Applied),
    ("no_auto_capture", RegexOption::NoEffect),
    ("no_auto_possess", RegexOption::NoEffect),
    ("no_dotstar_anchor", RegexOption::NoEffect),
    ("no_start_optimize", RegexOption::NoEffect),
    ("ucp", RegexOption::Applied),
    ("ungreedy", RegexOption::Applied),
    ("utf", RegexOption::Applied),
    ("never_backslash_c", RegexOption::NoEffect),
    ("alt_circumflex", RegexOption::NoCounterpart),
    ("alt_verbnames", RegexOption::NoCounterpart),
    ("use_offset_limit", RegexOption::NoEffect),
];

impl Url {
    fn has_option(&self, name: &str) -> bool {
        self.regex_options.iter().any(|o| o == name)
    }

    /// The url's regex compiled as keepalived's PCRE2 would read it: its options applied,
    /// bytes (not UTF-8) matched unless `utf` or `ucp` is given, as PCRE2 does. A pattern
    /// that needs Unicode classes (`\p{..}`) is compiled with them rather than refused.
    /// `$` matches only at the very end (PCRE2's `dollar_endonly`) unless `multiline`.
    pub fn compile_regex(&self) -> Option<Result<regex::bytes::Regex, regex::Error>> {
        let pattern = self.regex.as_deref()?;
        let build = |unicode: bool| {
            regex::bytes::RegexBuilder::new(pattern)
                .case_insensitive(self.has_option("caseless"))
                .multi_line(self.has_option("multiline"))
                .dot_matches_new_line(self.has_option("dotall"))
                .ignore_whitespace(self.has_option("extended"))
                .swap_greed(self.has_option("ungreedy"))
                .unicode(unicode)
                .build()
        };
        let unicode = self.has_option("utf") || self.has_option("ucp");
        Some(match build(unicode) {
            Err(_) if !unicode => build(true),
            r => r,
        })
    }

    /// Where the compiled regex matches `body` within the url's offsets: the match's start,
    /// or None. keepalived: a match must start at `regex_min_offset` or later (the text
    /// before it still counts as context), at `regex_max_offset` or earlier, and with
    /// `firstline` before or at the first newline after where the search began.
    pub fn regex_match(&self, re: &regex::bytes::Regex, body: &[u8]) -> Option<usize> {
        let from = self.regex_min_offset;
        if from > body.len() {
            return None;
        }
        let start = re.find_at(body, from)?.start();
        if self.regex_max_offset.is_some_and(|max| start > max) {
            return None;
        }
        if self.has_option("firstline") {
            if let Some(nl) = body[from..].iter().position(|&b| b == b'\n') {
                if start > from + nl {
                    return None;
                }
            }
        }
        Some(start)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpProtocol {
    Http10,
    Http10C,
    Http11,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpCheck {
    pub ssl: bool,
    pub urls: Vec<Url>,
    pub http_protocol: HttpProtocol,
    pub virtualhost: Option<String>,
    pub fast_recovery: bool,
    pub enable_sni: bool,
    pub sni_name: Option<String>,
    pub tls_compliant: bool,
}

/// A `host { }` sub-block of SMTP_CHECK: one more server to check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpHost {
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    Soa,
    Mx,
    Txt,
    Aaaa,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CheckKind {
    Tcp,
    Http(HttpCheck),
    Smtp {
        helo_name: String,
        hosts: Vec<SmtpHost>,
    },
    Misc {
        path: Script,
        timeout: Duration,
        dynamic: bool,
    },
    Dns {
        qtype: DnsType,
        name: String,
    },
    Udp {
        payload: Option<Vec<u8>>,
        require_reply: Option<Vec<u8>>,
        min_reply_length: u32,
        max_reply_length: u32,
    },
    Ping,
    File {
        track_file: String,
        weight: i32,
        reverse: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checker {
    pub kind: CheckKind,
    pub common: CheckCommon,
}

impl CheckKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "TCP_CHECK",
            CheckKind::Http(h) if h.ssl => "SSL_GET",
            CheckKind::Http(_) => "HTTP_GET",
            CheckKind::Smtp { .. } => "SMTP_CHECK",
            CheckKind::Misc { .. } => "MISC_CHECK",
            CheckKind::Dns { .. } => "DNS_CHECK",
            CheckKind::Udp { .. } => "UDP_CHECK",
            CheckKind::Ping => "PING_CHECK",
            CheckKind::File { .. } => "FILE_CHECK",
        }
    }
}
