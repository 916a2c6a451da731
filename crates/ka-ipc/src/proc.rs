//! SOCK_SEQPACKET socketpairs, starting a child with its end of one, and the child's
//! PR_SET_PDEATHSIG.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec;

/// One end of a parent <-> child channel (non-blocking).
///
/// A message travels in one datagram when it fits in [`crate::MAX_DATAGRAM`], else in
/// fragments: each datagram starts with a kind byte ([`WHOLE`], [`FIRST`] followed by the
/// message's length as a little-endian u32, or [`MORE`]). A receiver that sees a new
/// message begin drops an unfinished one, so a sender that gave up half-way (its peer
/// stopped reading) never makes the next message undecodable.
pub struct Channel {
    fd: OwnedFd,
    /// The fragments received so far of a message not yet complete: (its length, bytes).
    partial: RefCell<Option<(usize, Vec<u8>)>>,
}

/// Datagram kinds (the first byte of each).
pub const WHOLE: u8 = 0;
pub const FIRST: u8 = 1;
pub const MORE: u8 = 2;

/// How long a sender waits for room between the fragments of one message.
const FRAGMENTS_WITHIN: Duration = Duration::from_secs(10);

impl Channel {
    fn new(fd: OwnedFd) -> io::Result<Channel> {
        let ch = Channel {
            fd,
            partial: RefCell::new(None),
        };
        ch.set_nonblocking()?;
        Ok(ch)
    }

    /// A connected pair: (parent's end, child's end).
    pub fn pair() -> io::Result<(Channel, OwnedFd)> {
        use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        Ok((Channel::new(a)?, b))
    }

    /// The child's end, inherited as descriptor `fd`.
    ///
    /// # Safety
    /// `fd` must be an open SOCK_SEQPACKET descriptor owned by nothing else.
    pub unsafe fn from_inherited(fd: RawFd) -> io::Result<Channel> {
        // SAFETY: the caller guarantees ownership of `fd`.
        Channel::new(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    fn set_nonblocking(&self) -> io::Result<()> {
        use nix::fcntl::{fcntl, FcntlArg, OFlag};
        let fl = OFlag::from_bits_retain(fcntl(&self.fd, FcntlArg::F_GETFL)?);
        fcntl(&self.fd, FcntlArg::F_SETFL(fl | OFlag::O_NONBLOCK))?;
        Ok(())
    }

    /// Sends one message: one datagram, or fragments when it is larger than one may be.
    /// WouldBlock when not even the first datagram fits (nothing was sent: try again);
    /// once the first fragment is out, waits for room for the others (at most
    /// `FRAGMENTS_WITHIN`, then TimedOut, the message lost).
    pub fn send<T: Serialize>(&self, m: &T) -> io::Result<()> {
        let b = codec::encode(m).map_err(io::Error::other)?;
        let room = crate::MAX_DATAGRAM - 5;
        if b.len() <= room {
            return self.send_datagram(&[WHOLE], &b);
        }
        let len = u32::try_from(b.len()).map_err(io::Error::other)?;
        let mut head = [FIRST, 0, 0, 0, 0];
        head[1..].copy_from_slice(&len.to_le_bytes());
        let (first, rest) = b.split_at(room);
        self.send_datagram(&head, first)?;
        let end = Instant::now() + FRAGMENTS_WITHIN;
        for part in rest.chunks(room) {
            loop {
                match self.send_datagram(&[MORE], part) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let left = end.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                "the other process did not read a long message",
                            ));
                        }
                        self.wait_writable(left);
                    }
                    r => {
                        r?;
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends one message, waiting up to `within` for room when the channel is full (for
    /// the messages that must not be lost: a configuration, a handover).
    pub fn send_waiting<T: Serialize>(&self, m: &T, within: Duration) -> io::Result<()> {
        let end = Instant::now() + within;
        loop {
            match self.send(m) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = end.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(e);
                    }
                    self.wait_writable(left);
                }
                r => return r,
            }
        }
    }

    fn send_datagram(&self, head: &[u8], body: &[u8]) -> io::Result<()> {
        use nix::sys::socket::{sendmsg, MsgFlags};
        // MSG_NOSIGNAL: no SIGPIPE if the peer is gone.
        sendmsg::<()>(
            self.fd.as_raw_fd(),
            &[io::IoSlice::new(head), io::IoSlice::new(body)],
            &[],
            MsgFlags::MSG_NOSIGNAL,
            None,
        )?;
        Ok(())
    }

