//! Helpers shared by the block validators: reading arguments as typed values, each failure a
//! diagnostic at the exact token.

use std::net::IpAddr;
use std::time::Duration;

use crate::diag::{Diagnostic, Pos, Severity};
use crate::model::{Command, Script};
use crate::shell;
use crate::token::Token;
use crate::tree::Node;
use crate::Options;

pub struct Ctx<'a> {
    pub diags: Vec<Diagnostic>,
    pub opts: &'a Options,
    /// The preference the next rule without one gets, IPv4 and IPv6 (keepalived
    /// vrrp_iprule.c: from RULE_START_PRIORITY 16384 down).
    pub next_rule_pref: [u32; 2],
    /// iproute2's name files (route tables, protocols, scopes, DS fields, groups).
    pub names: crate::names::Names,
    /// The raw texts of the words that have one (script keywords split them).
    pub raws: crate::token::RawTexts,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a Options) -> Self {
        Ctx {
            diags: Vec::new(),
            opts,
            next_rule_pref: [16384, 16384],
            names: crate::names::Names::default(),
            raws: crate::token::RawTexts::default(),
        }
    }

    pub fn at(&mut self, sev: Severity, tok: &Token, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(sev, tok.pos, tok.width as usize, msg));
    }

    pub fn error(&mut self, tok: &Token, msg: impl Into<String>) {
        self.at(Severity::Error, tok, msg);
    }

    /// Information keepalived logs without counting it a configuration error.
    pub fn note(&mut self, tok: &Token, msg: impl Into<String>) {
        self.at(Severity::Note, tok, msg);
    }

    pub fn warn(&mut self, tok: &Token, msg: impl Into<String>) {
        self.at(Severity::Warning, tok, msg);
    }

    pub fn error_at(&mut self, pos: Pos, width: usize, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(Severity::Error, pos, width, msg));
    }

    /// Position just after a token (where a missing argument should have been).
    pub fn after(tok: &Token) -> Pos {
        Pos {
            col: tok.pos.col + u32::from(tok.width),
            ..tok.pos
        }
    }

    /// An unknown keyword in `block`: a warning (as keepalived), with a suggestion.
    pub fn unknown(&mut self, n: &Node, block: &str, known: &[&str]) {
        let word = &n.key.text;
        let mut msg = if block.is_empty() {
            format!("unknown keyword '{word}'")
        } else {
            format!("unknown keyword '{word}' in {block}")
        };
        if let Some(s) = suggest(word, known) {
            msg.push_str(&format!("; did you mean '{s}'?"));
        }
        if n.block.is_some() {
            msg.push_str(" (its block is skipped)");
        }
        self.warn(&n.key, msg);
    }

    /// A valid keepalived keyword that keepalived-rs does not act on yet.
    pub fn unsupported(&mut self, n: &Node) {
        let msg = format!(
            "'{}' is not supported by keepalived-rs yet; ignored",
            n.key.text
        );
        self.at(Severity::Unsupported, &n.key, msg);
    }

    /// Something valid for keepalived that keepalived-rs cannot do, at a token.
    pub fn unsupported_at(&mut self, tok: &Token, msg: impl Into<String>) {
        self.at(Severity::Unsupported, tok, msg);
    }

    /// The argument at `i` (0 = first after the keyword), or an error if it is missing.
    pub fn arg<'n>(&mut self, n: &'n Node, i: usize) -> Option<&'n Token> {
        match n.args.get(i) {
            Some(t) => Some(t),
            None => {
                let last = n.args.last().unwrap_or(&n.key);
                let what = if i == 0 {
                    "an argument".to_string()
                } else {
                    format!("{} arguments", i + 1)
                };
                self.error_at(
                    Self::after(last),
                    1,
                    format!("'{}' needs {what}; ignored", n.key.text),
                );
                None
            }
        }
    }

    /// Warns about words beyond the first `max` arguments.
    pub fn extra(&mut self, n: &Node, max: usize) {
        if let Some(t) = n.args.get(max) {
            self.warn(
                t,
                format!("extra argument '{}' after '{}' ignored", t.text, n.key.text),
            );
        }
    }

    /// Warns if a keyword that takes no block has one.
    pub fn no_block(&mut self, n: &Node) {
        if n.block.is_some() {
            self.warn(
                &n.key,
                format!("'{}' takes no block; the block is ignored", n.key.text),
            );
        }
    }

    /// The children of a block keyword, or an error if the '{' is missing.
    pub fn block<'n>(&mut self, n: &'n Node) -> Option<&'n [Node]> {
        match &n.block {
            Some(b) => Some(&b.children),
            None => {
                let last = n.args.last().unwrap_or(&n.key);
                self.error_at(
                    Self::after(last),
                    1,
                    format!("'{}' needs a block: missing '{{'; ignored", n.key.text),
                );
                None
            }
        }
    }

    pub fn int(&mut self, tok: &Token, lo: i64, hi: i64) -> Option<i64> {
        match parse_int(&tok.text) {
            Some(v) if v >= lo && v <= hi => Some(v),
            Some(_) => {
                self.error(
                    tok,
                    format!("number '{}' outside range [{lo}, {hi}]", tok.text),
                );
                None
            }
            None => {
                self.error(tok, format!("invalid number '{}'", tok.text));
                None
            }
        }
    }

    /// A value of iproute2's name files (keepalived find_rttables_*): a number or a name.
    pub fn rt_name(&mut self, kind: crate::names::Kind, tok: &Token, what: &str) -> Option<u32> {
        let v = self.names.lookup(kind, &tok.text);
        if v.is_none() {
            let dirs = match &self.names.usr {
                Some(u) => format!("{} or {}", self.names.etc.display(), u.display()),
                None => self.names.etc.display().to_string(),
            };
            self.error(
                tok,
                format!(
                    "invalid {what} '{}': not a number up to {} nor a name in {dirs}",
                    tok.text,
                    kind.max()
                ),
            );
        }
        v
    }

    pub fn int_arg(&mut self, n: &Node, i: usize, lo: i64, hi: i64) -> Option<i64> {
        let t = self.arg(n, i)?;
        self.int(t, lo, hi)
    }

    pub fn u32_arg(&mut self, n: &Node, lo: u32, hi: u32) -> Option<u32> {
        self.no_block(n);
        self.extra(n, 1);
        self.int_arg(n, 0, lo as i64, hi as i64).map(|v| v as u32)
    }

    /// A TIMER: decimal seconds with microsecond resolution, within [lo, hi] seconds.
    pub fn timer(&mut self, tok: &Token, lo: f64, hi: f64) -> Option<Duration> {
        match parse_timer(&tok.text) {
            Some(d) => {
                let s = d.as_secs_f64();
                if s < lo || s > hi {
                    self.error(
                        tok,
                        format!("time '{}' outside range [{lo}, {hi}] seconds", tok.text),
                    );
                    None
                } else {
                    Some(d)
                }
            }
            None => {
                self.error(
                    tok,
                    format!(
                        "invalid time '{}': expected seconds, such as 3 or 0.5",
                        tok.text
                    ),
                );
                None
            }
        }
    }

    pub fn timer_arg(&mut self, n: &Node, lo: f64, hi: f64) -> Option<Duration> {
        self.no_block(n);
        self.extra(n, 1);
        let t = self.arg(n, 0)?;
        self.timer(t, lo, hi)
    }

    /// A flag with an optional BOOL argument (no argument = on).
    pub fn flag(&mut self, n: &Node) -> Option<bool> {
        self.no_block(n);
        self.extra(n, 1);
        match n.args.first() {
            None => Some(true),
            Some(t) => match parse_bool(&t.text) {
                Some(b) => Some(b),
                None => {
                    self.error(
                        t,
                        format!(
                            "invalid boolean '{}': expected on, off, true, false, yes or no",
                            t.text
                        ),
                    );
                    None
                }
            },
        }
    }

    pub fn string_arg(&mut self, n: &Node) -> Option<String> {
        self.no_block(n);
        self.extra(n, 1);
        self.arg(n, 0).map(|t| t.text.to_string())
    }

    pub fn ip(&mut self, tok: &Token) -> Option<IpAddr> {
        match tok.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(tok, format!("invalid IP address '{}'", tok.text));
                None
            }
        }
    }

    pub fn ip_arg(&mut self, n: &Node) -> Option<IpAddr> {
        self.no_block(n);
        self.extra(n, 1);
        let t = self.arg(n, 0)?;
        self.ip(t)
    }

    pub fn port(&mut self, tok: &Token) -> Option<u16> {
        self.int(tok, 0, 65535).map(|v| v as u16)
    }

    /// A script keyword: the first argument is split shell-style into the program and its
    /// arguments; with `user_group`, the next words are the user and group to run it as.
    pub fn script(&mut self, n: &Node, user_group: bool) -> Option<Script> {
        self.no_block(n);
        let t = self.arg(n, 0)?;
        let argv = match shell::split(self.raws.of(t)) {
            Ok(v) => v,
            Err(msg) => {
                self.error(t, format!("{msg} in '{}'; ignored", t.text));
                return None;
            }
        };
        if argv.is_empty() {
            self.error(t, format!("'{}' has an empty command; ignored", n.key.text));
            return None;
        }
        let mut s = Script {
            command: Command { argv },
            user: None,
            group: None,
        };
        if user_group {
            s.user = n.args.get(1).map(|t| t.text.to_string());
            s.group = n.args.get(2).map(|t| t.text.to_string());
            self.extra(n, 3);
        } else if let Some(x) = n.args.get(1) {
            self.warn(
                x,
                format!(
                    "extra argument '{}' after '{}' ignored; quote the whole command: {} \"{} {}\"",
                    x.text,
                    n.key.text,
                    n.key.text,
                    t.text,
                    n.args[1..]
                        .iter()
                        .map(|a| a.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            );
        }
        Some(s)
    }

    /// Whether an interface a block names exists on this host (always, when the host's
    /// interfaces are not known); when not, keepalived's error `msg(name)` at its word.
    pub fn interface_known(&mut self, tok: &Token, msg: impl FnOnce(&str) -> String) -> bool {
        match &self.opts.interfaces {
            Some(known) if !known.contains(tok.text.as_str()) => {
                let m = msg(tok.text.as_str());
                self.error(tok, m);
                false
            }
            _ => true,
        }
    }

    /// Reports an interface missing on this host (a warning, as keepalived gives).
    pub fn check_interface(&mut self, tok: &Token, what: &str) {
        if let Some(known) = &self.opts.interfaces {
            if !known.contains(tok.text.as_str()) {
                let msg = format!("interface {} for {what} doesn't exist", tok.text);
                self.warn(tok, msg);
            }
        }
    }
}

pub fn parse_int(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) || t.len() > 18 {
        return None;
    }
    let v: i64 = t.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// keepalived's TIMER: decimal seconds, microsecond resolution.
pub fn parse_timer(s: &str) -> Option<Duration> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || int.len() > 9
    {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: u64 = 0;
    for (i, c) in frac.bytes().take(6).enumerate() {
        micros += (c - b'0') as u64 * 10u64.pow(5 - i as u32);
    }
    Some(Duration::from_secs(secs) + Duration::from_micros(micros))
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// The known keyword closest to `word`, if it is close enough to be a likely typo.
pub fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = if word.len() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Damerau-Levenshtein distance (adjacent transpositions count as one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(parse_timer("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_timer("0.05"), Some(Duration::from_millis(50)));
        assert_eq!(parse_timer(".5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_timer("1.0000019"),
            Some(Duration::from_micros(1_000_001))
        );
        assert_eq!(parse_timer("x"), None);
        assert_eq!(parse_timer("."), None);
        assert_eq!(parse_timer("-1"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("autp_pass", &["auth_type", "auth_pass"]),
            Some("auth_pass")
        );
        assert_eq!(
            suggest("preemtp_delay", &["preempt_delay", "nopreempt"]),
            Some("preempt_delay")
        );
        assert_eq!(
            suggest("stmp_connect_timeout", &["smtp_connect_timeout"]),
            Some("smtp_connect_timeout")
        );
        assert_eq!(suggest("zzzz", &["auth_pass"]), None);
    }
}
