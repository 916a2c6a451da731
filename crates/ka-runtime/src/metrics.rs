//! The Prometheus text format (version 0.0.4) of a [`Status`]. The VRRP metrics carry the
//! names and labels of mehdy/keepalived-exporter, so that existing dashboards keep working
//! (`keepalived_vrrp_state{iname,intf,vrid,ip_address}` once per VIP, the per-instance
//! `keepalived_*_total{iname,intf,vrid}` counters, `keepalived_script_status{name}`);
//! what no exporter has is under `keepalived_rs_`: real and virtual server health, check
//! latency, transition times, reloads, child restarts, build information.
//!
//! Each process renders its own families (the parent [`parent`], the VRRP child [`vrrp`],
//! the checker child its families from [`rs_lines`], cached per real server), and the
//! parent puts the parts together: a family never spans two processes.

use std::fmt::Write;

use ka_ipc::status::{ParentStatus, RsStatus, Status};

/// One metric family: HELP, TYPE and its samples.
pub struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        sample(self.out, name, labels, value);
    }
}

/// One sample line (no allocation: this runs tens of thousands of times a scrape).
pub fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (n, (k, v)) in labels.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            push_escaped(out, v);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = write!(out, "{}", value as i64);
    } else {
        let _ = write!(out, "{value}");
    }
    out.push('\n');
}

/// A label value with backslash, double quote and newline escaped.
fn push_escaped(out: &mut String, v: &str) {
    if !v.contains(['\\', '"', '\n']) {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The HELP and TYPE lines of each of `families` ((name, type, help)).
pub fn heads(families: &[(&str, &str, &str)]) -> Vec<String> {
    families
        .iter()
        .map(|(name, kind, help)| {
            let mut h = String::new();
            family(&mut h, name, kind, help);
            h
        })
        .collect()
}

/// A family's HELP and TYPE lines; its samples follow.
pub fn family<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out }
}

fn state_number(s: &str) -> f64 {
    match s {
        "INIT" => 0.0,
        "BACKUP" => 1.0,
        "MASTER" => 2.0,
        "FAULT" => 3.0,
        _ => 98.0,
    }
}

/// Every family of a whole status (the parent assembles the same from the parts).
pub fn render(s: &Status) -> String {
    let mut out = String::new();
    parent(&mut out, &s.keepalived_rs);
    if let Some(v) = &s.vrrp {
        vrrp(&mut out, v);
    }
    if let Some(c) = &s.checker {
        checker(&mut out, c);
    }
    out
}

/// The parent's own families.
pub fn parent(out: &mut String, p: &ParentStatus) {
    family(out, "keepalived_up", "gauge", "Whether keepalived is up.").sample(
        "keepalived_up",
        &[],
        1.0,
    );
    family(
        out,
        "keepalived_rs_build_info",
        "gauge",
        "The keepalived-rs version running.",
    )
    .sample("keepalived_rs_build_info", &[("version", &p.version)], 1.0);
    family(
        out,
        "keepalived_rs_start_time_seconds",
        "gauge",
        "When the daemon started, in seconds since 1970.",
    )
    .sample("keepalived_rs_start_time_seconds", &[], p.started);
    {
        let mut f = family(
            out,
            "keepalived_rs_child_restarts_total",
            "counter",
            "Restarts of a child process after a crash or hang.",
        );
        for pr in &p.processes {
            f.sample(
                "keepalived_rs_child_restarts_total",
                &[("process", &pr.name)],
                pr.restarts as f64,
            );
        }
    }
    {
        let mut f = family(
            out,
            "keepalived_rs_child_up",
            "gauge",
            "Whether the child process runs and answered this scrape.",
        );
        for pr in &p.processes {
            f.sample(
                "keepalived_rs_child_up",
                &[("process", &pr.name)],
                f64::from(u8::from(pr.pid.is_some() && pr.answered)),
            );
        }
    }
    family(
        out,
        "keepalived_rs_reloads_total",
        "counter",
        "Reloads asked for (SIGHUP), complete or refused.",
    )
    .sample("keepalived_rs_reloads_total", &[], p.reloads as f64);
    if let Some(r) = &p.last_reload {
        family(
            out,
            "keepalived_rs_last_reload_success",
            "gauge",
            "Whether the last reload completed (0: refused, the running configuration kept).",
        )
        .sample(
            "keepalived_rs_last_reload_success",
            &[],
            f64::from(u8::from(r.result == "complete")),
        );
        family(
            out,
            "keepalived_rs_last_reload_time_seconds",
            "gauge",
            "When the last reload was asked for, in seconds since 1970.",
        )
        .sample("keepalived_rs_last_reload_time_seconds", &[], r.time);
    }
}

