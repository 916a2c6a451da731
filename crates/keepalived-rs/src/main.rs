//! `keepalived-rs`: keepalived's command line: the configuration test (`-t`), the
//! configuration dump (`-d`), `--signum`, `--version`, `--help`, genhash, and the daemon:
//! the watchdog parent (crate ka-watchdog) and, started by it as `--child vrrp` and
//! `--child check`, the VRRP child (ka-vrrp-child) and the checker child (ka-check-child).
//! This crate only dispatches and maps errors to keepalived's exit codes.

// Calls into the kernel and the C library live here; each unsafe block says why it
// is sound (SAFETY).
#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod cli;
mod client;
mod man;

use ka_check_child::genhash;
use ka_runtime::error::RunError;
use ka_runtime::{link, logging, smtp};
use ka_vrrp_child::VrrpProcess;
use ka_watchdog::reload::Reading;
use ka_watchdog::watchdog;

use cli::Cli;

/// keepalived's exit codes.
const EXIT_OK: u8 = 0;
const EXIT_FATAL: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    ka_ipc::proc::large_allocations_apart();
    // keepalived: -T / --genhash as the first option, or the program called genhash.
    let argv: Vec<String> = std::env::args().collect();
    let called_genhash = argv
        .first()
        .is_some_and(|a| a.rsplit('/').next() == Some("genhash"));
    if called_genhash {
        return ExitCode::from(genhash::main(&argv[1..]));
    }
    if matches!(argv.get(1).map(String::as_str), Some("-T" | "--genhash")) {
        return ExitCode::from(genhash::main(&argv[2..]));
    }
    // The manual page, from the command line's definition (`make man`).
    // `--man-page conf`: keepalived-rs.conf(5), from docs/COMPATIBILITY.md.
    if argv.get(1).map(String::as_str) == Some("--man-page") {
        if argv.get(2).map(String::as_str) == Some("conf") {
            let template = include_str!("../../../docs/man/keepalived-rs.conf.5.in");
            let compat = include_str!("../../../docs/COMPATIBILITY.md");
            print!("{}", man::conf_page(template, compat));
        } else {
            let template = include_str!("../../../docs/man/keepalived-rs.8.in");
            print!("{}", man::page(template));
        }
        return ExitCode::from(EXIT_OK);
    }
    // keepalived-rs's own commands: clients of a running daemon.
    if matches!(
        argv.get(1).map(String::as_str),
        Some("status" | "events" | "upgrade")
    ) {
        return ExitCode::from(client::main(&argv[1..]));
    }
    let parsed = {
        use clap::{CommandFactory, FromArgMatches};
        Cli::command()
            .try_get_matches()
            .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, cli::Given::from(&m))))
    };
    let (mut cli, given) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CONFIG } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.version {
        // keepalived prints its version on stderr; exporters read the first line there.
        eprintln!("{}", cli::version_text());
        return ExitCode::from(EXIT_OK);
    }
    if cli.child.is_some() {
        ka_ipc::proc::name_after_argv0();
        ka_ipc::proc::ignore_signals();
        return child_main(&cli);
    }
    if let Some(name) = &cli.signum {
        return match cli::signum(name) {
            Some(n) => {
                println!("{n}");
                ExitCode::from(EXIT_OK)
            }
            None => {
                eprintln!("Unknown sigfunc {name}");
                ExitCode::from(EXIT_FATAL)
            }
        };
    }
    let opts = ka_config::Options {
        config_id: cli.config_id.clone().unwrap_or_else(short_hostname),
        instance: None,
        all_config: cli.all_config,
        interfaces: match (&cli.assume_interfaces, cli.config_test.is_some()) {
            (Some(list), _) => Some(list.iter().cloned().collect()),
            (None, true) => Some(interfaces()),
            (None, false) => None,
        },
        random_seed: seed(),
        check_scripts: cli.config_test.is_some(),
        // Every reading ends with its process (-t, or the daemon's reader copy).
        free_as_read: true,
    };
    let path = PathBuf::from(&cli.use_file);
    if cli.upgrade_check || cli.config_test.is_some() || cli.dump_conf {
        return check_main(&cli, ka_config::load(&path, &opts));
    }
    // The daemon reads its configuration in a copy of itself (so does every reload): the
    // parse's peak memory is the copy's, and a reader that fails cannot take the daemon
    // down. The copy reports what the reading said, with its sources.
    let mut reading = Reading::apart(
        || ka_config::load(&path, &opts),
        |l| report(l, &mut std::io::stderr(), false),
    )
    .unwrap_or_else(|e| {
        eprintln!(
            "keepalived-rs: {}: the configuration could not be read: {e}",
            cli.use_file
        );
        Reading::failed(e)
    });
    // keepalived: an include that failed the checks asked for (`includea`, include_check,
    // -e) stops the start, with the exit code of a missing configuration.
    if (reading.read.fatal() || reading.include_error) && cli.upgrade_state.is_none() {
        return ExitCode::from(6);
    }
    // An upgrade whose configuration cannot be loaded now (it was checked just before the
    // exec): the adopted children run on as they are.
    let replace_children = !reading.read.fatal();
    // An upgrade in place: this process is the daemon already (same PID, detached).
    let carried = match &cli.upgrade_state {
        Some(p) => match ka_watchdog::upgrade::read(std::path::Path::new(p)) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("keepalived-rs: the upgrade state {p}: {e}");
                return ExitCode::from(EXIT_FATAL);
            }
        },
        None => None,
    };
    // net_namespace, instance, use_pid_dir: where this daemon's files are.
    let placement = cli.place(&reading.config.global, given);
    // The children see the namespace the daemon runs in (-s over the file); a reload
    // moves neither it nor the instance name (keepalived reads both at start only).
    let file_namespace = std::mem::replace(
        &mut reading.config.global.net_namespace,
        placement.namespace.clone(),
    );
    let started_as = (
        placement.namespace.clone(),
        reading.config.global.instance.clone(),
    );
    let ipvs_netns = reading.config.global.net_namespace_ipvs.clone();
    // keepalived: a live process in the pid file means another daemon is running.
    if let Some(pid) = std::fs::read_to_string(&cli.pid)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    {
        if ka_ipc::proc::alive(pid) && pid != std::process::id() as i32 {
            eprintln!(
                "keepalived-rs: daemon is already running (pid {pid} in {})",
                cli.pid
            );
            return ExitCode::from(EXIT_FATAL);
        }
    }
    if carried.is_some() {
        // The signals the parent handles were blocked across the exec: they stay pending
        // until its handlers are in place.
        ka_ipc::proc::ignore_signals_except(&[
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGUSR2,
            ka_runtime::signals::sigjson(),
            ka_runtime::signals::sigstats_clear(),
        ]);
    } else {
        ka_ipc::proc::ignore_signals();
    }
    if !cli.dont_fork && carried.is_none() {
        if let Err(e) = ka_ipc::proc::daemonize() {
            eprintln!("keepalived-rs: cannot daemonize: {e}");
            return ExitCode::from(EXIT_FATAL);
        }
    }
    logging::init(
        // Set once per process: the ident lives as long as it.
        Box::leak(format!("Keepalived{}", placement.suffix).into_boxed_str()),
        cli.log_console,
        !cli.no_syslog,
        logging::facility(cli.log_facility.as_deref()),
    );
    log::info!("Starting keepalived-rs v{}", env!("CARGO_PKG_VERSION"));
    if !placement.suffix.is_empty() {
        log::info!("Changing syslog ident to Keepalived{}", placement.suffix);
    }
    if let (Some(c), Some(f)) = (&cli.namespace, &file_namespace) {
        if c != f {
            log::info!("Overriding config net_namespace '{f}' with command line namespace '{c}'");
        }
    }
    if let Some(dir) = &placement.pid_dir {
        use std::os::unix::fs::DirBuilderExt;
        if let Err(e) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
        {
            log::warn!("Unable to create directory {dir}: {e}");
        }
    }
    // keepalived set_namespaces: after the configuration is read, before any child or
    // socket; the children inherit it.
    if let Some(ns) = &placement.namespace {
        if let Err(e) = ka_runtime::process::enter_netns(ns) {
            log::error!("Unable to set network namespace {ns} - exiting ({e})");
            return ExitCode::from(EXIT_FATAL);
        }
    }
    if let Some(m) = reading.config.global.umask {
        ka_runtime::process::set_umask(m);
    }
    if let Some(name) = &reading.config.global.process_name {
        ka_runtime::process::set_name(name);
    }
    for opt in cli.not_acted_on() {
        log::warn!("option {opt} is accepted but not acted on yet (keepalived-rs --help)");
    }
    // Taken out of the environment before anything else runs: only the parent notifies.
    let mut notify = ka_watchdog::notify::Notify::from_env();
    if let Some(c) = &carried {
        log::info!(
            "Upgrade in place from keepalived-rs v{}: adopting {} child process(es)",
            c.from_version,
            c.children.len()
        );
        notify = ka_watchdog::notify::Notify::from_vars(
            c.notify_socket.clone(),
            c.watchdog_usec.clone(),
            None,
        );
    }
    if let Err(e) = std::fs::write(&cli.pid, format!("{}\n", std::process::id())) {
        log::warn!("cannot write pid file {}: {e}", cli.pid);
    }
    // What the child inherits from our command line.
    let mut child_args = vec![
        "-r".to_string(),
        cli.vrrp_pid.clone(),
        "-c".to_string(),
        cli.checkers_pid.clone(),
    ];
    if cli.log_console {
        child_args.push("-l".to_string());
    }
    if cli.dont_release_ipvs {
        child_args.push("-I".to_string());
    }
    if cli.no_syslog {
        child_args.push("-G".to_string());
    }
    if let Some(f) = &cli.log_facility {
        child_args.push(format!("--log-facility={f}"));
    }
    if !placement.suffix.is_empty() {
        child_args.push(format!("--ident-suffix={}", placement.suffix));
    }
    // keepalived: a reload reads the files with the running configuration's random_seed.
    let seed = std::cell::Cell::new(reading.config.global.random_seed);
    let loader: watchdog::Loader = Box::new(move || {
        let opts = opts.with_seed(seed.get());
        // What it says, the parent logs (reload::Read); the copy prints nothing.
        let mut r = Reading::apart(|| ka_config::load(&path, &opts), |_| {})
            .unwrap_or_else(Reading::failed);
        (r.config.global.net_namespace, r.config.global.instance) = started_as.clone();
        // keepalived: the IPVS namespace cannot change at a reload either.
        if r.config.global.net_namespace_ipvs != ipvs_netns && !r.read.fatal() {
            log::info!(
                "Cannot change IPVS network namespace at a reload - please restart keepalived"
            );
            r.config.global.net_namespace_ipvs = ipvs_netns.clone();
        }
        if !r.read.refused() {
            seed.set(r.config.global.random_seed);
        }
        r
    });
    let select = watchdog::Selection {
        vrrp_only: cli.vrrp && !cli.check,
        check_only: cli.check && !cli.vrrp,
        all: cli.all,
    };
    // What the reading said and read, for a reload to tell whether anything changed.
    let Reading { config, read, .. } = reading;
    let control = ka_watchdog::control::Options {
        socket: PathBuf::from(&cli.control_socket),
        group: match cli.control_group.as_deref().map(group_id) {
            None => None,
            Some(Ok(g)) => Some(g),
            Some(Err(e)) => {
                log::error!("--control-group: {e}");
                return ExitCode::from(EXIT_FATAL);
            }
        },
        metrics: cli.metrics,
    };
    let result = watchdog::Watchdog::new(config, loader, select, child_args, cli.dont_respawn)
        .map(|w| w.with_control(control).with_notify(notify).with_read(read))
        .map(|w| match carried {
            Some(c) => w.adopt(c, replace_children),
            None => w,
        })
        .and_then(|w| w.run());
    let _ = std::fs::remove_file(&cli.pid);
    if let Some(dir) = &placement.pid_dir {
        // keepalived remove_pid_dir: only when nothing else is left in it.
        let _ = std::fs::remove_dir(dir);
        if placement.namespace.is_some() {
            let _ = std::fs::remove_dir("/run/keepalived");
        }
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            log::error!("{e}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// `-t`, `-d` without a daemon, and the check a running daemon asks for before an upgrade:
/// the configuration read in this process, reported, and the process ends.
fn check_main(cli: &Cli, loaded: ka_config::Loaded) -> ExitCode {
    // Asked by a running daemon before it execs this executable in its place.
    if cli.upgrade_check {
        use ka_config::Severity::{Error, Security};
        let mut errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| matches!(d.severity, Error | Security))
            .map(|d| d.short(&loaded.sources))
            .collect();
        if loaded.fatal && errors.is_empty() {
            errors.push(format!("{}: cannot be loaded", cli.use_file));
        }
        let check = ka_watchdog::upgrade::Check {
            version: env!("CARGO_PKG_VERSION").to_string(),
            ipc: ka_ipc::VERSION,
            format: ka_watchdog::upgrade::FORMAT,
            errors,
        };
        println!("{}", serde_json::to_string(&check).unwrap_or_default());
        return ExitCode::from(EXIT_OK);
    }

    if let Some(log) = &cli.config_test {
        let mut out: Box<dyn Write> = if log.is_empty() {
            Box::new(std::io::stderr())
        } else {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
            {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("cannot open log file {log}: {e}");
                    return ExitCode::from(4);
                }
            }
        };
        report(&loaded, &mut out, !log.is_empty());
        if cli.dump_conf && !loaded.fatal {
            print!("{}", ka_config::dump::dump(&loaded.config));
        }
        let code = loaded.config_test_exit_code();
        let _ = std::io::stdout().flush();
        // Nothing left to do: exit without spending time freeing the configuration.
        std::process::exit(code);
    }

    // -d alone: the configuration dumped, no daemon.
    report(&loaded, &mut std::io::stderr(), false);
    if loaded.fatal {
        return ExitCode::from(4);
    }
    print!("{}", ka_config::dump::dump(&loaded.config));
    ExitCode::from(EXIT_OK)
}

