//! iproute2's name files (keepalived lib/rttables.c): route tables, protocols, scopes,
//! DS fields and interface groups by name, as `ip` reads them. A number is itself; a name
//! is looked up in `ETC/FILE` (else `USR/FILE`), the `FILE.d/*.conf` files of both
//! directories (ETC's replacing USR's of the same name), then iproute2's built-in names.
//! ETC and USR are `/etc/iproute2` and `/usr/share/iproute2` unless global_defs'
//! `iproute_etc_dir` / `iproute_usr_dir` (keepalived 2.3.2) say otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which name file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Table,
    Proto,
    Scope,
    Dsfield,
    Group,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Table => "rt_tables",
            Kind::Proto => "rt_protos",
            Kind::Scope => "rt_scopes",
            Kind::Dsfield => "rt_dsfield",
            Kind::Group => "group",
        }
    }

    /// The largest value (keepalived's `max`).
    pub fn max(self) -> u32 {
        match self {
            Kind::Table | Kind::Group => u32::MAX,
            Kind::Proto | Kind::Scope | Kind::Dsfield => 255,
        }
    }

    /// iproute2's built-in names (used when the files do not name the value).
    fn defaults(self) -> &'static [(u32, &'static str)] {
        match self {
            Kind::Table => &[(253, "default"), (254, "main"), (255, "local")],
            Kind::Proto => &[
                (0, "none"),
                (1, "redirect"),
                (2, "kernel"),
                (3, "boot"),
                (4, "static"),
                (8, "gated"),
                (9, "ra"),
                (10, "mrt"),
                (11, "zebra"),
                (12, "bird"),
                (13, "dnrouted"),
                (14, "xorp"),
                (15, "ntk"),
                (16, "dhcp"),
                (42, "babel"),
            ],
            Kind::Scope => &[
                (0, "global"),
                (255, "nowhere"),
                (254, "host"),
                (253, "link"),
                (200, "site"),
            ],
            Kind::Dsfield => &[],
            Kind::Group => &[(0, "default")],
        }
    }
}

/// C's strtoul(s, 0) over the whole word: decimal, 0x hex or 0 octal.
fn number(s: &str) -> Option<u64> {
    if s.starts_with('-') || s.is_empty() {
        return None;
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// The `NUMBER NAME` lines of one file (comments after '#'; lines with another number of
/// fields, or a number out of range, skipped).
fn read_file(path: &Path, max: u32, out: &mut Vec<(u32, String)>) {
    let Ok(text) = crate::inputs::read_to_string(path) else {
        return;
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split([' ', '\t']).filter(|w| !w.is_empty());
        let (Some(n), Some(name), None) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        match number(n) {
            Some(v) if v <= u64::from(max) => out.push((v as u32, name.to_string())),
            _ => {}
        }
    }
}

/// The `*.conf` regular files of a directory, by name.
fn conf_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = crate::inputs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.')
                && name.len() > 5
                && name.ends_with(".conf")
                && crate::inputs::is_file(p)
        })
        .collect();
    v.sort();
    v
}

/// The name files, read once per kind.
#[derive(Debug)]
pub struct Names {
    pub etc: PathBuf,
    pub usr: Option<PathBuf>,
    read: HashMap<Kind, Vec<(u32, String)>>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            etc: PathBuf::from("/etc/iproute2"),
            usr: Some(PathBuf::from("/usr/share/iproute2")),
            read: HashMap::new(),
        }
    }
}

impl Names {
    /// Other directories (global_defs' iproute_etc_dir / iproute_usr_dir): what was read
    /// before is read again from them.
    pub fn set_dirs(&mut self, etc: Option<&str>, usr: Option<&str>) {
        if let Some(e) = etc {
            self.etc = PathBuf::from(e);
        }
        if let Some(u) = usr {
            self.usr = Some(PathBuf::from(u));
        }
        self.read.clear();
    }

    fn load(&self, kind: Kind) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        let file = kind.file();
        let etc_file = self.etc.join(file);
        if crate::inputs::is_file(&etc_file) {
            read_file(&etc_file, kind.max(), &mut out);
        } else if let Some(usr) = &self.usr {
            read_file(&usr.join(file), kind.max(), &mut out);
        }
        let sub = format!("{file}.d");
        if let Some(usr) = &self.usr {
            for p in conf_files(&usr.join(&sub)) {
                let shadowed = p
                    .file_name()
                    .is_some_and(|n| crate::inputs::exists(&self.etc.join(&sub).join(n)));
                if !shadowed {
                    read_file(&p, kind.max(), &mut out);
                }
            }
        }
        for p in conf_files(&self.etc.join(&sub)) {
            read_file(&p, kind.max(), &mut out);
        }
        // Built-in names for the values the files do not name.
        for &(v, name) in kind.defaults() {
            if !out.iter().any(|(x, _)| *x == v) {
                out.push((v, name.to_string()));
            }
        }
        out
    }

    /// `word` as a value of `kind`: a number (at most the kind's maximum), else a name.
    pub fn lookup(&mut self, kind: Kind, word: &str) -> Option<u32> {
        if let Some(n) = number(word) {
            return (n <= u64::from(kind.max())).then_some(n as u32);
        }
        if !self.read.contains_key(&kind) {
            let list = self.load(kind);
            self.read.insert(kind, list);
        }
        self.read[&kind]
            .iter()
            .find(|(_, n)| n == word)
            .map(|(v, _)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_c_bases() {
        assert_eq!(number("100"), Some(100));
        assert_eq!(number("0x10"), Some(16));
        assert_eq!(number("010"), Some(8));
        assert_eq!(number("0"), Some(0));
        assert_eq!(number("-1"), None);
        assert_eq!(number("main"), None);
    }
}
