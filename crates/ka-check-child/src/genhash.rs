//! `keepalived-rs --genhash` (or `-T`, as the first option; or run as `genhash`): fetches a
//! URL over HTTP and prints the MD5 of its body, for an HTTP_GET's `digest`, as
//! keepalived's genhash does (one hex line; with -v the headers and body as well); over TLS
//! with -S.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ka_config::model::HttpProtocol;

use ka_check::http::{body_start, md5_hex, request_bytes};

const USAGE: &str =
    "usage: keepalived-rs --genhash -s SERVER [-p PORT] [-u URL] [-V VIRTUALHOST] [-r 1.0|1.1] [-S [-I NAME]] [-v]
  -s, --server       the server's IP address
  -p, --port         its TCP port (80)
  -u, --url          the path to fetch (/)
  -V, --virtualhost  the Host: header (the address)
  -r, --protocol     HTTP version, 1.0 or 1.1 (1.0)
  -v, --verbose      also print the response's headers and body
  -S, --use-ssl      over TLS (the certificate is not judged, as SSL_GET)
  -I, --sni NAME     the TLS server name to send (SNI)
  -h, --help         this text";

#[derive(Debug)]
struct Args {
    server: IpAddr,
    port: u16,
    url: String,
    vhost: Option<String>,
    http11: bool,
    verbose: bool,
    ssl: bool,
    sni: Option<String>,
}

/// What genhash says before its usage text (Help: only the usage), or why a fetch failed.
#[derive(Debug)]
enum GenhashError {
    Help,
    NeedsValue(String),
    BadServer(String),
    BadPort(String),
    UnknownOption(String),
    NoServer,
    /// Connecting to, or talking with, the server (`tls`: over TLS).
    Io {
        to: SocketAddr,
        tls: bool,
        e: std::io::Error,
    },
    Tls(crate::tls::TlsError),
    NoEndOfHeaders,
}

impl std::fmt::Display for GenhashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenhashError::Help => Ok(()),
            GenhashError::NeedsValue(o) => write!(f, "{o} needs a value"),
            GenhashError::BadServer(v) => write!(f, "bad server address {v}"),
            GenhashError::BadPort(v) => write!(f, "bad port {v}"),
            GenhashError::UnknownOption(o) => write!(f, "unknown option {o}"),
            GenhashError::NoServer => f.write_str("-s SERVER is required"),
            GenhashError::Io { to, tls: false, e } => write!(f, "{to}: {e}"),
            GenhashError::Io { to, tls: true, e } => write!(f, "{to}: TLS: {e}"),
            GenhashError::Tls(e) => e.fmt(f),
            GenhashError::NoEndOfHeaders => f.write_str("the response has no end of headers"),
        }
    }
}

fn parse(args: &[String]) -> Result<Args, GenhashError> {
    let mut server = None;
    let (mut port, mut url, mut vhost, mut http11, mut verbose) =
        (80u16, "/".to_string(), None, false, false);
    let (mut ssl, mut sni) = (false, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| GenhashError::NeedsValue(name.into()))
        };
        match a.as_str() {
            "-s" | "--server" => {
                let v = value(a)?;
                server = Some(v.parse().map_err(|_| GenhashError::BadServer(v))?);
            }
            "-p" | "--port" => {
                let v = value(a)?;
                port = v.parse().map_err(|_| GenhashError::BadPort(v))?;
            }
            "-u" | "--url" => url = value(a)?,
            "-V" | "--virtualhost" => vhost = Some(value(a)?),
            "-r" | "--protocol" => http11 = value(a)? == "1.1",
            "-v" | "--verbose" => verbose = true,
            "-S" | "--use-ssl" => ssl = true,
            "-I" | "--sni" => sni = Some(value(a)?),
            "-h" | "--help" => return Err(GenhashError::Help),
            other => return Err(GenhashError::UnknownOption(other.into())),
        }
    }
    Ok(Args {
        server: server.ok_or(GenhashError::NoServer)?,
        port,
        url,
        vhost,
        http11,
        verbose,
        ssl,
        sni,
    })
}

/// Returns the exit code.
pub fn main(args: &[String]) -> u8 {
    let a = match parse(args) {
        Ok(a) => a,
        Err(GenhashError::Help) => {
            eprintln!("{USAGE}");
            return 0;
        }
        Err(e) => {
            eprintln!("genhash: {e}");
            eprintln!("{USAGE}");
            return 1;
        }
    };
    match fetch(&a) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("genhash: {e}");
            1
        }
    }
}

/// The request written, the answer read to its end (at most 64 MiB; a TLS peer closing
/// without close_notify ends it too, as many servers do).
fn exchange(mut s: impl Read + Write, req: &[u8]) -> std::io::Result<Vec<u8>> {
    s.write_all(req)?;
    let mut resp = Vec::new();
    match s.take(64 << 20).read_to_end(&mut resp) {
        Err(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => Err(e),
        _ => Ok(resp),
    }
}

fn fetch(a: &Args) -> Result<(), GenhashError> {
    let to = SocketAddr::new(a.server, a.port);
    let io = |tls: bool| move |e| GenhashError::Io { to, tls, e };
    let timeout = Duration::from_secs(5);
    let started = Instant::now();
    let s = TcpStream::connect_timeout(&to, timeout).map_err(io(false))?;
    s.set_read_timeout(Some(timeout)).map_err(io(false))?;
    let proto = if a.http11 {
        HttpProtocol::Http11
    } else {
        HttpProtocol::Http10
    };
    let req = request_bytes(&a.url, a.vhost.as_deref(), to, proto);
    let resp = if a.ssl {
        let tls = crate::tls::Tls::new(None).map_err(GenhashError::Tls)?;
        let conn = tls
            .connect(a.sni.as_deref(), a.server)
            .map_err(GenhashError::Tls)?;
        exchange(rustls::StreamOwned::new(conn, s), &req).map_err(io(true))?
    } else {
        exchange(s, &req).map_err(io(false))?
    };
    let body_at = body_start(&resp).ok_or(GenhashError::NoEndOfHeaders)?;
    let hex = md5_hex(&resp[body_at..]);
    if a.verbose {
        println!("----[ HTTP headers ]----");
        print!("{}", String::from_utf8_lossy(&resp[..body_at]));
        println!("----[ body ({} bytes) ]----", resp.len() - body_at);
        println!("{}", String::from_utf8_lossy(&resp[body_at..]));
        println!("----[ MD5 ]----");
    }
    println!("{hex}");
    if a.verbose {
        println!(
            "Global response time for [{}] = {} usecs",
            a.url,
            started.elapsed().as_micros()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_as_keepalived_genhash() {
        let a = parse(&args(&[
            "-s", "10.0.0.1", "-p", "8080", "-u", "/x", "-V", "h", "-v",
        ]))
        .unwrap();
        assert_eq!(a.port, 8080);
        assert_eq!(a.url, "/x");
        assert_eq!(a.vhost.as_deref(), Some("h"));
        assert!(a.verbose);
        assert!(parse(&args(&["-p", "80"]))
            .unwrap_err()
            .to_string()
            .contains("-s SERVER"));
        assert!(parse(&args(&["-s", "10.0.0.1", "-S"])).unwrap().ssl);
    }

    #[test]
    fn fetches_and_hashes_over_loopback() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = c.read(&mut buf).unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                .unwrap();
            req
        });
        let a = parse(&args(&["-s", "127.0.0.1", "-p", &port.to_string()])).unwrap();
        fetch(&a).unwrap();
        let req = h.join().unwrap();
        assert!(
            req.starts_with("GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:")
        );
    }
}
