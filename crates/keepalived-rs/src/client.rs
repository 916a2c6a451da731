//! `keepalived-rs status [--json]` and `keepalived-rs events`: clients of the running
//! daemon's control socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use ka_ipc::status::Status;

const USAGE: &str = "usage: keepalived-rs status [--json] [--control-socket PATH]\n       keepalived-rs events [--control-socket PATH]\n       keepalived-rs upgrade [--control-socket PATH]";

/// `args` starts with the command (`status` or `events`).
pub fn main(args: &[String]) -> u8 {
    let mut json = false;
    let mut path = crate::cli::DEFAULT_CONTROL_SOCKET.to_string();
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" if args[0] == "status" => json = true,
            "--control-socket" => match it.next() {
                Some(p) => path = p.clone(),
                None => return usage(),
            },
            s if s.starts_with("--control-socket=") => {
                path = s["--control-socket=".len()..].to_string()
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            _ => return usage(),
        }
    }
    if args[0] == "upgrade" {
        return upgrade(&path);
    }
    if args[0] == "events" {
        return match UnixStream::connect(&path) {
            Ok(s) => events(s),
            Err(e) => {
                eprintln!("keepalived-rs: cannot reach the daemon at {path}: {e}");
                1
            }
        };
    }
    let text = match status_text(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("keepalived-rs: {e}");
            return 1;
        }
    };
    if json {
        print!("{text}");
        return 0;
    }
    match serde_json::from_str::<Status>(&text) {
        Ok(st) => {
            print!("{}", table(&st));
            0
        }
        Err(e) => {
            eprintln!("keepalived-rs: an answer this version cannot read ({e}): {text}");
            1
        }
    }
}

/// The daemon's answer to `status` (its JSON), or why it cannot be had.
fn status_text(path: &str) -> Result<String, String> {
    let mut s =
        UnixStream::connect(path).map_err(|e| format!("cannot reach the daemon at {path}: {e}"))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    s.write_all(b"status\n")
        .map_err(|e| format!("{path}: {e}"))?;
    let mut text = String::new();
    s.read_to_string(&mut text)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(text)
}

/// The daemon's parent part of `status`, or why it cannot be had.
fn parent_status(path: &str) -> Result<ka_ipc::status::ParentStatus, String> {
    let text = status_text(path)?;
    serde_json::from_str::<Status>(&text)
        .map(|st| st.keepalived_rs)
        .map_err(|e| format!("an answer this version cannot read ({e})"))
}

/// `keepalived-rs upgrade`: the running daemon replaces itself with the executable now
/// at its path (same PID, children replaced through the reload hand-over). Exit 0 once it
/// reports the upgrade complete; 1 when it refused (it then runs on as it was) or did not
/// report within 60 s.
fn upgrade(path: &str) -> u8 {
    let before = match parent_status(path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("keepalived-rs: {e}");
            return 1;
        }
    };
    let asked = ka_ipc::status::unix_now();
    let answer = (|| -> Result<String, String> {
        let mut s = UnixStream::connect(path).map_err(|e| e.to_string())?;
        let _ = s.set_read_timeout(Some(Duration::from_secs(120)));
        s.write_all(b"upgrade\n").map_err(|e| e.to_string())?;
        let mut line = String::new();
        BufReader::new(s)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line)
    })();
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            eprintln!("keepalived-rs: {path}: {e}");
            return 1;
        }
    };
    let v: serde_json::Value = serde_json::from_str(answer.trim()).unwrap_or_default();
    if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
        eprintln!(
            "keepalived-rs: upgrade refused: {e}; the daemon (pid {}) runs on as it was",
            before.pid
        );
        return 1;
    }
    let end = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
        let Ok(now) = parent_status(path) else {
            continue;
        };
        let Some(last) = now.last_upgrade.as_ref().filter(|l| l.time >= asked - 1.0) else {
            continue;
        };
        if now.upgrades > before.upgrades && last.result == "complete" {
            println!(
                "keepalived-rs: upgraded in place: pid {}, v{} -> v{} ({})",
                now.pid, before.version, now.version, now.exe
            );
            return 0;
        }
        eprintln!("keepalived-rs: upgrade: {}", last.result);
        return 1;
    }
    eprintln!("keepalived-rs: the daemon did not report the upgrade within 60 s");
    1
}