    fn wait_writable(&self, within: Duration) {
        use nix::poll::{poll, PollFd, PollFlags};
        let ms = within.as_millis().clamp(1, 1000) as u16;
        let _ = poll(
            &mut [PollFd::new(
                std::os::fd::AsFd::as_fd(&self.fd),
                PollFlags::POLLOUT,
            )],
            ms,
        );
    }

    /// Waits until a datagram (or the other side's close) is waiting, at most `within`
    /// (None: as long as it takes).
    pub fn wait_readable(&self, within: Option<Duration>) -> bool {
        wait_readable(&[std::os::fd::AsFd::as_fd(&self.fd)], within)
            .first()
            .copied()
            .unwrap_or(false)
    }

    /// One message, Ok(None) when no whole message is waiting (the fragments of one
    /// arriving are kept for the next call); an error of kind UnexpectedEof when the
    /// other side has gone, InvalidData for a message that does not decode.
    pub fn recv<T: DeserializeOwned>(&self) -> io::Result<Option<T>> {
        let mut buf = vec![0u8; crate::MAX_DATAGRAM + 1024];
        loop {
            // MSG_TRUNC: the datagram's real size, even when longer than `buf`.
            let r = match nix::sys::socket::recv(
                self.fd.as_raw_fd(),
                &mut buf,
                nix::sys::socket::MsgFlags::MSG_TRUNC,
            ) {
                Ok(r) => r,
                Err(nix::errno::Errno::EAGAIN) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            if r == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the other process has gone",
                ));
            }
            let n = r as usize;
            if n > buf.len() {
                return Err(invalid(format!("datagram of {n} bytes is too large")));
            }
            if let Some(whole) = self.reassemble(&buf[..n])? {
                return codec::decode(&whole).map(Some).map_err(invalid);
            }
        }
    }

    /// Takes one datagram; the message when it is complete.
    fn reassemble(&self, d: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let mut partial = self.partial.borrow_mut();
        match d.first() {
            Some(&WHOLE) => {
                *partial = None;
                Ok(Some(d[1..].to_vec()))
            }
            Some(&FIRST) if d.len() >= 5 => {
                let len = u32::from_le_bytes([d[1], d[2], d[3], d[4]]) as usize;
                if len > crate::MAX_MESSAGE {
                    *partial = None;
                    return Err(invalid(format!("message of {len} bytes is too large")));
                }
                let mut b = Vec::with_capacity(len);
                b.extend_from_slice(&d[5..]);
                *partial = Some((len, b));
                Ok(None)
            }
            Some(&MORE) => {
                let Some((len, mut b)) = partial.take() else {
                    return Err(invalid("a fragment without its beginning"));
                };
                b.extend_from_slice(&d[1..]);
                match b.len().cmp(&len) {
                    std::cmp::Ordering::Less => {
                        *partial = Some((len, b));
                        Ok(None)
                    }
                    std::cmp::Ordering::Equal => Ok(Some(b)),
                    std::cmp::Ordering::Greater => Err(invalid(format!(
                        "fragments longer than the {len} bytes announced"
                    ))),
                }
            }
            _ => {
                *partial = None;
                Err(invalid("a datagram of no known kind"))
            }
        }
    }
}

