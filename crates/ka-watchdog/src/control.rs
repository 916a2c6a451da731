//! The parent's control socket and metrics endpoint, served from the parent's own loop.
//!
//! - A Unix stream socket (default /run/keepalived-rs/control.sock, mode 0600, or 0660
//!   with a group): a client sends one line, `status` or `events`. `status` is answered
//!   with one JSON document ([`ka_ipc::status::Status`]) and the connection closes;
//!   `events` streams one JSON line per state change until the client goes.
//! - With `--metrics ADDR`, a TCP listener: `GET /metrics` is answered with the
//!   Prometheus text format ([`ka_runtime::metrics`]).
//!
//! The answers come from what the children report: on a request the parent asks each
//! child to write its status to a file (`ToChild::WriteStatus`) and answers when both
//! have (or after [`STATUS_WAIT`], with what there is). Nothing a client does reaches a
//! child: a request is at most [`MAX_REQUEST`] bytes, read within [`READ_WITHIN`];
//! clients are at most [`MAX_CLIENTS`]; an events reader that falls [`MAX_BACKLOG`]
//! behind is dropped; every socket is non-blocking.

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

pub const LISTENER: Token = Token(10);
pub const METRICS: Token = Token(11);
const CLIENT_BASE: usize = 1000;

/// A request line longer than this is refused.
pub const MAX_REQUEST: usize = 4096;
/// A client must have sent its request by then.
pub const READ_WITHIN: Duration = Duration::from_secs(5);
/// Connections beyond this are closed at once.
pub const MAX_CLIENTS: usize = 64;
/// An events reader this far behind is dropped.
pub const MAX_BACKLOG: usize = 1 << 20;
/// How long the parent waits for the children's status files.
pub const STATUS_WAIT: Duration = Duration::from_secs(1);

/// Where the control socket goes and who may use it.
#[derive(Clone, Debug)]
pub struct Options {
    pub socket: PathBuf,
    /// A group whose members may connect (mode 0660); None: root only (0600).
    pub group: Option<u32>,
    pub metrics: Option<std::net::SocketAddr>,
}

enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }

    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Unix(s) => s,
            Stream::Tcp(s) => s,
        }
    }
}

/// What a client is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Still reading its request.
    Request,
    /// `status`: the JSON document.
    Status,
    /// `GET /metrics`.
    Metrics,
    /// `events`: a JSON line per change, for as long as it reads.
    Events,
    /// `upgrade`: answered once the new executable is known to be able to take over (or
    /// why not), just before the exec.
    Upgrade,
    /// Its answer is queued; close once written.
    Closing,
}

struct Client {
    stream: Stream,
    http: bool,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// How much of `outbuf` is written (the rest follows when the socket takes it).
    sent: usize,
    /// An answer's parts, shared between the clients that wait for the same answer and
    /// written after `outbuf` (no copy of megabytes per client), with how much of the
    /// first is written.
    reply: std::collections::VecDeque<Rc<Vec<u8>>>,
    reply_sent: usize,
    want: Want,
    deadline: Instant,
}

pub struct Control {
    registry: Registry,
    listener: UnixListener,
    metrics: Option<TcpListener>,
    path: PathBuf,
    clients: Vec<Option<Client>>,
}

/// The requests a round of events produced: the parent gathers the status for them.
#[derive(Default)]
pub struct Requests {
    pub status: bool,
    pub upgrade: bool,
}