/// `--child vrrp`: started by the watchdog with the channel on descriptor 3.
/// `--child mail-vrrp`: sends one SMTP alert read from stdin.
fn child_main(cli: &Cli) -> ExitCode {
    if let Some(kind @ ("mail-vrrp" | "mail-check")) = cli.child.as_deref() {
        let ident = if kind == "mail-vrrp" {
            "Keepalived_vrrp"
        } else {
            "Keepalived_healthcheckers"
        };
        logging::init(
            ident,
            cli.log_console,
            !cli.no_syslog,
            logging::facility(cli.log_facility.as_deref()),
        );
        return ExitCode::from(smtp::mail_main() as u8);
    }
    let check = cli.child.as_deref() == Some("check");
    logging::init(
        // Set once per process: the ident lives as long as it.
        Box::leak(
            format!(
                "{}{}",
                if check {
                    "Keepalived_healthcheckers"
                } else {
                    "Keepalived_vrrp"
                },
                cli.ident_suffix.as_deref().unwrap_or("")
            )
            .into_boxed_str(),
        ),
        cli.log_console,
        !cli.no_syslog,
        logging::facility(cli.log_facility.as_deref()),
    );
    if let Some(p) = cli.parent_pid {
        ka_ipc::proc::die_with_parent(p);
    }
    // SAFETY: descriptor 3 is the channel the watchdog handed us (spawn_with_fd), owned by
    // nothing else in this process.
    let ch = match unsafe { ka_ipc::proc::Channel::from_inherited(3) } {
        Ok(c) => c,
        Err(e) => {
            log::error!("no channel to the parent: {e}");
            return ExitCode::from(EXIT_FATAL);
        }
    };
    // Configuration, then sockets (the child is "prepared"), then Go: during a reload the
    // predecessor hands over between the last two steps, so a configuration that cannot
    // run fails here while the predecessor still runs.
    let mut log_args = Vec::new();
    if cli.log_console {
        log_args.push("-l".to_string());
    }
    if cli.no_syslog {
        log_args.push("-G".to_string());
    }
    if let Some(f) = &cli.log_facility {
        log_args.push(format!("--log-facility={f}"));
    }
    if check {
        return check_child(cli, ch, log_args);
    }
    let mut settings = ka_config::model::ProcessSettings::default();
    let prepared = link::child_setup(&ch)
        .map_err(|e| RunError::Io {
            what: "the configuration from the parent".into(),
            source: e,
        })
        .inspect(|(c, _)| settings = c.global.vrrp_process.clone())
        .and_then(|(c, encoded)| VrrpProcess::new(c, encoded));
    let process = match prepared {
        Ok(p) => p,
        Err(e) => return fatal(e),
    };
    ka_ipc::proc::release_free_memory();
    let go = match link::child_wait_go(&ch) {
        Ok(r) => r,
        Err(e) => return fatal(e),
    };
    // The predecessor (if any) has exited by now: the pid file is ours.
    write_pid(&cli.vrrp_pid);
    ka_runtime::process::apply(&settings);
    let r = process
        .with_parent(ch, go.resume)
        .with_scripts(go.scripts)
        .with_reloaded(go.reloaded)
        .with_originals(go.originals)
        .with_log_args(log_args)
        .run();
    let _ = std::fs::remove_file(&cli.vrrp_pid);
    match r {
        Ok(_) => ExitCode::from(EXIT_OK),
        Err(e) => fatal(e),
    }
}

