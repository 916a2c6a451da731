//! keepalived's text dumps of the running instances (vrrp_print.c, vrrp_data.c):
//! keepalived.stats (SIGUSR2) and keepalived.data (SIGUSR1). The JSON dump is [`crate::json`].

use std::time::Duration;

use ka_config::model::{self, Config};

use crate::state::State;
use crate::sync::Router;

/// keepalived's /tmp/keepalived.stats layout (vrrp_print.c).
pub fn stats(router: &Router) -> String {
    let mut s = String::new();
    for i in &router.instances {
        let t = &i.stats;
        s.push_str(&format!(
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name(),
            t.advert_rcvd,
            t.advert_sent,
            t.become_master,
            t.release_master,
            t.packet_len_err,
            t.ip_ttl_err,
            t.invalid_type_rcvd,
            t.advert_interval_err,
            t.addr_list_err,
            t.invalid_authtype,
            t.authtype_mismatch,
            t.auth_failure,
            t.pri_zero_rcvd,
            t.pri_zero_sent
        ));
        // keepalived-rs adds the errors keepalived does not count separately.
        s.push_str(&format!(
            "  Other Errors:\n    Checksum: {}\n    Version: {}\n    Other: {}\n",
            t.checksum_err, t.version_err, t.other_err
        ));
    }
    s
}

/// The global definitions keepalived-rs acts on, as keepalived's keepalived.data
/// words them (keepalived also lists settings of features not built here).
fn globals(cfg: &Config, host: &str) -> String {
    let g = &cfg.global;
    let secs = |d: Duration| ka_config::dump::secs(d);
    let yes = |b: bool| if b { "true" } else { "false" };
    let opt = |b: Option<bool>| match b {
        None => "unset",
        Some(true) => "true",
        Some(false) => "false",
    };
    let mut s = String::from("------< Global definitions >------\n");
    let line = |s: &mut String, k: &str, v: String| s.push_str(&format!(" {k} = {v}\n"));
    line(
        &mut s,
        "Router ID",
        g.router_id.clone().unwrap_or_else(|| host.to_string()),
    );
    if let Some(srv) = &g.smtp_server {
        line(&mut s, "Smtp server", format!("{}:{}", srv.host, srv.port));
        line(
            &mut s,
            "Smtp HELO name",
            g.smtp_helo_name.clone().unwrap_or_else(|| host.to_string()),
        );
        line(
            &mut s,
            "Smtp server connection timeout",
            secs(g.smtp_connect_timeout),
        );
    }
    if !g.notification_email.is_empty() {
        line(
            &mut s,
            "Email notification from",
            g.notification_email_from.clone().unwrap_or_default(),
        );
        for e in &g.notification_email {
            line(&mut s, "Email notification", e.clone());
        }
    }
    line(&mut s, "Default smtp_alert", opt(g.smtp_alert).into());
    line(
        &mut s,
        "Default smtp_alert_vrrp",
        opt(g.smtp_alert_vrrp).into(),
    );
    line(
        &mut s,
        "Default interface",
        g.default_interface.clone().unwrap_or_else(|| "eth0".into()),
    );
    line(
        &mut s,
        "VRRP IPv4 mcast group",
        g.vrrp_mcast_group4.to_string(),
    );
    line(
        &mut s,
        "VRRP IPv6 mcast group",
        g.vrrp_mcast_group6.to_string(),
    );
    line(
        &mut s,
        "Gratuitous ARP delay",
        secs(g.vrrp_garp_master_delay),
    );
    line(
        &mut s,
        "Gratuitous ARP repeat",
        g.vrrp_garp_master_repeat.to_string(),
    );
    line(
        &mut s,
        "Gratuitous ARP refresh timer",
        secs(g.vrrp_garp_master_refresh),
    );
    line(
        &mut s,
        "Gratuitous ARP refresh repeat",
        g.vrrp_garp_master_refresh_repeat.to_string(),
    );
    line(
        &mut s,
        "Gratuitous ARP lower priority delay",
        secs(g.vrrp_garp_lower_prio_delay),
    );
    line(
        &mut s,
        "Gratuitous ARP lower priority repeat",
        g.vrrp_garp_lower_prio_repeat.to_string(),
    );
    line(
        &mut s,
        "Num adverts before down",
        g.vrrp_down_timer_adverts.to_string(),
    );
    line(
        &mut s,
        "Send advert after receive lower priority advert",
        yes(!g.vrrp_lower_prio_no_advert).into(),
    );
    line(
        &mut s,
        "Send advert after receive higher priority advert",
        yes(g.vrrp_higher_prio_send_advert).into(),
    );
    line(
        &mut s,
        "VRRP default protocol version",
        g.vrrp_version.to_string(),
    );
    if let Some(f) = crate::firewall::Firewall::from_config(cfg) {
        line(&mut s, "nftables table name", f.table);
        line(
            &mut s,
            "nftables base chain priority",
            f.priority.to_string(),
        );
        s.push_str(&format!(
            " nftables {}force use ifindex for link local IPv6\n",
            if g.nftables_ifindex { "" } else { "don't " }
        ));
    }
    s.push_str(&format!(
        " nftables with{} counters\n",
        if g.nftables_counters { "" } else { "out" }
    ));
    line(
        &mut s,
        "VRRP check unicast_src",
        yes(g.vrrp_check_unicast_src).into(),
    );
    line(
        &mut s,
        "VRRP skip check advert addresses",
        yes(g.vrrp_skip_check_adv_addr).into(),
    );
    line(&mut s, "VRRP strict mode", yes(g.vrrp_strict).into());
    s.push_str(if g.enable_script_security {
        " Script security enabled\n"
    } else {
        " Script security disabled\n"
    });
    s
}

