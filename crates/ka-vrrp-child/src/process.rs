//! The VRRP side for real, in one mio loop: raw sockets per interface, the ka-vrrp state
//! machines, addresses over rtnetlink, gratuitous ARP, vrrp_script processes, notify
//! scripts and the notify FIFO.
//!
//! It runs in the VRRP child the watchdog starts (`--child vrrp`); see the README for
//! what is still missing.

use std::io::{self, Write};
use std::net::IpAddr;
use std::process::Child;
use std::time::{Duration, Instant};

use ka_config::model::{self, Config};

use ka_net::iface;
use ka_net::netlink::{Addr, Netlink};
use ka_net::packet::FrameSocket;
use ka_net::vrrp::{RecvSocket, SendSocket, PROTO_AH, PROTO_VRRP};
use ka_runtime::error::{ctx, RunError};
use ka_runtime::link::Exit;
use ka_runtime::scripts::{self, open_fifo, spawn, Dying, RunAsError};
use ka_vrrp::instance::{Event, InstanceConfig, TrackStatus, TrackerId};
use ka_vrrp::rx::Received;
use ka_vrrp::script::{ScriptAction, ScriptEvent, ScriptTracker, Status};
use ka_vrrp::sync::{Router, Target};
use ka_vrrp::{config as vconfig, garp, Action, Time};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2};
use signal_hook_mio::v1_0::Signals;

const SIGNALS: Token = Token(0);
const PARENT: Token = Token(1);
const LINKS: Token = Token(2);
const TIMER: Token = Token(3);
const FILES: Token = Token(4);
/// vrrp_track_process: how often /proc is read again.
const PROC_SCAN: Duration = Duration::from_secs(1);
/// IPv6 sockets: this plus the interface's index in `ifaces`.
const RECV6_BASE: usize = 1 << 20;
/// Receive sockets are tokens from here on, one per (interface, protocol).
const RECV_BASE: usize = 16;

/// The nftables table of instances not in accept mode, and which addresses are in its
/// sets (with how many instances hold each).
struct Nft {
    spec: ka_vrrp::firewall::Firewall,
    sock: Option<ka_net::nftables::Socket>,
    seq: u32,
    v4: bool,
    v6: bool,
    held: std::collections::BTreeMap<IpAddr, u32>,
}

/// static_ipaddress, static_routes and static_rules.
#[derive(Clone)]
struct Statics {
    addresses: Vec<model::IpAddress>,
    routes: Vec<model::Route>,
    rules: Vec<model::Rule>,
}

struct IfaceIo {
    name: String,
    ifindex: u32,
    mac: [u8; 6],
    send: SendSocket,
    recv: Vec<RecvSocket>,
    frames: FrameSocket,
    /// IPv6: one socket for sending and receiving, and its link-local source.
    v6: Option<(ka_net::vrrp6::Socket6, std::net::Ipv6Addr)>,
    /// A VMAC or ipvlan of ours: adverts and GARPs leave through it.
    vmac: bool,
    /// Adverts are received on it: a base interface, an ipvlan, or the sockets of unicast
    /// instances without an interface (not a VMAC: its base receives them).
    rx: bool,
}

/// An instance's VMAC (use_vmac): a macvlan on its interface with the virtual MAC.
struct Vmac {
    instance: usize,
    name: String,
    index: u32,
    base: String,
    /// vmac_xmit_base: adverts leave through the base interface.
    xmit_base: bool,
    /// Its MAC address and interface group, as configured.
    spec: model::Vmac,
    /// Deleted or renamed by someone else, not created again yet.
    gone: bool,
    /// A VMAC made for single addresses (`use_vmac` on an address line, `use_vmac_addr`):
    /// the instances and addresses on it. Empty for an instance's own VMAC.
    carries: Vec<(usize, IpAddr)>,
    /// `use_ipvlan`: an L2 ipvlan rather than a macvlan (the base interface's MAC; the
    /// instance's adverts are received on it), with its address.
    ipvlan: Option<model::Ipvlan>,
}

/// An interface polled for its link (keepalived linkbeat).
struct Linkbeat {
    name: String,
    configured: Option<model::LinkbeatType>,
    /// The method found to work (None until the interface is first read).
    method: Option<model::LinkbeatType>,
    up: bool,
}

/// keepalived init_linkbeat_status / if_linkbeat_refresh_thread: MII, else ETHTOOL, else
/// the interface flags (a configured method first); the link counts as up only when the
/// flags say up and running too.
fn linkbeat_read(l: &mut Linkbeat) -> bool {
    use model::LinkbeatType::{Ethtool, Ioctl, Mii};
    let flags = || ka_net::link::is_up(&l.name).unwrap_or(false);
    if let Some(m) = l.method {
        let link = match m {
            Mii => ka_net::link::mii_link(&l.name).unwrap_or(false),
            Ethtool => ka_net::link::ethtool_link(&l.name).unwrap_or(false),
            Ioctl => true,
        };
        return link && flags();
    }
    if iface::index(&l.name).is_err() {
        return false;
    }
    let order: &[model::LinkbeatType] = match l.configured {
        Some(Ethtool) => &[Ethtool, Mii],
        Some(Ioctl) => &[],
        _ => &[Mii, Ethtool],
    };
    let mut found = (Ioctl, true);
    for m in order {
        let r = match m {
            Mii => ka_net::link::mii_link(&l.name),
            _ => ka_net::link::ethtool_link(&l.name),
        };
        if let Ok(up) = r {
            found = (*m, up);
            break;
        }
    }
    let name = |m: model::LinkbeatType| match m {
        Mii => "MII",
        Ethtool => "ETHTOOL",
        Ioctl => "IOCTL",
    };
    if let Some(c) = l.configured.filter(|c| *c != found.0) {
        log::info!(
            "({}): Configured linkbeat type {} not supported, using {}",
            l.name,
            name(c),
            name(found.0)
        );
    }
    l.method = Some(found.0);
    found.1 && flags()
}

