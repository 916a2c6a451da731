//! The running configuration as the long-running parent keeps it between uses.

use std::collections::BTreeSet;
use std::io;
use std::rc::Rc;

use ka_config::Config;

/// The encoded configuration every child receives (ka-ipc's codec), and the few facts the
/// parent reads often. The typed model (about a kilobyte per VRRP instance, hundreds of
/// bytes per real server, in thousands of small allocations) is decoded only when a rare
/// event needs it — a reload's plan, an upgrade, a crash loop's VIP release — and given
/// back at once, so that the parent stays small beside the children that run it.
#[derive(Clone, Debug)]
pub struct Kept {
    blob: Rc<[u8]>,
    /// The instances and static addresses, routes and rules, encoded apart: what a
    /// reload's plan reads (decoding them is cheap beside 36,000 real servers).
    vrrp: Rc<[u8]>,
    instances: bool,
    virtual_servers: bool,
    /// The virtual servers' names (what the real servers' states are reported under).
    vs_names: BTreeSet<String>,
    real_servers: usize,
    /// global_defs' reload_file and reload_check_config: what the next reload does
    /// before and after it reads the files.
    reload_file: Option<String>,
    reload_check_config: Option<String>,
    /// reload_time_file and reload_repeat.
    reload_time: Option<(String, bool)>,
    /// child_wait_time: how long a stop waits for the children.
    child_wait_time: std::time::Duration,
    /// config_save_dir: where each reload's dumps go.
    config_save_dir: Option<String>,
}

impl Kept {
    pub fn new(c: &Config) -> io::Result<Kept> {
        let blob = ka_ipc::codec::encode_config(c).map_err(io::Error::other)?;
        let vrrp =
            ka_ipc::codec::encode(&ka_vrrp::reload::VrrpPart::of(c)).map_err(io::Error::other)?;
        Ok(Kept {
            blob: blob.into(),
            vrrp: vrrp.into(),
            instances: !c.instances.is_empty(),
            virtual_servers: !c.virtual_servers.is_empty(),
            vs_names: c
                .virtual_servers
                .iter()
                .map(ka_check::config::vs_name)
                .collect(),
            real_servers: c.virtual_servers.iter().map(|v| v.real_servers.len()).sum(),
            reload_file: c.global.reload_file.clone(),
            reload_check_config: c.global.reload_check_config.clone(),
            reload_time: c
                .global
                .reload_time_file
                .clone()
                .map(|f| (f, c.global.reload_repeat)),
            child_wait_time: c.global.child_wait_time,
            config_save_dir: c.global.config_save_dir.clone(),
        })
    }

    /// The typed model, decoded again.
    pub fn config(&self) -> io::Result<Config> {
        ka_ipc::codec::decode_config(&self.blob).map_err(io::Error::other)
    }

    /// What a child receives.
    /// The running configuration's VRRP part (see [`ka_vrrp::reload::VrrpPart`]).
    pub fn vrrp_part(&self) -> io::Result<ka_vrrp::reload::VrrpPart> {
        ka_ipc::codec::decode(&self.vrrp).map_err(io::Error::other)
    }

    pub fn blob(&self) -> Rc<[u8]> {
        self.blob.clone()
    }

    pub fn has_instances(&self) -> bool {
        self.instances
    }

    pub fn has_virtual_servers(&self) -> bool {
        self.virtual_servers
    }

    pub fn has_vs(&self, name: &str) -> bool {
        self.vs_names.contains(name)
    }

    pub fn real_servers(&self) -> usize {
        self.real_servers
    }

    pub fn child_wait_time(&self) -> std::time::Duration {
        self.child_wait_time
    }

    pub fn config_save_dir(&self) -> Option<&str> {
        self.config_save_dir.as_deref()
    }

    pub fn reload_file(&self) -> Option<&str> {
        self.reload_file.as_deref()
    }

    pub fn reload_check_config(&self) -> Option<&str> {
        self.reload_check_config.as_deref()
    }

    /// reload_time_file with reload_repeat.
    pub fn reload_time(&self) -> Option<(&str, bool)> {
        self.reload_time.as_ref().map(|(f, r)| (f.as_str(), *r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_comes_back_whole() {
        let src = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 10.0.0.1/24\n }\n}\n\
                   virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.2 80 {\n }\n}\n";
        let loaded = ka_config::parse_str("k.conf", src, &ka_config::Options::default());
        let k = Kept::new(&loaded.config).unwrap();
        assert_eq!(k.config().unwrap(), loaded.config);
        assert!(k.has_instances() && k.has_virtual_servers());
        assert_eq!(k.real_servers(), 2);
        assert!(k.has_vs(&ka_check::config::vs_name(
            &loaded.config.virtual_servers[0]
        )));
        assert!(!k.has_vs("[10.0.0.2]:tcp:80"));
        let empty = Kept::new(&Config::default()).unwrap();
        assert!(!empty.has_instances() && !empty.has_virtual_servers());
        assert_eq!(empty.real_servers(), 0);
    }
}
