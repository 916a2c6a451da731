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
pub fn set_umask(mask: u32) {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        mask as libc::mode_t,
    ));
}

/// Everything `s` asks for, in keepalived's order.
pub fn apply(s: &ProcessSettings) {
    if let Some(name) = &s.name {
        set_name(name);
    }
    if let Some(rt) = s.rt_priority {
        let sp = libc::sched_param {
            sched_priority: rt as libc::c_int,
        };
        // SCHED_RESET_ON_FORK: the scripts this child starts run at normal priority.
        // SAFETY: sched_setscheduler on this process with a valid sched_param.
        let r =
            unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &sp) };
        match check(r) {
            Err(e) => log::warn!("child process: cannot raise priority (SCHED_RR {rt}) - {e}"),
            Ok(()) => {
                if let Some(limit) = s.rlimit_rttime {
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
            }
        }
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
