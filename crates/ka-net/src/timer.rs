//! A timerfd for the event loops: epoll's own timeout counts whole milliseconds (mio
//! rounds up), which would make every advert up to 1 ms late and let the lateness add
//! up interval after interval. A timerfd wakes the loop with nanosecond resolution.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFlags, TimerSetTimeFlags};

pub struct TimerFd {
    fd: nix::sys::timerfd::TimerFd,
}

impl TimerFd {
    pub fn new() -> io::Result<TimerFd> {
        Ok(TimerFd {
            fd: nix::sys::timerfd::TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )?,
        })
    }

    /// Fires once after `after` (None disarms). A zero wait fires at once.
    pub fn set(&self, after: Option<Duration>) -> io::Result<()> {
        match after {
            // A zero it_value would disarm: use the smallest wait instead.
            Some(d) => self.fd.set(
                Expiration::OneShot(TimeSpec::from_duration(d.max(Duration::from_nanos(1)))),
                TimerSetTimeFlags::empty(),
            )?,
            None => self.fd.unset()?,
        }
        Ok(())
    }

    /// Clears a fired timer (so that the descriptor is no longer readable).
    pub fn clear(&self) {
        // A non-blocking read of an unfired timer fails with EAGAIN, which is fine.
        let _ = self.fd.wait();
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_fd().as_raw_fd()
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