/// The VRRP families made of one sample (or one per VIP) per instance, in order:
/// (name, type, help). [`instance_lines`] gives an instance's lines of each.
pub const INSTANCE_FAMILIES: [(&str, &str, &str); 18] = [
    (
        "keepalived_vrrp_state",
        "gauge",
        "State of the VRRP instance (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT), once per VIP.",
    ),
    (
        "keepalived_advertisements_received_total",
        "counter",
        "Advertisements received.",
    ),
    (
        "keepalived_advertisements_sent_total",
        "counter",
        "Advertisements sent.",
    ),
    (
        "keepalived_become_master_total",
        "counter",
        "Times the instance became MASTER.",
    ),
    (
        "keepalived_release_master_total",
        "counter",
        "Times the instance left MASTER.",
    ),
    (
        "keepalived_packet_length_errors_total",
        "counter",
        "Packets with a bad length.",
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "counter",
        "Advertisements with another interval.",
    ),
    (
        "keepalived_ip_ttl_errors_total",
        "counter",
        "Packets with a TTL other than 255.",
    ),
    (
        "keepalived_invalid_type_received_total",
        "counter",
        "Packets of an unknown VRRP type.",
    ),
    (
        "keepalived_address_list_errors_total",
        "counter",
        "Advertisements whose address list differs.",
    ),
    (
        "keepalived_authentication_invalid_total",
        "counter",
        "Packets with an unknown authentication type.",
    ),
    (
        "keepalived_authentication_mismatch_total",
        "counter",
        "Packets with another authentication type.",
    ),
    (
        "keepalived_authentication_failure_total",
        "counter",
        "Packets that failed authentication.",
    ),
    (
        "keepalived_priority_zero_received_total",
        "counter",
        "Priority-0 advertisements received.",
    ),
    (
        "keepalived_priority_zero_sent_total",
        "counter",
        "Priority-0 advertisements sent.",
    ),
    (
        "keepalived_gratuitous_arp_delay_total",
        "counter",
        "vrrp_garp_master_delay, in whole seconds (as the exporters name it).",
    ),
    (
        "keepalived_rs_vrrp_last_transition_time_seconds",
        "gauge",
        "When the instance entered its state, in seconds since 1970.",
    ),
    (
        "keepalived_rs_vrrp_effective_priority",
        "gauge",
        "The priority the instance advertises.",
    ),
];

/// An instance's value in each of [`INSTANCE_FAMILIES`] (the state's number for the first).
pub fn instance_values(i: &ka_ipc::status::InstanceStatus) -> [f64; 18] {
    let s = &i.stats;
    [
        state_number(&i.state),
        s.advert_rcvd as f64,
        s.advert_sent as f64,
        s.become_master as f64,
        s.release_master as f64,
        s.packet_len_err as f64,
        s.advert_interval_err as f64,
        s.ip_ttl_err as f64,
        s.invalid_type_rcvd as f64,
        s.addr_list_err as f64,
        s.invalid_authtype as f64,
        s.authtype_mismatch as f64,
        s.auth_failure as f64,
        s.pri_zero_rcvd as f64,
        s.pri_zero_sent as f64,
        (i.garp_delay as u64) as f64,
        i.since,
        f64::from(i.effective_priority),
    ]
}

