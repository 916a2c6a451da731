//! HTTP_GET and SSL_GET without IO, as keepalived's check_http.c (and genhash) do them:
//! the request ([`request_bytes`]), where the body starts, its MD5, and the verdict on a
//! whole response ([`http_verdict`]: status ranges, digest, regex). The checker child
//! writes the request and reads the response; genhash prints the digest.

use std::net::SocketAddr;

use ka_config::model::{HttpProtocol, Url};

/// Why a response fails its url's check (Display: the failure logged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    NoStatusLine,
    /// The first line (up to 40 characters) is not an HTTP status line.
    NotHttp(String),
    NoStatusCode,
    /// A status code outside the url's ranges.
    Status(u16),
    NoEndOfHeaders,
    Digest {
        got: String,
        want: String,
    },
    /// The body does not match the regex.
    NoMatch(String),
    /// The body matches the regex, with regex_no_match.
    Matches(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NoStatusLine => f.write_str("no status line"),
            HttpError::NotHttp(line) => write!(f, "not an HTTP response: {line:?}"),
            HttpError::NoStatusCode => f.write_str("no status code"),
            HttpError::Status(code) => write!(f, "HTTP status code {code}"),
            HttpError::NoEndOfHeaders => f.write_str("no end of headers"),
            HttpError::Digest { got, want } => write!(f, "MD5 digest {got} differs from {want}"),
            HttpError::NoMatch(re) => write!(f, "body does not match regex '{re}'"),
            HttpError::Matches(re) => write!(f, "body matches regex '{re}' (regex_no_match)"),
        }
    }
}

impl std::error::Error for HttpError {}

/// keepalived's HTTP request (check_http.c, genhash): `GET path`, its User-Agent, Host:
/// the virtual host or the address, with the port unless 80.
pub fn request_bytes(
    path: &str,
    vhost: Option<&str>,
    target: SocketAddr,
    proto: HttpProtocol,
) -> Vec<u8> {
    let host = vhost
        .map(str::to_string)
        .unwrap_or_else(|| match target.ip() {
            std::net::IpAddr::V6(a) => format!("[{a}]"),
            a => a.to_string(),
        });
    let port = if target.port() == 80 {
        String::new()
    } else {
        format!(":{}", target.port())
    };
    let (version, close) = match proto {
        HttpProtocol::Http11 => ("1.1", "Connection: close\r\n"),
        HttpProtocol::Http10C => ("1.0", "Connection: close\r\n"),
        HttpProtocol::Http10 => ("1.0", ""),
    };
    format!(
        "GET {path} HTTP/{version}\r\nUser-Agent: KeepAliveClient\r\nHost: {host}{port}\r\n{close}\r\n"
    )
    .into_bytes()
}

/// Where an HTTP response's body starts (after a blank line, CRLF or bare LF).
pub fn body_start(response: &[u8]) -> Option<usize> {
    response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| {
            response
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|p| p + 2)
        })
}

