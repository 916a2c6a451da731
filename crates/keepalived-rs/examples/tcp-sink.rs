//! Accepts TCP connections on ADDR and closes them at once: the real servers of the
//! checker benchmark (TCP_CHECK only needs the handshake).
//!
//! usage: tcp-sink ADDR:PORT

use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "0.0.0.0:80".into());
    let l = TcpListener::bind(addr)?;
    loop {
        // Dropping the stream closes it.
        let _ = l.accept();
    }
}
