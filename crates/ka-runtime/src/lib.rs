//! What the three keepalived-rs processes (the watchdog parent, the VRRP child and the
//! checker child) share, so that neither child's crate depends on the other's:
//!
//! - [`link`]: a child's end of the start-up handshake with the parent ([`link::child_setup`],
//!   [`link::child_wait_go`] and the [`link::GoAhead`] it returns);
//! - [`error`]: [`error::RunError`], what stops a child, with what it was doing;
//! - [`scripts`]: who a script runs as, starting it in its own process group with default
//!   signals, ending it (SIGTERM, then SIGKILL), notify FIFOs;
//! - [`logging`]: keepalived's console and syslog lines (a syslog that stops reading never
//!   blocks a process);
//! - [`smtp`]: alert mail, sent by a short-lived `--child mail-*` process;
//! - [`dumps`]: where the SIGUSR1 / SIGUSR2 / SIGJSON dumps go, written whole;
//! - [`track_files`]: the files track_file and FILE_CHECK follow (inotify);
//! - [`signals`]: keepalived's signal numbers;
//! - [`process`]: a process's name, priorities, memory lock and CPUs (global_defs);
//! - [`metrics`]: the Prometheus text format of each process's status;
//! - [`ipvs`]: the IPVS family (ka-check's messages on ka-net's generic netlink socket).

// Calls into the kernel and the C library live here; each unsafe block says why it
// is sound (SAFETY).
#![allow(unsafe_code)]

pub mod clock;
pub mod dumps;
pub mod error;
pub mod ipvs;
pub mod link;
pub mod logging;
pub mod metrics;
pub mod process;
pub mod procs;
pub mod scripts;
pub mod signals;
pub mod smtp;
pub mod track_files;