impl Control {
    /// Binds the socket. A socket a live daemon answers on is left alone (Err); a stale
    /// one is replaced.
    pub fn open(opts: &Options, registry: &Registry) -> io::Result<Control> {
        let path = opts.socket.clone();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if path.exists() {
            if std::os::unix::net::UnixStream::connect(&path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is answered by another daemon", path.display()),
                ));
            }
            std::fs::remove_file(&path)?;
        }
        let mut listener = UnixListener::bind(&path)?;
        let mode = if opts.group.is_some() { 0o660 } else { 0o600 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        if let Some(gid) = opts.group {
            std::os::unix::fs::chown(&path, None, Some(gid))?;
        }
        registry.register(&mut listener, LISTENER, Interest::READABLE)?;
        let metrics = match opts.metrics {
            Some(addr) => {
                let mut l = TcpListener::bind(addr)?;
                registry.register(&mut l, METRICS, Interest::READABLE)?;
                Some(l)
            }
            None => None,
        };
        Ok(Control {
            registry: registry.try_clone()?,
            listener,
            metrics,
            path,
            clients: Vec::new(),
        })
    }

    /// Where the children write their status files (beside the socket).
    pub fn status_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from("/tmp"), Path::to_path_buf)
    }

    pub fn owns(&self, t: Token) -> bool {
        t == LISTENER || t == METRICS || t.0 >= CLIENT_BASE
    }

    /// One readiness event of ours.
    pub fn ready(&mut self, t: Token, req: &mut Requests) {
        match t {
            LISTENER => loop {
                match self.listener.accept() {
                    Ok((s, _)) => self.add(Stream::Unix(s), false, req),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        log::warn!("control socket: {e}");
                        break;
                    }
                }
            },
            METRICS => {
                while let Some(l) = &self.metrics {
                    match l.accept() {
                        Ok((s, _)) => self.add(Stream::Tcp(s), true, req),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            log::warn!("metrics: {e}");
                            break;
                        }
                    }
                }
            }
            Token(n) => {
                let id = n - CLIENT_BASE;
                self.serve(id, req);
            }
        }
    }

    fn add(&mut self, mut stream: Stream, http: bool, req: &mut Requests) {
        let live = self.clients.iter().filter(|c| c.is_some()).count();
        if live >= MAX_CLIENTS {
            // Dropped at once: the connection closes.
            return;
        }
        let id = match self.clients.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        if self
            .registry
            .register(
                stream.source(),
                Token(CLIENT_BASE + id),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            return;
        }
        self.clients[id] = Some(Client {
            stream,
            http,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            sent: 0,
            reply: Default::default(),
            reply_sent: 0,
            want: Want::Request,
            deadline: Instant::now() + READ_WITHIN,
        });
        // The request may already be there (edge-triggered readiness).
        self.serve(id, req);
    }

    fn serve(&mut self, id: usize, req: &mut Requests) {
        let Some(Some(c)) = self.clients.get_mut(id) else {
            return;
        };
        let mut closed = false;
        if c.want == Want::Request || c.want == Want::Events {
            let mut buf = [0u8; 4096];
            loop {
                match c.stream.read(&mut buf) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) if c.want == Want::Request => {
                        c.inbuf.extend_from_slice(&buf[..n]);
                        if c.inbuf.len() > MAX_REQUEST {
                            c.inbuf.clear();
                            answer_error(c, "request too long");
                            break;
                        }
                    }
                    // An events reader's further input is ignored.
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            if c.want == Want::Request {
                if let Some(w) = parse_request(c) {
                    c.want = w;
                    if matches!(w, Want::Status | Want::Metrics) {
                        req.status = true;
                    }
                    if w == Want::Upgrade {
                        req.upgrade = true;
                    }
                }
            }
        }
        if closed && c.want != Want::Closing && c.outbuf.is_empty() {
            self.drop_client(id);
            return;
        }
        self.flush(id);
    }

    /// The answer to `upgrade` clients: the new executable takes over now (None), or why
    /// not. Written at once: an exec may follow.
    pub fn answer_upgrade(&mut self, refused: Option<&str>) {
        let msg = match refused {
            None => serde_json::json!({ "result": "replacing" }),
            Some(why) => serde_json::json!({ "error": why }),
        };
        for id in 0..self.clients.len() {
            let Some(Some(c)) = self.clients.get_mut(id) else {
                continue;
            };
            if c.want != Want::Upgrade {
                continue;
            }
            c.outbuf.extend_from_slice(msg.to_string().as_bytes());
            c.outbuf.push(b'\n');
            c.want = Want::Closing;
            self.flush(id);
        }
    }

    /// Writes what is queued; a client whose answer is written is closed.
    fn flush(&mut self, id: usize) {
        let Some(Some(c)) = self.clients.get_mut(id) else {
            return;
        };
        loop {
            let pending: &[u8] = if c.sent < c.outbuf.len() {
                &c.outbuf[c.sent..]
            } else if let Some(r) = c.reply.front() {
                &r[c.reply_sent..]
            } else {
                break;
            };
            if pending.is_empty() {
                c.reply.pop_front();
                c.reply_sent = 0;
                continue;
            }
            let from_outbuf = c.sent < c.outbuf.len();
            match c.stream.write(pending) {
                Ok(0) => break,
                Ok(n) if from_outbuf => c.sent += n,
                Ok(n) => c.reply_sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.drop_client(id);
                    return;
                }
            }
        }
        if c.sent == c.outbuf.len() {
            c.outbuf.clear();
            c.sent = 0;
            if c.want == Want::Closing && c.reply.is_empty() {
                self.drop_client(id);
            }
        }
    }

    fn drop_client(&mut self, id: usize) {
        if let Some(Some(mut c)) = self.clients.get_mut(id).map(Option::take) {
            let _ = self.registry.deregister(c.stream.source());
        }
    }

    /// Whether a client waits for a status answer, and whether one waits for metrics.
    pub fn waiting(&self) -> (bool, bool) {
        let mut w = (false, false);
        for c in self.clients.iter().flatten() {
            match c.want {
                Want::Status => w.0 = true,
                Want::Metrics => w.1 = true,
                _ => {}
            }
        }
        w
    }

    /// The answers: `json` to status clients, `metrics` to metrics clients (each built
    /// only when someone waits for it).
    /// Each answer comes as parts, written one after the other.
    pub fn answer(&mut self, json: Option<&[Rc<Vec<u8>>]>, metrics: Option<&[Rc<Vec<u8>>]>) {
        for id in 0..self.clients.len() {
            let Some(Some(c)) = self.clients.get_mut(id) else {
                continue;
            };
            match c.want {
                Want::Status => {
                    let Some(json) = json else { continue };
                    c.reply.extend(json.iter().cloned());
                    c.reply.push_back(Rc::new(b"\n".to_vec()));
                }
                Want::Metrics => {
                    let Some(metrics) = metrics else { continue };
                    let len: usize = metrics.iter().map(|p| p.len()).sum();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                    );
                    c.outbuf.extend_from_slice(head.as_bytes());
                    c.reply.extend(metrics.iter().cloned());
                }
                _ => continue,
            }
            c.want = Want::Closing;
            self.flush(id);
        }
    }

    /// An event line to every events client; one too far behind is dropped.
    pub fn broadcast(&mut self, line: &str) {
        for id in 0..self.clients.len() {
            let Some(Some(c)) = self.clients.get_mut(id) else {
                continue;
            };
            if c.want != Want::Events {
                continue;
            }
            if c.outbuf.len() - c.sent + line.len() > MAX_BACKLOG {
                log::warn!("control socket: an events reader fell behind; dropped");
                self.drop_client(id);
                continue;
            }
            c.outbuf.extend_from_slice(line.as_bytes());
            c.outbuf.push(b'\n');
            self.flush(id);
        }
    }

    /// Clients that did not send a request in time are dropped.
    pub fn expire(&mut self, now: Instant) {
        for id in 0..self.clients.len() {
            let late = self.clients[id]
                .as_ref()
                .is_some_and(|c| c.want == Want::Request && c.deadline <= now);
            if late {
                self.drop_client(id);
            }
        }
    }

    /// The next client deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.clients
            .iter()
            .flatten()
            .filter(|c| c.want == Want::Request)
            .map(|c| c.deadline)
            .min()
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The request, once a whole line (or HTTP head) is in.
fn parse_request(c: &mut Client) -> Option<Want> {
    if c.http {
        let end = c.inbuf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&c.inbuf[..end]).into_owned();
        let first = head.lines().next().unwrap_or("");
        let mut parts = first.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if method == "GET" && (target == "/metrics" || target.starts_with("/metrics?")) {
            return Some(Want::Metrics);
        }
        let body = "only GET /metrics is served here\n";
        let resp = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        c.outbuf.extend_from_slice(resp.as_bytes());
        c.want = Want::Closing;
        return Some(Want::Closing);
    }
    let nl = c.inbuf.iter().position(|&b| b == b'\n')?;
    let line = String::from_utf8_lossy(&c.inbuf[..nl]).trim().to_string();
    match line.as_str() {
        "status" => Some(Want::Status),
        "events" => Some(Want::Events),
        "upgrade" => Some(Want::Upgrade),
        _ => {
            answer_error(
                c,
                &format!("unknown command {line:?}: status, events or upgrade"),
            );
            Some(Want::Closing)
        }
    }
}

fn answer_error(c: &mut Client, what: &str) {
    let msg = serde_json::json!({ "error": what }).to_string();
    if c.http {
        let resp = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
            msg.len()
        );
        c.outbuf.extend_from_slice(resp.as_bytes());
    } else {
        c.outbuf.extend_from_slice(msg.as_bytes());
        c.outbuf.push(b'\n');
    }
    c.want = Want::Closing;
}
