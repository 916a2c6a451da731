//! What the checker child holds per real server once prepared, counted by the allocator:
//! the figure bench/vm-reload.sh compares with keepalived 2.2.7 in the IPVS VM (there,
//! keepalived's parent and checker together held some 850 bytes more per real server
//! with a TCP_CHECK; keepalived-rs's parent holds some 250 of its own: the encoded
//! configuration and each server's last state). A regression here shows before the VM.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Bytes allocated and not freed by this thread (the test's, alone in its binary).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // try_with: a thread's allocations after its locals are gone are not counted.
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

// SAFETY: every call is passed to the system allocator unchanged; the counting only
// touches a const-initialised thread-local cell, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size() as isize);
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        count(-(l.size() as isize));
        // SAFETY: `p` was allocated by System with `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        count(new as isize - l.size() as isize);
        // SAFETY: `p` was allocated by System with `l`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// A configuration of `n` real servers, 16 per virtual server, each with a TCP_CHECK
/// (bench/vm-reload.sh's).
fn config(n: usize) -> String {
    let mut s = String::from("global_defs {\n    router_id bench\n}\n");
    for v in 0..n / 16 {
        s += &format!(
            "virtual_server 10.62.{}.{} 80 {{\n delay_loop 6\n lb_algo rr\n lb_kind NAT\n protocol TCP\n",
            v / 250,
            v % 250 + 1
        );
        for r in 0..16 {
            let i = v * 16 + r;
            s += &format!(
                " real_server 10.61.{}.{} 80 {{\n  TCP_CHECK {{\n   connect_timeout 3\n  }}\n }}\n",
                i / 250,
                i % 250 + 1
            );
        }
        s += "}\n";
    }
    s
}

/// Bytes the prepared checker holds with `n` real servers, from its configuration as the
/// child receives it (encoded) to CheckProcess::new's result.
fn held(n: usize) -> isize {
    let loaded = ka_config::parse_str("bench.conf", &config(n), &Default::default());
    assert_eq!(loaded.errors(), 0);
    let blob = ka_ipc::codec::encode_config(&loaded.config).unwrap();
    drop(loaded);
    let before = live();
    let cfg = ka_ipc::codec::decode_config(&blob).unwrap();
    let process = ka_check_child::CheckProcess::new(cfg).unwrap();
    let held = live() - before;
    drop(process);
    held
}

#[test]
fn the_prepared_checker_holds_at_most_400_bytes_per_real_server() {
    let (small, large) = (400, 2000);
    let per = (held(large) - held(small)) / (large - small) as isize;
    eprintln!("{per} bytes per real server");
    assert!(per <= 400, "{per} bytes per real server");
}
