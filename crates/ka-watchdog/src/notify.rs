//! systemd's notify protocol (sd_notify(3)), spoken by the parent only: one datagram per
//! message to the socket named by `NOTIFY_SOCKET` (a path, or `@name` for the abstract
//! namespace). `READY=1` once the children have loaded the configuration, `RELOADING=1`
//! (with `MONOTONIC_USEC`) and `READY=1` around a reload, `STOPPING=1`, `STATUS=` lines
//! saying what runs, and `WATCHDOG=1` at half of `WATCHDOG_USEC` while the parent's own
//! loop runs.
//!
//! The variables are taken out of the environment when read, so that neither the children
//! nor the scripts they run can speak for the service (keepalived's children clear
//! `NOTIFY_SOCKET` for the same reason: systemd accepts the main PID's messages only).

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

/// The service manager's socket, and the watchdog interval it asked for.
pub struct Notify {
    sock: UnixDatagram,
    addr: SocketAddr,
    /// NOTIFY_SOCKET and WATCHDOG_USEC as given (an upgrade in place hands them on).
    socket_var: String,
    usec_var: Option<String>,
    /// WATCHDOG_USEC / 2 when the unit sets WatchdogSec (and WATCHDOG_PID, if given, is us).
    pub watchdog_every: Option<Duration>,
    next_watchdog: Option<Instant>,
    last_status: String,
}

/// What `NOTIFY_SOCKET` names: a path, or an abstract name after `@`.
fn address(v: &str) -> io::Result<SocketAddr> {
    if let Some(name) = v.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(name.as_bytes())
    } else if v.starts_with('/') {
        SocketAddr::from_pathname(v)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("NOTIFY_SOCKET={v} is neither a path nor @name"),
        ))
    }
}

/// The watchdog interval from WATCHDOG_USEC and WATCHDOG_PID as sd_watchdog_enabled(3)
/// reads them: half of it, when it is meant for process `pid`.
pub fn watchdog_interval(usec: Option<&str>, wpid: Option<&str>, pid: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|u| *u > 0)?;
    if let Some(w) = wpid {
        if w.trim().parse::<u32>().ok() != Some(pid) {
            return None;
        }
    }
    Some(Duration::from_micros(usec / 2))
}

impl Notify {
    /// The notifier systemd's environment asks for (None without `NOTIFY_SOCKET`), taking
    /// the variables out of the environment.
    pub fn from_env() -> Option<Notify> {
        let var = |k: &str| std::env::var(k).ok();
        let (socket, usec, wpid) = (
            var("NOTIFY_SOCKET"),
            var("WATCHDOG_USEC"),
            var("WATCHDOG_PID"),
        );
        for k in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            std::env::remove_var(k);
        }
        Notify::from_vars(socket, usec, wpid)
    }

    /// The notifier for these NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID values (None
    /// without a socket).
    pub fn from_vars(
        socket: Option<String>,
        usec: Option<String>,
        wpid: Option<String>,
    ) -> Option<Notify> {
        let socket = socket?;
        let made = address(&socket).and_then(|addr| Ok((UnixDatagram::unbound()?, addr)));
        match made {
            Ok((sock, addr)) => Some(Notify {
                sock,
                addr,
                watchdog_every: watchdog_interval(
                    usec.as_deref(),
                    wpid.as_deref(),
                    std::process::id(),
                ),
                socket_var: socket,
                usec_var: usec,
                next_watchdog: None,
                last_status: String::new(),
            }),
            Err(e) => {
                log::warn!("cannot notify the service manager at {socket}: {e}");
                None
            }
        }
    }

    /// NOTIFY_SOCKET and WATCHDOG_USEC, for the program an upgrade in place starts.
    pub fn vars(&self) -> (Option<String>, Option<String>) {
        (Some(self.socket_var.clone()), self.usec_var.clone())
    }

    /// Sends one message (newline-separated assignments); a lost datagram is logged.
    pub fn send(&self, msg: &str) {
        if let Err(e) = self.sock.send_to_addr(msg.as_bytes(), &self.addr) {
            log::warn!("cannot notify the service manager: {e}");
        }
    }

    /// `STATUS=text`, when it differs from the last one sent.
    pub fn status(&mut self, text: &str) {
        if text != self.last_status {
            self.send(&format!("STATUS={text}"));
            self.last_status = text.to_string();
        }
    }

    /// `READY=1` with the status.
    pub fn ready(&mut self, text: &str) {
        self.send(&format!(
            "READY=1\nMAINPID={}\nSTATUS={text}",
            std::process::id()
        ));
        self.last_status = text.to_string();
    }

    /// `RELOADING=1` with the time it started (CLOCK_MONOTONIC), as Type=notify-reload
    /// wants it.
    pub fn reloading(&mut self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=Reloading the configuration",
            ka_ipc::proc::monotonic_usec()
        ));
        self.last_status.clear();
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=Stopping");
    }

    /// When the next `WATCHDOG=1` is due (None: no watchdog).
    pub fn watchdog_deadline(&mut self) -> Option<Instant> {
        let every = self.watchdog_every?;
        Some(
            *self
                .next_watchdog
                .get_or_insert_with(|| Instant::now() + every),
        )
    }

    /// Sends `WATCHDOG=1` when due: called from the parent's loop only, so that a parent
    /// that no longer runs its loop is restarted by the service manager.
    pub fn watchdog(&mut self, now: Instant) {
        let Some(every) = self.watchdog_every else {
            return;
        };
        if self.next_watchdog.is_none_or(|t| now >= t) {
            self.send("WATCHDOG=1");
            self.next_watchdog = Some(now + every);
        }
    }
}

