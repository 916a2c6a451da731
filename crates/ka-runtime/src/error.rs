//! The error that stops a child process, with what it was doing.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum RunError {
    /// A system call failed while doing `what` (opening a socket on an interface, …).
    Io { what: String, source: io::Error },
    /// The configuration cannot run here, and why (no address to send adverts from, …).
    Cannot(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Io { what, source } => write!(f, "{what}: {source}"),
            RunError::Cannot(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Io { source, .. } => Some(source),
            RunError::Cannot(_) => None,
        }
    }
}

/// An IO result with what was being done.
pub fn ctx<T>(r: io::Result<T>, what: impl FnOnce() -> String) -> Result<T, RunError> {
    r.map_err(|source| RunError::Io {
        what: what(),
        source,
    })
}
