//! keepalived 2.2.7's command line (keepalived/core/main.c), option for option.

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "keepalived-rs",
    about = "keepalived-rs: VRRP failover, health checks and IPVS, compatible with keepalived 2.2",
    disable_version_flag = true
)]
pub struct Cli {
    /// Use the specified configuration file
    #[arg(
        short = 'f',
        long = "use-file",
        default_value = "/etc/keepalived/keepalived.conf"
    )]
    pub use_file: String,
    /// Only run with VRRP subsystem
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,
    /// Only run with Health-checker subsystem
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Don't run BFD subsystem (keepalived-rs has none: accepted, nothing to do)
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Force all child processes to run, even if have no configuration
    #[arg(long = "all")]
    pub all: bool,
    /// Log messages to local console
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed log messages [accepted, not acted on yet]
    #[arg(short = 'D', long = "log-detail", action = clap::ArgAction::Count)]
    pub log_detail: u8,
    /// Set syslog facility to LOG_LOCAL[0-7] (default LOG_DAEMON)
    #[arg(short = 'S', long = "log-facility")]
    pub log_facility: Option<String>,
    /// Don't log via syslog
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// Also log to FILE (default /tmp/keepalived.log) [accepted, not acted on yet]
    #[arg(short = 'g', long = "log-file", num_args = 0..=1, require_equals = true, default_missing_value = "/tmp/keepalived.log")]
    pub log_file: Option<String>,
    /// Flush log file on write [accepted, not acted on yet]
    #[arg(long = "flush-log-file")]
    pub flush_log_file: bool,
    /// Drop VIPs on transition from signal [accepted, not acted on yet]
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// Don't remove VRRP VIPs and VROUTEs on daemon stop [accepted, not acted on yet]
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// Don't remove IPVS topology on daemon stop
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Don't respawn child processes
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Don't fork the daemon process
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Dump the configuration data (keepalived-rs: the effective configuration, in keepalived.conf syntax, on stdout)
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// Use specified pidfile for parent process
    #[arg(short = 'p', long = "pid", default_value = "/run/keepalived.pid")]
    pub pid: String,
    /// Use specified pidfile for VRRP child process
    #[arg(short = 'r', long = "vrrp_pid", default_value = "/run/vrrp.pid")]
    pub vrrp_pid: String,
    /// Use specified pidfile for checkers child process
    #[arg(
        short = 'c',
        long = "checkers_pid",
        default_value = "/run/checkers.pid"
    )]
    pub checkers_pid: String,
    /// Use specified pidfile for BFD child process (keepalived-rs has none: accepted, nothing to do)
    #[arg(short = 'b', long = "bfd_pid", default_value = "/run/bfd.pid")]
    pub bfd_pid: String,
    /// Report all address additions/deletions notified by netlink [accepted, not acted on yet]
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// Run in network namespace NAME (overrides config)
    #[arg(short = 's', long = "namespace")]
    pub namespace: Option<String>,
    /// Error if a configuration file is missing (same as includea)
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// Skip any configuration lines beginning '@' that don't match ID (default: hostname up to the first '.')
    #[arg(short = 'i', long = "config-id")]
    pub config_id: Option<String>,
    /// Enable SNMP subsystem [accepted, not acted on yet]
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// Use the specified socket for master agent [accepted, not acted on yet]
    #[arg(short = 'A', long = "snmp-agent-socket")]
    pub snmp_agent_socket: Option<String>,
    /// Set umask for file creation (in numerical form) [accepted, not acted on yet]
    #[arg(short = 'u', long = "umask")]
    pub umask: Option<String>,
    /// Set core dump size to infinite [accepted, not acted on yet]
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Also set /proc/sys/kernel/core_pattern to PATTERN (default 'core') [accepted, not acted on yet]
    #[arg(short = 'M', long = "core-dump-pattern", num_args = 0..=1, require_equals = true, default_missing_value = "core")]
    pub core_dump_pattern: Option<String>,
    /// Check the configuration for obvious errors, output to stderr by default (or to LOGFILE)
    #[arg(short = 't', long = "config-test", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,
    /// Print signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
    #[arg(long = "signum")]
    pub signum: Option<String>,
    /// keepalived-rs: check interface names against this comma-separated list instead of this
    /// host's interfaces (to test a configuration meant for another machine)
    #[arg(long = "assume-interfaces", value_delimiter = ',')]
    pub assume_interfaces: Option<Vec<String>>,
    /// keepalived-rs: the control socket `keepalived-rs status` and `events` use
    #[arg(long = "control-socket", default_value = DEFAULT_CONTROL_SOCKET)]
    pub control_socket: String,
    /// keepalived-rs: a group whose members may use the control socket (default: root only)
    #[arg(long = "control-group")]
    pub control_group: Option<String>,
    /// keepalived-rs: serve Prometheus metrics on ADDR:PORT (GET /metrics); off by default
    #[arg(long = "metrics")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Internal: run as the watchdog's child (vrrp), with the channel on descriptor 3
    #[arg(long = "child", hide = true)]
    pub child: Option<String>,
    /// Internal: the watchdog's pid (the child stops when it dies)
    #[arg(long = "parent-pid", hide = true)]
    pub parent_pid: Option<i32>,
    /// Internal: what the children's syslog idents end with (`_NAMESPACE_INSTANCE`)
    #[arg(long = "ident-suffix", hide = true)]
    pub ident_suffix: Option<String>,
    /// Internal: an upgrade in place, with the state the previous executable left
    #[arg(long = "upgrade-state", hide = true)]
    pub upgrade_state: Option<String>,
    /// Internal: whether this executable can take over from the running daemon (JSON)
    #[arg(long = "upgrade-check", hide = true)]
    pub upgrade_check: bool,
    /// Internal: configuration file descriptor for a reload check
    #[arg(long = "config-fd", hide = true)]
    pub config_fd: Option<i32>,
    /// Display the version number
    #[arg(short = 'v', long = "version")]
    pub version: bool,
}

