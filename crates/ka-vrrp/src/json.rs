//! keepalived's SIGJSON dump (`keepalived.json`, keepalived/vrrp/vrrp_json.c): one compact
//! line, a top-level array of `{"data":{…},"stats":{…}}` per instance (`json_version 1`,
//! the default), or `{"vrrp":[…]}` (`json_version 2`, keepalived 2.2.8). Keys, their order,
//! their types and the number formats (`%g` for intervals, `%f` for the transition time)
//! are keepalived 2.2.7's, so that exporters written against keepalived decode it.
//!
//! Pure: the caller hands in the configuration, the running instances and how to turn a
//! [`Time`] into seconds since the epoch.

use std::fmt::Write;

use ka_config::model::{self, Auth, IpAddress, Scope};

use crate::instance::{Instance, State};
use crate::sync::Router;
use crate::time::Time;

/// keepalived's state numbers (vrrp.h): INIT 0, BACKUP 1, MASTER 2, FAULT 3, STOP 98.
pub fn state_number(s: State) -> u32 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stop => 98,
    }
}

/// The dump. `wall` turns a monotonic [`Time`] into epoch seconds; `loaded` is the epoch
/// time the configuration was loaded (keepalived's last_transition before any transition).
pub fn dump(c: &model::Config, r: &Router, wall: &dyn Fn(Time) -> f64, loaded: f64) -> String {
    let mut w = Writer::default();
    if c.global.json_version == 2 {
        w.open('{');
        w.name("vrrp");
    }
    w.open('[');
    for (m, i) in c.instances.iter().zip(&r.instances) {
        w.open('{');
        w.name("data");
        data(&mut w, c, m, i, wall, loaded);
        w.name("stats");
        stats(&mut w, i);
        w.close('}');
    }
    w.close(']');
    if c.global.json_version == 2 {
        // "track_process" only when processes are tracked (none are acted on yet).
        w.close('}');
    }
    w.out.push('\n');
    w.out
}

fn data(
    w: &mut Writer,
    c: &model::Config,
    m: &model::VrrpInstance,
    i: &Instance,
    wall: &dyn Fn(Time) -> f64,
    loaded: f64,
) {
    let g = &m.garp;
    let secs = |d: std::time::Duration| d.as_secs_f64();
    w.open('{');
    w.string("iname", &m.name);
    w.uint("dont_track_primary", m.dont_track_primary as u64);
    w.uint("skip_check_adv_addr", m.skip_check_adv_addr as u64);
    w.uint("strict_mode", m.strict_mode as u64);
    w.string(
        "vmac_ifname",
        &crate::config::vmac_ifname(&c.global, m).unwrap_or_default(),
    );
    if let Some(ifname) = ifp_ifname(c, m) {
        w.string("ifp_ifname", &ifname);
    }
    w.uint("master_priority", i.master_priority().into());
    let t = i.last_transition().map_or(loaded, wall);
    w.raw("last_transition", &format!("{t:.6}"));
    w.raw("garp_delay", &g_format(secs(g.master_delay)));
    w.uint("garp_refresh", g.master_refresh.as_secs());
    w.uint("garp_rep", g.master_repeat.into());
    w.uint("garp_refresh_rep", g.master_refresh_repeat.into());
    w.uint("garp_lower_prio_delay", g.lower_prio_delay.as_secs());
    w.uint("garp_lower_prio_rep", g.lower_prio_repeat.into());
    w.uint("lower_prio_no_advert", m.lower_prio_no_advert as u64);
    w.uint("higher_prio_send_advert", m.higher_prio_send_advert as u64);
    w.uint("vrid", m.vrid.into());
    w.uint("base_priority", m.priority.into());
    w.uint("effective_priority", i.effective_priority().into());
    let held = i.state() == State::Master;
    w.bool("vipset", held);
    w.bool("promote_secondaries", m.promote_secondaries);
    w.raw("adver_int", &g_format(secs(m.advert_int)));
    w.raw("master_adver_int", &g_format(secs(i.master_adver_int())));
    w.uint("accept", m.accept as u64);
    w.bool("nopreempt", m.nopreempt);
    w.uint("preempt_delay", m.preempt_delay.as_secs());
    w.uint("state", state_number(i.state()).into());
    w.uint("wantstate", wantstate(m, i).into());
    w.uint("version", m.version.into());
    w.bool("smtp_alert", m.smtp_alert);
    w.bool("notify_deleted", m.notify_deleted);
    let n = &m.notifies;
    for (k, s) in [
        ("script_backup", &n.backup),
        ("script_master", &n.master),
        ("script_fault", &n.fault),
        ("script_stop", &n.stop),
        ("script_deleted", &n.deleted),
        ("script", &n.notify),
        ("script_master_rx_lower_pri", &n.master_rx_lower_pri),
    ] {
        if let Some(s) = s {
            w.string(k, &cmd_str(&s.command.argv));
        }
    }
    let ifname = m.interface.clone().unwrap_or_default();
    let addr = |a: &IpAddress| format_ipaddress(a, &ifname, held);
    w.array("vips", m.vips.iter().map(addr));
    w.array("evips", m.excluded_vips.iter().map(addr));
    w.array(
        "vroutes",
        m.virtual_routes.iter().map(ka_config::dump::route),
    );
    w.array("vrules", m.virtual_rules.iter().map(ka_config::dump::rule));
    w.array(
        "track_ifp",
        m.track_interfaces.iter().map(|t| t.name.clone()),
    );
    w.array(
        "track_script",
        m.track_scripts.iter().map(|t| {
            c.scripts
                .iter()
                .find(|s| s.name == t.name)
                .map_or_else(|| t.name.clone(), |s| cmd_str(&s.script.argv))
        }),
    );
    let (auth_type, auth_data) = match &m.auth {
        None => (0, None),
        Some(Auth::Pass(p)) => (1, Some(p)),
        Some(Auth::Ah(p)) => (2, Some(p)),
    };
    w.uint("auth_type", auth_type);
    if let Some(p) = auth_data {
        w.string("auth_data", p);
    }
    w.close('}');
}