/// An instance's line(s) of family `f` of [`INSTANCE_FAMILIES`] (one per VIP for the
/// first; its labels include the state's name for the counters, as the exporter's).
pub fn instance_line(i: &ka_ipc::status::InstanceStatus, f: usize) -> String {
    let mut out = String::new();
    let name = INSTANCE_FAMILIES[f].0;
    let value = instance_values(i)[f];
    let vrid = i.vrid.to_string();
    match f {
        0 => {
            let none = [String::new()];
            let vips = if i.vips.is_empty() {
                &none[..]
            } else {
                &i.vips[..]
            };
            for ip in vips {
                let l = [
                    ("iname", i.name.as_str()),
                    ("intf", i.interface.as_str()),
                    ("vrid", vrid.as_str()),
                    ("ip_address", ip.as_str()),
                ];
                sample(&mut out, name, &l, value);
            }
        }
        1..=15 => {
            let l = [
                ("iname", i.name.as_str()),
                ("intf", i.interface.as_str()),
                ("vrid", vrid.as_str()),
                ("state", i.state.as_str()),
            ];
            sample(&mut out, name, &l, value);
        }
        _ => sample(&mut out, name, &[("iname", i.name.as_str())], value),
    }
    out
}

/// An instance's lines of each of [`INSTANCE_FAMILIES`].
pub fn instance_lines(i: &ka_ipc::status::InstanceStatus) -> Vec<String> {
    (0..INSTANCE_FAMILIES.len())
        .map(|f| instance_line(i, f))
        .collect()
}

/// The vrrp_script families.
pub fn scripts(out: &mut String, scripts: &[ka_ipc::status::ScriptStatus]) {
    let mut f = family(
        out,
        "keepalived_script_status",
        "gauge",
        "vrrp_script result (0 BAD, 1 GOOD; INIT is 0).",
    );
    for sc in scripts {
        f.sample(
            "keepalived_script_status",
            &[("name", &sc.name)],
            f64::from(u8::from(sc.status == "GOOD")),
        );
    }
    let mut f = family(
        out,
        "keepalived_script_state",
        "gauge",
        "vrrp_script state (0 idle, 1 running).",
    );
    for sc in scripts {
        f.sample(
            "keepalived_script_state",
            &[("name", &sc.name)],
            f64::from(u8::from(sc.running)),
        );
    }
}

/// The VRRP child's families from a whole status (the child renders from its cache).
pub fn vrrp(out: &mut String, v: &ka_ipc::status::VrrpStatus) {
    let per: Vec<Vec<String>> = v.instances.iter().map(instance_lines).collect();
    for (f, (name, kind, help)) in INSTANCE_FAMILIES.iter().enumerate() {
        family(out, name, kind, help);
        for lines in &per {
            out.push_str(&lines[f]);
        }
    }
    scripts(out, &v.scripts);
}

/// The checker's families, in order: (name, type, help). Per virtual server: the first
/// two; per real server: the other three ([`rs_lines`]).
pub const CHECKER_FAMILIES: [(&str, &str, &str); 5] = [
    (
        "keepalived_rs_virtual_server_quorum_up",
        "gauge",
        "Whether the virtual server has its quorum.",
    ),
    (
        "keepalived_rs_virtual_server_live_weight",
        "gauge",
        "The sum of the weights of the live real servers.",
    ),
    (
        "keepalived_rs_real_server_up",
        "gauge",
        "Whether the real server passes its checks.",
    ),
    (
        "keepalived_rs_real_server_weight",
        "gauge",
        "The real server's weight (configured, or as a MISC_CHECK set it).",
    ),
    (
        "keepalived_rs_check_latency_seconds",
        "gauge",
        "How long the last probe of a checker took.",
    ),
];

/// A virtual server's lines of the first two checker families.
pub fn vs_lines(vs: &ka_ipc::status::VsStatus) -> [String; 2] {
    let l = [("virtual_server", vs.name.as_str())];
    let mut a = String::new();
    sample(
        &mut a,
        CHECKER_FAMILIES[0].0,
        &l,
        f64::from(u8::from(vs.quorum_up)),
    );
    let mut b = String::new();
    sample(&mut b, CHECKER_FAMILIES[1].0, &l, vs.live_weight as f64);
    [a, b]
}