/// The `STATUS=` text: each instance's state, then the real servers up.
pub fn status_text(instances: &[(String, String)], rs_up: usize, rs_total: usize) -> String {
    let mut parts = Vec::new();
    if !instances.is_empty() {
        let list: Vec<String> = instances.iter().map(|(n, s)| format!("{n} {s}")).collect();
        // A long list is cut: systemctl status shows one line.
        let mut text = String::new();
        for (i, item) in list.iter().enumerate() {
            if text.len() + item.len() > 200 {
                text.push_str(&format!(", and {} more", list.len() - i));
                break;
            }
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(item);
        }
        parts.push(text);
    }
    if rs_total > 0 {
        parts.push(format!("{rs_up}/{rs_total} real servers up"));
    }
    if parts.is_empty() {
        "Running".into()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_interval_is_half_and_for_us_only() {
        assert_eq!(
            watchdog_interval(Some("10000000"), None, 7),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            watchdog_interval(Some("10000000"), Some("7"), 7),
            Some(Duration::from_secs(5))
        );
        assert_eq!(watchdog_interval(Some("10000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval(Some("x"), None, 7), None);
        assert_eq!(watchdog_interval(None, None, 7), None);
    }

    #[test]
    fn status_text_lists_instances_then_servers() {
        let i = vec![
            ("VI_1".to_string(), "MASTER".to_string()),
            ("VI_2".to_string(), "BACKUP".to_string()),
        ];
        assert_eq!(
            status_text(&i, 12, 12),
            "VI_1 MASTER, VI_2 BACKUP; 12/12 real servers up"
        );
        assert_eq!(status_text(&[], 0, 0), "Running");
        assert_eq!(status_text(&[], 3, 4), "3/4 real servers up");
        let many: Vec<(String, String)> = (0..100)
            .map(|n| (format!("VI_{n}"), "BACKUP".to_string()))
            .collect();
        let t = status_text(&many, 0, 0);
        assert!(t.len() < 240 && t.ends_with("more"), "{t}");
    }

    #[test]
    fn addresses() {
        assert!(address("/run/systemd/notify").is_ok());
        assert!(address("@abstract").is_ok());
        assert!(address("relative").is_err());
    }

    #[test]
    fn datagrams_reach_the_socket() {
        let dir = std::env::temp_dir().join(format!("ka-notify-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("sock");
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).unwrap();
        let mut n = Notify {
            sock: UnixDatagram::unbound().unwrap(),
            addr: address(path.to_str().unwrap()).unwrap(),
            socket_var: path.to_string_lossy().into_owned(),
            usec_var: None,
            watchdog_every: Some(Duration::from_millis(1)),
            next_watchdog: None,
            last_status: String::new(),
        };
        n.ready("VI_1 MASTER");
        n.status("VI_1 MASTER");
        n.status("VI_1 BACKUP");
        n.watchdog(Instant::now());
        let mut buf = [0u8; 512];
        let mut got = Vec::new();
        rx.set_nonblocking(true).unwrap();
        while let Ok(k) = rx.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..k]).into_owned());
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("READY=1\nMAINPID="));
        assert_eq!(got[1], "STATUS=VI_1 BACKUP");
        assert_eq!(got[2], "WATCHDOG=1");
    }
}
