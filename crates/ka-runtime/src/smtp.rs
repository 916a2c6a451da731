//! SMTP alerts as keepalived 2.2.7 sends them (core/smtp.c): the dialogue (220, HELO,
//! MAIL FROM, one RCPT TO per recipient, DATA, the message, QUIT), the message text
//! (Date, From, Subject, `X-Mailer: Keepalived`, To), one reply code expected per step.
//!
//! A mail is sent by a short-lived process (`keepalived-rs --child mail-vrrp`, the mail
//! on its stdin) so that name resolution and a slow server never hold up the event loop
//! that started it: the same model as notify scripts.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// `smtp_server`: an address or a host name, resolved when the mail is sent.
    pub server: String,
    pub port: u16,
    pub helo: String,
    pub from: String,
    pub to: Vec<String>,
    /// With keepalived's `[router_id] ` prefix.
    pub subject: String,
    pub body: String,
    /// `smtp_connect_timeout`: for the connection and for each reply.
    pub timeout: Duration,
}

impl Mail {
    /// keepalived's global_defs defaults: router_id, smtp_helo_name and the sender's
    /// domain are the host name.
    pub fn from_config(
        g: &ka_config::model::GlobalDefs,
        subject: &str,
        body: &str,
    ) -> Option<Mail> {
        let server = g.smtp_server.as_ref()?;
        if g.notification_email.is_empty() {
            return None;
        }
        let host = hostname();
        Some(Mail {
            server: server.host.clone(),
            port: server.port,
            helo: g.smtp_helo_name.clone().unwrap_or_else(|| host.clone()),
            from: g
                .notification_email_from
                .clone()
                .unwrap_or_else(|| format!("keepalived@{host}")),
            to: g.notification_email.clone(),
            subject: format!("[{}] {subject}", g.router_id.as_deref().unwrap_or(&host)),
            body: body.to_string(),
            timeout: g.smtp_connect_timeout,
        })
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// RFC 5322 date in UTC (keepalived writes local time; the instant is the same).
pub fn rfc822_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        WD[days.rem_euclid(7) as usize],
        day,
        MON[(month - 1) as usize],
        year,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// What follows DATA, as keepalived's body_cmd writes it (ending with the lone dot).
pub fn message(m: &Mail, date: &str) -> String {
    let mut s = format!(
        "Date: {date}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo:",
        m.from, m.subject
    );
    for (k, to) in m.to.iter().enumerate() {
        s.push_str(if k == 0 { " " } else { ",\r\n " });
        s.push_str(to);
    }
    s.push_str(&format!("\r\n\r\n{}\r\n\r\n.\r\n", m.body));
    s
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Greeting,
    Helo,
    MailFrom,
    Rcpt(usize),
    Data,
    Body,
    Quit,
}

impl Stage {
    /// The reply code keepalived expects, and its name for the step in error lines.
    fn expect(self) -> (u16, &'static str) {
        match self {
            Stage::Greeting => (220, "connection"),
            Stage::Helo => (250, "HELO"),
            Stage::MailFrom => (250, "MAIL"),
            Stage::Rcpt(_) => (250, "RCPT"),
            Stage::Data => (354, "DATA"),
            Stage::Body => (250, "DOT"),
            Stage::Quit => (221, "QUIT"),
        }
    }
}

/// The client side of the dialogue, fed one complete reply at a time.
pub struct Dialogue {
    stage: Stage,
    date: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Send(Vec<u8>),
    /// The mail was accepted (QUIT was answered, or the server closed after the dot).
    Done,
    Failed(String),
}

impl Dialogue {
    pub fn new(date: String) -> Dialogue {
        Dialogue {
            stage: Stage::Greeting,
            date,
        }
    }

    /// Whether the server has accepted the message (the dot was answered 250).
    pub fn delivered(&self) -> bool {
        self.stage == Stage::Quit
    }

    pub fn reply(&mut self, m: &Mail, code: u16) -> Step {
        let (want, what) = self.stage.expect();
        if code != want {
            if self.stage == Stage::Quit {
                // Delivered already; a server that answers QUIT oddly changes nothing.
                return Step::Done;
            }
            return Step::Failed(format!(
                "Error processing {what} cmd on SMTP server {}:{}. SMTP status code = {code}",
                m.server, m.port
            ));
        }
        let (next, text) = match self.stage {
            Stage::Greeting => (Stage::Helo, format!("HELO {}\r\n", m.helo)),
            Stage::Helo => (Stage::MailFrom, format!("MAIL FROM:<{}>\r\n", m.from)),
            Stage::MailFrom | Stage::Rcpt(_) => {
                let k = match self.stage {
                    Stage::Rcpt(k) => k + 1,
                    _ => 0,
                };
                match m.to.get(k) {
                    Some(to) => (Stage::Rcpt(k), format!("RCPT TO:<{to}>\r\n")),
                    None => (Stage::Data, "DATA\r\n".to_string()),
                }
            }
            Stage::Data => (Stage::Body, message(m, &self.date)),
            Stage::Body => (Stage::Quit, "QUIT\r\n".to_string()),
            Stage::Quit => return Step::Done,
        };
        self.stage = next;
        Step::Send(text.into_bytes())
    }
}

pub use ka_check::smtp::{take_reply, NotAReply};

/// Why a mail was not delivered, worded for the log.
#[derive(Debug)]
pub enum SmtpError {
    Resolve {
        server: String,
        e: io::Error,
    },
    NoAddress(String),
    Connect {
        addr: SocketAddr,
        e: io::Error,
    },
    Io {
        addr: SocketAddr,
        e: io::Error,
    },
    Reply {
        addr: SocketAddr,
        e: NotAReply,
    },
    TooLong(SocketAddr),
    Closed(SocketAddr),
    /// The server refused a step of the dialogue (what it refused, its code).
    Refused(String),
}

impl std::fmt::Display for SmtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmtpError::Resolve { server, e } => {
                write!(f, "cannot resolve SMTP server {server}: {e}")
            }
            SmtpError::NoAddress(server) => write!(f, "SMTP server {server} has no address"),
            SmtpError::Connect { addr, e } => {
                write!(f, "cannot connect to SMTP server {addr}: {e}")
            }
            SmtpError::Io { addr, e } => write!(f, "SMTP server {addr}: {e}"),
            SmtpError::Reply { addr, e } => write!(f, "SMTP server {addr}: {e}"),
            SmtpError::TooLong(addr) => {
                write!(f, "SMTP server {addr}: reply longer than {MAX_REPLY} bytes")
            }
            SmtpError::Closed(addr) => write!(f, "SMTP server {addr} closed the connection"),
            SmtpError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for SmtpError {}

/// Longest reply accepted (a server that floods is an error, not a memory problem).
const MAX_REPLY: usize = 64 * 1024;

/// Sends `m` (blocking, each step bounded by its timeout).
pub fn send(m: &Mail) -> Result<(), SmtpError> {
    let addrs: Vec<_> = (m.server.as_str(), m.port)
        .to_socket_addrs()
        .map_err(|e| SmtpError::Resolve {
            server: m.server.clone(),
            e,
        })?
        .collect();
    let addr = *addrs
        .first()
        .ok_or_else(|| SmtpError::NoAddress(m.server.clone()))?;
    let mut s =
        TcpStream::connect_timeout(&addr, m.timeout).map_err(|e| SmtpError::Connect { addr, e })?;
    let io_err = |e: io::Error| SmtpError::Io { addr, e };
    s.set_read_timeout(Some(m.timeout)).map_err(io_err)?;
    s.set_write_timeout(Some(m.timeout)).map_err(io_err)?;
    let mut d = Dialogue::new(rfc822_utc(SystemTime::now()));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let code = loop {
            if let Some(r) = take_reply(&mut buf) {
                break r.map_err(|e| SmtpError::Reply { addr, e })?;
            }
            if buf.len() > MAX_REPLY {
                return Err(SmtpError::TooLong(addr));
            }
            match s.read(&mut chunk) {
                Ok(0) if d.delivered() => return Ok(()),
                Ok(0) => return Err(SmtpError::Closed(addr)),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(_) if d.delivered() => return Ok(()),
                Err(e) => return Err(io_err(e)),
            }
        };
        match d.reply(m, code) {
            Step::Send(bytes) => s.write_all(&bytes).map_err(io_err)?,
            Step::Done => return Ok(()),
            Step::Failed(why) => {
                let _ = s.write_all(b"QUIT\r\n");
                return Err(SmtpError::Refused(why));
            }
        }
    }
}

/// Starts `keepalived-rs --child KIND` (mail-vrrp or mail-check) with the mail on its
/// stdin; the caller reaps it.
pub fn spawn_sender(m: &Mail, kind: &str, log_args: &[String]) -> io::Result<std::process::Child> {
    use std::process::Stdio;
    let blob = ka_ipc::codec::encode(m).map_err(io::Error::other)?;
    let mut child = ka_ipc::proc::this_program(&std::env::current_exe()?)
        .args(["--child", kind])
        .args(log_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    // Far below a pipe's capacity: never blocks.
    if let Some(mut w) = child.stdin.take() {
        w.write_all(&blob)?;
    }
    Ok(child)
}

/// `--child mail-*`: the mail from stdin, sent; the result logged.
pub fn mail_main() -> i32 {
    let mut blob = Vec::new();
    if let Err(e) = io::stdin().take(1 << 20).read_to_end(&mut blob) {
        log::error!("SMTP alert: cannot read the mail: {e}");
        return 1;
    }
    let m: Mail = match ka_ipc::codec::decode(&blob) {
        Ok(m) => m,
        Err(e) => {
            log::error!("SMTP alert: bad mail: {e}");
            return 1;
        }
    };
    match send(&m) {
        Ok(()) => {
            log::info!("SMTP alert successfully sent.");
            0
        }
        Err(e) => {
            log::error!("{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn mail(port: u16) -> Mail {
        Mail {
            server: "127.0.0.1".into(),
            port,
            helo: "lb1".into(),
            from: "keepalived@lb1".into(),
            to: vec!["ops@example.com".into(), "noc@example.com".into()],
            subject: "[lb1] VRRP Instance VI_1 - Entering MASTER state".into(),
            body: "=> VRRP Instance is now owning VRRP VIPs <=".into(),
            timeout: Duration::from_secs(2),
        }
    }

    #[test]
    fn dates_as_rfc822() {
        assert_eq!(rfc822_utc(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(1_614_591_848); // keepalived's comment
        assert_eq!(rfc822_utc(t), "Mon, 01 Mar 2021 09:44:08 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // a leap day
        assert_eq!(rfc822_utc(t), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn message_as_keepalived_writes_it() {
        let m = mail(25);
        assert_eq!(
            message(&m, "D"),
            "Date: D\r\nFrom: keepalived@lb1\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\nTo: ops@example.com,\r\n noc@example.com\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n"
        );
    }

    #[test]
    fn dialogue_in_keepalived_order() {
        let m = mail(25);
        let mut d = Dialogue::new("D".into());
        let mut sent = Vec::new();
        for code in [220, 250, 250, 250, 250, 354, 250] {
            match d.reply(&m, code) {
                Step::Send(b) => sent.push(String::from_utf8(b).unwrap()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            sent[..5],
            [
                "HELO lb1\r\n",
                "MAIL FROM:<keepalived@lb1>\r\n",
                "RCPT TO:<ops@example.com>\r\n",
                "RCPT TO:<noc@example.com>\r\n",
                "DATA\r\n"
            ]
        );
        assert!(sent[5].ends_with("\r\n.\r\n"));
        assert_eq!(sent[6], "QUIT\r\n");
        assert_eq!(d.reply(&m, 221), Step::Done);
    }

    #[test]
    fn a_refused_recipient_fails_with_keepalived_wording() {
        let m = mail(25);
        let mut d = Dialogue::new("D".into());
        for code in [220, 250, 250] {
            d.reply(&m, code);
        }
        assert_eq!(
            d.reply(&m, 550),
            Step::Failed(
                "Error processing RCPT cmd on SMTP server 127.0.0.1:25. SMTP status code = 550"
                    .into()
            )
        );
    }

    #[test]
    fn replies_multi_line_partial_and_garbage() {
        let mut b = b"250-hello\r\n250-SIZE 100\r\n250 OK\r\n220 x\r\n".to_vec();
        assert_eq!(take_reply(&mut b), Some(Ok(250)));
        assert_eq!(take_reply(&mut b), Some(Ok(220)));
        assert_eq!(take_reply(&mut b), None);
        let mut b = b"250-partial\r\n250 no end".to_vec();
        assert_eq!(take_reply(&mut b), None);
        let mut b = b"HTTP/1.1 400 Bad Request\r\n".to_vec();
        assert!(matches!(take_reply(&mut b), Some(Err(_))));
    }

    /// A server on loopback that answers with `script` and records what it got.
    fn server(script: &'static [&'static str]) -> (u16, std::thread::JoinHandle<String>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = String::new();
            let mut buf = [0u8; 4096];
            let mut data = false;
            for (k, line) in script.iter().enumerate() {
                if k > 0 {
                    // One command, or after 354 the whole message up to its dot.
                    let end = if data { "\r\n.\r\n" } else { "\r\n" };
                    let mut this = String::new();
                    while !this.ends_with(end) {
                        let n = c.read(&mut buf).unwrap_or(0);
                        if n == 0 {
                            return got + &this;
                        }
                        this.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                    got.push_str(&this);
                }
                data = line.starts_with("354");
                if c.write_all(line.as_bytes()).is_err() {
                    return got;
                }
            }
            let _ = c.read(&mut buf);
            got
        });
        (port, h)
    }

    #[test]
    fn sends_through_a_real_socket() {
        let (port, h) = server(&[
            "220 sink ESMTP\r\n",
            "250-sink\r\n250 OK\r\n",
            "250 OK\r\n",
            "250 OK\r\n",
            "250 OK\r\n",
            "354 go\r\n",
            "250 queued\r\n",
            "221 bye\r\n",
        ]);
        send(&mail(port)).unwrap();
        let got = h.join().unwrap();
        assert!(
            got.starts_with("HELO lb1\r\nMAIL FROM:<keepalived@lb1>\r\n"),
            "{got}"
        );
        assert!(got.contains("Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n"));
        assert!(got.ends_with("QUIT\r\n"), "{got}");
    }

    #[test]
    fn a_server_that_talks_nonsense_or_stays_silent_is_an_error() {
        let (port, h) = server(&["SSH-2.0-OpenSSH\r\n"]);
        let e = send(&mail(port)).unwrap_err().to_string();
        assert!(e.contains("not an SMTP reply"), "{e}");
        h.join().unwrap();
        let (port, h) = server(&["220 x\r\n", "421 go away\r\n"]);
        let e = send(&mail(port)).unwrap_err().to_string();
        assert!(e.contains("HELO cmd") && e.contains("421"), "{e}");
        h.join().unwrap();
        // Silent: the timeout ends it.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut m = mail(l.local_addr().unwrap().port());
        m.timeout = Duration::from_millis(200);
        let e = send(&m).unwrap_err().to_string();
        assert!(e.contains("SMTP server"), "{e}");
    }
}
