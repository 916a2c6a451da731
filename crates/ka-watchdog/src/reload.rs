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

/// keepalived's reload_check_config LOG_FILE: what `-t` would say of the new
/// configuration, written afresh before each reload.
pub fn write_check_log(path: &str, loaded: &ka_config::Loaded) {
    let mut text = String::new();
    for d in &loaded.diagnostics {
        text.push_str(&d.short(&loaded.sources));
        text.push('\n');
    }
    text.push_str(&format!(
        "{} error(s), {} warning(s); exit {}\n",
        loaded.errors(),
        loaded.diagnostics.len() - loaded.errors(),
        loaded.config_test_exit_code()
    ));
    if let Err(e) = std::fs::write(path, text) {
        log::info!("cannot write the config check log {path} - {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ka_config::model::Config;
    use ka_vrrp::reload::plan;

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
