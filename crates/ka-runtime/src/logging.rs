//! Logging as keepalived does: to syslog (/dev/log, facility daemon unless -S) with the
//! idents Keepalived and Keepalived_vrrp, and with -l also to the console.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

struct Logger {
    ident: &'static str,
    pid: u32,
    facility: u8,
    console: bool,
    syslog: Option<Mutex<UnixDatagram>>,
    /// Lines syslog could not take (its socket full).
    lost: AtomicU64,
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
                // Never wait for a syslog daemon that is not reading: the VRRP child's
                // adverts must go on. What is lost is counted and said when it reads
                // again.
                let lost = self.lost.load(Ordering::Relaxed);
                if lost > 0 {
                    let note = format!(
                        "<{}>{}[{}]: {lost} log message(s) lost: the syslog socket was full",
                        self.facility as u32 * 8 + 4,
                        self.ident,
                        self.pid
                    );
                    if s.send(note.as_bytes()).is_ok() {
                        self.lost.fetch_sub(lost, Ordering::Relaxed);
                    }
                }
                if s.send(line.as_bytes()).is_err() {
                    self.lost.fetch_add(1, Ordering::Relaxed);
                }
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

/// A datagram socket to the syslog daemon at `path`, non-blocking (see `Logger::log`).
fn syslog_socket(path: &std::path::Path) -> Option<UnixDatagram> {
    let s = UnixDatagram::unbound().ok()?;
    s.connect(path).ok()?;
    s.set_nonblocking(true).ok()?;
    Some(s)
}

/// `facility`: syslog facility number (3 = daemon, 16..23 = local0..7).
pub fn init(ident: &'static str, console: bool, syslog: bool, facility: u8) {
    // SAFETY: reads TZ once, before any thread logs.
    unsafe { tzset() };
    let sock = if syslog {
        syslog_socket(std::path::Path::new("/dev/log")).map(Mutex::new)
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
        lost: AtomicU64::new(0),
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

#[cfg(test)]
mod tests {
    use super::*;
    use log::Log;
    use std::time::Duration;

    #[test]
    fn a_syslog_that_does_not_read_never_blocks_and_the_loss_is_said() {
        let dir = std::env::temp_dir().join(format!("ka-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let rx = UnixDatagram::bind(&path).unwrap();
        let tx = syslog_socket(&path).unwrap();
        let logger = Logger {
            ident: "Keepalived_vrrp",
            pid: 7,
            facility: 3,
            console: false,
            syslog: Some(Mutex::new(tx)),
            lost: AtomicU64::new(0),
        };
        let (done, wait) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            for n in 0..500 {
                logger.log(
                    &log::Record::builder()
                        .args(format_args!("line {n}"))
                        .level(log::Level::Info)
                        .build(),
                );
            }
            done.send(()).unwrap();
            logger
        });
        wait.recv_timeout(Duration::from_secs(10))
            .expect("logging blocked on a full syslog socket");
        let logger = t.join().unwrap();
        let lost = logger.lost.load(Ordering::Relaxed);
        assert!(lost > 0, "the socket queue is far shorter than 500");
        rx.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 512];
        let mut got = 0;
        while rx.recv(&mut buf).is_ok() {
            got += 1;
        }
        assert_eq!(got + lost, 500);
        logger.log(
            &log::Record::builder()
                .args(format_args!("after"))
                .level(log::Level::Info)
                .build(),
        );
        let n = rx.recv(&mut buf).unwrap();
        let note = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert_eq!(
            note,
            format!(
                "<28>Keepalived_vrrp[7]: {lost} log message(s) lost: the syslog socket was full"
            )
        );
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<30>Keepalived_vrrp[7]: after");
        assert_eq!(logger.lost.load(Ordering::Relaxed), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