fn usage() -> u8 {
    eprintln!("{USAGE}");
    2
}

fn events(mut s: UnixStream) -> u8 {
    if s.write_all(b"events\n").is_err() {
        return 1;
    }
    let out = std::io::stdout();
    for line in BufReader::new(s).lines() {
        let Ok(line) = line else { return 1 };
        let mut o = out.lock();
        if writeln!(o, "{line}").and_then(|()| o.flush()).is_err() {
            return 0;
        }
    }
    0
}

/// Local time of day for a time in seconds since 1970 (as the logs print it).
fn clock(t: f64) -> String {
    if t <= 0.0 {
        return "-".into();
    }
    ka_runtime::clock::format_local(t as i64)
}

/// Columns padded to their widest cell.
fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 < r.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What a person reads in a terminal.
pub fn table(st: &Status) -> String {
    let p = &st.keepalived_rs;
    let mut out = format!(
        "keepalived-rs {} (pid {}), up since {}\n",
        p.version,
        p.pid,
        clock(p.started)
    );
    for pr in &p.processes {
        let state = match (pr.pid, pr.answered) {
            (None, _) => "not running".to_string(),
            (Some(pid), true) => format!("pid {pid}, since {}", clock(pr.started.unwrap_or(0.0))),
            (Some(pid), false) => format!("pid {pid}, NOT ANSWERING"),
        };
        out.push_str(&format!(
            "  {} child: {state}; {} restart(s)\n",
            pr.name, pr.restarts
        ));
    }
    match &p.last_reload {
        Some(r) => out.push_str(&format!(
            "  reloads: {}; last at {}: {}\n",
            p.reloads,
            clock(r.time),
            r.result
        )),
        None => out.push_str("  reloads: none\n"),
    }
    if let Some(v) = &st.vrrp {
        out.push_str("\nVRRP instances\n");
        let mut rows = vec![vec![
            "NAME".to_string(),
            "STATE".into(),
            "SINCE".into(),
            "REASON".into(),
            "VRID".into(),
            "IF".into(),
            "PRIO".into(),
            "MASTER".into(),
            "VIPS".into(),
        ]];
        for i in &v.instances {
            let master = match &i.master {
                Some(m) => format!("{m} ({})", i.master_priority),
                None => "-".into(),
            };
            rows.push(vec![
                i.name.clone(),
                i.state.clone(),
                clock(i.since),
                if i.reason.is_empty() {
                    "-".into()
                } else {
                    i.reason.clone()
                },
                i.vrid.to_string(),
                i.interface.clone(),
                if i.base_priority == i.effective_priority {
                    i.effective_priority.to_string()
                } else {
                    format!("{} (base {})", i.effective_priority, i.base_priority)
                },
                master,
                format!(
                    "{}{}",
                    i.vips.join(" "),
                    if i.vips_set { " (set)" } else { "" }
                ),
            ]);
        }
        out.push_str(&columns(&rows));
        for i in &v.instances {
            for t in &i.trackers {
                let part = match t.contribution {
                    Some(c) => format!("{c:+}"),
                    None => "FAULT".into(),
                };
                out.push_str(&format!(
                    "  {}: {} {} {} (weight {}, {part})\n",
                    i.name, t.kind, t.name, t.status, t.weight
                ));
            }
        }
        for g in &v.sync_groups {
            out.push_str(&format!(
                "  sync group {}: {} ({})\n",
                g.name,
                g.state,
                g.members.join(", ")
            ));
        }
        for s in &v.scripts {
            let toward = if s.status == "GOOD" {
                format!("{}/{} toward fall", s.streak, s.fall)
            } else {
                format!("{}/{} toward rise", s.streak, s.rise)
            };
            out.push_str(&format!(
                "  script {}: {} ({toward}){}\n",
                s.name,
                s.status,
                if s.running { ", running" } else { "" }
            ));
        }
    }
    if let Some(c) = &st.checker {
        out.push_str(&format!(
            "\nVirtual servers{}\n",
            if c.ipvs {
                ""
            } else {
                " (no IPVS on this kernel)"
            }
        ));
        let mut rows = vec![vec![
            "SERVER".to_string(),
            "STATE".into(),
            "WEIGHT".into(),
            "CHECK".into(),
            "LAST".into(),
            "LATENCY".into(),
            "SINCE".into(),
        ]];
        // The kernel's counters, where it has IPVS: ipvsadm -L's ActiveConn and InActConn,
        // then --stats' totals.
        let counted = c
            .virtual_servers
            .iter()
            .any(|v| v.ipvs.is_some() || v.real_servers.iter().any(|r| r.ipvs.is_some()));
        if counted {
            for h in ["ACTIVE", "INACT", "CONNS", "BYTES IN", "BYTES OUT"] {
                rows[0].push(h.into());
            }
        }
        let counts = |row: &mut Vec<String>, n: Option<&ka_ipc::status::IpvsCounters>| {
            if !counted {
                return;
            }
            row.resize(7, String::new());
            let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            row.push(opt(n.and_then(|n| n.active_connections)));
            row.push(opt(n.and_then(|n| n.inactive_connections)));
            row.push(opt(n.map(|n| n.connections)));
            row.push(n.map_or(String::new(), |n| bytes(n.bytes_in)));
            row.push(n.map_or(String::new(), |n| bytes(n.bytes_out)));
        };
        for vs in &c.virtual_servers {
            rows.push(vec![
                vs.name.clone(),
                if vs.quorum_up {
                    "QUORUM UP"
                } else {
                    "QUORUM DOWN"
                }
                .into(),
                vs.live_weight.to_string(),
                if vs.sorry_active {
                    format!("sorry server {}", vs.sorry_server.as_deref().unwrap_or(""))
                } else {
                    String::new()
                },
            ]);
            counts(rows.last_mut().expect("a row"), vs.ipvs.as_ref());
            for rs in &vs.real_servers {
                let first = rs.checks.first();
                rows.push(vec![
                    format!("  {}", rs.name),
                    if rs.alive { "UP" } else { "DOWN" }.into(),
                    rs.weight.to_string(),
                    first.map_or(String::new(), |c| c.kind.clone()),
                    first
                        .and_then(|c| c.last_result.clone())
                        .unwrap_or_else(|| "-".into()),
                    first
                        .and_then(|c| c.latency)
                        .map_or("-".into(), |l| format!("{:.1} ms", l * 1e3)),
                    first.map_or("-".into(), |c| clock(c.since)),
                ]);
                counts(rows.last_mut().expect("a row"), rs.ipvs.as_ref());
                for c in rs.checks.iter().skip(1) {
                    rows.push(vec![
                        String::new(),
                        if c.up { "up" } else { "down" }.into(),
                        String::new(),
                        c.kind.clone(),
                        c.last_result.clone().unwrap_or_else(|| "-".into()),
                        c.latency
                            .map_or("-".into(), |l| format!("{:.1} ms", l * 1e3)),
                        clock(c.since),
                    ]);
                }
            }
        }
        out.push_str(&columns(&rows));
    }
    out
}

/// A byte count as ipvsadm --stats prints it, with K, M, G, T suffixes (powers of 1000).
fn bytes(n: u64) -> String {
    let units = ["", "K", "M", "G", "T", "P"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        n.to_string()
    } else {
        format!("{v:.1}{}", units[u])
    }
}