/// A child's fatal error: logged, keepalived's exit code 1.
fn fatal(e: impl std::fmt::Display) -> ExitCode {
    log::error!("{e}");
    ExitCode::from(EXIT_FATAL)
}

/// A child's pid file, written once its predecessor (if any) has exited.
fn write_pid(path: &str) {
    if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
        log::warn!("cannot write pid file {path}: {e}");
    }
}

/// `--child check`: the checker child, prepared, then run.
fn check_child(cli: &Cli, ch: ka_ipc::proc::Channel, log_args: Vec<String>) -> ExitCode {
    let mut settings = ka_config::model::ProcessSettings::default();
    let prepared = link::child_setup(&ch)
        .map_err(|e| RunError::Io {
            what: "the configuration from the parent".into(),
            source: e,
        })
        .inspect(|(c, _)| settings = c.global.checker_process.clone())
        .and_then(|(c, _)| ka_check_child::CheckProcess::new(c));
    let process = match prepared {
        Ok(p) => p,
        Err(e) => return fatal(e),
    };
    ka_ipc::proc::release_free_memory();
    let go = match link::child_wait_go(&ch) {
        Ok(g) => g,
        Err(e) => return fatal(e),
    };
    write_pid(&cli.checkers_pid);
    ka_runtime::process::apply(&settings);
    let process = process
        .with_parent(ch)
        .with_servers(go.servers)
        .with_dont_release_ipvs(cli.dont_release_ipvs)
        .with_log_args(log_args);
    // The predecessor's states (tens of thousands after a reload at scale) are applied.
    ka_ipc::proc::release_free_memory();
    let r = process.run();
    let _ = std::fs::remove_file(&cli.checkers_pid);
    match r {
        Ok(_) => ExitCode::from(EXIT_OK),
        Err(e) => fatal(e),
    }
}