/// The MD5 of `bytes` in lower-case hex (HTTP_GET's `digest`, genhash's output).
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// keepalived http_handle_response: the status code within the url's ranges (200-299 by
/// default), and the body's MD5 equal to `digest` when given.
pub fn http_verdict(
    u: &Url,
    response: &[u8],
    re: Option<&regex::bytes::Regex>,
) -> Result<(), HttpError> {
    let line_end = response
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(HttpError::NoStatusLine)?;
    let line = String::from_utf8_lossy(&response[..line_end]);
    let mut parts = line.split_whitespace();
    let proto = parts.next().unwrap_or("");
    if !proto.starts_with("HTTP/") {
        return Err(HttpError::NotHttp(line[..line.len().min(40)].to_string()));
    }
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or(HttpError::NoStatusCode)?;
    let ok = if u.status_codes.is_empty() {
        (200..=299).contains(&code)
    } else {
        u.status_codes.iter().any(|&(a, b)| (a..=b).contains(&code))
    };
    if !ok {
        return Err(HttpError::Status(code));
    }
    if u.digest.is_none() && re.is_none() {
        return Ok(());
    }
    let body = &response[body_start(response).ok_or(HttpError::NoEndOfHeaders)?..];
    if let Some(want) = &u.digest {
        let got = md5_hex(body);
        if !got.eq_ignore_ascii_case(want) {
            return Err(HttpError::Digest {
                got,
                want: want.clone(),
            });
        }
    }
    // keepalived check_http.c: the body must match the url's regex (or, with
    // regex_no_match, must not).
    if let Some(re) = re {
        match (u.regex_match(re, body).is_some(), u.regex_no_match) {
            (false, false) => return Err(HttpError::NoMatch(re.as_str().into())),
            (true, true) => return Err(HttpError::Matches(re.as_str().into())),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(codes: Vec<(u16, u16)>, digest: Option<&str>) -> Url {
        Url {
            path: "/".into(),
            digest: digest.map(Into::into),
            status_codes: codes,
            virtualhost: None,
            regex: None,
            regex_no_match: false,
            regex_options: Vec::new(),
            regex_min_offset: 0,
            regex_max_offset: None,
            regex_stack: None,
        }
    }

    #[test]
    fn requests_as_keepalived_sends_them() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            request_bytes("/x", None, at("10.0.0.1:80"), HttpProtocol::Http10),
            b"GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1\r\n\r\n".to_vec()
        );
        assert_eq!(
            request_bytes("/", Some("www"), at("[fd00::1]:8080"), HttpProtocol::Http11),
            b"GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: www:8080\r\nConnection: close\r\n\r\n".to_vec()
        );
        let r = request_bytes("/", None, at("[fd00::1]:8080"), HttpProtocol::Http10C);
        assert!(String::from_utf8(r)
            .unwrap()
            .contains("Host: [fd00::1]:8080\r\nConnection: close\r\n"));
    }

    #[test]
    fn the_body_starts_after_the_blank_line() {
        assert_eq!(body_start(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody"), Some(25));
        assert_eq!(body_start(b"HTTP/1.0 200 OK\nA: b\n\nbody"), Some(22));
        assert_eq!(body_start(b"HTTP/1.0 200 OK\r\n"), None);
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn verdicts_on_regex() {
        let ok = b"HTTP/1.0 200 OK\r\nX: y\r\n\r\nstatus: healthy\n";
        let re = regex::bytes::Regex::new("status: (healthy|degraded)").unwrap();
        let mut u = url(vec![], None);
        assert!(http_verdict(&u, ok, Some(&re)).is_ok());
        let bad = b"HTTP/1.0 200 OK\r\n\r\nstatus: down\n";
        assert!(http_verdict(&u, bad, Some(&re)).is_err());
        u.regex_no_match = true;
        assert!(http_verdict(&u, bad, Some(&re)).is_ok());
        assert!(http_verdict(&u, ok, Some(&re)).is_err());
    }

    /// keepalived's regex_options and offsets, each changing the verdict on one body.
    #[test]
    fn regex_options_and_offsets_change_the_verdict() {
        let resp = b"HTTP/1.0 200 OK\r\n\r\nfirst line\nStatus: OK\nmore\n";
        let verdict = |pattern: &str, opts: &[&str], min: usize, max: Option<usize>| {
            let mut u = url(vec![], None);
            u.regex = Some(pattern.into());
            u.regex_options = opts.iter().map(|o| o.to_string()).collect();
            u.regex_min_offset = min;
            u.regex_max_offset = max;
            let re = u.compile_regex().unwrap().unwrap();
            http_verdict(&u, resp, Some(&re)).is_ok()
        };
        // caseless
        assert!(!verdict("status: ok", &[], 0, None));
        assert!(verdict("status: ok", &["caseless"], 0, None));
        // multiline: ^ at a line start
        assert!(!verdict("^Status", &[], 0, None));
        assert!(verdict("^Status", &["multiline"], 0, None));
        // dotall: . across the newline
        assert!(!verdict("line.Status", &[], 0, None));
        assert!(verdict("line.Status", &["dotall"], 0, None));
        // extended: white space in the pattern ignored
        assert!(!verdict("Sta tus", &[], 0, None));
        assert!(verdict("Sta tus", &["extended"], 0, None));
        // ungreedy compiles (it changes a match's length, never whether it starts)
        assert!(verdict("S.*?K", &["ungreedy"], 0, None));
        // firstline: the match must start on the first line
        assert!(verdict("Status", &[], 0, None));
        assert!(!verdict("Status", &["firstline"], 0, None));
        assert!(verdict("first", &["firstline"], 0, None));
        // regex_min_offset: "Status" starts at body offset 11
        assert!(verdict("Status", &[], 11, None));
        assert!(!verdict("Status", &[], 12, None));
        // the text before the minimum still counts as context for anchors
        assert!(!verdict("^Status", &["multiline"], 12, None));
        assert!(verdict("\\bStatus", &[], 11, None));
        // regex_max_offset: the last offset a match may start at
        assert!(verdict("Status", &[], 0, Some(11)));
        assert!(!verdict("Status", &[], 0, Some(10)));
        // utf: . is one character, not one byte
        let mut u = url(vec![], None);
        u.regex = Some("^x.y$".into());
        let body = "HTTP/1.0 200 OK\r\n\r\nx\u{e9}y".as_bytes();
        assert!(http_verdict(&u, body, Some(&u.compile_regex().unwrap().unwrap())).is_err());
        u.regex_options = vec!["utf".into()];
        assert!(http_verdict(&u, body, Some(&u.compile_regex().unwrap().unwrap())).is_ok());
        // a Unicode class compiles without utf
        u.regex = Some("\\p{L}".into());
        u.regex_options.clear();
        assert!(u.compile_regex().unwrap().is_ok());
    }

    #[test]
    fn verdicts_on_status_and_digest() {
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert!(http_verdict(&url(vec![], None), ok, None).is_ok());
        // md5("hello")
        assert!(http_verdict(
            &url(vec![], Some("5d41402abc4b2a76b9719d911017c592")),
            ok,
            None
        )
        .is_ok());
        assert!(http_verdict(
            &url(vec![], Some("00000000000000000000000000000000")),
            ok,
            None
        )
        .unwrap_err()
        .to_string()
        .contains("MD5"));
        let redirect = b"HTTP/1.1 302 Found\r\n\r\n";
        assert!(http_verdict(&url(vec![], None), redirect, None).is_err());
        assert!(http_verdict(&url(vec![(300, 399)], None), redirect, None).is_ok());
        assert!(
            http_verdict(&url(vec![], None), b"SSH-2.0-OpenSSH\r\n", None)
                .unwrap_err()
                .to_string()
                .contains("not an HTTP response")
        );
        assert!(
            http_verdict(&url(vec![], None), b"HTTP/1.0 200", None).is_err(),
            "partial"
        );
    }
}