fn stats(w: &mut Writer, i: &Instance) {
    let s = &i.stats;
    w.open('{');
    for (k, v) in [
        ("advert_rcvd", s.advert_rcvd),
        ("advert_sent", s.advert_sent),
        ("become_master", s.become_master),
        ("release_master", s.release_master),
        ("packet_len_err", s.packet_len_err),
        ("advert_interval_err", s.advert_interval_err),
        ("ip_ttl_err", s.ip_ttl_err),
        ("invalid_type_rcvd", s.invalid_type_rcvd),
        ("addr_list_err", s.addr_list_err),
        ("invalid_authtype", s.invalid_authtype),
        ("authtype_mismatch", s.authtype_mismatch),
        ("auth_failure", s.auth_failure),
        ("pri_zero_rcvd", s.pri_zero_rcvd),
        ("pri_zero_sent", s.pri_zero_sent),
    ] {
        w.uint(k, v);
    }
    w.close('}');
}

/// keepalived's wantstate: where the instance is heading. Settled instances want what
/// they are; before the first transition, the configured wish.
fn wantstate(m: &model::VrrpInstance, i: &Instance) -> u32 {
    match i.state() {
        State::Init | State::Fault => match m.state {
            model::InitialState::Master => 2,
            _ => 1,
        },
        s => state_number(s),
    }
}

/// The interface the instance runs on: its VMAC, else its interface, else default_interface.
fn ifp_ifname(c: &model::Config, m: &model::VrrpInstance) -> Option<String> {
    if let Some(v) = crate::config::vmac_ifname(&c.global, m) {
        return Some(v);
    }
    m.interface
        .clone()
        .or_else(|| c.global.default_interface.clone())
}

