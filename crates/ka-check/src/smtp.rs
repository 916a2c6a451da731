//! SMTP without IO: a reply taken off the front of what was received ([`take_reply`],
//! shared with the alert mail's dialogue in ka-runtime), and SMTP_CHECK's dialogue
//! ([`SmtpCheck`], keepalived check_smtp.c): the greeting must be 220, the answer to HELO
//! 250; then QUIT is sent and the check has passed.

use crate::checker::Outcome;

/// Takes one complete reply (every line of a multi-line one) off the front of `buf`:
/// its code, or why it is not a reply. None: more bytes are needed.
pub fn take_reply(buf: &mut Vec<u8>) -> Option<Result<u16, NotAReply>> {
    let mut start = 0;
    loop {
        let end = buf[start..].iter().position(|&b| b == b'\n')? + start;
        let line = &buf[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let code = match line.get(..3).map(std::str::from_utf8) {
            Some(Ok(c)) if c.bytes().all(|b| b.is_ascii_digit()) => c.parse::<u16>().ok(),
            _ => None,
        };
        let Some(code) = code else {
            let shown = String::from_utf8_lossy(&line[..line.len().min(60)]).into_owned();
            return Some(Err(NotAReply(shown)));
        };
        let more = line.get(3) == Some(&b'-');
        start = end + 1;
        if !more {
            buf.drain(..start);
            return Some(Ok(code));
        }
    }
}

/// A line that is not an SMTP reply (its first 60 bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAReply(pub String);

impl std::fmt::Display for NotAReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not an SMTP reply: {:?}", self.0)
    }
}

impl std::error::Error for NotAReply {}

/// Replies kept waiting for their end: a server that floods is a failure, not a memory
/// problem.
const MAX_REPLY: usize = 64 * 1024;

/// One SMTP_CHECK conversation, fed what the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpCheck {
    helo: String,
    said_helo: bool,
    buf: Vec<u8>,
}

impl SmtpCheck {
    pub fn new(helo: &str) -> SmtpCheck {
        SmtpCheck {
            helo: helo.into(),
            said_helo: false,
            buf: Vec::new(),
        }
    }

    /// Bytes from the server: what to send back, and the outcome once the check is over.
    pub fn received(&mut self, bytes: &[u8]) -> (Vec<u8>, Option<Outcome>) {
        let mut send = Vec::new();
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_REPLY {
            return (
                send,
                Some(Outcome::Failure("reply longer than 64 KiB".into())),
            );
        }
        while let Some(reply) = take_reply(&mut self.buf) {
            let code = match reply {
                Ok(c) => c,
                Err(e) => return (send, Some(Outcome::Failure(e.to_string()))),
            };
            if !self.said_helo {
                if code != 220 {
                    let why = format!("SMTP greeting status code {code}");
                    return (send, Some(Outcome::Failure(why)));
                }
                send.extend_from_slice(format!("HELO {}\r\n", self.helo).as_bytes());
                self.said_helo = true;
            } else {
                if code != 250 {
                    let why = format!("SMTP HELO status code {code}");
                    return (send, Some(Outcome::Failure(why)));
                }
                send.extend_from_slice(b"QUIT\r\n");
                return (send, Some(Outcome::Success));
            }
        }
        (send, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_helo_quit() {
        let mut c = SmtpCheck::new("lb1");
        assert_eq!(c.received(b"220 mx ESMTP"), (vec![], None), "half a line");
        assert_eq!(c.received(b"\r\n"), (b"HELO lb1\r\n".to_vec(), None));
        assert_eq!(
            c.received(b"250-mx\r\n250 OK\r\n"),
            (b"QUIT\r\n".to_vec(), Some(Outcome::Success))
        );
    }

    #[test]
    fn a_reply_code_is_three_digits() {
        assert!(matches!(
            take_reply(&mut b"+12 hi\r\n".to_vec()),
            Some(Err(_))
        ));
        assert_eq!(take_reply(&mut b"250 ok\r\n".to_vec()), Some(Ok(250)));
        // Exactly 64 KiB kept waiting for the end of a line is still allowed.
        let mut c = SmtpCheck::new("x");
        assert_eq!(c.received(&[b'2'; 64 * 1024]), (vec![], None));
    }

    #[test]
    fn wrong_codes_nonsense_and_floods_fail() {
        let fail = |c: &mut SmtpCheck, b: &[u8]| match c.received(b).1 {
            Some(Outcome::Failure(why)) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fail(&mut SmtpCheck::new("x"), b"421 busy\r\n"),
            "SMTP greeting status code 421"
        );
        let mut c = SmtpCheck::new("x");
        c.received(b"220 ok\r\n");
        assert_eq!(fail(&mut c, b"550 no\r\n"), "SMTP HELO status code 550");
        assert!(
            fail(&mut SmtpCheck::new("x"), b"SSH-2.0-OpenSSH\r\n").contains("not an SMTP reply")
        );
        let mut c = SmtpCheck::new("x");
        assert_eq!(c.received(&[b'2'; 60_000]), (vec![], None));
        assert_eq!(fail(&mut c, &[b'2'; 10_000]), "reply longer than 64 KiB");
    }
}