impl Cli {
    /// The options given that keepalived-rs accepts and does not act on yet (marked so in
    /// `--help`): the daemon says so once at start.
    pub fn not_acted_on(&self) -> Vec<&'static str> {
        let given = [
            (self.log_detail > 0, "-D/--log-detail"),
            (self.log_file.is_some(), "-g/--log-file"),
            (self.flush_log_file, "--flush-log-file"),
            (self.release_vips, "-X/--release-vips"),
            (self.dont_release_vrrp, "-V/--dont-release-vrrp"),
            (self.address_monitoring, "-a/--address-monitoring"),
            (self.snmp, "-x/--snmp"),
            (self.snmp_agent_socket.is_some(), "-A/--snmp-agent-socket"),
            (self.umask.is_some(), "-u/--umask"),
            (self.core_dump, "-m/--core-dump"),
            (self.core_dump_pattern.is_some(), "-M/--core-dump-pattern"),
        ];
        given
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }
}

/// Where the control socket is unless `--control-socket` says otherwise.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/keepalived-rs/control.sock";

/// Which of the paths were given on the command line (they win over the configuration's
/// net_namespace, instance and use_pid_dir).
#[derive(Clone, Copy, Debug, Default)]
pub struct Given {
    pub pid: bool,
    pub vrrp_pid: bool,
    pub checkers_pid: bool,
    pub control_socket: bool,
}

impl Given {
    pub fn from(m: &clap::ArgMatches) -> Given {
        let given = |id: &str| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        Given {
            pid: given("pid"),
            vrrp_pid: given("vrrp_pid"),
            checkers_pid: given("checkers_pid"),
            control_socket: given("control_socket"),
        }
    }
}

/// Where a daemon with `net_namespace`, `instance` or `use_pid_dir` keeps its files, as
/// keepalived 2.2.7 (main.c, pidfile.c): pid files in /run/keepalived (seen from the
/// host, /run/keepalived/NAMESPACE with a namespace), named `keepalived_INSTANCE.pid`,
/// `vrrp_INSTANCE.pid`, `checkers_INSTANCE.pid` with an instance; syslog idents end
/// with `_NAMESPACE_INSTANCE`. The control socket is keepalived-rs's own:
/// /run/keepalived-rs/control_NAMESPACE_INSTANCE.sock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The network namespace to enter (the command line's -s over the configuration's).
    pub namespace: Option<String>,
    /// `_NAMESPACE_INSTANCE` (empty without either).
    pub suffix: String,
    /// The pid directory to make (and remove at stop when empty), if any.
    pub pid_dir: Option<String>,
}

impl Cli {
    /// Applies the configuration's net_namespace, instance and use_pid_dir to the paths
    /// the command line left at their defaults.
    pub fn place(&mut self, g: &ka_config::model::GlobalDefs, given: Given) -> Placement {
        let namespace = self.namespace.clone().or_else(|| g.net_namespace.clone());
        let mut suffix = String::new();
        for part in [&namespace, &g.instance].into_iter().flatten() {
            suffix.push('_');
            suffix.push_str(part);
        }
        let mut p = Placement {
            namespace: namespace.clone(),
            suffix: suffix.clone(),
            pid_dir: None,
        };
        if !(g.use_pid_dir || namespace.is_some() || g.instance.is_some()) {
            return p;
        }
        let dir = match &namespace {
            Some(ns) => format!("/run/keepalived/{ns}"),
            None => "/run/keepalived".to_string(),
        };
        let inst = g
            .instance
            .as_ref()
            .map(|i| format!("_{i}"))
            .unwrap_or_default();
        for (slot, given, name) in [
            (&mut self.pid, given.pid, "keepalived"),
            (&mut self.vrrp_pid, given.vrrp_pid, "vrrp"),
            (&mut self.checkers_pid, given.checkers_pid, "checkers"),
        ] {
            if !given {
                *slot = format!("{dir}/{name}{inst}.pid");
            }
        }
        if !given.control_socket && !suffix.is_empty() {
            self.control_socket = format!("/run/keepalived-rs/control{suffix}.sock");
        }
        p.pid_dir = Some(dir);
        p
    }
}

