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

/// The signals the parent and the VRRP child act on (keepalived's, SIGCHLD aside): stop,
/// reload, the data and stats dumps, JSON, stats clear.
pub fn daemon_signals() -> [i32; 7] {
    [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        sigjson(),
        sigstats_clear(),
    ]
}
