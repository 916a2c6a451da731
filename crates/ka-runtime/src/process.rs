//! How a process runs (keepalived's per-process keywords, lib/process.c
//! set_process_priorities and set_process_cpu_affinity): its name, nice value, SCHED_RR
//! priority with RLIMIT_RTTIME, memory lock and CPUs. Applied by each child once it has
//! loaded the configuration and opened its sockets; a setting the kernel refuses is said
//! once and the rest still applied, as keepalived does.

use std::io;

use ka_config::model::ProcessSettings;

fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The process name (`comm`, as `ps` and `top` show it): at most 15 bytes.
pub fn set_name(name: &str) {
    let mut b: Vec<u8> = name.bytes().filter(|&c| c != 0).take(15).collect();
    b.push(0);
    let Ok(c) = std::ffi::CStr::from_bytes_with_nul(&b) else {
        return;
    };
    if let Err(e) = nix::sys::prctl::set_name(c) {
        log::warn!("Unable to set the process name to {name} - {e}");
    }
}

/// The daemon's umask (global `umask`), inherited by the children and their scripts.
/// Enters the network namespace /run/netns/NAME (`net_namespace`, keepalived
/// set_namespaces): every socket and child from here on is in it.
pub fn enter_netns(name: &str) -> std::io::Result<()> {
    let f = std::fs::File::open(format!("/run/netns/{name}"))?;
    nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
}

pub fn set_umask(mask: u32) {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        mask as libc::mode_t,
    ));
}

/// SCHED_RR at `rt` (with SCHED_RESET_ON_FORK: the scripts a child starts run at normal
/// priority), and RLIMIT_RTTIME at `limit` µs if given; false if the kernel refused.
fn set_rr(rt: u32, limit: Option<u32>) -> bool {
    let sp = libc::sched_param {
        sched_priority: rt as libc::c_int,
    };
    // SAFETY: sched_setscheduler on this process with a valid sched_param.
    let r = unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &sp) };
    if let Err(e) = check(r) {
        log::warn!("child process: cannot raise priority (SCHED_RR {rt}) - {e}");
        return false;
    }
    if let Some(limit) = limit {
        // keepalived: the soft limit at half, to be warned before the kill.
        use nix::sys::resource::{setrlimit, Resource};
        let r = setrlimit(
            Resource::RLIMIT_RTTIME,
            libc::rlim_t::from(limit / 2),
            libc::rlim_t::from(limit),
        );
        if let Err(e) = r {
            log::warn!("child process cannot set realtime rlimit - {e}");
        }
    }
    true
}

/// keepalived's `max_auto_priority` (lib/process.c increment_process_priority): a child
/// whose loop wakes more than `min_auto_priority_delay` after its earliest deadline is
/// being starved, and moves to SCHED_RR, one priority step higher at each such wake-up,
/// up to the maximum.
#[derive(Clone, Debug)]
pub struct AutoPriority {
    max: u32,
    min_delay: std::time::Duration,
    /// The SCHED_RR priority in force (0: not real-time).
    current: u32,
    /// RLIMIT_RTTIME to set with the first step, when none is set yet.
    rlimit: Option<u32>,
}

impl AutoPriority {
    /// From the child's settings (`max_auto_priority` 0: never raised, but late wake-ups
    /// are still logged past the delay, as keepalived does).
    pub fn new(s: &ProcessSettings) -> Self {
        AutoPriority {
            max: s.max_auto_priority,
            min_delay: std::time::Duration::from_micros(u64::from(
                s.min_auto_priority_delay.unwrap_or(1_000_000),
            )),
            current: s.rt_priority.unwrap_or(0),
            rlimit: if s.rt_priority.is_some() {
                None
            } else {
                s.rlimit_rttime
            },
        }
    }

    /// The loop woke `late` after its earliest deadline: the SCHED_RR priority to move to,
    /// if this is a step (the first is SCHED_RR's minimum, 1). Pure: [`Self::woke_late`]
    /// applies it.
    pub fn step(&mut self, late: std::time::Duration) -> Option<u32> {
        if late <= self.min_delay || self.max == 0 || self.current >= self.max {
            return None;
        }
        self.current = if self.current == 0 {
            1
        } else {
            self.current + 1
        };
        Some(self.current)
    }