fn invalid(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl AsRawFd for Channel {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl std::os::fd::AsFd for Channel {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Sets or clears FD_CLOEXEC: a channel kept across the parent's exec of a new version of
/// itself (an upgrade in place) is cleared first and set again once adopted.
pub fn set_cloexec(fd: RawFd, on: bool) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    // SAFETY: the caller holds `fd` open for the length of this call.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let mut fl = FdFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFD)?);
    fl.set(FdFlag::FD_CLOEXEC, on);
    fcntl(fd, FcntlArg::F_SETFD(fl))?;
    Ok(())
}

/// A child process: one this process started, or one it adopted across an exec of itself
/// (an upgrade in place keeps the PID, so the children are still ours to wait for).
pub enum ChildProc {
    Spawned(Child),
    Adopted {
        pid: u32,
        /// Its exit status once reaped (waitpid answers only once).
        status: Option<std::process::ExitStatus>,
    },
}

impl ChildProc {
    pub fn id(&self) -> u32 {
        match self {
            ChildProc::Spawned(c) => c.id(),
            ChildProc::Adopted { pid, .. } => *pid,
        }
    }

    fn waitpid(
        &mut self,
        flags: Option<nix::sys::wait::WaitPidFlag>,
    ) -> io::Result<Option<std::process::ExitStatus>> {
        use std::os::unix::process::ExitStatusExt;
        let ChildProc::Adopted { pid, status } = self else {
            return Ok(None);
        };
        if let Some(s) = status {
            return Ok(Some(*s));
        }
        use nix::sys::wait::{waitpid, WaitStatus};
        let raw = match waitpid(nix::unistd::Pid::from_raw(*pid as i32), flags)? {
            WaitStatus::Exited(_, code) => (code & 0xff) << 8,
            WaitStatus::Signaled(_, sig, core) => sig as i32 | if core { 0x80 } else { 0 },
            _ => return Ok(None),
        };
        let s = std::process::ExitStatus::from_raw(raw);
        *status = Some(s);
        Ok(Some(s))
    }

    /// Its exit status if it has exited (never blocks).
    pub fn try_wait(&mut self) -> io::Result<Option<std::process::ExitStatus>> {
        match self {
            ChildProc::Spawned(c) => c.try_wait(),
            ChildProc::Adopted { .. } => self.waitpid(Some(nix::sys::wait::WaitPidFlag::WNOHANG)),
        }
    }

    /// Waits up to `within` for it to exit: its status, None if it still runs then.
    pub fn wait_within(
        &mut self,
        within: Duration,
    ) -> io::Result<Option<std::process::ExitStatus>> {
        let pid = self.id();
        exited_within(pid, within, || self.try_wait())
    }

    /// Waits for it to exit.
    pub fn wait(&mut self) -> io::Result<std::process::ExitStatus> {
        match self {
            ChildProc::Spawned(c) => c.wait(),
            ChildProc::Adopted { .. } => self
                .waitpid(None)?
                .ok_or_else(|| io::Error::other("waitpid returned no status")),
        }
    }

    /// SIGKILL (nothing once it has been reaped).
    pub fn kill(&mut self) -> io::Result<()> {
        match self {
            ChildProc::Spawned(c) => c.kill(),
            ChildProc::Adopted {
                status: Some(_), ..
            } => Ok(()),
            ChildProc::Adopted { pid, .. } => signal(*pid as i32, libc::SIGKILL),
        }
    }
}

/// A descriptor that becomes readable once process `pid` has exited (pidfd_open(2),
/// Linux 5.3): what lets a parent wait for a child's exit and for messages in one poll
/// instead of trying waitpid again and again.
pub fn exit_fd(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel has just returned to us, owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Waits until one of `fds` is readable or hung up, at most `within` (None: as long as
/// it takes); for each, whether it is.
pub fn wait_readable(fds: &[std::os::fd::BorrowedFd], within: Option<Duration>) -> Vec<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut set: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    let timeout = match within {
        // Rounded up: a wait of 0.3 ms must not become a busy loop of zero-length polls.
        Some(d) => PollTimeout::try_from(d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX),
        None => PollTimeout::NONE,
    };
    match poll(&mut set, timeout) {
        Ok(n) if n > 0 => set
            .iter()
            .map(|p| p.revents().is_some_and(|r| !r.is_empty()))
            .collect(),
        _ => vec![false; fds.len()],
    }
}

/// Waits up to `within` for process `pid` to exit, asking `try_wait` for its status (the
/// caller's waitpid, which reaps it): its status, or None when it is still running then.
pub fn exited_within(
    pid: u32,
    within: Duration,
    mut try_wait: impl FnMut() -> io::Result<Option<std::process::ExitStatus>>,
) -> io::Result<Option<std::process::ExitStatus>> {
    if let Some(s) = try_wait()? {
        return Ok(Some(s));
    }
    let end = Instant::now() + within;
    // A kernel without pidfd_open (before 5.3): short sleeps instead.
    let fd = exit_fd(pid).ok();
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match &fd {
            Some(fd) => {
                wait_readable(&[std::os::fd::AsFd::as_fd(fd)], Some(left));
            }
            None => std::thread::sleep(left.min(Duration::from_millis(10))),
        }
        if let Some(s) = try_wait()? {
            return Ok(Some(s));
        }
        if left.is_zero() {
            return Ok(None);
        }
    }
}

/// Starts `cmd` with `fd` inherited as descriptor 3 (the only one not closed on exec).
/// A command that runs this very program image, whatever has become of the file it was
/// started from: a package that replaced the executable (before `keepalived-rs upgrade`)
/// must not give a running daemon children of another version, which could not read
/// their configuration. `path` is shown as `argv[0]`; the child names itself after it
/// (see [`name_after_argv0`]).
pub fn this_program(path: &std::path::Path) -> Command {
    use std::os::unix::process::CommandExt;
    let me = std::path::Path::new("/proc/self/exe");
    if me.exists() {
        let mut cmd = Command::new(me);
        cmd.arg0(path);
        cmd
    } else {
        Command::new(path)
    }
}

/// A child started through /proc/self/exe is named "exe" by the kernel: it takes the
/// name of its `argv[0]` again (what ps and top show, as for the parent).
pub fn name_after_argv0() {
    let Ok(comm) = std::fs::read_to_string("/proc/self/comm") else {
        return;
    };
    if comm.trim_end() != "exe" {
        return;
    }
    let Some(arg0) = std::env::args_os().next() else {
        return;
    };
    let base = std::path::Path::new(&arg0)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = base.chars().take(15).collect();
    if let Ok(c) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&c);
    }
}