pub fn version_text() -> String {
    // The first line is what exporters parse ("Keepalived vX.Y.Z", on stderr): the
    // keepalived version whose behaviour this one follows. The "configure options" line
    // carries --enable-json, which mehdy/keepalived-exporter requires before it sends
    // SIGJSON; "Config options" lists the features built, in keepalived's words.
    format!(
        "Keepalived v2.2.7 (keepalived-rs v{})\n\nCopyright the keepalived-rs authors; licensed GPL-2.0-or-later, as keepalived\n\nconfigure options: --enable-json --enable-regex\n\nConfig options:  LVS REGEX VRRP VRRP_AUTH VRRP_VMAC JSON OLD_CHKSUM_COMPAT",
        env!("CARGO_PKG_VERSION")
    )
}

/// `--signum=NAME`: the signal keepalived uses for NAME (lib/signals.c get_signum).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => libc::SIGUSR1,
        "STATS" => libc::SIGUSR2,
        "STATS_CLEAR" => ka_runtime::signals::sigstats_clear(),
        "JSON" => ka_runtime::signals::sigjson(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(args: &[&str], conf: &str) -> (Cli, Placement) {
        use clap::{CommandFactory, FromArgMatches};
        let m = Cli::command().get_matches_from(args);
        let mut c = Cli::from_arg_matches(&m).unwrap();
        let l = ka_config::parse_str("p.conf", conf, &ka_config::Options::default());
        let p = c.place(&l.config.global, Given::from(&m));
        (c, p)
    }

    /// keepalived's pid files and idents for net_namespace, instance and use_pid_dir;
    /// paths given on the command line win, and -s wins over the file's namespace.
    #[test]
    fn namespace_instance_and_pid_dir_place_the_files() {
        let (c, p) = placed(&["keepalived-rs"], "");
        assert_eq!(
            (c.pid.as_str(), c.vrrp_pid.as_str()),
            ("/run/keepalived.pid", "/run/vrrp.pid")
        );
        assert_eq!(p, Placement::default());
        let (c, p) = placed(&["keepalived-rs"], "use_pid_dir\n");
        assert_eq!(c.pid, "/run/keepalived/keepalived.pid");
        assert_eq!(
            (p.suffix.as_str(), p.pid_dir.as_deref()),
            ("", Some("/run/keepalived"))
        );
        assert_eq!(c.control_socket, DEFAULT_CONTROL_SOCKET);
        let (c, p) = placed(
            &["keepalived-rs", "-r", "/tmp/v.pid"],
            "net_namespace blue\ninstance one\n",
        );
        assert_eq!(p.namespace.as_deref(), Some("blue"));
        assert_eq!(p.suffix, "_blue_one");
        assert_eq!(c.pid, "/run/keepalived/blue/keepalived_one.pid");
        assert_eq!(c.checkers_pid, "/run/keepalived/blue/checkers_one.pid");
        assert_eq!(c.vrrp_pid, "/tmp/v.pid", "given on the command line");
        assert_eq!(c.control_socket, "/run/keepalived-rs/control_blue_one.sock");
        let (c, p) = placed(&["keepalived-rs", "-s", "red"], "net_namespace blue\n");
        assert_eq!(p.namespace.as_deref(), Some("red"));
        assert_eq!(c.pid, "/run/keepalived/red/keepalived.pid");
    }

    #[test]
    fn options_not_acted_on_are_named() {
        let c = Cli::parse_from(["keepalived-rs", "-D", "-X", "-n", "--snmp"]);
        assert_eq!(
            c.not_acted_on(),
            vec!["-D/--log-detail", "-X/--release-vips", "-x/--snmp"]
        );
        let c = Cli::parse_from(["keepalived-rs", "-n", "-l", "-P"]);
        assert!(c.not_acted_on().is_empty());
        // Each is marked in --help.
        let help = <Cli as clap::CommandFactory>::command()
            .render_help()
            .to_string();
        assert_eq!(help.matches("[accepted, not acted on yet]").count(), 11);
    }
}