/// A real server's lines of the last three checker families.
pub fn rs_lines(vs: &str, rs: &RsStatus) -> [String; 3] {
    let l = [("virtual_server", vs), ("real_server", rs.name.as_str())];
    let mut up = String::new();
    sample(
        &mut up,
        CHECKER_FAMILIES[2].0,
        &l,
        f64::from(u8::from(rs.alive)),
    );
    let mut weight = String::new();
    sample(&mut weight, CHECKER_FAMILIES[3].0, &l, f64::from(rs.weight));
    let mut latency = String::new();
    for ch in &rs.checks {
        if let Some(t) = ch.latency {
            sample(
                &mut latency,
                CHECKER_FAMILIES[4].0,
                &[
                    ("virtual_server", vs),
                    ("real_server", rs.name.as_str()),
                    ("check", ch.kind.as_str()),
                    ("target", ch.target.as_str()),
                ],
                t,
            );
        }
    }
    [up, weight, latency]
}

/// The checker's families from a whole status (tests; the child renders from its cache).
/// The kernel's IPVS counters (present only where the kernel has IPVS).
pub const IPVS_FAMILIES: [(&str, &str, &str); 8] = [
    (
        "keepalived_rs_virtual_server_connections_total",
        "counter",
        "Connections IPVS scheduled to the virtual server's services.",
    ),
    (
        "keepalived_rs_virtual_server_packets_total",
        "counter",
        "Packets through the virtual server's services, by direction.",
    ),
    (
        "keepalived_rs_virtual_server_bytes_total",
        "counter",
        "Bytes through the virtual server's services, by direction.",
    ),
    (
        "keepalived_rs_real_server_connections_total",
        "counter",
        "Connections IPVS scheduled to the real server.",
    ),
    (
        "keepalived_rs_real_server_packets_total",
        "counter",
        "Packets to and from the real server, by direction.",
    ),
    (
        "keepalived_rs_real_server_bytes_total",
        "counter",
        "Bytes to and from the real server, by direction.",
    ),
    (
        "keepalived_rs_real_server_active_connections",
        "gauge",
        "The real server's established connections (ipvsadm ActiveConn).",
    ),
    (
        "keepalived_rs_real_server_inactive_connections",
        "gauge",
        "The real server's other connections (ipvsadm InActConn).",
    ),
];

/// A virtual server's (`rs` None) or real server's samples of [`IPVS_FAMILIES`], each
/// appended to its family's part.
pub fn ipvs_lines(
    parts: &mut [String; 8],
    vs: &str,
    rs: Option<&str>,
    c: &ka_ipc::status::IpvsCounters,
) {
    let base = if rs.is_some() { 3 } else { 0 };
    let mut l = vec![("virtual_server", vs)];
    if let Some(rs) = rs {
        l.push(("real_server", rs));
    }
    sample(
        &mut parts[base],
        IPVS_FAMILIES[base].0,
        &l,
        c.connections as f64,
    );
    for (dir, p, b) in [
        ("in", c.packets_in, c.bytes_in),
        ("out", c.packets_out, c.bytes_out),
    ] {
        l.push(("direction", dir));
        sample(
            &mut parts[base + 1],
            IPVS_FAMILIES[base + 1].0,
            &l,
            p as f64,
        );
        sample(
            &mut parts[base + 2],
            IPVS_FAMILIES[base + 2].0,
            &l,
            b as f64,
        );
        l.pop();
    }
    if let Some(n) = c.active_connections {
        sample(&mut parts[6], IPVS_FAMILIES[6].0, &l, n as f64);
    }
    if let Some(n) = c.inactive_connections {
        sample(&mut parts[7], IPVS_FAMILIES[7].0, &l, n as f64);
    }
}

