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
) -> Result<Option<(u32, u32)>, String> {
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
            let (uid, gid) = user_ids(&u).ok_or_else(|| format!("user {u} does not exist"))?;
            let gid = match grp {
                Some(gn) => group_id(&gn).ok_or_else(|| format!("group {gn} does not exist"))?,
                None => gid,
            };
            (uid != 0).then_some((uid, gid))
        }
    };
    if ids.is_none() && g.enable_script_security {
        if let Some(prog) = argv.first() {
            root_script_ok(prog)?;
        }
    }
    Ok(ids)
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

/// Runs a script in its own process group (keepalived: execve directly, stdio to null),
/// as `ids` (uid, gid) when given.
pub fn spawn(argv: &[String], ids: Option<(u32, u32)>) -> io::Result<Child> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::other("empty command"))?;
    let mut cmd = Command::new(prog);
    if let Some((uid, gid)) = ids {
        cmd.gid(gid).uid(uid);
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// SIGTERM to a script's process group (keepalived adds SIGKILL 2 s later; here the
/// child is reaped when it goes).
pub fn kill_group(mut c: Child) {
    // The script's process group (process_group(0) made it the leader).
    let _ = ka_ipc::proc::signal(-(c.id() as i32), libc::SIGTERM);
    let _ = c.try_wait();
}
