//! Running scripts and writing notify FIFOs, as both children do it (keepalived
//! lib/notify.c): who a script runs as, starting it in its own process group, stopping
//! its group, opening a FIFO without ever blocking on it.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use ka_net::iface;

/// Who a script runs as (keepalived lib/notify.c): its own user, else script_user, else
/// keepalived_script if that user exists, else root. With enable_script_security a
/// root-run script must not be writable by anyone else. None means root.
pub fn run_as(
    g: &ka_config::model::GlobalDefs,
    argv: &[String],
    own: Option<&(String, Option<String>)>,
) -> Result<Option<(u32, u32)>, RunAsError> {
    use ka_config::security::{group_id, root_script_ok, user_ids};
    let who = match (own, &g.script_user) {
        (Some(w), _) => Some(w.clone()),
        (None, Some(w)) => Some(w.clone()),
        (None, None) => {
            user_ids("keepalived_script").map(|_| ("keepalived_script".to_string(), None))
        }
    };
    let ids = match who {
        None => None,
        Some((u, grp)) => {
            let (uid, gid) = user_ids(&u).ok_or(RunAsError::NoUser(u))?;
            let gid = match grp {
                Some(gn) => group_id(&gn).ok_or(RunAsError::NoGroup(gn))?,
                None => gid,
            };
            (uid != 0).then_some((uid, gid))
        }
    };
    if ids.is_none() && g.enable_script_security {
        if let Some(prog) = argv.first() {
            root_script_ok(prog).map_err(RunAsError::Refused)?;
        }
    }
    Ok(ids)
}

/// Why a script cannot run as [`run_as`] would have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunAsError {
    NoUser(String),
    NoGroup(String),
    /// enable_script_security refuses it as root.
    Refused(ka_config::security::ScriptRefused),
}