pub fn checker(out: &mut String, c: &ka_ipc::status::CheckStatus) {
    let mut parts: [String; 5] = Default::default();
    for vs in &c.virtual_servers {
        let [a, b] = vs_lines(vs);
        parts[0].push_str(&a);
        parts[1].push_str(&b);
        for rs in &vs.real_servers {
            let [u, w, l] = rs_lines(&vs.name, rs);
            parts[2].push_str(&u);
            parts[3].push_str(&w);
            parts[4].push_str(&l);
        }
    }
    for ((name, kind, help), lines) in CHECKER_FAMILIES.iter().zip(&parts) {
        family(out, name, kind, help);
        out.push_str(lines);
    }
    let mut ipvs: [String; 8] = Default::default();
    for vs in &c.virtual_servers {
        if let Some(n) = &vs.ipvs {
            ipvs_lines(&mut ipvs, &vs.name, None, n);
        }
        for rs in &vs.real_servers {
            if let Some(n) = &rs.ipvs {
                ipvs_lines(&mut ipvs, &vs.name, Some(&rs.name), n);
            }
        }
    }
    for ((name, kind, help), lines) in IPVS_FAMILIES.iter().zip(&ipvs) {
        if !lines.is_empty() {
            family(out, name, kind, help);
            out.push_str(lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ka_ipc::status::{InstanceStatus, ParentStatus, VrrpStatus};

    #[test]
    fn mehdys_names_and_labels_once_per_vip() {
        let s = Status {
            keepalived_rs: ParentStatus {
                version: "0.1.0".into(),
                ..ParentStatus::default()
            },
            vrrp: Some(VrrpStatus {
                instances: vec![InstanceStatus {
                    name: "VI_1".into(),
                    state: "MASTER".into(),
                    interface: "eth0".into(),
                    vrid: 51,
                    vips: vec!["10.0.0.1/24".into(), "10.0.0.2".into()],
                    ..InstanceStatus::default()
                }],
                ..VrrpStatus::default()
            }),
            checker: None,
        };
        let text = render(&s);
        assert!(text.contains(
            "keepalived_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address=\"10.0.0.1/24\"} 2\n"
        ));
        assert!(text.contains(
            "keepalived_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address=\"10.0.0.2\"} 2\n"
        ));
        assert!(text.contains(
            "keepalived_advertisements_sent_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",state=\"MASTER\"} 0\n"
        ));
        // Every family is declared once, before its samples.
        let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!(types, helps);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        push_escaped(&mut out, "a\"b\\c\nd");
        assert_eq!(out, "a\\\"b\\\\c\\nd");
        let mut out = String::new();
        sample(&mut out, "m", &[("k", "v")], 2.5);
        assert_eq!(out, "m{k=\"v\"} 2.5\n");
    }

    #[test]
    fn ipvs_counters_by_direction_and_only_where_counted() {
        use ka_ipc::status::{CheckStatus, IpvsCounters, RsStatus, VsStatus};
        let n = IpvsCounters {
            connections: 7,
            packets_in: 30,
            packets_out: 20,
            bytes_in: 3000,
            bytes_out: 1 << 40,
            active_connections: Some(2),
            inactive_connections: Some(1),
        };
        let c = CheckStatus {
            ipvs: true,
            virtual_servers: vec![VsStatus {
                name: "[10.0.0.1]:tcp:80".into(),
                ipvs: Some(IpvsCounters {
                    active_connections: None,
                    inactive_connections: None,
                    ..n.clone()
                }),
                real_servers: vec![
                    RsStatus {
                        name: "[10.0.0.2]:tcp:80".into(),
                        ipvs: Some(n.clone()),
                        ..RsStatus::default()
                    },
                    RsStatus {
                        name: "[10.0.0.3]:tcp:80".into(),
                        ..RsStatus::default()
                    },
                ],
                ..VsStatus::default()
            }],
        };
        let mut text = String::new();
        checker(&mut text, &c);
        for want in [
            "keepalived_rs_virtual_server_connections_total{virtual_server=\"[10.0.0.1]:tcp:80\"} 7\n",
            "keepalived_rs_virtual_server_bytes_total{virtual_server=\"[10.0.0.1]:tcp:80\",direction=\"out\"} 1099511627776\n",
            "keepalived_rs_real_server_packets_total{virtual_server=\"[10.0.0.1]:tcp:80\",real_server=\"[10.0.0.2]:tcp:80\",direction=\"in\"} 30\n",
            "keepalived_rs_real_server_active_connections{virtual_server=\"[10.0.0.1]:tcp:80\",real_server=\"[10.0.0.2]:tcp:80\"} 2\n",
        ] {
            assert!(text.contains(want), "{want} not in\n{text}");
        }
        assert!(!text.contains("real_server=\"[10.0.0.3]:tcp:80\",direction"));
        assert_eq!(
            text.matches("# TYPE keepalived_rs_real_server_bytes_total counter")
                .count(),
            1
        );
        // Without counters the families are left out.
        let mut text = String::new();
        checker(&mut text, &CheckStatus::default());
        assert!(!text.contains("connections_total"));
    }
}