    /// Whether `late` is past the delay (worth keepalived's log line).
    pub fn is_late(&self, late: std::time::Duration) -> bool {
        late > self.min_delay
    }

    /// Logs a late wake-up and raises the priority by a step if there is one to take.
    pub fn woke_late(&mut self, late: std::time::Duration) {
        if !self.is_late(late) {
            return;
        }
        log::info!(
            "A thread timer expired {}.{:06} seconds ago",
            late.as_secs(),
            late.subsec_micros()
        );
        if let Some(p) = self.step(late) {
            if set_rr(p, self.rlimit.take()) {
                log::info!("Set realtime priority {p}");
            } else {
                // Refused (no CAP_SYS_NICE): do not try again at every late wake-up.
                self.max = 0;
            }
        }
    }
}

/// Everything `s` asks for, in keepalived's order.
pub fn apply(s: &ProcessSettings) {
    if let Some(name) = &s.name {
        set_name(name);
    }
    if let Some(rt) = s.rt_priority {
        set_rr(rt, s.rlimit_rttime);
    } else if let Some(nice) = s.priority {
        // SAFETY: setpriority on this process.
        let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        if let Err(e) = check(r) {
            log::warn!("Unable to set process priority to {nice} - {e}");
        }
    }
    if s.no_swap {
        // MCL_ONFAULT: pages are locked as they are touched, not all of the address
        // space at once (keepalived does the same on kernels that have it).
        use nix::sys::mman::{mlockall, MlockAllFlags};
        let r = mlockall(MlockAllFlags::from_bits_retain(
            libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT,
        ));
        if let Err(e) = r {
            log::warn!("Unable to lock process in memory - {e}");
        }
    }
    if !s.cpu_affinity.is_empty() {
        use nix::sched::{sched_setaffinity, CpuSet};
        let mut set = CpuSet::new();
        for &c in &s.cpu_affinity {
            let _ = set.set(c as usize);
        }
        let r = sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
        if let Err(e) = r {
            log::warn!("Unable to set cpu affinity to {:?} - {e}", s.cpu_affinity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(max: u32, delay: Option<u32>, rt: Option<u32>) -> ProcessSettings {
        ProcessSettings {
            max_auto_priority: max,
            min_auto_priority_delay: delay,
            rt_priority: rt,
            ..ProcessSettings::default()
        }
    }

    #[test]
    fn a_step_per_late_wake_up_from_the_minimum_to_the_maximum() {
        let mut a = AutoPriority::new(&settings(3, Some(200_000), None));
        let late = Duration::from_millis(300);
        // On time or within the delay: nothing.
        assert_eq!(a.step(Duration::from_millis(200)), None);
        assert!(!a.is_late(Duration::from_millis(200)));
        assert_eq!(a.step(late), Some(1));
        assert_eq!(a.step(late), Some(2));
        assert_eq!(a.step(late), Some(3));
        assert_eq!(a.step(late), None, "at the maximum");
    }

    #[test]
    fn from_the_configured_priority_and_never_when_off() {
        // Already SCHED_RR 10 (vrrp_rt_priority): the next step is 11.
        let mut a = AutoPriority::new(&settings(12, None, Some(10)));
        assert_eq!(
            a.step(Duration::from_millis(900)),
            None,
            "default delay 1 s"
        );
        assert_eq!(a.step(Duration::from_millis(1001)), Some(11));
        // Above the maximum already: nothing.
        let mut a = AutoPriority::new(&settings(5, None, Some(10)));
        assert_eq!(a.step(Duration::from_secs(5)), None);
        // max_auto_priority 0 (the default): late wake-ups are only logged.
        let mut a = AutoPriority::new(&settings(0, None, None));
        assert!(a.is_late(Duration::from_secs(2)));
        assert_eq!(a.step(Duration::from_secs(2)), None);
    }
}
