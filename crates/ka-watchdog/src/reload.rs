//! What a reload carries over in the parent: the retiring child's last states, renamed to
//! the new configuration's instances (the plan itself is ka-vrrp's `reload::plan`).

use ka_ipc::InstanceState;
use ka_vrrp::reload::Plan;

/// The retiring child's last states, renamed to the new configuration's instances;
/// deleted instances are dropped.
pub fn carry_states(plan: &Plan, states: &[InstanceState]) -> Vec<InstanceState> {
    plan.kept
        .iter()
        .filter_map(|(old, new)| {
            states
                .iter()
                .find(|s| &s.name == old)
                .map(|s| InstanceState {
                    name: new.clone(),
                    ..s.clone()
                })
        })
        .collect()
}

/// What the parent keeps of the carried states for a later restart: a master-down
/// deadline is good for this handover only (taken up by a crash successor much later it
/// would cut a backup's wait short while its master is alive).
pub fn remembered(carried: &[InstanceState]) -> Vec<InstanceState> {
    carried
        .iter()
        .map(|s| InstanceState {
            master_down_left_ms: None,
            ..s.clone()
        })
        .collect()
}

/// keepalived's reload_file: created (or emptied) with mode 0644 before a reload reads
/// the configuration; the caller removes it once the files are read.
pub fn create_reload_file(path: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let r = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path);
    if let Err(e) = r {
        log::info!("Failed to create reload file ({path}) - {e}");
    }
}

/// What a read of the configuration said and read: kept for the running configuration, so
/// that a reload whose inputs are all unchanged says it again without reading.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Read {
    /// What it read from outside its text.
    pub inputs: ka_config::inputs::Inputs,
    /// Its diagnostics, one line each, with whether each is an error (or a security one).
    pub said: Vec<(bool, String)>,
    /// The main file could not be read: nothing can run.
    fatal: bool,
    errors: usize,
    exit: i32,
}

impl Read {
    pub fn of(loaded: &ka_config::Loaded) -> Read {
        use ka_config::Severity::{Error, Security};
        Read {
            inputs: loaded.inputs.clone(),
            said: loaded
                .diagnostics
                .iter()
                .map(|d| {
                    (
                        matches!(d.severity, Error | Security),
                        d.short(&loaded.sources),
                    )
                })
                .collect(),
            fatal: loaded.fatal,
            errors: loaded.errors(),
            exit: loaded.config_test_exit_code(),
        }
    }

    /// A reading that could not be done at all (its process failed): nothing can run.
    pub fn failed(why: String) -> Read {
        Read {
            said: vec![(true, why)],
            fatal: true,
            errors: 1,
            exit: 4,
            ..Read::default()
        }
    }

    /// The main file could not be read (or the reading failed): nothing can run.
    pub fn fatal(&self) -> bool {
        self.fatal
    }

    /// A reload would refuse it: it cannot run, or it has errors.
    pub fn refused(&self) -> bool {
        self.fatal || self.said.iter().any(|(error, _)| *error)
    }

    /// keepalived's reload_check_config LOG_FILE, written afresh before each reload: what
    /// `-t` would say of the configuration, each diagnostic, then a summary.
    pub fn check_log(&self) -> String {
        let mut text = String::new();
        for (_, line) in &self.said {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!(
            "{} error(s), {} warning(s); exit {}\n",
            self.errors,
            self.said.len() - self.errors,
            self.exit
        ));
        text
    }
}

/// A reading of the configuration as the daemon's parent receives it from the process
/// that did it ([`Reading::apart`]): the model, and what the reading said and read.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    pub config: ka_config::Config,
    pub read: Read,
    /// An include failed a check it was asked for: a start is refused (exit 6).
    pub include_error: bool,
}

impl Reading {
    pub fn of(loaded: ka_config::Loaded) -> Reading {
        Reading {
            read: Read::of(&loaded),
            include_error: loaded.include_error,
            config: loaded.config,
        }
    }

    /// `load` run in a forked copy of this process: the parse's peak memory (several times
    /// the model it yields) is never the long-running parent's, and a reader that panics
    /// or crashes on some input is a reading that failed, not the daemon's end. `said`
    /// runs in the copy too, with the whole load (its diagnostics with their sources).
    pub fn apart(
        load: impl FnOnce() -> ka_config::Loaded,
        said: impl FnOnce(&ka_config::Loaded),
    ) -> std::io::Result<Reading> {
        ka_ipc::proc::apart(|| {
            let loaded = load();
            said(&loaded);
            Reading::of(loaded)
        })
    }