/// keepalived's cmd_str: every word in single quotes, separated by spaces.
pub fn cmd_str(argv: &[String]) -> String {
    argv.iter()
        .enumerate()
        .map(|(n, a)| {
            if n == 0 && (a.starts_with('<') || a.starts_with('>')) {
                a.clone()
            } else {
                format!("'{a}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// keepalived's format_ipaddress (vrrp_ipaddress.c): `ADDR[/LEN] [brd B] dev IF scope S
/// [label L] [peer P/LEN] [flags…] [set]`; the prefix is shown unless it is the host's.
pub fn format_ipaddress(a: &IpAddress, ifname: &str, set: bool) -> String {
    let mut s = a.addr.to_string();
    let host = if a.addr.is_ipv4() { 32 } else { 128 };
    if a.peer.is_none() && a.prefix != host {
        let _ = write!(s, "/{}", a.prefix);
    }
    if let (Some(brd), std::net::IpAddr::V4(v4)) = (&a.brd, a.addr) {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(a.prefix.min(32)))
            .unwrap_or(0);
        let b = match brd {
            model::Broadcast::Addr(b) => *b,
            model::Broadcast::Plus => std::net::Ipv4Addr::from(u32::from(v4) | !mask),
            model::Broadcast::Minus => std::net::Ipv4Addr::from(u32::from(v4) & mask),
        };
        let _ = write!(s, " brd {b}");
    }
    let _ = write!(s, " dev {}", a.dev.as_deref().unwrap_or(ifname));
    if a.use_vmac {
        s.push_str(" use_vmac");
    }
    let scope = match a.scope {
        Scope::Global => "global".to_string(),
        Scope::Site => "site".to_string(),
        Scope::Link => "link".to_string(),
        Scope::Host => "host".to_string(),
        Scope::Nowhere => "nowhere".to_string(),
        Scope::Number(n) => n.to_string(),
    };
    let _ = write!(s, " scope {scope}");
    if let Some(l) = &a.label {
        let _ = write!(s, " label {l}");
    }
    if let Some((p, len)) = a.peer {
        let _ = write!(s, " peer {p}/{len}");
    }
    for (on, word) in [
        (a.home, " home"),
        (a.nodad, " -nodad"),
        (a.mngtmpaddr, " mngtmpaddr"),
        (a.noprefixroute, " noprefixroute"),
        (a.autojoin, " autojoin"),
        (a.no_track, " no_track"),
    ] {
        if on {
            s.push_str(word);
        }
    }
    if let Some(g) = &a.track_group {
        let _ = write!(s, " track_group {g}");
    }
    if set {
        s.push_str(" set");
    }
    s
}

/// C's `%g`: six significant digits, trailing zeros dropped, exponent form below 1e-4
/// and from 1e6 (`5` for 5.0, `0.1`, `1e-06`).
pub fn g_format(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    let trim = |t: String| {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    };
    if (-4..6).contains(&exp) {
        let decimals = (5 - exp).max(0) as usize;
        let t = trim(format!("{x:.decimals$}"));
        // Rounding can carry into a seventh digit (999999.5): fall through to %e then.
        if t.trim_start_matches('-')
            .replace('.', "")
            .trim_start_matches('0')
            .len()
            <= 6
        {
            return t;
        }
    }
    let e = format!("{x:.5e}");
    let (mant, pow) = e.split_once('e').unwrap_or((&e, "0"));
    let pow: i32 = pow.parse().unwrap_or(0);
    let sign = if pow < 0 { '-' } else { '+' };
    format!("{}e{sign}{:02}", trim(mant.to_string()), pow.abs())
}

/// A compact JSON writer with keepalived's escaping (json_writer.c: `\t \n \r \f \b \\ \"`
/// and `\/`; other control characters as `\u00XX`).
#[derive(Default)]
struct Writer {
    out: String,
    /// Whether the innermost open container already has an element.
    filled: Vec<bool>,
}

impl Writer {
    fn sep(&mut self) {
        if let Some(f) = self.filled.last_mut() {
            if *f {
                self.out.push(',');
            }
            *f = true;
        }
    }

    fn open(&mut self, c: char) {
        if !self.out.ends_with(':') {
            self.sep();
        }
        self.out.push(c);
        self.filled.push(false);
    }

    fn close(&mut self, c: char) {
        self.filled.pop();
        self.out.push(c);
    }

    fn name(&mut self, k: &str) {
        self.sep();
        self.quoted(k);
        self.out.push(':');
    }

    fn quoted(&mut self, v: &str) {
        self.out.push('"');
        for ch in v.chars() {
            match ch {
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\u{c}' => self.out.push_str("\\f"),
                '\u{8}' => self.out.push_str("\\b"),
                '\\' => self.out.push_str("\\\\"),
                '"' => self.out.push_str("\\\""),
                '/' => self.out.push_str("\\/"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn raw(&mut self, k: &str, v: &str) {
        self.name(k);
        self.out.push_str(v);
    }

    fn uint(&mut self, k: &str, v: u64) {
        self.raw(k, &v.to_string());
    }

    fn bool(&mut self, k: &str, v: bool) {
        self.raw(k, if v { "true" } else { "false" });
    }

    fn string(&mut self, k: &str, v: &str) {
        self.name(k);
        self.quoted(v);
    }

    /// keepalived writes an array only when it has elements.
    fn array(&mut self, k: &str, items: impl Iterator<Item = String>) {
        let mut items = items.peekable();
        if items.peek().is_none() {
            return;
        }
        self.name(k);
        self.open('[');
        for v in items {
            self.sep();
            self.quoted(&v);
        }
        self.close(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_is_cs() {
        for (x, s) in [
            (5.0, "5"),
            (0.1, "0.1"),
            (1.0, "1"),
            (0.05, "0.05"),
            (2.5, "2.5"),
            (0.000001, "1e-06"),
            (1234567.0, "1.23457e+06"),
            (100.0, "100"),
            (123.4567, "123.457"),
            (0.0, "0"),
        ] {
            assert_eq!(g_format(x), s, "{x}");
        }
    }

    #[test]
    fn cmd_str_quotes_each_word() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(cmd_str(&v(&["/bin/true", "a b"])), "'/bin/true' 'a b'");
        assert_eq!(cmd_str(&v(&["</dev/null"])), "</dev/null");
    }

    #[test]
    fn escapes_as_keepalived() {
        let mut w = Writer::default();
        w.open('{');
        w.string("k", "a/b\"c\\\n");
        w.uint("n", 3);
        w.close('}');
        assert_eq!(w.out, r#"{"k":"a\/b\"c\\\n","n":3}"#);
        // Other control characters as \u00XX; a space is not one.
        let mut w = Writer::default();
        w.open('{');
        w.string("k", "\u{1}\u{1f} x");
        w.bool("b", false);
        w.close('}');
        assert_eq!(w.out, r#"{"k":"\u0001\u001f x","b":false}"#);
    }
}
