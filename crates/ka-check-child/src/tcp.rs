//! Non-blocking TCP connections as the probes use them.

use std::io;

use mio::net::TcpStream;

/// Whether a non-blocking connect has finished (Err: it failed).
pub fn connected(s: &TcpStream) -> io::Result<bool> {
    if let Some(e) = s.take_error()? {
        return Err(e);
    }
    match s.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}
