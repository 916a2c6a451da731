//! keepalived's signal numbers (lib/signals.h), shared by the command line (`--signum`)
//! and the processes that act on them.

/// SIGJSON (SIGRTMIN+2: 36 with glibc): write keepalived.json.
pub fn sigjson() -> i32 {
    libc::SIGRTMIN() + 2
}

/// SIGSTATS_CLEAR (SIGRTMAX-1: 63): write keepalived.stats, then zero the counters.
pub fn sigstats_clear() -> i32 {
    libc::SIGRTMAX() - 1
}