    /// A reading that could not be done: nothing can run, and why.
    pub fn failed(e: std::io::Error) -> Reading {
        Reading {
            read: Read::failed(format!("the configuration could not be read: {e}")),
            ..Reading::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ka_config::model::Config;
    use ka_vrrp::reload::plan;

    #[test]
    fn what_a_reading_said_is_said_again() {
        // Read from memory: the record has the file's digest, and memory is not what
        // `unchanged` asks (the real filesystem), so such a record never skips a read.
        let bad = ka_config::parse_str(
            "/k.conf",
            "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 999\n}\n",
            &Default::default(),
        );
        let r = Read::of(&bad);
        assert!(r.refused(), "an error refuses a reload");
        assert!(!r.inputs.is_empty());
        assert!(!r.inputs.unchanged(&ka_config::fs::RealFs));
        let log = r.check_log();
        assert!(log.contains("/k.conf:3:23: error:"), "{log}");
        assert!(
            log.ends_with(&format!(
                "{} error(s), {} warning(s); exit {}\n",
                bad.errors(),
                bad.diagnostics.len() - bad.errors(),
                bad.config_test_exit_code()
            )),
            "{log}"
        );
        let good = ka_config::parse_str("/k.conf", "global_defs {\n}\n", &Default::default());
        let r = Read::of(&good);
        assert!(!r.refused());
        assert_eq!(r.check_log(), "0 error(s), 0 warning(s); exit 0\n");
    }

    #[test]
    fn a_reading_done_apart_comes_back_whole_and_its_failure_refuses() {
        let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 10.0.0.1/24\n }\n}\nvirtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n}\n";
        let here = Reading::of(ka_config::parse_str("/k.conf", text, &Default::default()));
        let mut said = false;
        let apart = Reading::apart(
            || ka_config::parse_str("/k.conf", text, &Default::default()),
            |l| said = l.diagnostics.is_empty(),
        )
        .unwrap();
        // `said` ran in the copy: nothing of it here.
        assert!(!said);
        assert_eq!(apart.config, here.config);
        assert_eq!(apart.read.said, here.read.said);
        assert_eq!(apart.read.inputs.len(), here.read.inputs.len());
        assert!(!apart.read.refused() && !apart.include_error);
        // A reader that panics (a defect meeting some input): a failed reading, refused.
        let e = Reading::apart(|| panic!("a defect"), |_| {}).unwrap_err();
        let failed = Reading::failed(e);
        assert!(failed.read.fatal() && failed.read.refused());
        assert!(
            failed.read.said[0].1.contains("could not be read")
                && failed.read.said[0].1.contains("panicked: a defect"),
            "{:?}",
            failed.read.said
        );
        assert!(failed
            .read
            .check_log()
            .ends_with("1 error(s), 0 warning(s); exit 4\n"));
    }

    fn load(text: &str) -> Config {
        let l = ka_config::parse_str("/k.conf", text, &Default::default());
        assert!(
            l.diagnostics.is_empty(),
            "{:?}",
            l.diagnostics
                .iter()
                .map(|d| d.short(&l.sources))
                .collect::<Vec<_>>()
        );
        l.config
    }

    fn inst(name: &str, vrid: u8, vips: &str, extra: &str) -> String {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority 100\n {extra}\n virtual_ipaddress {{\n{vips}\n }}\n}}\n"
        )
    }

    #[test]
    fn instances_match_on_vrid_interface_and_family_not_name() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let new = load(&inst("renamed", 51, "10.0.0.1/24", ""));
        let p = plan(&old, &new);
        assert_eq!(p.kept, vec![("VI_1".to_string(), "renamed".to_string())]);
        let states = vec![InstanceState {
            name: "VI_1".into(),
            state: ka_ipc::VrrpState::Master,
            priority: 100,
            reason: String::new(),
            master_down_left_ms: None,
        }];
        assert_eq!(carry_states(&p, &states)[0].name, "renamed");
    }

    #[test]
    fn a_backups_deadline_goes_to_the_successor_only() {
        let old = load(&inst("VI_1", 51, "10.0.0.1/24", ""));
        let p = plan(&old, &old);
        let states = vec![InstanceState {
            name: "VI_1".into(),
            state: ka_ipc::VrrpState::Backup,
            priority: 100,
            reason: String::new(),
            master_down_left_ms: Some(420),
        }];
        let carried = carry_states(&p, &states);
        assert_eq!(carried[0].master_down_left_ms, Some(420));
        let kept = remembered(&carried);
        assert_eq!(kept[0].master_down_left_ms, None);
        assert_eq!(kept[0].state, ka_ipc::VrrpState::Backup);
    }
}
