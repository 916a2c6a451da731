//! Logging as keepalived does: to syslog (/dev/log, facility daemon unless -S) with the
//! idents Keepalived and Keepalived_vrrp, and with -l also to the console.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

struct Logger {
    ident: &'static str,
    pid: u32,
    facility: u8,
    console: bool,
    syslog: Option<Mutex<UnixDatagram>>,
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        if self.console {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {}[{}]: {}",
                timestamp(),
                self.ident,
                self.pid,
                r.args()
            );
        }
        if let Some(s) = &self.syslog {
            let sev = match r.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                _ => 6,
            };
            let line = format!(
                "<{}>{}[{}]: {}",
                self.facility as u32 * 8 + sev,
                self.ident,
                self.pid,
                r.args()
            );
            if let Ok(s) = s.lock() {
                let _ = s.send(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

extern "C" {
    fn tzset();
}

/// The local time as keepalived prints it on the console ("Mon Nov 23 17:13:29 2026").
fn timestamp() -> String {
    // SAFETY: time(NULL) and localtime_r into a zeroed tm, strftime into a sized buffer.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::new();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a %b %d %T %Y".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// `facility`: syslog facility number (3 = daemon, 16..23 = local0..7).
pub fn init(ident: &'static str, console: bool, syslog: bool, facility: u8) {
    // SAFETY: reads TZ once, before any thread logs.
    unsafe { tzset() };
    let sock = if syslog {
        UnixDatagram::unbound()
            .ok()
            .and_then(|s| s.connect("/dev/log").ok().map(|_| Mutex::new(s)))
    } else {
        None
    };
    // Nowhere else to write: keep the console.
    let console = console || sock.is_none();
    let logger = Logger {
        ident,
        pid: std::process::id(),
        facility,
        console,
        syslog: sock,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// `-S`: 0-7 means local0-7; names as keepalived accepts them.
pub fn facility(arg: Option<&str>) -> u8 {
    match arg {
        None => 3,
        Some(s) => match s.parse::<u8>() {
            Ok(n) if n <= 7 => 16 + n,
            _ => match s {
                "daemon" => 3,
                "user" => 1,
                s if s.starts_with("local") => s[5..]
                    .parse::<u8>()
                    .ok()
                    .filter(|n| *n <= 7)
                    .map_or(3, |n| 16 + n),
                _ => 3,
            },
        },
    }
}