/// The interfaces to poll (keepalived: linkbeat_interfaces, every instance's interface
/// with the top-level linkbeat_use_polling, an instance's own with its deprecated one),
/// without VMACs (netlink works for them) and those no instance tracks.
fn linkbeat_interfaces(cfg: &Config, vmacs: &[Vmac]) -> Vec<Linkbeat> {
    let mut out: Vec<Linkbeat> = Vec::new();
    let mut add = |name: &str, configured| {
        if !out.iter().any(|l| l.name == name) {
            out.push(Linkbeat {
                name: name.to_string(),
                configured,
                method: None,
                up: false,
            });
        }
    };
    for l in &cfg.linkbeat_interfaces {
        add(&l.interface, l.kind);
    }
    for i in &cfg.instances {
        if let (true, Some(n)) = (
            cfg.global.linkbeat_use_polling || i.linkbeat_use_polling,
            &i.interface,
        ) {
            add(n, None);
        }
    }
    out.retain(|l| {
        if vmacs.iter().any(|v| v.name == l.name) {
            log::info!(
                "Turning off linkbeat for {} since netlink works for vmacs/ipvlans",
                l.name
            );
            return false;
        }
        let tracked = cfg.instances.iter().any(|i| {
            i.interface.as_deref() == Some(l.name.as_str())
                || i.track_interfaces.iter().any(|t| t.name == l.name)
        });
        if !tracked {
            log::info!(
                "Turning off linkbeat for {} since not used for tracking",
                l.name
            );
        }
        tracked
    });
    if !out.is_empty() {
        log::info!("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
    }
    out
}

/// A gratuitous ARP or NA: the instance it announces for, the interface it leaves on,
/// its frame, and what it is (logs).
#[derive(PartialEq)]
struct GarpFrame {
    instance: usize,
    dev: String,
    frame: Vec<u8>,
    what: &'static str,
}

struct Script {
    tracker: ScriptTracker,
    child: Option<Child>,
    /// Who it runs as (None: root), or why it may not run.
    ids: Result<Option<(u32, u32)>, RunAsError>,
}

pub struct VrrpProcess {
    /// track_file: the files instances track, their last values, and the watch on them.
    track_files: Vec<(ka_config::model::TrackFile, i64)>,
    /// vrrp_track_process: the processes each counts, and when /proc is read again.
    procs: Vec<ka_vrrp::track_process::ProcessTracker>,
    procs_scan_at: Option<Time>,
    file_watch: Option<ka_net::inotify::Inotify>,
    /// lvs_sync_daemon: the IPVS sync daemons following one instance.
    sync_daemons: Option<crate::sync_daemons::SyncDaemons>,
    /// global_defs, which the loop reads throughout.
    global: model::GlobalDefs,
    /// static_ipaddress, static_routes and static_rules (added at start, removed at stop).
    statics: Statics,
    /// The interfaces of instances with `promote_secondaries` (set once, at start).
    promote_on: Vec<String>,
    /// The nftables drop sets (instances not in accept mode; see ka_vrrp::firewall).
    nft: Option<Nft>,
    /// The configuration as the parent sent it. The instances' settings live on in
    /// `router` as each instance's resolved configuration; the configuration's own
    /// form is decoded from here only for the dumps (SIGUSR1, SIGJSON).
    encoded: Box<[u8]>,
    router: Router,
    ifaces: Vec<IfaceIo>,
    /// Configured interfaces that do not exist: their instances wait in FAULT.
    missing: Vec<String>,
    nl: Netlink,
    epoch: Instant,
    /// `epoch` on the wall clock, in seconds since 1970 (the JSON dump's times).
    epoch_wall: f64,
    scripts: Vec<Script>,
    children: Vec<Child>,
    /// The notify FIFOs VRRP lines go to (notify_fifo and vrrp_notify_fifo).
    fifos: Vec<std::fs::File>,
    /// Their *_fifo_script processes (reading the FIFO; stopped when this process goes).
    fifo_scripts: Vec<Child>,
    /// Scripts told to stop, SIGKILLed if they linger; reaped on SIGCHLD.
    dying: Dying,
    warned: Vec<String>,
    /// The channel to the watchdog parent, when running as its child.
    parent: Option<ka_ipc::proc::Channel>,
    /// A successor's start (restart or reload): the predecessor's last states (MASTERs
    /// resume as MASTER, BACKUPs keep a handed-over master-down deadline). None on a
    /// first start.
    resume: Option<Vec<ka_ipc::InstanceState>>,
    /// A successor's start: the predecessor's vrrp_script statuses.
    carried_scripts: Vec<(String, bool)>,
    /// A successor's start at a reload (not after a crash).
    reloaded: bool,
    /// Each instance's part of the status as last written (see `write_status`).
    status_cache: Vec<Option<InstanceCached>>,
    /// The priority each MASTER instance's advert was last handed to the parent with
    /// (the parent sends it again while this process is silent).
    adverts_reported: std::collections::HashMap<usize, (u8, IpAddr)>,
    links: ka_net::link::LinkMonitor,
    /// The state each instance or group was last mailed about.
    last_mail: std::collections::HashMap<Target, ka_vrrp::instance::State>,
    /// Logging options for the processes this one starts (mail).
    log_args: Vec<String>,
    vmacs: Vec<Vmac>,
    /// Packet sockets for gratuitous ARPs and NAs on interfaces that are not an
    /// instance's (a VIP's `dev`), opened on first use: the interface, its MAC, the socket.
    extra_frames: Vec<(String, [u8; 6], FrameSocket)>,
    /// Gratuitous ARPs and NAs waiting for their interface's interval (vrrp_garp_interval,
    /// vrrp_gna_interval, garp_group): the interface to send on and the frame.
    garps: ka_vrrp::garp::Pacer<GarpFrame>,
    /// interface_up_down_delays: link changes waiting for their interface's delay.
    link_delays: ka_vrrp::link_delay::LinkDelays,
    /// linkbeat: interfaces whose link is polled every second instead of followed through
    /// netlink, with the method and the state last read.
    linkbeat: Vec<Linkbeat>,
    linkbeat_at: Option<Time>,
    /// System settings changed by this process or its predecessors (keyed by their
    /// /proc/sys/net path), with the value to restore at stop.
    originals: std::collections::BTreeMap<String, u32>,
}

/// A netlink socket's receive buffer (`*_rcv_bufs`), as keepalived: a failure is logged.
fn rcvbuf(sock: &impl std::os::fd::AsFd, b: model::RcvBufs, what: &str) {
    if let Err(e) = ka_net::set_rcvbuf(sock, b.size, b.force) {
        log::info!(
            "Cannot set SO_RCVBUF{} on the {what} socket: {e}",
            if b.force { "FORCE" } else { "" }
        );
    }
}

/// A VRRP receive socket's buffer (`vrrp_rx_bufs_policy`, `kernel_rx_buf_size`).
fn rcvbuf_of(sock: &impl std::os::fd::AsFd, size: u32, ifname: &str) {
    if let Err(e) = ka_net::set_rcvbuf(sock, size, false) {
        log::info!("vrrp set receive socket buffer size error on {ifname}: {e}");
    }
}

/// The device a socket set named `key` is bound to: the interface; for unicast instances
/// without one (`:VRF`), the VRF device, or "" (none).
fn device_of(key: &str) -> &str {
    key.strip_prefix(':').unwrap_or(key)
}

fn now(epoch: Instant) -> Time {
    Time(epoch.elapsed().as_micros() as u64)
}

impl VrrpProcess {
    /// `encoded` is `cfg` as the parent sent it (kept for the dumps).
    pub fn new(cfg: Config, encoded: Vec<u8>) -> Result<VrrpProcess, RunError> {
        ka_runtime::scripts::configure(&cfg.global);
        let (garp_interval, gna_interval) =
            (cfg.global.vrrp_garp_interval, cfg.global.vrrp_gna_interval);
        // Each instance's interface; a unicast instance without one has sockets of its
        // own, `:VRF` (see InstanceConfig::rx_on).
        let mut ifnames: Vec<String> = Vec::new();
        for i in &cfg.instances {
            let key = match &i.interface {
                Some(n) => n.clone(),
                None => format!(":{}", i.vrf.as_deref().unwrap_or("")),
            };
            if !ifnames.contains(&key) {
                ifnames.push(key);
            }
        }
        let mut ifaces = Vec::new();
        // An interface that does not exist (yet) is not an error: its instances stay in
        // FAULT until it appears (the link monitor follows it), and the rest runs.
        let mut missing = Vec::new();
        for name in &ifnames {
            let dev = device_of(name);
            if !dev.is_empty() && iface::index(dev).is_err() {
                log::warn!(
                    "Configuration specifies {} {dev} which doesn't currently exist - will use if created (its instances wait in FAULT)",
                    if name.starts_with(':') { "VRF" } else { "interface" }
                );
                missing.push(name.clone());
                continue;
            }
            ifaces.push(Self::iface_io(name)?);
        }
        // VMACs (IPv4 instances): created now, so that a configuration whose VMAC cannot
        // be made fails before a predecessor lets go.
        let mut nl = ctx(Netlink::new(), || "rtnetlink socket".into())?;
        rcvbuf(&nl, cfg.global.vrrp_netlink_cmd_rcv_bufs, "rtnetlink");
        let mut vmacs = Vec::new();
        let mut addr_vmac_trackers: Vec<(Vec<usize>, usize)> = Vec::new();
        // VMACs, and ipvlans (use_ipvlan, keepalived netlink_link_add_ipvlan).
        for (n, m) in cfg.instances.iter().enumerate() {
            let Some(base) = &m.interface else { continue };
            let what = match (&m.use_ipvlan, &m.use_vmac) {
                (Some(_), _) => "ipvlan",
                (None, Some(_)) => "VMAC",
                (None, None) => continue,
            };
            if missing.contains(base) {
                log::warn!(
                    "({}) {what} not created: interface {base} doesn't exist; when it appears the instance runs on it without one",
                    m.name
                );
                continue;
            }
            let name = ka_vrrp::config::vmac_ifname(&cfg.global, m).unwrap_or_default();
            let (io, spec) = if let Some(v) = &m.use_ipvlan {
                let kind = iface::index(&name).ok().map(|i| nl.link_kind(i));
                if kind.is_some_and(|k| !matches!(k, Ok(Some(k)) if k == "ipvlan")) {
                    log::error!(
                        "({}) interface {name} already exists and is not an l2 ipvlan; running on {base}",
                        m.name
                    );
                    continue;
                }
                let io = Self::make_ipvlan(&mut nl, m, v, &name, base)?;
                log::info!(
                    "({}) ipvlan {name} ({}) on {base}{}",
                    m.name,
                    v.mode.name(),
                    v.address
                        .map(|(a, l)| format!(" with {a}/{l}"))
                        .unwrap_or_default()
                );
                let spec = model::Vmac {
                    name: None,
                    mac: None,
                    group: None,
                    netlink_notify: false,
                };
                (io, spec)
            } else {
                let Some(v) = &m.use_vmac else { continue };
                if m.is_ipv6() {
                    log::warn!(
                        "({}) use_vmac for IPv6 instances is not supported by this build; running on {base}",
                        m.name
                    );
                    continue;
                }
                let io = Self::make_vmac(&mut nl, &m.name, m.vrid, v, &name, base)?;
                log::info!("({}) VMAC {name} on {base}", m.name);
                if v.netlink_notify {
                    Self::announce(&mut nl, base);
                }
                (io, v.clone())
            };
            let index = io.ifindex;
            ifaces.push(io);
            vmacs.push(Vmac {
                instance: n,
                name,
                index,
                base: base.clone(),
                xmit_base: m.vmac_xmit_base && m.use_ipvlan.is_none(),
                spec,
                gone: false,
                carries: Vec::new(),
                ipvlan: m.use_ipvlan.clone(),
            });
        }
        // VMACs for single addresses (keepalived vrrp_complete_instance): a name an
        // interface already has is skipped unless that interface is this VMAC (left by a
        // predecessor).
        let taken = |name: &str, mac: [u8; 6]| {
            iface::index(name).is_ok() && iface::mac(name).ok() != Some(mac)
        };
        for av in ka_vrrp::config::address_vmacs(&cfg, &taken) {
            let first = &cfg.instances[av.instances[0]];
            if iface::index(&av.base).is_err() {
                log::warn!(
                    "({}) VMAC {} not created: interface {} doesn't exist",
                    first.name,
                    av.name,
                    av.base
                );
                continue;
            }
            let spec = model::Vmac {
                name: Some(av.name.clone()),
                mac: Some(av.mac),
                group: None,
                netlink_notify: false,
            };
            let io = Self::make_vmac(&mut nl, &first.name, first.vrid, &spec, &av.name, &av.base)?;
            let carries: Vec<(usize, IpAddr)> = av
                .instances
                .iter()
                .flat_map(|&i| {
                    let m = &cfg.instances[i];
                    m.vips
                        .iter()
                        .chain(&m.excluded_vips)
                        .filter(|a| {
                            ka_vrrp::config::on_addr_vmac(m, a)
                                && a.dev.as_deref().or(m.interface.as_deref())
                                    == Some(av.base.as_str())
                        })
                        .map(move |a| (i, a.addr))
                })
                .collect();
            log::info!(
                "({}) VMAC {} on {} for {}",
                first.name,
                av.name,
                av.base,
                carries
                    .iter()
                    .map(|(_, a)| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let index = io.ifindex;
            ifaces.push(io);
            vmacs.push(Vmac {
                instance: av.instances[0],
                name: av.name,
                index,
                base: av.base,
                xmit_base: false,
                spec,
                gone: false,
                carries,
                ipvlan: None,
            });
            if av.tracked {
                addr_vmac_trackers.push((av.instances, vmacs.len() - 1));
            }
        }
        // Each instance's advert source: its configured address, else the interface's
        // first IPv4 address that is not one of the VIPs.
        let all_vips: Vec<IpAddr> = cfg
            .instances
            .iter()
            .flat_map(|i| i.vips.iter().map(|a| a.addr))
            .collect();
        let primary = |m: &model::VrrpInstance| -> IpAddr {
            if m.is_ipv6() {
                return m
                    .interface
                    .as_deref()
                    .and_then(link_local)
                    .map(IpAddr::V6)
                    .unwrap_or(IpAddr::from([0u8; 16]));
            }
            m.interface
                .as_deref()
                .and_then(|n| iface::primary_v4(n, &all_vips).ok().flatten())
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        };
        let mut router = vconfig::router(&cfg, &primary);
        // An instance with an ipvlan receives its adverts there (unicast ones to its
        // address reach only the ipvlan).
        for v in vmacs.iter().filter(|v| v.ipvlan.is_some()) {
            router.instances[v.instance].cfg.rx_via = Some(v.name.clone());
        }
        // An instance with a VMAC runs on it (keepalived's vrrp->ifp): in FAULT while
        // it is gone (see `follow_vmacs`).
        for v in vmacs.iter().filter(|v| v.carries.is_empty()) {
            router.instances[v.instance].add_tracker(
                TrackerId::Interface(v.name.clone()),
                0,
                false,
                TrackStatus::Up,
            );
        }
        // An address VMAC is tracked by the instances with addresses on it (keepalived
        // TRACK_ADDR), unless each of them is no_track.
        for (users, k) in &addr_vmac_trackers {
            for &i in users {
                router.instances[i].add_tracker(
                    TrackerId::Interface(vmacs[*k].name.clone()),
                    0,
                    false,
                    TrackStatus::Up,
                );
            }
        }
        let scripts = cfg
            .scripts
            .iter()
            .filter(|s| {
                cfg.instances
                    .iter()
                    .any(|i| i.track_scripts.iter().any(|t| t.name == s.name))
            })
            .map(|s| Script {
                tracker: ScriptTracker::new(vconfig::script_config(s)),
                child: None,
                ids: Ok(None),
            })
            .collect();
        // keepalived: VRRP lines go to the global FIFO and to the VRRP one (when they
        // differ).
        let mut fifo_paths: Vec<&str> = Vec::new();
        for f in [&cfg.global.notify_fifo, &cfg.global.vrrp_notify_fifo]
            .into_iter()
            .flatten()
        {
            if !fifo_paths.contains(&f.path.as_str()) {
                fifo_paths.push(&f.path);
            }
        }
        let fifos = fifo_paths.iter().filter_map(|p| open_fifo(p)).collect();
        let used: Vec<&str> = cfg
            .instances
            .iter()
            .flat_map(|i| i.track_files.iter().map(|t| t.name.as_str()))
            .collect();
        let track_files = cfg
            .track_files
            .iter()
            .filter(|f| used.contains(&f.name.as_str()))
            .map(|f| (f.clone(), f.init_file.map(|(v, _)| v).unwrap_or(0)))
            .collect();
        let procs = cfg
            .track_processes
            .iter()
            .filter(|p| {
                cfg.instances
                    .iter()
                    .any(|i| i.track_processes.iter().any(|t| t.name == p.name))
            })
            .map(|p| {
                ka_vrrp::track_process::ProcessTracker::new(
                    ka_vrrp::track_process::ProcessConfig::from_model(p),
                )
            })
            .collect();
        let links = ctx(ka_net::link::LinkMonitor::new(), || "link monitor".into())?;
        rcvbuf(
            &links,
            cfg.global.vrrp_netlink_monitor_rcv_bufs,
            "link monitor",
        );
        let nft = ka_vrrp::firewall::Firewall::from_config(&cfg).map(|spec| {
            let fams = cfg
                .instances
                .iter()
                .filter(|m| ka_vrrp::firewall::filtered(m))
                .flat_map(|m| m.vips.iter().chain(&m.excluded_vips));
            let (v4, v6) = fams.fold((false, false), |(v4, v6), a| {
                (v4 || a.addr.is_ipv4(), v6 || a.addr.is_ipv6())
            });
            Nft {
                spec,
                sock: None,
                seq: 0,
                v4,
                v6,
                held: Default::default(),
            }
        });
        let linkbeat = linkbeat_interfaces(&cfg, &vmacs);
        let mut p = VrrpProcess {
            track_files,
            procs,
            procs_scan_at: None,
            file_watch: None,
            sync_daemons: crate::sync_daemons::SyncDaemons::new(&cfg),
            statics: Statics {
                addresses: cfg.static_addresses,
                routes: cfg.static_routes,
                rules: cfg.static_rules,
            },
            nft,
            promote_on: cfg
                .instances
                .iter()
                .filter(|i| i.promote_secondaries)
                .filter_map(|i| i.interface.clone())
                .collect(),
            global: cfg.global,
            encoded: encoded.into_boxed_slice(),
            router,
            ifaces,
            missing,
            nl,
            epoch: Instant::now(),
            epoch_wall: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            scripts,
            children: Vec::new(),
            fifos,
            fifo_scripts: Vec::new(),
            dying: Dying::default(),
            warned: Vec::new(),
            parent: None,
            resume: None,
            carried_scripts: Vec::new(),
            reloaded: false,
            adverts_reported: Default::default(),
            status_cache: Vec::new(),
            links,
            last_mail: Default::default(),
            log_args: Vec::new(),
            vmacs,
            extra_frames: Vec::new(),
            link_delays: ka_vrrp::link_delay::LinkDelays::new(
                cfg.interface_delays
                    .iter()
                    .map(|d| (d.interface.clone(), d.down, d.up))
                    .collect(),
            ),
            linkbeat,
            linkbeat_at: None,
            garps: ka_vrrp::garp::Pacer::new(
                cfg.garp_groups
                    .into_iter()
                    .map(|g| ka_vrrp::garp::GarpGroup {
                        garp_interval: g.garp_interval,
                        gna_interval: g.gna_interval,
                        interfaces: g.interfaces,
                    })
                    .collect(),
                garp_interval,
                gna_interval,
            ),
            originals: Default::default(),
        };
        p.read_links();
        p.source_addresses_changed();
        for k in 0..p.scripts.len() {
            let c = &p.scripts[k].tracker.cfg;
            let ids = p.run_as(&c.argv, c.user.as_ref());
            if let Err(e) = &ids {
                log::warn!("VRRP_Script({}) will not run: {e}", c.name);
            }
            p.scripts[k].ids = ids;
        }
        for i in &p.router.instances {
            let absent = i
                .cfg
                .interface
                .as_ref()
                .is_some_and(|n| p.missing.contains(n));
            if i.cfg.src.is_unspecified() && !absent {
                return Err(RunError::Cannot(format!(
                    "({}) no {} address on its interface to send adverts from",
                    i.name(),
                    if i.cfg.src.is_ipv4() {
                        "IPv4"
                    } else {
                        "IPv6 link-local"
                    }
                )));
            }
        }
        p.open_receivers()?;
        Ok(p)
    }

    /// Creates instance `m`'s VMAC `name` on `base` (a macvlan with the virtual MAC) and
    /// opens the sockets adverts and GARPs leave through.
    fn make_vmac(
        nl: &mut Netlink,
        instance: &str,
        vrid: u8,
        v: &model::Vmac,
        name: &str,
        base: &str,
    ) -> Result<IfaceIo, RunError> {
        let mac = v.mac.unwrap_or([0, 0, 0x5e, 0, 1, vrid]);
        let base_index = ctx(iface::index(base), || format!("interface {base}"))?;
        let vrf = nl.vrf_master(base);
        let index = ctx(nl.add_macvlan(name, base_index, mac, v.group, vrf), || {
            format!("({instance}) VMAC {name} on {base}")
        })?;
        Self::own_iface(name, index, mac, false)
    }

    /// The sockets of a VMAC or ipvlan of ours (`rx`: adverts are received on it).
    fn own_iface(name: &str, index: u32, mac: [u8; 6], rx: bool) -> Result<IfaceIo, RunError> {
        Ok(IfaceIo {
            name: name.to_string(),
            ifindex: index,
            mac,
            send: ctx(SendSocket::new(name), || {
                format!("VRRP send socket on {name}")
            })?,
            recv: Vec::new(),
            frames: ctx(FrameSocket::new(index), || {
                format!("packet socket on {name}")
            })?,
            v6: None,
            vmac: true,
            rx,
        })
    }

    /// Creates instance `m`'s ipvlan `name` on `base` (L2, with its flags and address; no
    /// IPv6 for an IPv4 instance without IPv6 eVIPs, as keepalived) and opens its sockets.
    fn make_ipvlan(
        nl: &mut Netlink,
        m: &model::VrrpInstance,
        v: &model::Ipvlan,
        name: &str,
        base: &str,
    ) -> Result<IfaceIo, RunError> {
        let base_index = ctx(iface::index(base), || format!("interface {base}"))?;
        let vrf = nl.vrf_master(base);
        let index = ctx(
            nl.add_ipvlan(name, base_index, v.mode.flags(), v.group, vrf),
            || format!("({}) ipvlan {name} on {base}", m.name),
        )?;
        let other_family = m
            .excluded_vips
            .iter()
            .any(|a| a.addr.is_ipv6() != m.is_ipv6());
        if !m.is_ipv6() && !other_family {
            let _ = iface::set_net_sysctl(&format!("ipv6/conf/{name}/disable_ipv6"), 1);
        }
        if let Some((addr, prefix)) = v.address {
            let a = Addr {
                ifindex: index,
                addr,
                prefix,
                brd: None,
            };
            if let Err(e) = nl.add_addr(&a) {
                log::warn!(
                    "({}) Failed to add interface address {addr}/{prefix} to {name}: {e}",
                    m.name
                );
            }
        }
        let mac = ctx(iface::mac(name), || format!("MAC address of {name}"))?;
        Self::own_iface(name, index, mac, true)
    }

    /// use_vmac's netlink_notify_msg: the base interface's group set again to what it
    /// is, so that the kernel announces the base interface.
    fn announce(nl: &mut Netlink, base: &str) {
        let group = std::fs::read_to_string(format!("/sys/class/net/{base}/netdev_group"))
            .ok()
            .and_then(|g| g.trim().parse::<u32>().ok())
            .unwrap_or(0);
        let r = iface::index(base).and_then(|i| nl.set_group(i, group));
        if let Err(e) = r {
            log::warn!("cannot announce {base} (netlink_notify_msg): {e}");
        }
    }

    /// A VMAC of ours that someone deleted or renamed (its addresses go with it) is
    /// created again as soon as its base interface exists, as keepalived does
    /// (recreate_vmac_thread). Its instance tracks it: in FAULT while it is gone, back
    /// through BACKUP once the new one is up.
    fn follow_vmacs(&mut self, poll: &Poll) {
        for k in 0..self.vmacs.len() {
            let (name, base, n) = {
                let v = &mut self.vmacs[k];
                if !v.gone && iface::index(&v.name).ok() == Some(v.index) {
                    continue;
                }
                if !v.gone {
                    v.gone = true;
                    log::info!("Interface {} deleted", v.name);
                }
                (v.name.clone(), v.base.clone(), v.instance)
            };
            self.link_changed(&name, false);
            if iface::index(&base).is_err() {
                // Gone with its base: made again when the base is back.
                continue;
            }
            let c = &self.router.instances[n].cfg;
            let made = match &self.vmacs[k].ipvlan {
                Some(v) => match self.config() {
                    Some(cfg) => {
                        Self::make_ipvlan(&mut self.nl, &cfg.instances[n], v, &name, &base)
                    }
                    None => continue,
                },
                None => Self::make_vmac(
                    &mut self.nl,
                    &c.name,
                    c.vrid,
                    &self.vmacs[k].spec,
                    &name,
                    &base,
                ),
            };
            let c = &self.router.instances[n].cfg;
            let who = c.name.clone();
            match made {
                Ok(io) => {
                    log::info!("({who}) VMAC {name} on {base} created again");
                    if self.vmacs[k].spec.netlink_notify {
                        Self::announce(&mut self.nl, &base);
                    }
                    self.vmacs[k].index = io.ifindex;
                    self.vmacs[k].gone = false;
                    if let Some(slot) = self.ifaces.iter().position(|i| i.vmac && i.name == name) {
                        self.ifaces[slot] = io;
                        // An ipvlan's receive sockets, again (as many as before, so the
                        // tokens of the interfaces after it stay theirs).
                        if self.ifaces[slot].rx {
                            let opened = self.open_receivers_on(slot).and_then(|()| {
                                self.register_iface(poll, slot, true).map_err(|e| {
                                    RunError::Cannot(format!("register sockets on {name}: {e}"))
                                })
                            });
                            if let Err(e) = opened {
                                log::warn!("({who}) ipvlan {name}: {e}");
                            }
                        }
                    }
                    if self.vmacs[k].ipvlan.is_none() {
                        self.vmac_sysctls(&name, &base);
                        self.report_originals();
                    }
                }
                Err(e) => log::warn!("({who}) cannot create VMAC {name} again: {e}"),
            }
        }
    }

    fn open_receivers(&mut self) -> Result<(), RunError> {
        for i in 0..self.ifaces.len() {
            if self.ifaces[i].rx {
                self.open_receivers_on(i)?;
            }
        }
        Ok(())
    }

    /// The receive sockets of base interface `i` (a VRRP one, AH when an instance there
    /// uses it, IPv6 when one is IPv6).
    fn open_receivers_on(&mut self, i: usize) -> Result<(), RunError> {
        {
            let io = &mut self.ifaces[i];
            let insts: Vec<&InstanceConfig> = self
                .router
                .instances
                .iter()
                .map(|i| &i.cfg)
                .filter(|i| i.rx_on() == io.name)
                .collect();
            let group = insts
                .iter()
                .find(|i| i.peers.is_empty())
                .map(|i| match i.mcast_group {
                    IpAddr::V4(g) => g,
                    IpAddr::V6(_) => self.global.vrrp_mcast_group4,
                });
            let name = io.name.clone();
            // vrrp_rx_bufs_policy / kernel_rx_buf_size: each socket's buffer from the
            // instances it receives for.
            let mtu = iface::mtu(&name).unwrap_or(1500);
            let is_v6 = |i: &&InstanceConfig| i.ipv6;
            let is_ah = |i: &&InstanceConfig| matches!(i.auth, ka_vrrp::rx::AuthConfig::Ah(_));
            let size =
                |on: Vec<&InstanceConfig>| ka_vrrp::config::rx_buf_size(&self.global, &on, mtu);
            let vrrp4 = size(
                insts
                    .iter()
                    .copied()
                    .filter(|i| !is_v6(i) && !is_ah(i))
                    .collect(),
            );
            let ah = size(
                insts
                    .iter()
                    .copied()
                    .filter(|i| !is_v6(i) && is_ah(i))
                    .collect(),
            );
            let vrrp6 = size(insts.iter().copied().filter(is_v6).collect());
            let dev = device_of(&name);
            let unbound = name.starts_with(':');
            let sock = ctx(RecvSocket::new(dev, io.ifindex, PROTO_VRRP, group), || {
                format!("VRRP receive socket on {name}")
            })?;
            rcvbuf_of(&sock, vrrp4, &name);
            io.recv.push(sock);
            if let Some(m) = insts.iter().find(|i| is_v6(i)) {
                // Without an interface: from the instance's own (global) address, as
                // keepalived, which needs one there.
                let own = match m.src {
                    IpAddr::V6(a) if unbound => Some(a),
                    _ => None,
                };
                if let Some(other) = insts
                    .iter()
                    .find(|i| unbound && is_v6(i) && Some(i.src) != own.map(IpAddr::V6))
                {
                    log::error!(
                        "({}) IPv6 instances without an interface share one source address per VRF here; its adverts leave from {} as ({})'s",
                        other.name,
                        m.src,
                        m.name
                    );
                }
                let Some(ll) = own.or_else(|| link_local(&name)) else {
                    return Err(RunError::Cannot(format!(
                        "({}) no IPv6 link-local address on {name}",
                        m.name
                    )));
                };
                let group = match m.mcast_group {
                    IpAddr::V6(g) => g,
                    IpAddr::V4(_) => self.global.vrrp_mcast_group6,
                };
                let g = if m.peers.is_empty() {
                    Some(group)
                } else {
                    None
                };
                let index = if unbound { 0 } else { io.ifindex };
                let sock = ctx(ka_net::vrrp6::Socket6::new(dev, index, ll, g), || {
                    format!("IPv6 VRRP socket on {name}")
                })?;
                rcvbuf_of(&sock, vrrp6, &name);
                io.v6 = Some((sock, ll));
            }
            if insts.iter().any(is_ah) {
                let sock = ctx(RecvSocket::new(dev, io.ifindex, PROTO_AH, group), || {
                    format!("AH receive socket on {name}")
                })?;
                rcvbuf_of(&sock, ah, &name);
                io.recv.push(sock);
            }
        }
        Ok(())
    }

    /// The sockets of `key` (see `device_of`): a base interface's, or those of unicast
    /// instances without an interface.
    fn iface_io(key: &str) -> Result<IfaceIo, RunError> {
        if !key.starts_with(':') {
            return Self::base_iface(key);
        }
        // Not bound, or bound to the VRF device: the kernel routes adverts (in the VRF's
        // table), and they are received whatever interface they arrive on.
        let dev = device_of(key);
        let ifindex = if dev.is_empty() {
            0
        } else {
            ctx(iface::index(dev), || format!("VRF {dev}"))?
        };
        let what = if dev.is_empty() {
            "outside any VRF".to_string()
        } else {
            format!("in VRF {dev}")
        };
        Ok(IfaceIo {
            name: key.to_string(),
            ifindex,
            mac: [0; 6],
            send: ctx(SendSocket::new(dev), || format!("VRRP send socket {what}"))?,
            recv: Vec::new(),
            frames: ctx(FrameSocket::new(0), || "packet socket".into())?,
            v6: None,
            vmac: false,
            rx: true,
        })
    }

    /// The sockets of a base interface that exists (receive sockets come later, from
    /// the instances on it).
    fn base_iface(name: &str) -> Result<IfaceIo, RunError> {
        let ifindex = ctx(iface::index(name), || format!("interface {name}"))?;
        let mac = ctx(iface::mac(name), || format!("MAC address of {name}"))?;
        Ok(IfaceIo {
            name: name.to_string(),
            ifindex,
            mac,
            send: ctx(SendSocket::new(name), || {
                format!("VRRP send socket on {name}")
            })?,
            recv: Vec::new(),
            frames: ctx(FrameSocket::new(ifindex), || {
                format!("packet socket on {name}")
            })?,
            v6: None,
            vmac: false,
            rx: true,
        })
    }

    /// Registers (or, with `add` false, deregisters) interface `i`'s receive sockets: the
    /// tokens of its IPv4 sockets follow those of the interfaces before it, its IPv6
    /// socket's is RECV6_BASE + i.
    fn register_iface(&self, poll: &Poll, i: usize, add: bool) -> io::Result<()> {
        let first: usize = self.ifaces[..i].iter().map(|io| io.recv.len()).sum();
        let io = &self.ifaces[i];
        let mut fds: Vec<(std::os::fd::RawFd, Token)> = io
            .recv
            .iter()
            .enumerate()
            .map(|(j, r)| {
                (
                    std::os::fd::AsRawFd::as_raw_fd(r),
                    Token(RECV_BASE + first + j),
                )
            })
            .collect();
        if let Some((sock, _)) = &io.v6 {
            fds.push((std::os::fd::AsRawFd::as_raw_fd(sock), Token(RECV6_BASE + i)));
        }
        for (fd, tok) in fds {
            if add {
                poll.registry()
                    .register(&mut SourceFd(&fd), tok, Interest::READABLE)?;
            } else {
                let _ = poll.registry().deregister(&mut SourceFd(&fd));
            }
        }
        Ok(())
    }

    /// A link event for `name`: an interface that was missing has appeared, or one was
    /// deleted and created again (a new index): its sockets are opened (again) and the
    /// advert sources of its instances read again. keepalived needs a restart for both
    /// (issues #2190, #2357).
    fn follow_interface(&mut self, poll: &Poll, name: &str) {
        let Ok(index) = iface::index(name) else {
            return;
        };
        self.extra_frames.retain(|x| x.0 != name);
        if let Some(pos) = self
            .missing
            .iter()
            .position(|m| m == name || m.strip_prefix(':') == Some(name))
        {
            let key = self.missing[pos].clone();
            let io = match Self::iface_io(&key) {
                Ok(io) => io,
                Err(e) => {
                    log::warn!("interface {name} appeared, but {e}");
                    return;
                }
            };
            self.ifaces.push(io);
            let i = self.ifaces.len() - 1;
            let opened = self.open_receivers_on(i).and_then(|()| {
                self.register_iface(poll, i, true)
                    .map_err(|e| RunError::Cannot(format!("register sockets on {name}: {e}")))
            });
            if let Err(e) = opened {
                log::warn!("interface {name} appeared, but {e}");
                self.ifaces.pop();
                return;
            }
            self.missing.remove(pos);
            log::info!("interface {name} appeared: its instances start");
            self.resolve_sources(name);
            return;
        }
        let vrf = format!(":{name}");
        let Some(i) = self
            .ifaces
            .iter()
            .position(|io| (io.name == name || io.name == vrf) && !io.vmac)
        else {
            return;
        };
        let old = self.ifaces[i].ifindex;
        if old == index {
            return;
        }
        let _ = self.register_iface(poll, i, false);
        let key = self.ifaces[i].name.clone();
        match Self::iface_io(&key) {
            Ok(io) => self.ifaces[i] = io,
            Err(e) => {
                log::warn!("interface {name} was created again, but {e}");
                return;
            }
        }
        let opened = self.open_receivers_on(i).and_then(|()| {
            self.register_iface(poll, i, true)
                .map_err(|e| RunError::Cannot(format!("register sockets on {name}: {e}")))
        });
        match opened {
            Ok(()) => log::info!(
                "interface {name} was created again (index {old} -> {index}): its sockets are open again"
            ),
            Err(e) => log::warn!("interface {name} was created again, but {e}"),
        }
        self.resolve_sources(name);
    }

    /// The advert source of each instance on `name` without a configured unicast_src_ip:
    /// the interface's first IPv4 address that is not a VIP (IPv6: its link-local).
    fn resolve_sources(&mut self, name: &str) {
        let all_vips: Vec<IpAddr> = self
            .router
            .instances
            .iter()
            .flat_map(|i| i.cfg.vips.iter().copied())
            .collect();
        for n in 0..self.router.instances.len() {
            let c = &self.router.instances[n].cfg;
            if c.interface.as_deref() != Some(name) || c.src_fixed {
                continue;
            }
            let v6 = c.ipv6;
            let src = if v6 {
                link_local(name).map(IpAddr::V6)
            } else {
                iface::primary_v4(name, &all_vips)
                    .ok()
                    .flatten()
                    .map(IpAddr::V4)
            };
            if let Some(src) = src {
                self.router.instances[n].cfg.src = src;
            }
        }
    }

    /// Whether an instance on `name` has no address to send adverts from yet.
    fn sourceless(&self, name: &str) -> bool {
        self.router
            .instances
            .iter()
            .any(|i| i.cfg.interface.as_deref() == Some(name) && i.cfg.src.is_unspecified())
    }

    /// Every tracked interface's state now (at start, and after lost link events): the
    /// instances' own (unless dont_track_primary) and track_interface ones. VMACs are
    /// followed by `follow_vmacs`.
    fn read_links(&mut self) {
        let mut names: Vec<String> = Vec::new();
        for i in &self.router.instances {
            for (id, _) in i.trackers() {
                match id {
                    TrackerId::Interface(n) if !self.vmacs.iter().any(|v| &v.name == n) => {
                        names.push(n.clone())
                    }
                    _ => {}
                }
            }
        }
        names.sort();
        names.dedup();
        for n in names {
            let up = match self.linkbeat.iter_mut().find(|l| l.name == n) {
                Some(l) => {
                    l.up = linkbeat_read(l);
                    l.up
                }
                None => ka_net::link::is_up(&n).unwrap_or(false),
            };
            self.link_delays.set(&n, up);
            self.link_changed(&n, up);
        }
        if !self.linkbeat.is_empty() && self.linkbeat_at.is_none() {
            self.linkbeat_at = Some(now(self.epoch) + Duration::from_secs(1));
        }
    }

    /// A link change as netlink or polling reports it: through the interface's
    /// interface_up_down_delays, if it has one.
    fn link_event(&mut self, name: &str, up: bool) {
        use ka_vrrp::link_delay::Outcome;
        let t = now(self.epoch);
        match self.link_delays.event(t, name, up) {
            Outcome::Now(up) => self.link_changed(name, up),
            Outcome::Delayed(d) => log::info!(
                "{name}: Adding link change to {} delay by {}us",
                if up { "up" } else { "down" },
                d.as_micros()
            ),
            Outcome::Cancelled => log::info!("Delay timer for {name} cancelled"),
            Outcome::Nothing => {}
        }
    }

    /// keepalived if_linkbeat_refresh_thread: every second, each polled interface's link.
    fn poll_linkbeat(&mut self, t: Time) {
        let mut changed = Vec::new();
        for l in &mut self.linkbeat {
            let up = linkbeat_read(l);
            if up != l.up {
                l.up = up;
                log::info!(
                    "Linkbeat reports {} {}",
                    l.name,
                    if up { "up" } else { "down" }
                );
                changed.push((l.name.clone(), up));
            }
        }
        for (name, up) in changed {
            self.link_changed(&name, up);
        }
        self.linkbeat_at = Some(t + Duration::from_secs(1));
    }

    fn link_changed(&mut self, name: &str, up: bool) {
        // Missing, or up without an address to send adverts from: down for its instances.
        let up = up && !self.missing.iter().any(|m| m == name) && !self.sourceless(name);
        let t = now(self.epoch);
        let status = if up {
            TrackStatus::Up
        } else {
            TrackStatus::Down
        };
        self.tracker_changed(t, TrackerId::Interface(name.to_string()), status);
    }

    /// track_src_ip: each tracked source address, up while it is on its instance's
    /// interface (keepalived's address monitor; read at start and on every address
    /// change).
    fn source_addresses_changed(&mut self) {
        let tracked: Vec<(String, String)> = self
            .router
            .instances
            .iter()
            .flat_map(|i| {
                let dev = i.cfg.interface.clone().unwrap_or_default();
                i.trackers().filter_map(move |(id, _)| match id {
                    TrackerId::SourceAddress(a) => Some((dev.clone(), a.clone())),
                    _ => None,
                })
            })
            .collect();
        if tracked.is_empty() {
            return;
        }
        let present = iface::addresses().unwrap_or_default();
        let t = now(self.epoch);
        for (dev, addr) in tracked {
            let on = present
                .iter()
                .any(|(d, a)| *d == dev && a.to_string() == addr);
            let status = if on {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            };
            self.tracker_changed(t, TrackerId::SourceAddress(addr), status);
        }
    }

    /// A tracked object's new status, to every instance (those that do not track it
    /// ignore it), and what follows carried out.
    fn tracker_changed(&mut self, t: Time, id: TrackerId, status: TrackStatus) {
        let acts = self.router.tracker(t, &id, status);
        self.apply(acts);
    }

    /// Someone removed an address: a MASTER holding it as a VIP goes BACKUP and retakes
    /// it after the skew time (keepalived set_vrrp_backup); a static_ipaddress is put
    /// back.
    fn address_removed(&mut self, ifindex: u32, addr: IpAddr) {
        let t = now(self.epoch);
        // Held there: on the device the address line names, or a VMAC (see `on_vmac`).
        let held: Vec<Vec<model::IpAddress>> = (0..self.router.instances.len())
            .map(|i| self.all_vips(i))
            .collect();
        let on = |i: usize, a: &model::IpAddress| {
            let dev = held[i]
                .iter()
                .find(|h| h.addr == a.addr)
                .and_then(|h| h.dev.as_deref())
                .or(a.dev.as_deref())
                .unwrap_or_default();
            iface::index(dev).ok() == Some(ifindex)
        };
        let acts = self.router.address_removed(t, addr, on);
        self.apply(acts);
        let g = self
            .global
            .default_interface
            .clone()
            .unwrap_or_else(|| "eth0".into());
        let gone: Vec<model::IpAddress> = self
            .statics
            .addresses
            .iter()
            .filter(|a| {
                a.addr == addr && iface::index(a.dev.as_deref().unwrap_or(&g)).ok() == Some(ifindex)
            })
            .cloned()
            .collect();
        if !gone.is_empty() {
            log::info!("static_ipaddress {addr} was removed by someone else: adding it back");
            self.addresses("static_ipaddress", &gone, Some(&g), true);
        }
        self.source_addresses_changed();
    }

    /// An address arrived: instances on that interface that had no advert source take
    /// it, and the interface counts as up for them if its link is.
    fn address_added(&mut self, ifindex: u32) {
        self.source_addresses_changed();
        let Some(name) = self
            .ifaces
            .iter()
            .find(|io| io.ifindex == ifindex && !io.vmac)
            .map(|io| io.name.clone())
        else {
            return;
        };
        if self.sourceless(&name) {
            self.resolve_sources(&name);
            if !self.sourceless(&name) {
                let up = ka_net::link::is_up(&name).unwrap_or(false);
                self.link_changed(&name, up);
            }
        }
    }

    fn warn_once(&mut self, what: String) {
        if !self.warned.contains(&what) {
            log::warn!("{what}");
            self.warned.push(what);
        }
    }

    /// Runs as the watchdog's child: reports to it over `ch`; instances `resume` lists as
    /// MASTER start directly as MASTER with their VIPs in place.
    pub fn with_parent(
        mut self,
        ch: ka_ipc::proc::Channel,
        resume: Option<Vec<ka_ipc::InstanceState>>,
    ) -> Self {
        self.parent = Some(ch);
        self.resume = resume;
        self
    }

    /// The predecessor handed over at a reload (fifo_write_vrrp_states_on_reload).
    pub fn with_reloaded(mut self, reloaded: bool) -> Self {
        self.reloaded = reloaded;
        self
    }

    /// The vrrp_scripts' statuses a predecessor left.
    pub fn with_scripts(mut self, s: Vec<(String, bool)>) -> Self {
        self.carried_scripts = s;
        self
    }

    /// System settings predecessors changed, with their original values.
    pub fn with_originals(mut self, o: Vec<(String, u32)>) -> Self {
        self.originals.extend(o);
        self
    }

    /// Sets `net/FAMILY/conf/IF/NAME` (a /proc/sys path under net/), remembering the value
    /// it had before any of us changed it.
    fn set_sysctl(&mut self, family: &str, ifname: &str, name: &str, value: u32) {
        self.set_net(&format!("{family}/conf/{ifname}/{name}"), value);
    }

    /// Sets /proc/sys/net/`key`, keeping its value before the first change in
    /// `originals` (restored at stop).
    fn set_net(&mut self, key: &str, value: u32) {
        match iface::net_sysctl(key) {
            Ok(v) if v == value => {}
            Ok(v) => {
                self.originals.entry(key.to_string()).or_insert(v);
                if let Err(e) = iface::set_net_sysctl(key, value) {
                    log::warn!("cannot set /proc/sys/net/{key}: {e}");
                }
            }
            Err(e) => log::warn!("cannot read /proc/sys/net/{key}: {e}"),
        }
    }

    /// `disable_local_igmp` (keepalived set_disable_local_igmp): no IGMP reports for
    /// 224.0.0.0/24 (the VRRP group among them) while running; restored at stop with the
    /// other settings changed.
    fn disable_local_igmp(&mut self) {
        if self.global.disable_local_igmp {
            self.set_net("ipv4/igmp_link_local_mcast_reports", 0);
            self.report_originals();
        }
    }

    /// keepalived set_interface_parameters: on each VMAC arp_ignore 1, accept_local 1,
    /// rp_filter 0, promote_secondaries 1 and no IPv6; on its base interface arp_ignore 1
    /// and arp_filter 1 (and arp_announce 2, ours); and all.rp_filter 0 (raising default and every interface to the
    /// old all value first, so that nothing else changes behaviour).
    fn vmac_settings(&mut self) {
        if self.vmacs.iter().all(|v| v.ipvlan.is_some()) {
            return;
        }
        let all = iface::sysctl("ipv4", "all", "rp_filter").unwrap_or(0);
        if all > 0 {
            for n in std::iter::once("default".to_string()).chain(iface::names()) {
                if iface::sysctl("ipv4", &n, "rp_filter").is_ok_and(|v| v < all) {
                    self.set_sysctl("ipv4", &n, "rp_filter", all);
                }
            }
            log::info!("NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all} to 0");
            self.set_sysctl("ipv4", "all", "rp_filter", 0);
        }
        let list: Vec<(String, String)> = self
            .vmacs
            .iter()
            .filter(|v| v.ipvlan.is_none())
            .map(|v| (v.name.clone(), v.base.clone()))
            .collect();
        for (name, base) in list {
            self.vmac_sysctls(&name, &base);
        }
        self.report_originals();
    }

    /// One VMAC's settings and its base interface's (see `vmac_settings`).
    fn vmac_sysctls(&mut self, name: &str, base: &str) {
        self.set_sysctl("ipv4", name, "arp_ignore", 1);
        self.set_sysctl("ipv4", name, "accept_local", 1);
        self.set_sysctl("ipv4", name, "rp_filter", 0);
        self.set_sysctl("ipv4", name, "promote_secondaries", 1);
        self.set_sysctl("ipv6", name, "disable_ipv6", 1);
        self.set_sysctl("ipv4", base, "arp_ignore", 1);
        self.set_sysctl("ipv4", base, "arp_filter", 1);
        // Ours: ARP requests from the base interface carry its own address, not a VIP
        // (else a new master asking for a client's MAC would teach the client the
        // base interface's MAC for the VIP, undoing the VMAC).
        self.set_sysctl("ipv4", base, "arp_announce", 2);
    }

    /// The settings changed so far, with their values before the first change, to the
    /// parent (which hands them to every successor; the last child to stop restores them).
    fn report_originals(&mut self) {
        let o = self
            .originals
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        self.tell_parent(ka_ipc::ToParent::Originals(o));
    }

    /// `promote_secondaries`: set on each such instance's interface (keepalived
    /// set_promote_secondaries), restored at stop with the other settings changed.
    fn promote_secondaries(&mut self) {
        let ifaces = std::mem::take(&mut self.promote_on);
        if ifaces.is_empty() {
            return;
        }
        for ifname in ifaces {
            if std::path::Path::new(&format!("/proc/sys/net/ipv4/conf/{ifname}")).exists() {
                self.set_sysctl("ipv4", &ifname, "promote_secondaries", 1);
            }
        }
        self.report_originals();
    }

    /// notify_fifo_script and vrrp_notify_fifo_script: started with the FIFO's name as
    /// their last argument, as their user (keepalived notify_fifo_open).
    fn start_fifo_scripts(&mut self) {
        let g = &self.global;
        let pairs = [
            (&g.notify_fifo, &g.notify_fifo_script),
            (&g.vrrp_notify_fifo, &g.vrrp_notify_fifo_script),
        ];
        let mut todo = Vec::new();
        for (fifo, script) in pairs {
            if let (Some(f), Some(sc)) = (fifo, script) {
                let mut argv = sc.command.argv.clone();
                argv.push(f.path.clone());
                let who = sc.user.clone().map(|u| (u, sc.group.clone()));
                todo.push((argv, who));
            }
        }
        for (argv, who) in todo {
            match scripts::start(&self.global, &argv, who.as_ref()) {
                Ok(c) => self.fifo_scripts.push(c),
                Err(e) => log::warn!("cannot run FIFO script {}: {e}", argv.join(" ")),
            }
        }
    }

    fn stop_fifo_scripts(&mut self) {
        for c in self.fifo_scripts.drain(..) {
            self.dying.stop(c);
        }
    }

    /// At stop: VMACs deleted, the changed settings restored.
    fn vmac_teardown(&mut self) {
        let list: Vec<(String, u32, String, bool)> = self
            .vmacs
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.index,
                    v.base.clone(),
                    v.spec.netlink_notify,
                )
            })
            .collect();
        for (name, index, base, notify) in list {
            if let Err(e) = self.nl.del_link(index) {
                log::warn!("cannot delete VMAC {name}: {e}");
            } else if notify {
                Self::announce(&mut self.nl, &base);
            }
        }
        for (key, v) in std::mem::take(&mut self.originals) {
            // An interface's setting (ipv4/conf/IF/NAME): nothing to restore when the
            // interface went (with its VMAC).
            if let Some((dir, _)) = key.rsplit_once('/').filter(|_| key.contains("/conf/")) {
                if !std::path::Path::new(&format!("/proc/sys/net/{dir}")).exists() {
                    continue;
                }
            }
            if let Err(e) = iface::set_net_sysctl(&key, v) {
                log::warn!("cannot restore /proc/sys/net/{key}: {e}");
            }
        }
    }

    /// The logging options given to this process, passed on to the mail sender.
    pub fn with_log_args(mut self, args: Vec<String>) -> Self {
        self.log_args = args;
        self
    }

    fn tell_parent(&mut self, m: ka_ipc::ToParent) {
        if let Some(ch) = &self.parent {
            if let Err(e) = ch.send(&m) {
                log::warn!("cannot report to the parent: {e}");
            }
        }
    }

    /// Runs until SIGTERM or SIGINT (or Stop from the parent), then stops every instance
    /// cleanly; or until the parent asks for a handover (reload).
    pub fn run(mut self) -> Result<Exit, RunError> {
        let mut poll = ctx(Poll::new(), || "poll".into())?;
        // SIGCHLD too: a script or mail process that exits wakes the loop, which reaps
        // it (nothing polls for exits).
        let handled = ka_runtime::signals::daemon_signals()
            .into_iter()
            .chain([SIGCHLD]);
        let mut signals = ctx(Signals::new(handled), || "signals".into())?;
        ctx(
            poll.registry()
                .register(&mut signals, SIGNALS, Interest::READABLE),
            || "register signals".into(),
        )?;
        for i in 0..self.ifaces.len() {
            ctx(self.register_iface(&poll, i, true), || {
                "register sockets".into()
            })?;
        }
        {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&self.links);
            ctx(
                poll.registry()
                    .register(&mut SourceFd(&fd), LINKS, Interest::READABLE),
                || "register link monitor".into(),
            )?;
        }
        if let Some(ch) = &self.parent {
            let fd = std::os::fd::AsRawFd::as_raw_fd(ch);
            ctx(
                poll.registry()
                    .register(&mut SourceFd(&fd), PARENT, Interest::READABLE),
                || "register channel".into(),
            )?;
        }
        self.vmac_settings();
        self.promote_secondaries();
        self.disable_local_igmp();
        self.start_fifo_scripts();
        self.statics(true);
        self.nft_start();
        let t = now(self.epoch);
        if let Some(s) = &mut self.sync_daemons {
            s.start();
        }
        if !self.track_files.is_empty() {
            for (f, _) in &self.track_files {
                ka_runtime::track_files::init_file(f);
            }
            let w = ka_runtime::track_files::watch(
                self.track_files
                    .iter()
                    .map(|(f, _)| (f.name.as_str(), std::path::Path::new(&f.file))),
            );
            match w {
                Ok(w) => {
                    let fd = std::os::fd::AsRawFd::as_raw_fd(&w);
                    ctx(
                        poll.registry()
                            .register(&mut SourceFd(&fd), FILES, Interest::READABLE),
                        || "register inotify".into(),
                    )?;
                    self.file_watch = Some(w);
                }
                Err(e) => log::warn!("Unable to monitor track files ({e})"),
            }
            self.files_changed(true);
        }
        // Before the instances start: a resumed MASTER must not drop its VIPs for a
        // weight-0 process tracker without a result yet.
        self.scan_processes(now(self.epoch));
        match self.resume.take() {
            None => {
                let delay = match (self.global.vrrp_delay_after_boot, uptime()) {
                    (Some(_), None) => {
                        log::warn!(
                            "Unable to read /proc/uptime for vrrp_delay_after_boot - ignoring"
                        );
                        self.global.vrrp_startup_delay
                    }
                    (_, up) => {
                        ka_vrrp::config::startup_delay(&self.global, up.unwrap_or(Duration::MAX))
                    }
                };
                if delay > self.global.vrrp_startup_delay {
                    log::info!(
                        "vrrp_delay_after_boot: the instances wait {:.3} s more",
                        delay.as_secs_f64()
                    );
                }
                let acts = self.router.begin(t, delay);
                self.apply(acts);
            }
            Some(resume) => {
                // A successor: the scripts' statuses first (an instance whose tracked
                // script was good must not wait in FAULT for its first result), then
                // masters carry on advertising, backups keep their master-down deadline,
                // no startup delay.
                for (name, good) in std::mem::take(&mut self.carried_scripts) {
                    let Some(s) = self.scripts.iter_mut().find(|s| s.tracker.cfg.name == name)
                    else {
                        continue;
                    };
                    s.tracker.carry(good);
                    let status = if good {
                        TrackStatus::Up
                    } else {
                        TrackStatus::Down
                    };
                    self.tracker_changed(t, TrackerId::Script(name), status);
                }
                let present = iface::addresses().unwrap_or_default();
                for n in 0..self.router.instances.len() {
                    let name = self.router.instances[n].name().to_string();
                    let last = resume.iter().find(|s| s.name == name);
                    // The kernel's truth as well as the last report: a predecessor that
                    // became MASTER and died before the parent read it left its VIPs.
                    let holds = self.holds_vips(n, &present);
                    match last {
                        _ if holds && last.is_none_or(|s| s.state != ka_ipc::VrrpState::Master) => {
                            log::info!(
                                "({name}) its VIPs are on the interface: resuming as MASTER"
                            );
                            let acts = self.router.handle(t, n, Event::Resume);
                            self.apply(acts);
                            if self.router.instances[n].state() == ka_vrrp::instance::State::Master
                            {
                                self.complete_master(n);
                            }
                        }
                        Some(s) if s.state == ka_ipc::VrrpState::Master => {
                            log::info!("({name}) resuming as MASTER");
                            let acts = self.router.handle(t, n, Event::Resume);
                            self.apply(acts);
                            if self.router.instances[n].state() == ka_vrrp::instance::State::Master
                            {
                                self.complete_master(n);
                            }
                        }
                        Some(ka_ipc::InstanceState {
                            master_down_left_ms: Some(ms),
                            ..
                        }) => {
                            let left = Duration::from_millis(u64::from(*ms));
                            let acts = self.router.handle(t, n, Event::StartBackup { left });
                            self.apply(acts);
                        }
                        _ => {
                            let acts = self.router.handle(t, n, Event::Start);
                            self.apply(acts);
                        }
                    }
                }
                if self.reloaded && self.global.fifo_write_vrrp_states_on_reload {
                    let kept = |n: usize| {
                        let i = &self.router.instances[n];
                        resume
                            .iter()
                            .any(|s| s.name == i.name() && s.state == i.state())
                    };
                    let acts = self.router.reload_fifo_lines(&kept);
                    self.apply(acts);
                }
            }
        }
        self.tell_parent(ka_ipc::ToParent::Ready);
        for s in &mut self.scripts {
            let a = s.tracker.handle(t, ScriptEvent::Start);
            let name = s.tracker.cfg.name.clone();
            Self::script_actions(&mut s.child, &mut self.dying, &name, &s.ids, a);
        }
        let timer = ctx(ka_net::timer::TimerFd::new(), || "timerfd".into())?;
        {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&timer);
            ctx(
                poll.registry()
                    .register(&mut SourceFd(&fd), TIMER, Interest::READABLE),
                || "register timer".into(),
            )?;
        }
        let mut events = Events::with_capacity(64);
        let mut buf = vec![0u8; 65536];
        let mut auto = ka_runtime::process::AutoPriority::new(&self.global.vrrp_process);
        // The start (interface and address dumps, the first transitions) is over.
        ka_ipc::proc::release_free_memory();
        loop {
            let t = now(self.epoch);
            let next = [self.router.next_deadline()]
                .into_iter()
                .chain(self.scripts.iter().map(|s| s.tracker.next_deadline()))
                .chain(self.procs.iter().map(|p| p.next_deadline()))
                .chain([
                    self.procs_scan_at,
                    self.garps.next_deadline(),
                    self.link_delays.next_deadline(),
                    self.linkbeat_at,
                ])
                .flatten()
                .min();
            // Deadlines through the timerfd (epoll's own timeout is whole milliseconds).
            let wait = next.map(|n| if n > t { n - t } else { Duration::ZERO });
            timer.clear();
            let mut timeout = match timer.set(wait) {
                Ok(()) => None,
                Err(e) => {
                    self.warn_once(format!("timerfd: {e}; timing in whole milliseconds"));
                    wait
                }
            };
            // A stopped script that lingers gets SIGKILL at its time.
            if let Some(d) = self.dying.next_deadline() {
                let d = d.saturating_duration_since(Instant::now());
                timeout = Some(timeout.map_or(d, |t| t.min(d)));
            }
            if let Err(e) = poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(RunError::Cannot(format!("poll: {e}")));
                }
            }
            // Woken after the earliest deadline: starved (max_auto_priority).
            if let Some(n) = next {
                let woke = now(self.epoch);
                if woke > n {
                    auto.woke_late(woke - n);
                }
            }
            for ev in events.iter() {
                if ev.token() == PARENT {
                    match self.parent_messages() {
                        FromParent::Nothing => {}
                        FromParent::Stop => {
                            self.stop();
                            return Ok(Exit::Stopped);
                        }
                        FromParent::Handover(h) => {
                            self.hand_over(h);
                            return Ok(Exit::HandedOver);
                        }
                    }
                    continue;
                }
                if ev.token() == TIMER {
                    continue;
                }
                if ev.token() == FILES {
                    if self.file_watch.as_ref().is_some_and(|w| w.drain()) {
                        self.files_changed(false);
                    }
                    continue;
                }
                if ev.token() == LINKS {
                    match self.links.changes() {
                        Ok(changes) => {
                            for c in changes {
                                match c {
                                    ka_net::link::Event::Link { name, up } => {
                                        self.follow_interface(&poll, &name);
                                        self.follow_vmacs(&poll);
                                        // A polled interface's link is what polling
                                        // says (keepalived ignores netlink for it).
                                        if !self.linkbeat.iter().any(|l| l.name == name) {
                                            self.link_event(&name, up)
                                        }
                                    }
                                    ka_net::link::Event::AddressRemoved { ifindex, addr } => {
                                        self.address_removed(ifindex, addr)
                                    }
                                    ka_net::link::Event::AddressAdded { ifindex, .. } => {
                                        self.address_added(ifindex)
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            log::warn!("link events lost ({e}): reading every link again");
                            self.read_links();
                        }
                    }
                    continue;
                }
                if ev.token() == SIGNALS {
                    for sig in signals.pending() {
                        match sig {
                            // Reaped below, after the events.
                            SIGCHLD => {}
                            SIGUSR1 => self.dump_data(),
                            SIGUSR2 => self.dump_stats(),
                            s if s == ka_runtime::signals::sigstats_clear() => {
                                self.dump_stats();
                                self.router.clear_stats();
                            }
                            s if s == ka_runtime::signals::sigjson() => self.dump_json(),
                            // The parent re-reads the configuration and starts a successor.
                            SIGHUP if self.parent.is_some() => {}
                            SIGHUP => log::info!(
                                "Reload needs the watchdog parent; configuration unchanged"
                            ),
                            _ => {
                                self.stop();
                                return Ok(Exit::Stopped);
                            }
                        }
                    }
                    continue;
                }
                if ev.token().0 >= RECV6_BASE {
                    self.read_socket6(ev.token().0 - RECV6_BASE, &mut buf);
                    continue;
                }
                let k = ev.token().0 - RECV_BASE;
                self.read_socket(k, &mut buf);
            }
            let t = now(self.epoch);
            let acts = self.router.tick(t);
            self.apply(acts);
            self.scripts_tick(t);
            self.processes_tick(t);
            for (name, up) in self.link_delays.due(t) {
                log::info!(
                    "{name}: delayed link change to {} applied",
                    if up { "up" } else { "down" }
                );
                self.link_changed(&name, up);
            }
            if self.linkbeat_at.is_some_and(|at| at <= t) {
                self.poll_linkbeat(t);
            }
            for g in self.garps.due(t) {
                // keepalived sends a waiting one only while its address is still set.
                if self.router.instances[g.instance].state() == ka_vrrp::instance::State::Master {
                    self.send_garp(&g);
                }
            }
            self.children
                .retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
            self.dying.reap(Instant::now());
        }
    }

    /// A reload that found the configuration and everything it reads unchanged: this
    /// child carries on, every instance in the state it has, and the FIFO gets what
    /// keepalived writes after any reload (fifo_write_vrrp_states_on_reload).
    fn reloaded_in_place(&mut self) {
        if self.global.fifo_write_vrrp_states_on_reload {
            let acts = self.router.reload_fifo_lines(&|_| true);
            self.apply(acts);
        }
    }

    /// Handles what the parent sent.
    fn parent_messages(&mut self) -> FromParent {
        loop {
            let Some(ch) = &self.parent else {
                return FromParent::Nothing;
            };
            match ch.recv::<ka_ipc::ToChild>() {
                Ok(Some(ka_ipc::ToChild::Ping(n))) => self.tell_parent(ka_ipc::ToParent::Pong(n)),
                Ok(Some(ka_ipc::ToChild::WriteStatus { seq, json, metrics })) => {
                    self.write_status(json.as_deref(), metrics.as_deref());
                    self.tell_parent(ka_ipc::ToParent::StatusWritten(seq));
                }
                Ok(Some(ka_ipc::ToChild::SaveDump(path))) => {
                    self.dump_data_to(std::path::Path::new(&path))
                }
                Ok(Some(ka_ipc::ToChild::Reloaded)) => self.reloaded_in_place(),
                Ok(Some(ka_ipc::ToChild::Stop)) => return FromParent::Stop,
                Ok(Some(ka_ipc::ToChild::Handover(h))) => return FromParent::Handover(h),
                Ok(Some(other)) => log::warn!("unexpected message from the parent: {other:?}"),
                Ok(None) => return FromParent::Nothing,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    log::warn!("bad message from the parent: {e}")
                }
                Err(_) => {
                    // The parent has gone: stop as on SIGTERM (PDEATHSIG does the same).
                    return FromParent::Stop;
                }
            }
        }
    }

    /// Reload, retiring side: masters advertise once, scripts stop, what the new
    /// configuration no longer has is removed (deleted instances as keepalived
    /// clear_diff_vrrp does), the states go to the parent; everything else stays for the
    /// successor, which the parent has already started.
    fn hand_over(&mut self, h: ka_ipc::Handover) {
        let t = now(self.epoch);
        let states: Vec<ka_ipc::InstanceState> = self
            .router
            .instances
            .iter()
            .map(|i| ka_ipc::InstanceState {
                name: i.name().to_string(),
                state: i.state(),
                priority: i.effective_priority(),
                reason: String::new(),
                master_down_left_ms: i
                    .master_down_left(t)
                    .map(|d| d.as_millis().min(u32::MAX as u128) as u32),
            })
            .collect();
        let acts = self.router.advert_now(t);
        self.apply(acts);
        for s in &mut self.scripts {
            if let Some(c) = s.child.take() {
                self.dying.stop(c);
            }
        }
        let acts = self.router.delete(t, &h.vrrp.deleted);
        self.apply(acts);
        // What the masters that carry on let go of: the successor will not hold it.
        let acts = self.router.let_go(&h.vrrp);
        self.apply(acts);
        self.rules("static_rules", &h.vrrp.static_rules, false);
        self.routes("static_routes", &h.vrrp.static_routes, false);
        let g = self
            .global
            .default_interface
            .clone()
            .unwrap_or_else(|| "eth0".into());
        self.addresses(
            "static_ipaddress",
            &h.vrrp.static_addresses,
            Some(&g),
            false,
        );
        self.stop_fifo_scripts();
        // Not to be lost in a full channel: the successor resumes from these.
        if let Some(ch) = &self.parent {
            if let Err(e) = ch.send_waiting(
                &ka_ipc::ToParent::HandedOver(states),
                std::time::Duration::from_secs(5),
            ) {
                log::warn!("cannot hand the states over to the parent: {e}");
            }
        }
        log::info!("Handed over to the reloaded configuration");
    }

    /// A resumed MASTER: the predecessor left the VIPs and routes in place; add what is
    /// missing (new in a reloaded configuration, or removed meanwhile) and send gratuitous
    /// ARPs / NAs for those addresses only.
    /// Whether every VIP of instance `n` (not the excluded ones) is on its interface.
    fn holds_vips(&self, n: usize, present: &[(String, IpAddr)]) -> bool {
        let c = &self.router.instances[n].cfg;
        let vips = self.on_vmac(n, c.vip_addresses().to_vec());
        !vips.is_empty()
            && vips.iter().all(|a| {
                let dev = a.dev.as_deref().or(c.interface.as_deref()).unwrap_or("");
                present.iter().any(|(d, p)| d == dev && *p == a.addr)
            })
    }

    fn complete_master(&mut self, n: usize) {
        let c = &self.router.instances[n].cfg;
        let (name, interface, held) = (c.name.clone(), c.interface.clone(), c.held.clone());
        let repeat = c.garp.master_repeat;
        let present = iface::addresses().unwrap_or_default();
        let missing: Vec<model::IpAddress> = self
            .all_vips(n)
            .into_iter()
            .filter(|a| {
                let dev = a.dev.as_deref().or(interface.as_deref()).unwrap_or("");
                !present.iter().any(|(d, p)| d == dev && *p == a.addr)
            })
            .collect();
        if !self.router.instances[n].cfg.accept {
            // A successor's table starts empty: every held VIP goes back in its sets.
            let all = self.all_vips(n);
            self.nft_elements(&name, true, &all);
        }
        if !missing.is_empty() {
            self.addresses(&name, &missing, interface.as_deref(), true);
            self.garp_for(n, &missing, repeat);
        }
        self.routes(&name, &held.routes, true);
        self.rules(&name, &held.rules, true);
    }

    fn read_socket(&mut self, k: usize, buf: &mut [u8]) {
        // Which interface and which of its sockets this token is.
        let mut idx = k;
        let mut found = None;
        for (i, io) in self.ifaces.iter().enumerate() {
            if idx < io.recv.len() {
                found = Some((i, idx));
                break;
            }
            idx -= io.recv.len();
        }
        let Some((i, r)) = found else { return };
        loop {
            let pkt = match self.ifaces[i].recv[r].recv(buf) {
                Ok(p) => p.to_vec(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!("receive on {}: {e}", self.ifaces[i].name);
                    return;
                }
            };
            let t = now(self.epoch);
            let ifname = self.ifaces[i].name.clone();
            let rx = match Received::from_ipv4(&pkt) {
                Ok(rx) => rx,
                Err(e) => {
                    // Not attributable to an instance: counted by every instance there.
                    let acts = self.router.bad_packet(t, &ifname, &e);
                    self.apply(acts);
                    continue;
                }
            };
            // Sockets not bound to an interface see every advert: only those to an
            // instance's own address are theirs (keepalived binds them to it).
            if ifname.starts_with(':')
                && !self
                    .router
                    .instances
                    .iter()
                    .any(|m| m.cfg.src == rx.dst && m.cfg.rx_on() == ifname)
            {
                continue;
            }
            let acts = self.router.packet(t, &ifname, &rx);
            self.apply(acts);
        }
    }

    fn read_socket6(&mut self, i: usize, buf: &mut [u8]) {
        loop {
            let Some((sock, _)) = &self.ifaces[i].v6 else {
                return;
            };
            let r = match sock.recv(buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!("receive on {}: {e}", self.ifaces[i].name);
                    return;
                }
            };
            let ifname = self.ifaces[i].name.clone();
            let pkt = buf[..r.len].to_vec();
            let rx = Received {
                src: IpAddr::V6(r.src),
                dst: IpAddr::V6(r.dst),
                ttl: r.hop_limit,
                vrrp: &pkt,
                ipv4: None,
            };
            let t = now(self.epoch);
            let acts = self.router.packet(t, &ifname, &rx);
            self.apply(acts);
        }
    }

    /// Who a script runs as; see [`scripts::run_as`].
    fn run_as(
        &self,
        argv: &[String],
        own: Option<&(String, Option<String>)>,
    ) -> Result<Option<(u32, u32)>, RunAsError> {
        scripts::run_as(&self.global, argv, own)
    }

    /// vrrp_track_process: /proc is read again every PROC_SCAN. keepalived follows the
    /// kernel's process events instead, which a process in a network namespace other than
    /// the first does not receive (its track_process does not work there).
    fn scan_processes(&mut self, t: Time) {
        if self.procs.is_empty() {
            return;
        }
        let cmdline = self.procs.iter().any(|p| p.config().needs_cmdline());
        let seen = ka_runtime::procs::scan(cmdline);
        let changes: Vec<(String, Option<bool>)> = self
            .procs
            .iter_mut()
            .map(|p| {
                let view: Vec<(u32, u32, bool)> = seen
                    .iter()
                    .map(|e| (e.pid, e.ppid, p.config().matches(&e.comm, &e.cmdline)))
                    .collect();
                (p.config().name.clone(), p.observe(t, &view))
            })
            .collect();
        self.procs_scan_at = Some(t + PROC_SCAN);
        self.processes_changed(t, changes);
    }

    fn processes_tick(&mut self, t: Time) {
        if self.procs_scan_at.is_some_and(|d| d <= t) {
            self.scan_processes(t);
        }
        let changes: Vec<(String, Option<bool>)> = self
            .procs
            .iter_mut()
            .map(|p| (p.config().name.clone(), p.tick(t)))
            .collect();
        self.processes_changed(t, changes);
    }

    fn processes_changed(&mut self, t: Time, changes: Vec<(String, Option<bool>)>) {
        for (name, up) in changes {
            let Some(up) = up else {
                continue;
            };
            log::info!(
                "Quorum {} for tracked process {name}",
                if up { "gained" } else { "lost" }
            );
            let status = if up {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            };
            self.tracker_changed(t, TrackerId::Process(name), status);
        }
    }

    fn scripts_tick(&mut self, t: Time) {
        let mut changes = Vec::new();
        for s in &mut self.scripts {
            let mut acts = Vec::new();
            if let Some(c) = &mut s.child {
                if let Ok(Some(status)) = c.try_wait() {
                    s.child = None;
                    acts.extend(s.tracker.handle(
                        t,
                        ScriptEvent::Exited {
                            success: status.success(),
                        },
                    ));
                }
            }
            if s.tracker.next_deadline().is_some_and(|d| d <= t) {
                acts.extend(s.tracker.handle(t, ScriptEvent::Timer));
            }
            let name = s.tracker.cfg.name.clone();
            changes.extend(
                Self::script_actions(&mut s.child, &mut self.dying, &name, &s.ids, acts)
                    .into_iter()
                    .map(|st| (name.clone(), st)),
            );
        }
        for (name, st) in changes {
            self.tell_parent(ka_ipc::ToParent::Script {
                name: name.clone(),
                good: st == Status::Good,
            });
            let status = if st == Status::Good {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            };
            log::info!(
                "VRRP_Script({name}) {}",
                if st == Status::Good {
                    "succeeded"
                } else {
                    "failed"
                }
            );
            self.tracker_changed(t, TrackerId::Script(name), status);
        }
    }

    /// track_file: every tracked file read again; a changed value goes to the instances
    /// (at start, every value).
    fn files_changed(&mut self, all: bool) {
        let t = now(self.epoch);
        for k in 0..self.track_files.len() {
            let Some(v) = ka_runtime::track_files::read_value(std::path::Path::new(
                &self.track_files[k].0.file,
            )) else {
                continue;
            };
            if v == self.track_files[k].1 && !all {
                continue;
            }
            self.track_files[k].1 = v;
            let name = self.track_files[k].0.name.clone();
            self.tracker_changed(t, TrackerId::File(name), TrackStatus::Value(v));
        }
    }

    /// Starts or kills the script process; returns status changes.
    fn script_actions(
        child: &mut Option<Child>,
        dying: &mut Dying,
        name: &str,
        ids: &Result<Option<(u32, u32)>, RunAsError>,
        acts: Vec<ScriptAction>,
    ) -> Vec<Status> {
        let mut out = Vec::new();
        for a in acts {
            match a {
                // A script that may not run (logged once at start) never reports a result.
                ScriptAction::Run { argv } => {
                    let Ok(ids) = ids else { continue };
                    match spawn(&argv, *ids) {
                        Ok(c) => *child = Some(c),
                        Err(e) => {
                            log::warn!("VRRP_Script({name}) cannot run {}: {e}", argv.join(" "))
                        }
                    }
                }
                ScriptAction::Kill => {
                    if let Some(c) = child.take() {
                        dying.stop(c);
                    }
                }
                ScriptAction::Changed(s) => out.push(s),
            }
        }
        out
    }

    /// A MASTER's advert goes to the parent when its priority or source changed, so that
    /// the parent can keep sending it while this process is silent (IPv4; not with AH,
    /// whose sequence numbers a replay would repeat).
    fn report_advert(&mut self, i: usize, ifname: &str, dst: IpAddr, packet: &[u8], prio: u8) {
        let inst = &self.router.instances[i];
        let master = inst.state() == ka_vrrp::instance::State::Master;
        let ah = matches!(inst.cfg.auth, ka_vrrp::rx::AuthConfig::Ah(_));
        let IpAddr::V4(dst4) = dst else { return };
        if !master || prio == 0 || ah || self.parent.is_none() {
            return;
        }
        let key = (prio, inst.cfg.src);
        if self.adverts_reported.get(&i) == Some(&key) {
            return;
        }
        self.adverts_reported.insert(i, key);
        let m = ka_ipc::ToParent::Advert {
            instance: inst.name().to_string(),
            ifname: ifname.to_string(),
            dst: dst4,
            packet: packet.to_vec(),
            interval_ms: inst.cfg.adver_int.as_millis().min(u32::MAX as u128) as u32,
        };
        self.tell_parent(m);
    }

    /// `keepalived-rs status`: every instance, group and script as JSON, and the VRRP
    /// metric families, each to its file when asked.
    /// Instance `n` as `status` shows it.
    fn instance_status(&self, n: usize) -> ka_ipc::status::InstanceStatus {
        use ka_ipc::status::{Counters, InstanceStatus, TrackerStatus};
        use ka_vrrp::instance::{State, TrackStatus};
        let wall = |t: Time| self.epoch_wall + t.micros() as f64 / 1e6;
        let i = &self.router.instances[n];
        let m = &i.cfg;
        let trackers = i
            .trackers()
            .map(|(id, t)| {
                let (kind, name) = id.describe();
                TrackerStatus {
                    kind: kind.into(),
                    name: name.to_string(),
                    status: match t.status {
                        TrackStatus::Unknown => "UNKNOWN".into(),
                        TrackStatus::Up => "UP".into(),
                        TrackStatus::Down => "DOWN".into(),
                        TrackStatus::Value(v) => v.to_string(),
                    },
                    weight: if t.reverse { -t.weight } else { t.weight },
                    contribution: t.contribution(),
                }
            })
            .collect();
        let st = &i.stats;
        let master = i.state() == State::Master;
        InstanceStatus {
            name: m.name.clone(),
            state: i.state().name().into(),
            since: i.last_transition().map_or(0.0, wall),
            reason: i.last_reason().map(|r| r.to_string()).unwrap_or_default(),
            interface: m.interface.clone().unwrap_or_default(),
            vrid: m.vrid,
            version: m.version.number(),
            base_priority: m.priority,
            effective_priority: i.effective_priority(),
            trackers,
            master: i.master().map(|a| a.to_string()),
            master_priority: if master {
                i.effective_priority()
            } else {
                i.master_priority()
            },
            advert_int: i.master_adver_int().as_secs_f64(),
            vips: m
                .vip_addresses()
                .iter()
                .map(|a| {
                    let host = if a.addr.is_ipv4() { 32 } else { 128 };
                    if a.prefix == host {
                        a.addr.to_string()
                    } else {
                        format!("{}/{}", a.addr, a.prefix)
                    }
                })
                .collect(),
            garp_delay: m.garp.master_delay.as_secs_f64(),
            vips_set: master,
            stats: Counters {
                advert_rcvd: st.advert_rcvd,
                advert_sent: st.advert_sent,
                become_master: st.become_master,
                release_master: st.release_master,
                packet_len_err: st.packet_len_err,
                ip_ttl_err: st.ip_ttl_err,
                invalid_type_rcvd: st.invalid_type_rcvd,
                advert_interval_err: st.advert_interval_err,
                addr_list_err: st.addr_list_err,
                invalid_authtype: st.invalid_authtype,
                authtype_mismatch: st.authtype_mismatch,
                auth_failure: st.auth_failure,
                pri_zero_rcvd: st.pri_zero_rcvd,
                pri_zero_sent: st.pri_zero_sent,
                checksum_err: st.checksum_err,
                version_err: st.version_err,
                other_err: st.other_err,
            },
        }
    }

    /// What instance `n`'s status is made of, cheaply: a request encodes again only the
    /// instances whose key changed since the last one.
    fn instance_key(&self, n: usize) -> InstanceKey {
        use ka_vrrp::instance::TrackStatus;
        let i = &self.router.instances[n];
        let trackers = i.trackers().fold(0u64, |h, (_, t)| {
            let v = match t.status {
                TrackStatus::Unknown => 0,
                TrackStatus::Up => 1,
                TrackStatus::Down => 2,
                TrackStatus::Value(v) => (v as u64).wrapping_mul(4).wrapping_add(3),
            };
            h.wrapping_mul(1_000_003).wrapping_add(v)
        });
        InstanceKey {
            state: i.state(),
            since: i.last_transition(),
            effective: i.effective_priority(),
            master: i.master(),
            master_priority: i.master_priority(),
            adver_int: i.master_adver_int(),
            stats: i.stats.clone(),
            trackers,
        }
    }

    /// `keepalived-rs status`: every instance, group and script as JSON, and the VRRP
    /// metric families, each to its file when asked. An instance's part is made again
    /// only when something in it changed.
    fn write_status(&mut self, json: Option<&str>, metrics: Option<&str>) {
        use ka_ipc::status::{GroupStatus, ScriptStatus};
        use ka_runtime::metrics::{heads, instance_line, instance_values, INSTANCE_FAMILIES};
        use ka_vrrp::script::Status as ScriptResult;
        let n = self.router.instances.len();
        if self.status_cache.len() != n {
            self.status_cache = (0..n).map(|_| None).collect();
        }
        for k in 0..n {
            let key = self.instance_key(k);
            let c = self.status_cache[k].get_or_insert_with(InstanceCached::default);
            let need_json = json.is_some() && c.json_key.as_ref() != Some(&key);
            let need_lines = metrics.is_some() && c.lines_key.as_ref() != Some(&key);
            if !need_json && !need_lines {
                continue;
            }
            let st = self.instance_status(k);
            let c = self.status_cache[k].get_or_insert_with(InstanceCached::default);
            if need_json {
                c.json = serde_json::to_string(&st).unwrap_or_else(|_| "null".into());
                c.json_key = Some(key.clone());
            }
            if need_lines {
                // Usually only a counter or two moved: only their lines are made again.
                let values = instance_values(&st);
                let relabel = c.state != st.state || c.lines.len() != INSTANCE_FAMILIES.len();
                if relabel {
                    c.lines = vec![String::new(); INSTANCE_FAMILIES.len()];
                }
                for (f, v) in values.iter().enumerate() {
                    if relabel || c.values[f] != *v {
                        c.lines[f] = instance_line(&st, f);
                    }
                }
                c.values = values;
                c.state = st.state.clone();
                c.lines_key = Some(key);
            }
        }
        let sync_groups: Vec<GroupStatus> = self
            .router
            .groups
            .iter()
            .map(|g| GroupStatus {
                name: g.name.clone(),
                state: g.state().name().into(),
                members: g
                    .members
                    .iter()
                    .map(|&m| self.router.instances[m].name().to_string())
                    .collect(),
            })
            .collect();
        let scripts: Vec<ScriptStatus> = self
            .scripts
            .iter()
            .map(|s| ScriptStatus {
                name: s.tracker.cfg.name.clone(),
                status: match s.tracker.status() {
                    ScriptResult::Init => "INIT".into(),
                    ScriptResult::Good => "GOOD".into(),
                    ScriptResult::Bad => "BAD".into(),
                },
                running: s.child.is_some(),
                streak: s.tracker.streak(),
                rise: s.tracker.cfg.rise,
                fall: s.tracker.cfg.fall,
            })
            .collect();
        if let Some(path) = json {
            let groups = serde_json::to_string(&sync_groups).unwrap_or_else(|_| "[]".into());
            let scripts = serde_json::to_string(&scripts).unwrap_or_else(|_| "[]".into());
            let mut pieces: Vec<&[u8]> = vec![b"{\"instances\":["];
            for (k, c) in self.status_cache.iter().enumerate() {
                if k > 0 {
                    pieces.push(b",");
                }
                pieces.push(c.as_ref().map_or(&b"null"[..], |c| c.json.as_bytes()));
            }
            pieces.extend([
                &b"],\"sync_groups\":"[..],
                groups.as_bytes(),
                b",\"scripts\":",
                scripts.as_bytes(),
                b"}",
            ]);
            ka_runtime::dumps::write_status(path, &pieces);
        }
        if let Some(path) = metrics {
            let heads = heads(&INSTANCE_FAMILIES);
            let mut pieces: Vec<&[u8]> = Vec::new();
            for (f, h) in heads.iter().enumerate() {
                pieces.push(h.as_bytes());
                for c in self.status_cache.iter().flatten() {
                    pieces.push(c.lines[f].as_bytes());
                }
            }
            let mut tail = String::new();
            ka_runtime::metrics::scripts(&mut tail, &scripts);
            pieces.push(tail.as_bytes());
            ka_runtime::dumps::write_status(path, &pieces);
        }
    }

    /// The configuration, decoded again from the bytes the parent sent (for the dumps).
    fn config(&self) -> Option<Config> {
        match ka_ipc::codec::decode_config(&self.encoded) {
            Ok(c) => Some(c),
            Err(e) => {
                log::error!("cannot decode the configuration for a dump: {e}");
                None
            }
        }
    }

    /// SIGUSR1: keepalived.data where keepalived writes it ($TMPDIR or /tmp, or
    /// state_dump_file).
    fn dump_data(&self) {
        self.dump_data_to(&ka_runtime::dumps::data_path(&self.global, ""));
    }

    /// The data dump to `path` (SIGUSR1's, or config_save_dir's at a reload).
    fn dump_data_to(&self, path: &std::path::Path) {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let Some(cfg) = self.config() else { return };
        let text = ka_vrrp::dump::data(&cfg, &self.router, host.trim());
        ka_runtime::dumps::write(path, &text);
    }

    /// SIGUSR2 (and STATS_CLEAR, before the counters are zeroed): keepalived.stats.
    fn dump_stats(&self) {
        let g = &self.global;
        let path = ka_runtime::dumps::file_path(g.stats_dump_file.as_deref(), "keepalived.stats");
        ka_runtime::dumps::write(&path, &ka_vrrp::dump::stats(&self.router));
    }

    /// SIGJSON: keepalived.json (none when there are no instances, as keepalived).
    fn dump_json(&self) {
        if self.router.instances.is_empty() {
            return;
        }
        let g = &self.global;
        let path = ka_runtime::dumps::file_path(g.json_dump_file.as_deref(), "keepalived.json");
        let wall = self.epoch_wall;
        let to_wall = |t: Time| wall + t.micros() as f64 / 1e6;
        let Some(cfg) = self.config() else { return };
        let text = ka_vrrp::json::dump(&cfg, &self.router, &to_wall, self.epoch_wall);
        ka_runtime::dumps::write(&path, &text);
    }

    fn stop(&mut self) {
        if let Some(s) = &mut self.sync_daemons {
            s.stop();
        }
        let t = now(self.epoch);
        let acts = self.router.stop(t);
        self.apply(acts);
        for s in &mut self.scripts {
            if let Some(c) = s.child.take() {
                self.dying.stop(c);
            }
        }
        self.statics(false);
        self.nft_stop();
        self.vmac_teardown();
        self.stop_fifo_scripts();
        log::info!("Stopped");
    }

    fn apply(&mut self, acts: Vec<(Target, Action)>) {
        for (target, a) in acts {
            let inst = match target {
                Target::Instance(i) => Some(i),
                Target::Group(_) | Target::Router => None,
            };
            match a {
                Action::Send {
                    dst,
                    packet,
                    priority,
                } => {
                    let Some(i) = inst else { continue };
                    let ifname = self.send_if(i);
                    self.report_advert(i, device_of(&ifname), dst, &packet, priority);
                    if let Some(io) = self.ifaces.iter().find(|io| io.name == ifname) {
                        let r = match (dst, &io.v6) {
                            (IpAddr::V4(d), _) => io.send.send(d, &packet),
                            (IpAddr::V6(d), Some((sock, _))) => sock.send(d, &packet),
                            (IpAddr::V6(_), None) => Err(io::Error::other("no IPv6 socket")),
                        };
                        if let Err(e) = r {
                            let d = dst;
                            log::warn!(
                                "({}) Cant send advert to {d} ({e})",
                                self.router.instances[i].name()
                            );
                        }
                    }
                }
                Action::Vips { add, addresses } => {
                    if let Some(i) = inst {
                        let name = self.router.instances[i].name().to_string();
                        let list = self.on_vmac(i, addresses.to_vec());
                        // keepalived: the drop rules before the addresses are added,
                        // after they are removed.
                        let filter = !self.router.instances[i].cfg.accept;
                        if filter && add {
                            self.nft_elements(&name, true, &list);
                        }
                        self.addresses(&name, &list, None, add);
                        if filter && !add {
                            self.nft_elements(&name, false, &list);
                        }
                    }
                }
                Action::Routes { add, routes } => {
                    if let Some(i) = inst {
                        let name = self.router.instances[i].name().to_string();
                        self.routes(&name, &routes, add);
                    }
                }
                Action::Rules { add, rules } => {
                    if let Some(i) = inst {
                        let name = self.router.instances[i].name().to_string();
                        self.rules(&name, &rules, add);
                    }
                }
                Action::Garp { repeat, addresses } => {
                    if let Some(i) = inst {
                        let list = self.on_vmac(i, addresses.to_vec());
                        self.garp_for(i, &list, repeat);
                    }
                }
                Action::Notify { argv, user, group } => {
                    let who = user.map(|u| (u, group));
                    match scripts::start(&self.global, &argv, who.as_ref()) {
                        Ok(c) => self.children.push(c),
                        Err(e) => log::warn!("cannot run notify script {}: {e}", argv.join(" ")),
                    }
                }
                Action::Fifo { line } => {
                    for f in &mut self.fifos {
                        // Never blocks: O_NONBLOCK; a full FIFO drops the line, as keepalived.
                        let _ = f.write_all(line.as_bytes());
                    }
                }
                Action::Log { level, line } => match level {
                    ka_vrrp::action::Level::Info => log::info!("{line}"),
                    ka_vrrp::action::Level::Warning => log::warn!("{line}"),
                },
                Action::StateChanged { state, priority } => {
                    if let Some(i) = inst {
                        let name = self.router.instances[i].name().to_string();
                        if let Some(s) = &mut self.sync_daemons {
                            if s.instance() == name {
                                s.state(state == ka_vrrp::instance::State::Master);
                            }
                        }
                        if state != ka_vrrp::instance::State::Master
                            && self.adverts_reported.remove(&i).is_some()
                        {
                            self.tell_parent(ka_ipc::ToParent::AdvertStop {
                                instance: name.clone(),
                            });
                        }
                        let reason = self.router.instances[i]
                            .last_reason()
                            .map(|r| r.to_string())
                            .unwrap_or_default();
                        self.tell_parent(ka_ipc::ToParent::State(ka_ipc::InstanceState {
                            name,
                            state,
                            priority,
                            reason,
                            master_down_left_ms: None,
                        }));
                    }
                }
                Action::Alert {
                    state,
                    subject,
                    body,
                } => self.alert(target, state, &subject, &body),
                Action::WantMaster | Action::GroupEvent { .. } => {}
            }
        }
    }

    /// SMTP alert (keepalived smtp_alert): one mail per state change of each instance or
    /// group, none for FAULT with no_email_faults, sent by a short-lived process.
    fn alert(
        &mut self,
        target: Target,
        state: ka_vrrp::instance::State,
        subject: &str,
        body: &str,
    ) {
        if state == ka_vrrp::instance::State::Fault && self.global.no_email_faults {
            return;
        }
        if self.last_mail.get(&target) == Some(&state) {
            return;
        }
        let Some(mail) = ka_runtime::smtp::Mail::from_config(&self.global, subject, body) else {
            return;
        };
        self.last_mail.insert(target, state);
        let r = ka_runtime::smtp::spawn_sender(&mail, "mail-vrrp", &self.log_args);
        match r {
            Ok(c) => self.children.push(c),
            Err(e) => log::warn!("cannot send the SMTP alert '{subject}': {e}"),
        }
    }

    /// The instance's VIPs and eVIPs, on its VMAC where they would be on its interface.
    fn all_vips(&self, i: usize) -> Vec<model::IpAddress> {
        self.on_vmac(i, self.router.instances[i].cfg.held.addresses.to_vec())
    }

    /// keepalived: with use_vmac, the addresses of the instance's interface go on the VMAC.
    /// An address with a VMAC of its own goes on it.
    fn on_vmac(&self, i: usize, mut list: Vec<model::IpAddress>) -> Vec<model::IpAddress> {
        // An ipvlan's instance keeps its VIPs on its interface, as keepalived does.
        if let Some(v) = self
            .vmacs
            .iter()
            .find(|v| v.instance == i && v.carries.is_empty() && v.ipvlan.is_none())
        {
            for a in &mut list {
                if a.dev.as_deref().unwrap_or(&v.base) == v.base {
                    a.dev = Some(v.name.clone());
                }
            }
        }
        for a in &mut list {
            if let Some(v) = self.vmacs.iter().find(|v| v.carries.contains(&(i, a.addr))) {
                a.dev = Some(v.name.clone());
            }
        }
        list
    }

    /// The interface adverts leave through: the VMAC unless vmac_xmit_base.
    fn send_if(&self, i: usize) -> String {
        match self
            .vmacs
            .iter()
            .find(|v| v.instance == i && v.carries.is_empty())
        {
            Some(v) if !v.xmit_base => v.name.clone(),
            _ => self.router.instances[i].cfg.rx_on().into_owned(),
        }
    }

    /// The nftables table, made afresh (a predecessor's, or a residue, is replaced in the
    /// same transaction). A failure is logged and the VIPs are then not filtered: the
    /// instances run.
    fn nft_start(&mut self) {
        let Some(f) = &mut self.nft else { return };
        if !f.v4 && !f.v6 {
            return;
        }
        if f.spec.implicit {
            log::info!(
                "use_vmac or no_accept/strict specified, but no firewall configured - using nftables"
            );
        }
        let batch = f.spec.create(f.v4, f.v6, &mut f.seq);
        let r = ka_net::nftables::Socket::open().and_then(|mut s| {
            s.transact(&batch, &ka_vrrp::firewall::acked_seqs(&batch))?;
            Ok(s)
        });
        match r {
            Ok(s) => f.sock = Some(s),
            Err(e) => log::error!(
                "cannot set up nftables table {}: {e}; VIPs of instances not in accept mode are not filtered",
                f.spec.table
            ),
        }
    }

    /// At stop (not at a hand-over): the table goes, as keepalived's nft_end.
    fn nft_stop(&mut self) {
        let Some(f) = &mut self.nft else { return };
        let Some(s) = &mut f.sock else { return };
        let batch = f.spec.delete(f.v4, f.v6, &mut f.seq);
        if let Err(e) = s.transact(&batch, &ka_vrrp::firewall::acked_seqs(&batch)) {
            log::warn!("cannot delete nftables table {}: {e}", f.spec.table);
        }
        f.sock = None;
    }

    /// Instance `who`'s addresses into (or out of) the drop sets; an address two
    /// instances hold stays until both let it go.
    fn nft_elements(&mut self, who: &str, add: bool, addrs: &[model::IpAddress]) {
        let Some(f) = &mut self.nft else { return };
        let Some(s) = &mut f.sock else { return };
        let mut changed = Vec::new();
        for a in addrs {
            let n = f.held.entry(a.addr).or_insert(0);
            if add {
                *n += 1;
                if *n == 1 {
                    changed.push(a.addr);
                }
            } else if *n > 0 {
                *n -= 1;
                if *n == 0 {
                    f.held.remove(&a.addr);
                    changed.push(a.addr);
                }
            }
        }
        let Some(batch) = f.spec.elements(add, &changed, &mut f.seq) else {
            return;
        };
        if let Err(e) = s.transact(&batch, &ka_vrrp::firewall::acked_seqs(&batch)) {
            log::warn!(
                "({who}) cannot {} nftables set {} vips: {e}",
                if add { "add to" } else { "remove from" },
                f.spec.table
            );
        }
    }

    /// Adds or removes addresses (VIPs, eVIPs, static_ipaddress) over rtnetlink.
    fn addresses(
        &mut self,
        owner: &str,
        list: &[model::IpAddress],
        default_dev: Option<&str>,
        add: bool,
    ) {
        for a in list {
            let dev = a
                .dev
                .as_deref()
                .or(default_dev)
                .unwrap_or_default()
                .to_string();
            let Ok(ifindex) = iface::index(&dev) else {
                log::warn!("({owner}) interface {dev} for {} doesn't exist", a.addr);
                continue;
            };
            let brd = match (a.brd, a.addr) {
                (Some(model::Broadcast::Addr(b)), _) => Some(IpAddr::V4(b)),
                (Some(model::Broadcast::Plus), IpAddr::V4(v)) => {
                    let mask = if a.prefix == 0 {
                        0
                    } else {
                        u32::MAX << (32 - a.prefix as u32)
                    };
                    Some(IpAddr::V4((u32::from(v) | !mask).into()))
                }
                _ => None,
            };
            let addr = Addr {
                ifindex,
                addr: a.addr,
                prefix: a.prefix,
                brd,
            };
            let r = if add {
                self.nl.add_addr(&addr)
            } else {
                self.nl.del_addr(&addr)
            };
            if let Err(e) = r {
                let what = if add { "add" } else { "remove" };
                log::warn!(
                    "({owner}) cannot {what} {}/{} on {dev}: {e}",
                    a.addr,
                    a.prefix
                );
            }
        }
    }

    /// Adds or removes routes (virtual_routes, static_routes) over rtnetlink, with
    /// keepalived's protocol number.
    fn routes(&mut self, owner: &str, list: &[model::Route], add: bool) {
        use ka_net::netlink::{Route, RouteKind};
        // The error: the name of the interface that does not exist.
        fn index(d: &Option<String>) -> Result<Option<u32>, &str> {
            match d {
                Some(d) => iface::index(d).map(Some).map_err(|_| d.as_str()),
                None => Ok(None),
            }
        }
        'routes: for r in list {
            let oif = match index(&r.dev) {
                Ok(i) => i,
                Err(d) => {
                    log::warn!(
                        "({owner}) interface {d} for route {}/{} doesn't exist",
                        r.dst,
                        r.dst_len
                    );
                    continue;
                }
            };
            // `via A or B` is two gateways; `nexthop …` lines are the general form.
            let mut nexthops = Vec::new();
            if let Some(or) = r.or_via {
                for g in [r.via, Some(or)] {
                    nexthops.push(ka_net::netlink::NextHop {
                        via: g,
                        oif,
                        weight: 1,
                        onlink: r.onlink,
                    });
                }
            }
            for h in &r.nexthops {
                let Ok(hop_oif) = index(&h.dev) else {
                    log::warn!(
                        "({owner}) interface {:?} for a nexthop of route {}/{} doesn't exist",
                        h.dev,
                        r.dst,
                        r.dst_len
                    );
                    continue 'routes;
                };
                nexthops.push(ka_net::netlink::NextHop {
                    via: h.via,
                    oif: hop_oif,
                    weight: h.weight.unwrap_or(1),
                    onlink: h.onlink,
                });
            }
            let scope = r.scope.map(|s| match s {
                model::Scope::Global => 0,
                model::Scope::Site => 200,
                model::Scope::Link => 253,
                model::Scope::Host => 254,
                model::Scope::Nowhere => 255,
                model::Scope::Number(n) => n,
            });
            // `vrf NAME`: that VRF's table, as it is now.
            let table = match &r.vrf {
                None => r.table.unwrap_or(254),
                Some(v) => match self.nl.vrf_table(v) {
                    Ok(Some(t)) => t,
                    _ => {
                        log::warn!(
                            "({owner}) VRF {v} for route {}/{} not found or not a VRF",
                            r.dst,
                            r.dst_len
                        );
                        continue;
                    }
                },
            };
            let multipath = !nexthops.is_empty();
            let route = Route {
                dst: r.dst,
                dst_len: r.dst_len,
                via: if multipath { None } else { r.via },
                oif: if multipath { None } else { oif },
                protocol: r.protocol.unwrap_or(ka_net::netlink::RTPROT_KEEPALIVED),
                onlink: r.onlink && !multipath,
                nexthops,
                src: r.src,
                table,
                metric: r.metric,
                scope,
                kind: match r.kind {
                    model::RouteType::Unicast => RouteKind::Unicast,
                    model::RouteType::Blackhole => RouteKind::Blackhole,
                    model::RouteType::Unreachable => RouteKind::Unreachable,
                    model::RouteType::Prohibit => RouteKind::Prohibit,
                    model::RouteType::Throw => RouteKind::Throw,
                },
                tos: r.tos.unwrap_or(0),
                mtu: r.mtu,
            };
            let res = if add {
                self.nl.add_route(&route)
            } else {
                self.nl.del_route(&route)
            };
            if let Err(e) = res {
                let what = if add { "add" } else { "remove" };
                log::warn!("({owner}) cannot {what} route {}/{}: {e}", r.dst, r.dst_len);
            }
        }
    }

    /// Adds or removes policy rules (virtual_rules, static_rules) over rtnetlink, with
    /// keepalived's protocol number.
    fn rules(&mut self, owner: &str, list: &[model::Rule], add: bool) {
        for r in list {
            let ipv6 = r.from.or(r.to).is_some_and(|(a, _)| a.is_ipv6());
            let rule = ka_net::netlink::Rule {
                ipv6,
                from: r.from,
                to: r.to,
                table: r.table.unwrap_or(254),
                priority: r.priority,
                fwmark: r.fwmark,
                iif: r.iif.clone(),
                oif: r.oif.clone(),
                tos: r.tos.unwrap_or(0),
                not: r.not,
            };
            let res = if add {
                self.nl.add_rule(&rule)
            } else {
                self.nl.del_rule(&rule)
            };
            if let Err(e) = res {
                let what = if add { "add" } else { "remove" };
                log::warn!("({owner}) cannot {what} rule {r:?}: {e}");
            }
        }
    }

    /// static_ipaddress, static_routes and static_rules: present while the process runs.
    fn statics(&mut self, add: bool) {
        let g = self
            .global
            .default_interface
            .clone()
            .unwrap_or_else(|| "eth0".into());
        let Statics {
            addresses: addrs,
            routes,
            rules,
        } = self.statics.clone();
        if add {
            self.addresses("static_ipaddress", &addrs, Some(&g), true);
            self.routes("static_routes", &routes, true);
            self.rules("static_rules", &rules, true);
        } else {
            // keepalived: rules, then routes, then addresses.
            self.rules("static_rules", &rules, false);
            self.routes("static_routes", &routes, false);
            self.addresses("static_ipaddress", &addrs, Some(&g), false);
        }
    }

    /// Gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for `addrs` of instance `i`.
    fn garp_for(&mut self, i: usize, addrs: &[model::IpAddress], repeat: u32) {
        for round in 0..repeat {
            for a in addrs {
                let dev = a
                    .dev
                    .clone()
                    .or(self.router.instances[i].cfg.interface.clone())
                    .unwrap_or_default();
                let Some((mac, ll)) = self.frame_dev(&dev) else {
                    continue;
                };
                let m = &self.router.instances[i].cfg;
                let (frame, what) = match a.addr {
                    IpAddr::V4(ip) => (garp::gratuitous_arp(mac, ip).to_vec(), "gratuitous ARPs"),
                    IpAddr::V6(ip) => {
                        let Some(ll) = ll.or_else(|| link_local(&dev)) else {
                            continue;
                        };
                        (
                            garp::unsolicited_na(mac, ll, ip, false),
                            "Unsolicited Neighbour Adverts",
                        )
                    }
                };
                if round == 0 {
                    log::info!(
                        "({}) Sending/queueing {what} on {dev} for {}",
                        m.name,
                        a.addr
                    );
                }
                // Spaced on the base interface of a VMAC (keepalived IF_BASE_IFP).
                let base = self
                    .vmacs
                    .iter()
                    .find(|v| v.name == dev)
                    .map_or(dev.as_str(), |v| v.base.as_str());
                let kind = match a.addr {
                    IpAddr::V4(_) => ka_vrrp::garp::Kind::Arp,
                    IpAddr::V6(_) => ka_vrrp::garp::Kind::Na,
                };
                let g = GarpFrame {
                    instance: i,
                    dev: dev.clone(),
                    frame,
                    what,
                };
                let t = now(self.epoch);
                if let Some(g) = self.garps.offer(t, base, kind, g) {
                    self.send_garp(&g);
                }
            }
        }
    }

    /// The MAC of `dev` and its link-local address when known, with a socket to send its
    /// frames from: an interface of ours, else one opened now (a VIP's `dev`).
    fn frame_dev(&mut self, dev: &str) -> Option<([u8; 6], Option<std::net::Ipv6Addr>)> {
        if let Some(io) = self.ifaces.iter().find(|io| io.name == dev) {
            return Some((io.mac, io.v6.as_ref().map(|(_, ll)| *ll)));
        }
        if let Some(x) = self.extra_frames.iter().find(|x| x.0 == dev) {
            return Some((x.1, None));
        }
        let index = iface::index(dev).ok()?;
        let mac = iface::mac(dev).ok()?;
        match FrameSocket::new(index) {
            Ok(s) => {
                self.extra_frames.push((dev.to_string(), mac, s));
                Some((mac, None))
            }
            Err(e) => {
                log::warn!("packet socket on {dev}: {e}");
                None
            }
        }
    }

    fn send_garp(&self, g: &GarpFrame) {
        let frames = match self.ifaces.iter().find(|io| io.name == g.dev) {
            Some(io) => &io.frames,
            None => match self.extra_frames.iter().find(|x| x.0 == g.dev) {
                Some(x) => &x.2,
                None => return,
            },
        };
        if let Err(e) = frames.send(&g.frame) {
            log::warn!("{} on {}: {e}", g.what, g.dev);
        }
    }
}

