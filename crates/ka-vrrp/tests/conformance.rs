//! Conformance cases in holo's style: each directory under tests/conformance/ holds a
//! keepalived.conf, the router's recorded inputs (input.jsonl, one `replay::Step` per
//! line; lines starting with `#` are comments) and the actions it must answer
//! (output.jsonl, one `replay::Output` per line, packets in hex). The instances take
//! 10.0.0.1 (IPv4) or fd00::1 (IPv6) as their interface's primary address.
//!
//! After a deliberate change of behaviour, rewrite the outputs with
//! `BLESS=1 cargo test -p ka-vrrp --test conformance` and read the diff.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ka_config::{parse_str, Options};
use ka_vrrp::replay::{replay, Step};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("keepalived.conf").exists())
        .collect();
    v.sort();
    v
}

/// The outputs of one case, one JSON object per line.
fn run(dir: &Path) -> Result<String, String> {
    let conf = std::fs::read_to_string(dir.join("keepalived.conf")).map_err(|e| e.to_string())?;
    let l = parse_str("keepalived.conf", &conf, &Options::default());
    if l.errors() > 0 {
        return Err(format!("configuration errors: {:?}", l.short()));
    }
    let mut router = ka_vrrp::config::router(&l.config, &|m| {
        if m.vips.first().is_some_and(|a| a.addr.is_ipv6()) {
            "fd00::1".parse::<IpAddr>().unwrap()
        } else {
            "10.0.0.1".parse().unwrap()
        }
    });
    let input = std::fs::read_to_string(dir.join("input.jsonl")).map_err(|e| e.to_string())?;
    let mut steps = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let s: Step =
            serde_json::from_str(line).map_err(|e| format!("input.jsonl:{}: {e}", n + 1))?;
        steps.push(s);
    }
    let out = replay(&mut router, &steps).map_err(|e| e.to_string())?;
    let mut text = String::new();
    for o in out {
        text.push_str(&serde_json::to_string(&o).unwrap());
        text.push('\n');
    }
    Ok(text)
}

#[test]
fn conformance_cases() {
    let bless = std::env::var_os("BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 8, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let got = match run(dir) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let path = dir.join("output.jsonl");
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
            let at = g
                .iter()
                .zip(&w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            failures.push(format!(
                "{name}: output differs from line {} ({} lines expected, {} got)\n  expected: {}\n  got:      {}",
                at + 1,
                w.len(),
                g.len(),
                w.get(at).unwrap_or(&"(nothing)"),
                g.get(at).unwrap_or(&"(nothing)"),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
