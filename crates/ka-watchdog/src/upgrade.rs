//! An upgrade in place (`keepalived-rs upgrade`, run by the package after it replaced the
//! executable): the parent checks that the new executable can take over, writes what it
//! knows to a file, and execs the new executable with the same PID (so systemd keeps
//! tracking it) and the children's channels kept open. The new parent adopts the running
//! children, then replaces them through the reload hand-over: no VIP leaves a master, no
//! backup takes over, no real server is notified again.
//!
//! What crosses the exec is [`Carried`], as JSON (fields are only added; a new parent reads
//! an older one's file). The children's protocol does not cross versions: the old parent
//! refuses to exec a program whose `ka_ipc::VERSION` differs (it could not hand over its
//! children), and the daemon keeps running as it was.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The layout of [`Carried`]; a new parent refuses a file of another.
pub const FORMAT: u32 = 1;

/// The hidden option that tells a new parent it is an upgrade, and where its state is.
pub const STATE_OPTION: &str = "--upgrade-state";
/// The hidden option that asks a program whether it can take over (printing [`Check`]).
pub const CHECK_OPTION: &str = "--upgrade-check";

/// A running child as the new parent adopts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CarriedChild {
    /// "vrrp" or "check".
    pub kind: String,
    pub pid: u32,
    /// Its channel's descriptor, kept open across the exec.
    pub fd: i32,
    /// How long it had been running, in milliseconds.
    pub running_ms: u64,
    pub restarts_total: u64,
}

/// What the parent knows that is not in the configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub format: u32,
    /// The version that wrote this.
    pub from_version: String,
    pub children: Vec<CarriedChild>,
    pub states: Vec<ka_ipc::InstanceState>,
    pub scripts: Vec<(String, bool)>,
    pub originals: Vec<(String, u32)>,
    pub servers: Vec<ka_ipc::ServerState>,
    pub reloads: u64,
    pub last_reload: Option<ka_ipc::status::ReloadStatus>,
    pub upgrades: u64,
    pub started_wall: f64,
    /// systemd's NOTIFY_SOCKET and WATCHDOG_USEC, taken out of the environment at start.
    pub notify_socket: Option<String>,
    pub watchdog_usec: Option<String>,
}

/// What `--upgrade-check` prints: the program's version and whether it can load the
/// configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub version: String,
    pub ipc: u32,
    pub format: u32,
    /// The configuration's errors, if any (then it cannot take over).
    pub errors: Vec<String>,
}

/// The command line the new program gets: the original one, without a previous upgrade's
/// state option, with `extra` appended.
pub fn argv(original: &[String], extra: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = original.iter();
    while let Some(a) = it.next() {
        if a == STATE_OPTION || a == CHECK_OPTION {
            if a == STATE_OPTION {
                it.next();
            }
            continue;
        }
        if a.starts_with(&format!("{STATE_OPTION}=")) {
            continue;
        }
        out.push(a.clone());
    }
    out.extend(extra.iter().map(|s| s.to_string()));
    out
}

/// Whether a program answering `check` can take over from this one.
pub fn compatible(check: &Check) -> Result<(), Refused> {
    if check.ipc != ka_ipc::VERSION {
        return Err(Refused::Protocol {
            version: check.version.clone(),
            ipc: check.ipc,
        });
    }
    if check.format != FORMAT {
        return Err(Refused::Format {
            version: check.version.clone(),
            format: check.format,
        });
    }
    if !check.errors.is_empty() {
        return Err(Refused::Configuration {
            version: check.version.clone(),
            errors: check.errors.clone(),
        });
    }
    Ok(())
}

