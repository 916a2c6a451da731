//! The IPVS family on a generic netlink socket: ka-check's pure messages
//! (`ka_check::ipvs::kernel`) carried by ka-net's `genl::Socket`. Used by the checker
//! child (the table) and the VRRP child (the sync daemons).

use std::io;

use ka_check::ipvs::kernel::{self, Frame, Reply};
use ka_check::ipvs::{CounterTable, SvcKey, Table};

// What the VRRP child needs for the sync daemons, so that it names no checker crate.
pub use ka_check::ipvs::{describe, Cmd, SyncDaemon, SyncRole};

/// The IPVS family on a generic netlink socket.
pub struct Ipvs {
    sock: ka_net::genl::Socket,
    family: u16,
    seq: u32,
}

/// Up to this many services are read one by one (a real server's change reads its
/// virtual server's); more, through a dump of every service. A dump reads them all: with
/// 250 virtual servers in the emulated IPVS VM, the checker removed some 50 failed real
/// servers a second from IPVS, each change reading all 250.
const ONE_BY_ONE: usize = 16;

/// A service's key, its attributes' payload and its destinations' payloads.
type RawService = (SvcKey, Vec<u8>, Vec<Vec<u8>>);

impl Ipvs {
    /// Opens a generic netlink socket and resolves the IPVS family: an error of kind
    /// NotFound when the kernel has no IPVS (ip_vs not loaded and not loadable).
    pub fn open() -> io::Result<Ipvs> {
        let mut me = Ipvs {
            sock: ka_net::genl::Socket::open()?,
            family: 0,
            seq: 0,
        };
        let replies = me.exchange(|_, seq| kernel::family_request(seq))?;
        me.family = kernel::family_id(&replies)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no IPVS family"))?;
        Ok(me)
    }

    /// Sends the request `build` makes (given the family and a new sequence number) and
    /// collects its replies up to the ACK or DONE; a NACK is the error.
    fn exchange(&mut self, build: impl FnOnce(u16, u32) -> Vec<u8>) -> io::Result<Vec<Reply>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.sock.send(&build(self.family, seq))?;
        let mut out = Vec::new();
        loop {
            for r in kernel::split_replies(&self.sock.recv()?) {
                if r.seq != seq {
                    continue;
                }
                match r.frame {
                    Frame::Ack | Frame::Done => return Ok(out),
                    Frame::Error(e) => {
                        let e = io::Error::from_raw_os_error(e);
                        return Err(if e.kind() == io::ErrorKind::NotFound && out.is_empty() {
                            io::Error::new(io::ErrorKind::NotFound, e)
                        } else {
                            e
                        });
                    }
                    Frame::Data(_) => out.push(r),
                }
            }
        }
    }

    /// Runs one command; the kernel's refusal is the error (EEXIST, ENOENT, ESRCH, …).
    pub fn apply(&mut self, cmd: &Cmd) -> io::Result<()> {
        self.exchange(|family, seq| kernel::encode(family, seq, cmd))
            .map(|_| ())
    }

    /// The kernel's services among `keys`, each with its destinations, as the payloads
    /// of their IPVS_CMD_ATTR_SERVICE and IPVS_CMD_ATTR_DEST attributes. A few services
    /// are asked for one by one; more, through one dump of every service.
    fn dump_raw(&mut self, keys: &[SvcKey]) -> io::Result<Vec<RawService>> {
        let mut out = Vec::new();
        if keys.len() <= ONE_BY_ONE {
            for k in keys {
                let replies = match self.exchange(|family, seq| kernel::get_service(family, seq, k))
                {
                    Ok(r) => r,
                    // The kernel has no such service.
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) => continue,
                    Err(e) => return Err(e),
                };
                // The kernel found it by `k`: its answer is that service.
                let found = replies.iter().find_map(|r| match &r.frame {
                    Frame::Data(p) => kernel::services_in(p).first().map(|v| v.to_vec()),
                    _ => None,
                });
                if let Some(v) = found {
                    out.push((k.clone(), v, Vec::new()));
                }
            }
        } else {
            let wanted: std::collections::HashSet<&SvcKey> = keys.iter().collect();
            for r in self.exchange(kernel::dump_services)? {
                let Frame::Data(p) = &r.frame else { continue };
                for v in kernel::services_in(p) {
                    if let Some(s) = kernel::decode_service(v) {
                        if wanted.contains(&s.key) {
                            out.push((s.key, v.to_vec(), Vec::new()));
                        }
                    }
                }
            }
        }
        for (k, _, dests) in &mut out {
            for r in self.exchange(|family, seq| kernel::dump_dests(family, seq, k))? {
                let Frame::Data(p) = &r.frame else { continue };
                dests.extend(kernel::dests_in(p).into_iter().map(<[u8]>::to_vec));
            }
        }
        Ok(out)
    }

    /// The kernel's table, of it only the services `keys`, with their destinations.
    pub fn dump(&mut self, keys: &[SvcKey]) -> io::Result<Table> {
        let mut table = Table::new();
        for (k, svc, dests) in self.dump_raw(keys)? {
            let Some(s) = kernel::decode_service(&svc) else {
                continue;
            };
            let dests = dests
                .iter()
                .filter_map(|d| kernel::decode_dest(d, k.ipv6()))
                .map(|d| ((d.addr, d.port), d))
                .collect();
            table.insert(k, (s, dests));
        }
        Ok(table)
    }

    /// The counters of the services `keys` the kernel has, and of their destinations.
    pub fn counters(&mut self, keys: &[SvcKey]) -> io::Result<CounterTable> {
        let mut table = CounterTable::new();
        for (k, svc, dests) in self.dump_raw(keys)? {
            let Some((_, c)) = kernel::decode_service_counters(&svc) else {
                continue;
            };
            let dests = dests
                .iter()
                .filter_map(|d| kernel::decode_dest_counters(d, k.ipv6()))
                .collect();
            table.insert(k, (c, dests));
        }
        Ok(table)
    }
}

/// Opens the IPVS family in the network namespace `netns` (keepalived's
/// net_namespace_ipvs: /run/netns/NAME, or PID 1's for ""; None: this process's own):
/// the socket is made there and stays bound to it when this thread goes back.
pub fn open_in(netns: Option<&str>) -> io::Result<Ipvs> {
    in_netns(netns, open_or_load)
}

/// Runs `open` with this thread in network namespace `netns` (None: where it is; "": the
/// default one, PID 1's; else /run/netns/NAME), then back: what it opens stays there.
pub fn in_netns<T>(netns: Option<&str>, open: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let Some(name) = netns else {
        return open();
    };
    let path = if name.is_empty() {
        "/proc/1/ns/net".to_string()
    } else {
        format!("/run/netns/{name}")
    };
    let here = std::fs::File::open("/proc/thread-self/ns/net")?;
    let there =
        std::fs::File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    nix::sched::setns(&there, nix::sched::CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
    let r = open();
    if let Err(e) = nix::sched::setns(&here, nix::sched::CloneFlags::CLONE_NEWNET) {
        log::error!("Open socket - unable to restore default namespace: {e}");
    }
    r
}

/// Opens the IPVS family, loading ip_vs first if it is not there (as keepalived does).
pub fn open_or_load() -> io::Result<Ipvs> {
    match Ipvs::open() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let _ = std::process::Command::new("modprobe")
                .arg("ip_vs")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            Ipvs::open()
        }
        r => r,
    }
}