enum FromParent {
    Nothing,
    Stop,
    Handover(ka_ipc::Handover),
}

/// What an instance's status is made of (see `instance_key`).
#[derive(Clone, PartialEq)]
struct InstanceKey {
    state: ka_vrrp::instance::State,
    since: Option<Time>,
    effective: u8,
    master: Option<IpAddr>,
    master_priority: u8,
    adver_int: Duration,
    stats: ka_vrrp::Stats,
    trackers: u64,
}

/// An instance's part of the status: its JSON, its metric lines with the values and
/// state they show, and the keys each was made for.
#[derive(Default)]
struct InstanceCached {
    json_key: Option<InstanceKey>,
    json: String,
    lines_key: Option<InstanceKey>,
    state: String,
    values: [f64; 18],
    lines: Vec<String>,
}

/// The interface's IPv6 link-local address (the source of IPv6 adverts).
fn link_local(ifname: &str) -> Option<std::net::Ipv6Addr> {
    iface::addresses()
        .ok()?
        .into_iter()
        .find_map(|(n, a)| match a {
            IpAddr::V6(v) if n == ifname && (v.segments()[0] & 0xffc0) == 0xfe80 => Some(v),
            _ => None,
        })
}

/// How long the system has been up (/proc/uptime's first field).
fn uptime() -> Option<Duration> {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}
