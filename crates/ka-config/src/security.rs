//! keepalived's script security rules, checked at load time (lib/notify.c
//! check_script_secure): which user scripts run as, whether root-run scripts can be
//! changed by someone else, and whether the script files exist at all.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Severity};
use crate::model::Config;
use crate::shell;
use crate::tree::Node;

/// Keywords whose first argument is a command (keepalived's `install_keyword_quoted`).
pub const SCRIPT_KEYWORDS: &[&str] = &[
    "script",
    "notify",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify_master_rx_lower_pri",
    "notify_deleted",
    "notify_up",
    "notify_down",
    "misc_path",
    "quorum_up",
    "quorum_down",
    "notify_fifo_script",
    "vrrp_notify_fifo_script",
    "lvs_notify_fifo_script",
    "startup_script",
    "shutdown_script",
];

fn user_exists(name: &str) -> bool {
    crate::inputs::read_to_string(Path::new("/etc/passwd"))
        .map(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}

/// Every script keyword with an argument, with the vrrp_script it is in (if it is).
fn collect<'n>(
    nodes: &'n [Node],
    within: Option<&'n str>,
    out: &mut Vec<(&'n Node, Option<&'n str>)>,
) {
    for n in nodes {
        if SCRIPT_KEYWORDS.contains(&n.key.text.as_str()) && !n.args.is_empty() {
            out.push((n, within));
        }
        if let Some(b) = &n.block {
            let name = (n.key.text == "vrrp_script")
                .then(|| n.args.first().map(|t| t.text.as_str()))
                .flatten();
            collect(&b.children, name, out);
        }
    }
}

/// The file a command runs: absolute, relative to the working directory, or found in PATH.
fn resolve(prog: &str) -> Option<PathBuf> {
    if prog.contains('/') {
        let p = PathBuf::from(prog);
        return crate::inputs::exists(&p).then_some(p);
    }
    let path = crate::inputs::env("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    path.split(':')
        .map(|d| Path::new(d).join(prog))
        .find(|p| crate::inputs::is_file(p))
}

/// The first part of `file`'s path that someone other than root could change, if any.
fn insecure_part(file: &Path) -> Option<(PathBuf, &'static str)> {
    let real = crate::inputs::canonicalize(file).ok()?;
    let mut p = Some(real.as_path());
    while let Some(cur) = p {
        let m = crate::inputs::metadata(cur).ok()?;
        if m.uid() != 0 {
            return Some((cur.to_path_buf(), "is not owned by root"));
        }
        let sticky = m.mode() & 0o1000 != 0 && m.is_dir();
        if m.mode() & 0o022 != 0 && !sticky {
            return Some((cur.to_path_buf(), "is writable by group or others"));
        }
        p = cur.parent();
    }
    None
}

/// For the daemon: whether a root-run script may run under enable_script_security
/// (found, and no part of its path writable by others).
pub fn root_script_ok(prog: &str) -> Result<(), ScriptRefused> {
    let Some(file) = resolve(prog) else {
        return Err(ScriptRefused::NotFound(prog.into()));
    };
    match insecure_part(&file) {
        Some((part, why)) => Err(ScriptRefused::Insecure {
            prog: prog.into(),
            part,
            why,
        }),
        None => Ok(()),
    }
}

/// Why a script may not run as root under enable_script_security.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptRefused {
    NotFound(String),
    /// `part` of its path is writable by someone else (`why`).
    Insecure {
        prog: String,
        part: PathBuf,
        why: &'static str,
    },
}

impl std::fmt::Display for ScriptRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptRefused::NotFound(prog) => write!(f, "script '{prog}' not found"),
            ScriptRefused::Insecure { prog, part, why } => write!(
                f,
                "SECURITY VIOLATION - script '{prog}': {} {why}",
                part.display()
            ),
        }
    }
}

impl std::error::Error for ScriptRefused {}

/// uid and primary gid of a user (from /etc/passwd).
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let p = crate::inputs::read_to_string(Path::new("/etc/passwd")).ok()?;
    p.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// gid of a group (from /etc/group).
pub fn group_id(name: &str) -> Option<u32> {
    let g = crate::inputs::read_to_string(Path::new("/etc/group")).ok()?;
    g.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[0] == name).then(|| f[2].parse().ok())?
    })
}

