//! A timerfd for the event loops: epoll's own timeout counts whole milliseconds (mio
//! rounds up), which would make every advert up to 1 ms late and let the lateness add
//! up interval after interval. A timerfd wakes the loop with nanosecond resolution.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub struct TimerFd {
    fd: OwnedFd,
}

impl TimerFd {
    pub fn new() -> io::Result<TimerFd> {
        // SAFETY: plain system call; the descriptor it returns is owned by us from here on.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor nothing else owns.
        Ok(TimerFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Fires once after `after` (None disarms). A zero wait fires at once.
    pub fn set(&self, after: Option<Duration>) -> io::Result<()> {
        let value = match after {
            // A zero it_value would disarm: use the smallest wait instead.
            Some(d) => libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: (d.subsec_nanos().max(u32::from(d.is_zero()))) as libc::c_long,
            },
            None => libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
        };
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: value,
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not asked for.
        let r =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Clears a fired timer (so that the descriptor is no longer readable).
    pub fn clear(&self) {
        let mut n = [0u8; 8];
        // SAFETY: reads at most 8 bytes into `n`; a non-blocking read of an unfired
        // timer fails with EAGAIN, which is fine.
        unsafe {
            libc::read(self.fd.as_raw_fd(), n.as_mut_ptr() as *mut libc::c_void, 8);
        }
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn readable(t: &TimerFd, wait_ms: i32) -> bool {
        let mut p = libc::pollfd {
            fd: t.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, wait_ms) > 0 }
    }

    #[test]
    fn fires_once_after_the_wait_and_clears() {
        let t = TimerFd::new().unwrap();
        let start = Instant::now();
        t.set(Some(Duration::from_micros(1500))).unwrap();
        assert!(readable(&t, 1000));
        assert!(start.elapsed() >= Duration::from_micros(1500));
        t.clear();
        assert!(!readable(&t, 0));
        t.set(Some(Duration::ZERO)).unwrap();
        assert!(readable(&t, 1000), "a zero wait fires at once");
        t.clear();
        t.set(Some(Duration::from_secs(5))).unwrap();
        t.set(None).unwrap();
        assert!(!readable(&t, 20), "disarmed");
    }
}
