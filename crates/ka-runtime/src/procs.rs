//! The processes in /proc, for vrrp_track_process: each one's pid, parent, name
//! (/proc/PID/comm, read from /proc/PID/stat as keepalived does) and, when asked, its
//! command line. Zombies are left out (keepalived: they are not running).

use std::fs;

/// One process as /proc shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    /// /proc/PID/cmdline (NUL-separated), when asked for; empty otherwise.
    pub cmdline: Vec<u8>,
}

/// Every process now, in pid order. A process that goes while it is read is skipped.
pub fn scan(with_cmdline: bool) -> Vec<Proc> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out: Vec<Proc> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| read(pid, with_cmdline))
        .collect();
    out.sort_by_key(|p| p.pid);
    out
}

fn read(pid: u32, with_cmdline: bool) -> Option<Proc> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    let (comm, state, ppid) = parse_stat(&stat)?;
    if state == b'Z' {
        return None;
    }
    let cmdline = if with_cmdline {
        fs::read(format!("/proc/{pid}/cmdline")).ok()?
    } else {
        Vec::new()
    };
    Some(Proc {
        pid,
        ppid,
        comm,
        cmdline,
    })
}

/// /proc/PID/stat: "PID (COMM) STATE PPID ...". The name may hold spaces and
/// parentheses: it ends at the last ')'.
pub fn parse_stat(stat: &[u8]) -> Option<(String, u8, u32)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = String::from_utf8_lossy(stat.get(open + 1..close)?).into_owned();
    let mut rest = stat
        .get(close + 1..)?
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty());
    let state = *rest.next()?.first()?;
    let ppid = std::str::from_utf8(rest.next()?).ok()?.parse().ok()?;
    Some((comm, state, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_spaces_and_parentheses_ends_at_the_last_parenthesis() {
        assert_eq!(
            parse_stat(b"42 (a (b) c) S 7 42 42 0 -1"),
            Some(("a (b) c".to_string(), b'S', 7))
        );
        assert_eq!(
            parse_stat(b"42 (x) Z 1 0"),
            Some(("x".to_string(), b'Z', 1))
        );
        assert_eq!(parse_stat(b"42 x S 1"), None);
    }

    #[test]
    fn this_process_is_found_with_its_parent_and_command_line() {
        let me = std::process::id();
        let all = scan(true);
        let p = all
            .iter()
            .find(|p| p.pid == me)
            .expect("this process in /proc");
        assert_eq!(p.ppid, std::os::unix::process::parent_id());
        assert!(!p.cmdline.is_empty());
        assert!(scan(false).iter().all(|p| p.cmdline.is_empty()));
    }
}