/// The script lines of a configuration's tree, each with the vrrp_script it is in (if it
/// is), copied out so that the tree can go before [`check`] runs.
pub fn scripts(nodes: &[Node]) -> Vec<(Node, Option<String>)> {
    let mut found = Vec::new();
    collect(nodes, None, &mut found);
    found
        .into_iter()
        .map(|(n, within)| {
            let line = Node {
                key: n.key.clone(),
                args: n.args.clone(),
                block: None,
            };
            (line, within.map(str::to_string))
        })
        .collect()
}

/// The security check of the script lines [`scripts`] found.
pub fn check(
    c: &Config,
    raws: &crate::token::RawTexts,
    mut found: Vec<(Node, Option<String>)>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // keepalived checks the VRRP side's scripts only when there is a vrrp_instance, the
    // checker side's only when there is a virtual_server (each process checks its own).
    let vrrp = !c.instances.is_empty();
    let checker = !c.virtual_servers.is_empty();
    found.retain(|(n, _)| match n.key.text.as_str() {
        "misc_path"
        | "notify_up"
        | "notify_down"
        | "quorum_up"
        | "quorum_down"
        | "lvs_notify_fifo_script" => checker,
        "notify_fifo_script" => vrrp || checker,
        // The parent's own.
        "startup_script" | "shutdown_script" => true,
        _ => vrrp,
    });
    if found.is_empty() {
        return out;
    }
    let scripts: Vec<&Node> = found.iter().map(|(n, _)| n).collect();
    let secure = c.global.enable_script_security;
    // keepalived: the default user is script_user, else keepalived_script if it exists,
    // else root.
    let default_user = match &c.global.script_user {
        Some((u, _)) => u.clone(),
        None if user_exists("keepalived_script") => "keepalived_script".into(),
        None if secure => {
            let n = scripts[0];
            out.push(Diagnostic::new(
                Severity::Error,
                n.key.pos,
                n.key.width as usize,
                "enable_script_security is set but neither script_user nor the user keepalived_script exists: scripts without their own user cannot run",
            ));
            return out;
        }
        None => "root".into(),
    };
    let mut root_run = false;
    for (n, vrrp_script) in &found {
        // notify* and *_fifo_script may name their own user after the command.
        let own_user = match n.key.text.as_str() {
            "script" | "misc_path" => None,
            _ => n.args.get(1).map(|t| t.text.to_string()),
        };
        let user = own_user.unwrap_or_else(|| default_user.clone());
        let Ok(argv) = shell::split(raws.of(&n.args[0])) else {
            continue;
        };
        let Some(prog) = argv.first() else { continue };
        let t = &n.args[0];
        let Some(file) = resolve(prog) else {
            // keepalived check_track_script_secure: a vrrp_script that cannot run is a
            // configuration warning (exit 5) and is taken out of every instance; a
            // notify script that cannot run is only logged.
            out.push(match vrrp_script.as_deref() {
                Some(name) if n.key.text == "script" => Diagnostic::new(
                    Severity::Warning,
                    t.pos,
                    t.width as usize,
                    format!("Disabling track script {name} since not found/accessible ('{prog}' is not on this host)"),
                ),
                _ => Diagnostic::new(
                    Severity::Note,
                    t.pos,
                    t.width as usize,
                    format!("script '{prog}' not found; it will not run"),
                ),
            });
            continue;
        };
        if user != "root" {
            continue;
        }
        root_run = true;
        if let Some((part, why)) = insecure_part(&file) {
            let sev = if secure {
                Severity::Error
            } else {
                Severity::Security
            };
            let tail = if secure {
                "it is disabled"
            } else {
                "it runs anyway because enable_script_security is not set"
            };
            out.push(Diagnostic::new(
                sev,
                t.pos,
                t.width as usize,
                format!(
                    "SECURITY VIOLATION - script '{prog}' runs as root but {} {why}; {tail}",
                    part.display()
                ),
            ));
        }
    }
    if root_run && !secure {
        let n = scripts[0];
        out.push(Diagnostic::new(
            Severity::Security,
            n.key.pos,
            n.key.width as usize,
            "SECURITY VIOLATION - scripts are being executed as root but script_security not enabled (set enable_script_security, or script_user)",
        ));
    }
    out
}