/// Why an upgrade in place does not happen (the daemon runs on), worded for the
/// operator who asked for it.
#[derive(Debug)]
pub enum Refused {
    /// The new program speaks another child protocol.
    Protocol { version: String, ipc: u32 },
    /// It reads another upgrade state format.
    Format { version: String, format: u32 },
    /// It finds errors in the configuration.
    Configuration {
        version: String,
        errors: Vec<String>,
    },
    /// It cannot be run.
    Run { exe: PathBuf, e: io::Error },
    /// It did not answer in 60 s.
    Silent(PathBuf),
    /// It answered something else (the first 200 characters).
    Answer { exe: PathBuf, said: String },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Protocol { version, ipc } => write!(
                f,
                "{version} speaks child protocol {ipc}, the running children {}: it cannot take them over",
                ka_ipc::VERSION
            ),
            Refused::Format { version, format } => write!(
                f,
                "{version} reads upgrade state format {format}, this one writes {FORMAT}"
            ),
            Refused::Configuration { version, errors } => write!(
                f,
                "{version} finds errors in the configuration: {}",
                errors.join("; ")
            ),
            Refused::Run { exe, e } => write!(f, "cannot run {}: {e}", exe.display()),
            Refused::Silent(exe) => write!(f, "{} did not answer in 60 s", exe.display()),
            Refused::Answer { exe, said } => write!(
                f,
                "{} does not answer {CHECK_OPTION} (not a keepalived-rs that can upgrade in place): {said:?}",
                exe.display()
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// Runs `exe --upgrade-check` with the daemon's options (at most 60 s) and reads its
/// answer.
pub fn ask(exe: &Path, original: &[String]) -> Result<Check, Refused> {
    let args = argv(original, &[CHECK_OPTION]);
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args.iter().skip(1))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| Refused::Run { exe: exe.into(), e })?;
    let pid = child.id();
    if !matches!(
        ka_ipc::proc::exited_within(pid, Duration::from_secs(60), || child.try_wait()),
        Ok(Some(_))
    ) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Refused::Silent(exe.into()));
    }
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = io::Read::read_to_string(&mut o, &mut out);
    }
    serde_json::from_str::<Check>(out.trim()).map_err(|_| Refused::Answer {
        exe: exe.into(),
        said: out.chars().take(200).collect(),
    })
}

/// Writes the state for the new parent (0600, beside the control socket).
pub fn write(dir: &Path, c: &Carried) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("upgrade.{}.json", std::process::id()));
    let text = serde_json::to_vec(c).map_err(io::Error::other)?;
    ka_runtime::dumps::write_private(&path, &[&text])?;
    Ok(path)
}

/// Reads (and removes) the state an old parent left.
pub fn read(path: &Path) -> io::Result<Carried> {
    let text = std::fs::read(path)?;
    let _ = std::fs::remove_file(path);
    let c: Carried =
        serde_json::from_slice(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if c.format != FORMAT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("upgrade state format {}, expected {FORMAT}", c.format),
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn argv_drops_a_previous_state_and_appends() {
        let orig = s(&[
            "keepalived-rs",
            "-n",
            "--upgrade-state",
            "/run/x",
            "-f",
            "k.conf",
        ]);
        assert_eq!(
            argv(&orig, &[STATE_OPTION, "/run/y"]),
            s(&[
                "keepalived-rs",
                "-n",
                "-f",
                "k.conf",
                "--upgrade-state",
                "/run/y"
            ])
        );
        assert_eq!(
            argv(&s(&["k", "--upgrade-state=/a", "-l"]), &[CHECK_OPTION]),
            s(&["k", "-l", "--upgrade-check"])
        );
    }

    #[test]
    fn compatibility_is_the_child_protocol_the_format_and_a_clean_configuration() {
        let ok = Check {
            version: "0.2.0".into(),
            ipc: ka_ipc::VERSION,
            format: FORMAT,
            errors: vec![],
        };
        assert!(compatible(&ok).is_ok());
        let e = compatible(&Check {
            ipc: ka_ipc::VERSION + 1,
            ..ok.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot take them over"), "{e}");
        assert!(compatible(&Check {
            format: FORMAT + 1,
            ..ok.clone()
        })
        .is_err());
        assert!(compatible(&Check {
            errors: vec!["k.conf:3:5: bad".into()],
            ..ok
        })
        .unwrap_err()
        .to_string()
        .contains("k.conf:3:5"));
    }

    #[test]
    fn state_round_trip_and_format_check() {
        let dir = std::env::temp_dir().join(format!("ka-upgrade-{}", std::process::id()));
        let c = Carried {
            format: FORMAT,
            from_version: "0.1.0".into(),
            children: vec![CarriedChild {
                kind: "vrrp".into(),
                pid: 42,
                fd: 7,
                running_ms: 1000,
                restarts_total: 1,
            }],
            ..Carried::default()
        };
        let p = write(&dir, &c).unwrap();
        assert_eq!(read(&p).unwrap(), c);
        assert!(!p.exists(), "the state file is removed once read");
        let p = write(
            &dir,
            &Carried {
                format: FORMAT + 1,
                ..c
            },
        )
        .unwrap();
        assert!(read(&p).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
