//! The checker child process (`keepalived-rs --child check`): [`process::CheckProcess`]
//! runs every probe (TCP, HTTP and SSL with [`tls`], SMTP, MISC scripts, UDP, DNS, PING,
//! FILE) in one mio loop with its deadlines on a heap, feeds each result to ka-check's
//! pool (checker timing, real and virtual server state) and carries out what comes back:
//! IPVS changes through [`lvs::Lvs`] (reconciled against the kernel's table), notify
//! scripts, FIFO lines, mail. [`genhash`] is keepalived's genhash, on the same HTTP code.

pub mod genhash;
pub mod lvs;
pub mod process;
pub mod tcp;
pub mod tls;

pub use process::CheckProcess;