/// The VRRP part of keepalived's /tmp/keepalived.data, in its wording.
pub fn data(cfg: &Config, router: &Router, host: &str) -> String {
    let mut s = globals(cfg, host);
    s.push_str("------< VRRP Topology >------\n");
    for (n, i) in router.instances.iter().enumerate() {
        let m = &cfg.instances[n];
        let held = i.state() == State::Master;
        s.push_str(&format!(" VRRP Instance = {}\n", i.name()));
        s.push_str(&format!("   VRRP Version = {}\n", m.version));
        s.push_str(&format!("   State = {}\n", i.state().name()));
        s.push_str(&format!(
            "   Wantstate = {}\n",
            if m.state == model::InitialState::Master {
                "MASTER"
            } else {
                "BACKUP"
            }
        ));
        s.push_str(&format!(
            "   Master down timer = {} usecs\n",
            i.master_down().as_micros()
        ));
        s.push_str(&format!(
            "   Interface = {}\n",
            m.interface.as_deref().unwrap_or("(none)")
        ));
        s.push_str(&format!("   Using src_ip = {}\n", i.cfg.src));
        if i.cfg.peers.is_empty() {
            s.push_str(&format!("   Multicast address {}\n", i.cfg.mcast_group));
        } else {
            for p in &i.cfg.peers {
                s.push_str(&format!("   Unicast peer {}\n", p.addr));
            }
        }
        s.push_str(&format!("   Virtual Router ID = {}\n", m.vrid));
        s.push_str(&format!("   Priority = {}\n", m.priority));
        s.push_str(&format!(
            "   Effective priority = {}\n",
            i.effective_priority()
        ));
        s.push_str(&format!(
            "   Advert interval = {}\n",
            ka_config::dump::secs(m.advert_int) + " sec"
        ));
        s.push_str(&format!(
            "   Preempt = {}\n",
            if m.nopreempt { "disabled" } else { "enabled" }
        ));
        if !m.preempt_delay.is_zero() {
            s.push_str(&format!(
                "   Preempt delay = {} secs\n",
                ka_config::dump::secs(m.preempt_delay)
            ));
        }
        let auth = match &m.auth {
            None => "none",
            Some(model::Auth::Pass(_)) => "SIMPLE_PASSWORD",
            Some(model::Auth::Ah(_)) => "IPSEC_AH",
        };
        s.push_str(&format!("   Authentication type = {auth}\n"));
        // keepalived: an instance's `debug` level is shown here and used nowhere else.
        if m.debug > 0 {
            s.push_str(&format!("   Debug level = {}\n", m.debug));
        }
        s.push_str(&format!("   Virtual IP ({}):\n", m.vips.len()));
        for a in &m.vips {
            let dev = a.dev.as_deref().or(m.interface.as_deref()).unwrap_or("");
            s.push_str(&format!(
                "     {}/{} dev {dev} scope global{}\n",
                a.addr,
                a.prefix,
                if held { " set" } else { "" }
            ));
        }
        s.push_str(&format!(
            "   Using smtp notification = {}\n",
            if m.smtp_alert { "yes" } else { "no" }
        ));
    }
    s
}