/// Prints every diagnostic (compiler style, or one line each for a log file) and a summary.
fn report(l: &ka_config::Loaded, out: &mut dyn Write, short: bool) {
    for d in &l.diagnostics {
        let _ = if short {
            writeln!(out, "{}", d.short(&l.sources))
        } else {
            writeln!(out, "{}", d.render(&l.sources))
        };
    }
    use ka_config::Severity::*;
    let errors = l.count(|s| matches!(s, Error | Security));
    let warnings = l.count(|s| matches!(s, Warning | Unsupported));
    if errors + warnings > 0 {
        let _ = writeln!(
            out,
            "{errors} error(s), {warnings} warning(s) in {} file(s)",
            l.sources.files().count()
        );
    }
}

/// A group's id, by name or number.
fn group_id(name: &str) -> Result<u32, String> {
    if let Ok(n) = name.parse::<u32>() {
        return Ok(n);
    }
    match nix::unistd::Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        Ok(None) => Err(format!("no group {name:?}")),
        Err(e) => Err(format!("group {name:?}: {e}")),
    }
}

/// keepalived's default config id: the host name up to its first '.'.
fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
}

/// The network interfaces of this host (for "interface doesn't exist" warnings).
fn interfaces() -> BTreeSet<String> {
    ka_net::iface::names().into_iter().collect()
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64 ^ ((std::process::id() as u64) << 32)
}