impl std::fmt::Display for RunAsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunAsError::NoUser(u) => write!(f, "user {u} does not exist"),
            RunAsError::NoGroup(g) => write!(f, "group {g} does not exist"),
            RunAsError::Refused(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for RunAsError {}

/// Starts a script as [`run_as`] says (its own user, script_user, …) with [`spawn`].
pub fn start(
    g: &ka_config::model::GlobalDefs,
    argv: &[String],
    own: Option<&(String, Option<String>)>,
) -> Result<Child, ScriptError> {
    configure(g);
    let ids = run_as(g, argv, own).map_err(ScriptError::RunAs)?;
    spawn(argv, ids).map_err(ScriptError::Spawn)
}

/// Why a script did not start.
#[derive(Debug)]
pub enum ScriptError {
    RunAs(RunAsError),
    Spawn(io::Error),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::RunAs(e) => e.fmt(f),
            ScriptError::Spawn(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ScriptError {}

/// Whether `cmd` names an executable file (a bare name is looked up in PATH).
pub fn executable(cmd: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let ok = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if cmd.contains('/') {
        return ok(std::path::Path::new(cmd));
    }
    std::env::var("PATH")
        .unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
        .split(':')
        .any(|d| ok(&std::path::Path::new(d).join(cmd)))
}

pub fn open_fifo(path: &str) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !std::path::Path::new(path).exists() {
        if let Err(e) = iface::mkfifo(path) {
            log::warn!("cannot create FIFO {path}: {e}");
        }
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()
}

/// global_defs' `use_symlink_paths` (keepalived 2.3.0), for this process.
static KEEP_SYMLINKS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Script paths as resolved by [`resolved`], once per process.
static RESOLVED: std::sync::Mutex<Option<std::collections::HashMap<String, String>>> =
    std::sync::Mutex::new(None);

/// Takes this process's script settings from the configuration (`use_symlink_paths`).
pub fn configure(g: &ka_config::model::GlobalDefs) {
    KEEP_SYMLINKS.store(g.use_symlink_paths, std::sync::atomic::Ordering::Relaxed);
}

/// The path a script runs from. keepalived (lib/notify.c) resolves a script's path once,
/// when it loads the configuration: symbolic links, `.` and `..` resolved, the file name
/// kept when it names the same file in the resolved directory (some programs act on the
/// name they are called by). Here once per process (each reload starts new children), at
/// the script's first start; with `use_symlink_paths` the path stays as written. A bare
/// name is left to the PATH search.
pub fn resolved(prog: &str) -> String {
    if !prog.contains('/') || KEEP_SYMLINKS.load(std::sync::atomic::Ordering::Relaxed) {
        return prog.to_string();
    }
    let mut cache = RESOLVED.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(Default::default);
    if let Some(p) = map.get(prog) {
        return p.clone();
    }
    let p = real_path(std::path::Path::new(prog)).unwrap_or_else(|| prog.to_string());
    map.insert(prog.to_string(), p.clone());
    p
}

/// keepalived's realpath rule for one script path (None: it cannot be resolved).
fn real_path(orig: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let real = std::fs::canonicalize(orig).ok()?;
    let (Some(orig_name), Some(real_name), Some(real_dir)) =
        (orig.file_name(), real.file_name(), real.parent())
    else {
        return Some(real.display().to_string());
    };
    if orig_name == real_name {
        return Some(real.display().to_string());
    }
    // The file name differs (a symlinked file): keep the name if, in the resolved
    // directory, it is the same file.
    let named = real_dir.join(orig_name);
    let same = match (std::fs::metadata(&real), std::fs::metadata(&named)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    Some(if same { named } else { real }.display().to_string())
}

/// Runs a script in its own process group (keepalived: execve directly, stdio to null),
/// as `ids` (uid, gid) when given, from its [`resolved`] path.
pub fn spawn(argv: &[String], ids: Option<(u32, u32)>) -> io::Result<Child> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::other("empty command"))?;
    let mut cmd = Command::new(resolved(prog));
    if let Some((uid, gid)) = ids {
        cmd.gid(gid).uid(uid);
    }
    // SAFETY: default_signals makes only async-signal-safe calls (sigaction, sigprocmask).
    unsafe {
        cmd.pre_exec(|| {
            ka_ipc::proc::default_signals();
            Ok(())
        });
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// Scripts being stopped (keepalived's misc_timeout handling): SIGTERM to each one's
/// process group at once, SIGKILL to the group 2 s later if its leader is still there,
/// reaped when it exits. Nothing waits and no thread is started: the process's loop
/// calls [`Dying::reap`] when SIGCHLD wakes it and at [`Dying::next_deadline`].
#[derive(Debug, Default)]
pub struct Dying {
    /// The script, and when its group gets SIGKILL (None: it has had it).
    list: Vec<(Child, Option<std::time::Instant>)>,
}

/// How long a stopped script has between SIGTERM and SIGKILL.
const KILL_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

fn group(c: &Child) -> i32 {
    // process_group(0) made the script its group's leader.
    -(c.id() as i32)
}

impl Dying {
    /// SIGTERM to the script's group, unless the script has exited already (then it is
    /// only reaped: its group is not signalled, as keepalived leaves it).
    pub fn stop(&mut self, mut c: Child) {
        if matches!(c.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        let _ = ka_ipc::proc::signal(group(&c), libc::SIGTERM);
        if !matches!(c.try_wait(), Ok(Some(_)) | Err(_)) {
            self.list
                .push((c, Some(std::time::Instant::now() + KILL_AFTER)));
        }
    }

    /// Reaps the scripts that have exited, and SIGKILLs the groups whose time is up.
    pub fn reap(&mut self, now: std::time::Instant) {
        self.list.retain_mut(|(c, kill_at)| {
            if matches!(c.try_wait(), Ok(Some(_)) | Err(_)) {
                return false;
            }
            if kill_at.is_some_and(|t| t <= now) {
                let _ = ka_ipc::proc::signal(group(c), libc::SIGKILL);
                *kill_at = None;
            }
            true
        });
    }

    /// When [`Dying::reap`] must run next to send a SIGKILL.
    pub fn next_deadline(&self) -> Option<std::time::Instant> {
        self.list.iter().filter_map(|(_, t)| *t).min()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn sh(script: &str) -> Child {
        spawn(&["/bin/sh".into(), "-c".into(), script.into()], None).unwrap()
    }

    /// Reaps until `d` is empty, for at most `within`; whether it emptied.
    fn drained(d: &mut Dying, now: Instant, within: Duration) -> bool {
        let end = Instant::now() + within;
        while !d.is_empty() && Instant::now() < end {
            d.reap(now);
            std::thread::sleep(Duration::from_millis(10));
        }
        d.is_empty()
    }

    #[test]
    fn a_stopped_script_is_reaped_and_one_that_ignores_sigterm_is_killed_at_its_time() {
        let mut d = Dying::default();
        // SIGTERM ends it: reaped, no SIGKILL needed.
        d.stop(sh("sleep 30"));
        assert!(drained(&mut d, Instant::now(), Duration::from_secs(5)));
        // It ignores SIGTERM: still there before its time, gone once SIGKILL is due.
        // (It says when its trap is set: a SIGTERM before that would end it.)
        let ready = std::env::temp_dir().join(format!("ka-dying-{}", std::process::id()));
        let _ = std::fs::remove_file(&ready);
        let c = sh(&format!(
            "trap '' TERM; touch {}; sleep 30",
            ready.display()
        ));
        let end = Instant::now() + Duration::from_secs(10);
        while !ready.exists() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(&ready);
        d.stop(c);
        let due = d.next_deadline().expect("a SIGKILL deadline");
        assert!(due > Instant::now() + Duration::from_millis(1500));
        assert!(!drained(&mut d, Instant::now(), Duration::from_millis(300)));
        assert!(drained(&mut d, due, Duration::from_secs(5)));
        assert_eq!(d.next_deadline(), None);
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    #[test]
    fn a_symlinked_file_resolves_to_its_target_a_symlinked_directory_keeps_the_name() {
        let d = std::env::temp_dir().join(format!("ka-rs-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("real")).unwrap();
        std::fs::write(d.join("real/check.sh"), "#!/bin/sh\n").unwrap();
        std::os::unix::fs::symlink(d.join("real"), d.join("linkdir")).unwrap();
        std::os::unix::fs::symlink(d.join("real/check.sh"), d.join("real/alias.sh")).unwrap();
        let real = std::fs::canonicalize(d.join("real")).unwrap();
        // A symlinked directory: the real directory, the same name.
        assert_eq!(
            real_path(&d.join("linkdir/check.sh")),
            Some(real.join("check.sh").display().to_string())
        );
        // A symlink to another file in the same directory: the name is kept (it is the
        // same file there), as keepalived does for programs that act on their name.
        assert_eq!(
            real_path(&d.join("real/alias.sh")),
            Some(real.join("alias.sh").display().to_string())
        );
        // A symlink from elsewhere: no such name beside the target, the target runs.
        std::os::unix::fs::symlink(d.join("real/check.sh"), d.join("top.sh")).unwrap();
        assert_eq!(
            real_path(&d.join("top.sh")),
            Some(real.join("check.sh").display().to_string())
        );
        assert_eq!(real_path(&d.join("real/missing.sh")), None);
        // use_symlink_paths: as written; else resolved once (a later change of the link
        // is not seen until the next process, as keepalived sees it at the next reload).
        let link = d.join("linkdir/check.sh").display().to_string();
        let g = ka_config::model::GlobalDefs {
            use_symlink_paths: true,
            ..Default::default()
        };
        configure(&g);
        assert_eq!(resolved(&link), link);
        configure(&ka_config::model::GlobalDefs::default());
        assert_eq!(resolved(&link), real.join("check.sh").display().to_string());
        std::fs::remove_file(d.join("linkdir")).unwrap();
        assert_eq!(resolved(&link), real.join("check.sh").display().to_string());
        assert_eq!(
            resolved("true"),
            "true",
            "a bare name is left to the PATH search"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
