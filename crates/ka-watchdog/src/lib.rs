//! The parent process (keepalived's watchdog): [`watchdog::Watchdog`] starts each child
//! (fork and exec of this executable as `--child vrrp` / `--child check`, with one end of
//! a SOCK_SEQPACKET channel from ka-ipc), pings it, restarts it when it exits or hangs,
//! hands a successor the states its predecessor reported (and the kernel shows), reloads
//! on SIGHUP by preparing new children before the old ones hand over ([`reload`] plans
//! what carries over), and stops them on SIGTERM. It never links the children's crates.

pub mod control;
pub mod kept;
pub mod notify;
pub mod reload;
pub mod reload_time;
pub mod servers;
pub mod upgrade;
pub mod watchdog;

pub use watchdog::{Kind, Loader, Selection, Watchdog};
