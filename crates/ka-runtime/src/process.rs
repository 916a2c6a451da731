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
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    let r = unsafe { libc::prctl(libc::PR_SET_NAME, b.as_ptr() as libc::c_ulong, 0, 0, 0) };
    if let Err(e) = check(r) {
        log::warn!("Unable to set the process name to {name} - {e}");
    }
}

/// The daemon's umask (global `umask`), inherited by the children and their scripts.
pub fn set_umask(mask: u32) {
    // SAFETY: umask only changes this process's file mode creation mask.
    unsafe { libc::umask(mask as libc::mode_t) };
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
                    let rl = libc::rlimit {
                        rlim_cur: libc::rlim_t::from(limit / 2),
                        rlim_max: libc::rlim_t::from(limit),
                    };
                    // SAFETY: setrlimit with a valid rlimit for this process.
                    let r = unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &rl) };
                    if let Err(e) = check(r) {
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
        // SAFETY: mlockall takes flags only.
        let r = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
        if let Err(e) = check(r) {
            log::warn!("Unable to lock process in memory - {e}");
        }
    }
    if !s.cpu_affinity.is_empty() {
        // SAFETY: a zeroed cpu_set_t filled with CPU_SET, handed to sched_setaffinity.
        let r = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &c in &s.cpu_affinity {
                if (c as usize) < libc::CPU_SETSIZE as usize {
                    libc::CPU_SET(c as usize, &mut set);
                }
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if let Err(e) = check(r) {
            log::warn!("Unable to set cpu affinity to {:?} - {e}", s.cpu_affinity);
        }
    }
}
