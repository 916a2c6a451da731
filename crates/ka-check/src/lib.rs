//! keepalived's checker side without IO (DESIGN.md: protocol logic is pure).
//!
//! - [`checker`]: one checker's timing (delay_loop, retry, delay_before_retry, warmup,
//!   alpha, the first-failure rule at start), fed with probe results;
//! - [`service`]: real servers (up while all their checkers are), virtual servers
//!   (quorum, hysteresis, sorry server, inhibit_on_failure), and what follows a change:
//!   IPVS operations as data, notify scripts, FIFO lines, mail;
//! - [`file`](mod@file): FILE_CHECK, a tracked file's value as a fault or a weight;
//! - [`http`]: HTTP_GET / SSL_GET's request and the verdict on a response;
//! - [`smtp`]: SMTP_CHECK's dialogue, and SMTP replies (shared with the alert mail);
//! - [`ipvs`]: the IPVS table wanted, and the commands that bring the kernel to it;
//! - [`config`]: the typed configuration turned into these;
//! - [`replay`]: checkers and pool driven by recorded inputs on a virtual clock, their
//!   answers as serde values (the conformance cases).
//!
//! The checker child (IO: sockets, scripts, IPVS) feeds them and carries out what they
//! return.

#![forbid(unsafe_code)]

pub mod checker;
pub mod config;
pub mod file;
pub mod http;
pub mod ipvs;
pub mod replay;
pub mod service;
pub mod smtp;
pub mod time;
pub mod wire;

pub use time::Time;