pub fn spawn_with_fd(mut cmd: Command, fd: OwnedFd) -> io::Result<Child> {
    let raw = fd.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls: dup2 (which clears
    // FD_CLOEXEC on the copy) and fcntl; no allocation.
    unsafe {
        cmd.pre_exec(move || {
            if raw == 3 {
                let fl = libc::fcntl(3, libc::F_GETFD);
                if fl < 0 || libc::fcntl(3, libc::F_SETFD, fl & !libc::FD_CLOEXEC) < 0 {
                    return Err(io::Error::last_os_error());
                }
            } else if libc::dup2(raw, 3) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn();
    drop(fd);
    child
}

/// Gives the memory freed after a large one-off job (parsing the configuration) back to
/// the system, so that the long-running process does not keep its peak. glibc only.
pub fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks glibc's own heap; no pointer of ours is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Large allocations (a configuration's encoding, a long message's buffer) in mappings of
/// their own, always: glibc otherwise raises its mmap threshold once the first such block
/// is freed and places the later ones inside the heap, where the small allocations made
/// around them keep those pages from ever being given back. glibc only.
pub fn large_allocations_apart() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes glibc's allocator settings; setting M_MMAP_THRESHOLD
    // also turns its dynamic adjustment off.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// In a child: SIGTERM when the parent dies (and at once if it already has).
pub fn die_with_parent(parent: libc::pid_t) {
    use nix::sys::signal::{raise, Signal};
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
    if nix::unistd::getppid().as_raw() != parent {
        let _ = raise(Signal::SIGTERM);
    }
}

/// keepalived xdaemon: fork (the parent exits), setsid, chdir /, stdio to /dev/null.
/// Must run before any thread starts.
pub fn daemonize() -> io::Result<()> {
    // SAFETY: called at start-up, single-threaded: the child is a complete copy.
    match unsafe { libc::fork() } {
        -1 => return Err(io::Error::last_os_error()),
        0 => {}
        // SAFETY: the parent leaves at once without running destructors or atexit handlers.
        _ => unsafe { libc::_exit(0) },
    }
    nix::unistd::setsid()?;
    let _ = nix::unistd::chdir("/");
    use nix::fcntl::{open, OFlag};
    if let Ok(null) = open("/dev/null", OFlag::O_RDWR, nix::sys::stat::Mode::empty()) {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
    Ok(())
}

/// CLOCK_MONOTONIC in microseconds (what sd_notify's MONOTONIC_USEC carries).
pub fn monotonic_usec() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    let ts = clock_gettime(ClockId::CLOCK_MONOTONIC).unwrap_or(nix::sys::time::TimeSpec::new(0, 0));
    ts.tv_sec() as u64 * 1_000_000 + ts.tv_nsec() as u64 / 1_000
}

/// Whether a process with this pid exists (kill(pid, 0)).
pub fn alive(pid: i32) -> bool {
    // Signal 0 only checks for existence and permission.
    pid > 0 && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Sends `sig` to `pid` (the parent forwarding SIGUSR1 / SIGUSR2 to its child).
pub fn signal(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) with a pid we started and a valid signal number.
    if unsafe { libc::kill(pid, sig) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Blocks (`on`) or unblocks `sigs` for this thread. An upgrade in place blocks the signals
/// the parent handles across its exec, so that one arriving meanwhile waits for the new
/// program's handlers instead of taking its default action.
pub fn block_signals(sigs: &[libc::c_int], on: bool) {
    // SAFETY: a sigset_t built with sigemptyset/sigaddset, passed to pthread_sigmask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        let how = if on {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

/// Replaces this process with `exe` run with `args` (`argv[0]` included), keeping the signal
/// mask and every descriptor without FD_CLOEXEC. Returns only on failure.
pub fn exec(exe: &std::path::Path, args: &[String]) -> io::Error {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = CString::new(exe.as_os_str().as_bytes()) else {
        return io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path");
    };
    let Ok(argv) = args
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return io::Error::new(io::ErrorKind::InvalidInput, "a NUL in an argument");
    };
    match nix::unistd::execv(&path, &argv) {
        Err(e) => e.into(),
        Ok(never) => match never {},
    }
}

/// keepalived's dispositions, except for `handled`: left as they are (blocked, in the
/// program an upgrade in place started, until its handlers are in place).
pub fn ignore_signals_except(handled: &[libc::c_int]) {
    for sig in 1..=libc::SIGRTMAX() {
        if !KEEP_DEFAULT.contains(&sig) && !handled.contains(&sig) {
            set_disposition(sig, libc::SIG_IGN);
        }
    }
}

/// Signals whose default action is kept in every process: those that report a bug in the
/// process itself (ILL, FPE, SEGV, BUS), the two that cannot be caught (KILL, STOP), and
/// CHLD (ignoring it would make the kernel reap children before waitpid sees them).
const KEEP_DEFAULT: [libc::c_int; 7] = [
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGCHLD,
];

fn set_disposition(sig: libc::c_int, handler: libc::sighandler_t) {
    // SAFETY: a zeroed sigaction with an empty mask and SIG_IGN or SIG_DFL as handler is a
    // valid argument; no Rust code runs as a handler. Numbers the C library reserves
    // (32, 33) or that cannot be changed are refused with EINVAL, which is ignored.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler;
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(sig, &act, std::ptr::null_mut());
    }
}

/// keepalived's dispositions (lib/signals.c signal_handler_parent_init, used by its parent
/// and children alike): every signal from 1 to SIGRTMAX is ignored, except those in
/// `KEEP_DEFAULT`. Called first thing in each process; the signals a process acts on are
/// then taken over by its handlers (signal-hook), so no signal a monitoring tool sends
/// (SIGJSON = 36, STATS_CLEAR = 63, SIGQUIT, SIGALRM, SIGTSTP…) can stop or suspend it.
pub fn ignore_signals() {
    for sig in 1..=libc::SIGRTMAX() {
        if !KEEP_DEFAULT.contains(&sig) {
            set_disposition(sig, libc::SIG_IGN);
        }
    }
}

/// In a process about to exec something else (a script): every disposition back to its
/// default and an empty signal mask, as keepalived's signal_handler_script does, so that
/// the script does not inherit the daemon's ignored signals. Only async-signal-safe calls.
pub fn default_signals() {
    for sig in 1..=libc::SIGRTMAX() {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            set_disposition(sig, libc::SIG_DFL);
        }
    }
    use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

/// Runs `f` in a forked copy of this process and returns what it returned: the copy's
/// memory (a configuration's parse, at its peak several times the model it yields) is the
/// copy's, given back whole when it exits, and a panic or a crash in `f` is an error here
/// instead of this process's end. The copy dies with this process.
///
/// Only from a single-threaded process (the copy has this thread alone).
pub fn apart<T: Serialize + DeserializeOwned>(f: impl FnOnce() -> T) -> io::Result<T> {
    use std::io::{Read, Write};
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let parent = nix::unistd::getpid().as_raw();
    // SAFETY: the callers are single-threaded (the daemon's parent); the copy runs `f` and
    // leaves with _exit, never returning into the caller's frames.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            drop(read_end);
            die_with_parent(parent);
            // Signals sent to the whole group (a service manager's stop) end the copy
            // instead of reaching the parent's handlers through the descriptors it shares.
            default_signals();
            // What comes back: the value, or what the panic said (the hook's words go to
            // a standard error that a daemon has sent to /dev/null).
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            });
            let code = match codec::encode_whole(&result) {
                Ok(bytes) => {
                    drop(result);
                    let mut out = std::fs::File::from(write_end);
                    if out.write_all(&bytes).is_ok() {
                        0
                    } else {
                        3
                    }
                }
                Err(_) => 2,
            };
            // SAFETY: leaves the copy without running the parent's destructors or
            // atexit handlers.
            unsafe { libc::_exit(code) }
        }
        pid => {
            drop(write_end);
            let mut bytes = Vec::new();
            let read = std::fs::File::from(read_end).read_to_end(&mut bytes);
            let status = loop {
                match nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    other => break other,
                }
            };
            use nix::sys::wait::WaitStatus;
            match status.map_err(io::Error::from)? {
                WaitStatus::Exited(_, 0) => {}
                WaitStatus::Exited(_, 2) => {
                    return Err(io::Error::other(format!(
                        "process {pid} could not encode its result"
                    )))
                }
                WaitStatus::Exited(_, c) => {
                    return Err(io::Error::other(format!("process {pid} exited with {c}")))
                }
                WaitStatus::Signaled(_, sig, _) => {
                    return Err(io::Error::other(format!(
                        "process {pid} was killed by {sig}"
                    )))
                }
                other => return Err(io::Error::other(format!("process {pid}: {other:?}"))),
            }
            read?;
            match codec::decode_whole::<Result<T, String>>(&bytes) {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(said)) => Err(io::Error::other(format!("process {pid} panicked: {said}"))),
                Err(e) => Err(io::Error::other(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerState, ToChild};

    fn servers(n: usize) -> ToChild {
        ToChild::Servers(
            (0..n)
                .map(|i| ServerState {
                    vs: format!("[10.62.{}.{}]:tcp:80", i / 250, i % 250),
                    rs: format!("[10.61.{}.{}]:tcp:80", i / 250, i % 250),
                    alive: i % 3 == 0,
                    dynamic_weight: None,
                })
                .collect(),
        )
    }

    fn recv_within(ch: &Channel) -> ToChild {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            match ch.recv::<ToChild>().unwrap() {
                Some(m) => return m,
                None if Instant::now() < end => {
                    ch.wait_readable(Some(end - Instant::now()));
                }
                None => panic!("no message"),
            }
        }
    }

    #[test]
    fn work_done_apart_comes_back_and_its_failures_are_errors() {
        let v: Vec<String> = apart(|| (0..1000).map(|i| format!("line {i}")).collect()).unwrap();
        assert_eq!(v.len(), 1000);
        assert_eq!(v[999], "line 999");
        // Its memory is its own: 128 MiB touched there does not raise this process's peak
        // (the other tests here hold a few MiB at most).
        let peak = || {
            let s = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
            line.split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        };
        let before = peak();
        let n: usize = apart(|| vec![7u8; 128 << 20].iter().map(|&b| b as usize).sum()).unwrap();
        assert_eq!(n, 7 * (128 << 20));
        let grew = peak() - before;
        assert!(grew < 64 << 10, "this process's peak grew by {grew} kB");
        let e = apart::<u32>(|| panic!("a bad line")).unwrap_err();
        assert!(e.to_string().contains("panicked: a bad line"), "{e}");
        let e = apart::<u32>(|| panic!("line {}", 7)).unwrap_err();
        assert!(e.to_string().contains("panicked: line 7"), "{e}");
        let e = apart::<u32>(|| {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            0
        })
        .unwrap_err();
        assert!(e.to_string().contains("SIGKILL"), "{e}");
    }

    #[test]
    fn a_child_is_waited_for_without_polling() {
        // One that exits: seen at its exit, long before the deadline.
        let mut c = ChildProc::Spawned(Command::new("sleep").arg("0.2").spawn().unwrap());
        let t = Instant::now();
        let s = c.wait_within(Duration::from_secs(30)).unwrap();
        assert!(s.is_some_and(|s| s.success()), "{s:?}");
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
        // Reaped once: asked again, the same status.
        assert_eq!(c.try_wait().unwrap(), s);
        // One that runs on: None once the time is up, not before.
        let mut c = ChildProc::Spawned(Command::new("sleep").arg("30").spawn().unwrap());
        let t = Instant::now();
        assert_eq!(c.wait_within(Duration::from_millis(150)).unwrap(), None);
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
        c.kill().unwrap();
        let s = c.wait_within(Duration::from_secs(30)).unwrap();
        assert!(s.is_some_and(|s| !s.success()), "{s:?}");
        // No such process: no descriptor.
        assert!(exit_fd(u32::MAX >> 2).is_err());
    }

    #[test]
    fn a_channel_wakes_its_reader() {
        let (a, b) = Channel::pair().unwrap();
        // SAFETY: `b` is the other end of a pair just made, owned by nothing else.
        let b = unsafe { Channel::from_inherited(std::os::fd::IntoRawFd::into_raw_fd(b)) }.unwrap();
        let t = Instant::now();
        assert!(!b.wait_readable(Some(Duration::from_millis(50))));
        assert!(t.elapsed() >= Duration::from_millis(50));
        a.send(&ToChild::Go).unwrap();
        assert!(b.wait_readable(Some(Duration::from_secs(30))));
        assert_eq!(b.recv::<ToChild>().unwrap(), Some(ToChild::Go));
        // The other side gone: readable at once, and recv says so.
        drop(a);
        assert!(b.wait_readable(None));
        let e = b.recv::<ToChild>().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn long_messages_travel_in_fragments() {
        let (a, b) = Channel::pair().unwrap();
        // SAFETY: `b` is the other end of a pair just made, owned by nothing else.
        let b = unsafe { Channel::from_inherited(std::os::fd::IntoRawFd::into_raw_fd(b)) }.unwrap();
        // 40,000 real servers: megabytes, more than the socket buffer holds, so the
        // sender waits for the reader between fragments.
        let big = servers(40_000);
        let sent = big.clone();
        // The first datagram of each may find the channel full (the reader not there
        // yet): send_waiting waits for room, as the daemon's senders of such lists do.
        let t = std::thread::spawn(move || {
            a.send_waiting(&sent, Duration::from_secs(10)).unwrap();
            a.send_waiting(&ToChild::Go, Duration::from_secs(10))
                .unwrap();
            a
        });
        assert_eq!(recv_within(&b), big);
        assert_eq!(recv_within(&b), ToChild::Go);
        let a = t.join().unwrap();
        // A short one still travels whole.
        a.send(&servers(3)).unwrap();
        assert_eq!(recv_within(&b), servers(3));
    }

    #[test]
    fn an_unfinished_message_is_dropped_when_the_next_begins() {
        let (a, b) = Channel::pair().unwrap();
        // SAFETY: as above.
        let b = unsafe { Channel::from_inherited(std::os::fd::IntoRawFd::into_raw_fd(b)) }.unwrap();
        // The first fragment of a message whose sender gave up, then a whole message.
        a.send_datagram(&[FIRST, 0, 0, 1, 0], &[7; 100]).unwrap();
        a.send(&ToChild::Go).unwrap();
        assert_eq!(recv_within(&b), ToChild::Go);
        // A fragment with no beginning, or of no known kind: an error, then on as before.
        a.send_datagram(&[MORE], &[1, 2, 3]).unwrap();
        assert_eq!(
            b.recv::<ToChild>().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        a.send_datagram(&[9], &[]).unwrap();
        assert!(b.recv::<ToChild>().is_err());
        a.send(&ToChild::Stop).unwrap();
        assert_eq!(recv_within(&b), ToChild::Stop);
        // A length beyond the bound is refused before anything is allocated.
        a.send_datagram(&[FIRST, 0xff, 0xff, 0xff, 0xff], &[0])
            .unwrap();
        assert!(b.recv::<ToChild>().is_err());
    }
}
