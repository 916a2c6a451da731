//! vrrp_track_process on the virtual clock: keepalived's matching (track_process.c
//! check_params), quorum and quorum_max, fork and terminate delays.

use std::time::Duration;

use ka_config::model::{ParamMatch, TrackProcess};
use ka_vrrp::track_process::{ProcessConfig, ProcessTracker};
use ka_vrrp::Time;

fn model(process: &[&str]) -> TrackProcess {
    TrackProcess {
        name: "tp".into(),
        process: process.iter().map(|s| s.to_string()).collect(),
        param_match: ParamMatch::Any,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        delay: Duration::ZERO,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
    }
}

fn s(secs: f64) -> Time {
    Time((secs * 1e6) as u64)
}

#[test]
fn a_name_matches_exactly_never_as_a_pattern() {
    let c = ProcessConfig::from_model(&model(&["ssh"]));
    assert!(c.matches("ssh", b"ssh\0-v\0"));
    assert!(!c.matches("sshd", b"sshd\0"));
    assert!(!c.needs_cmdline());
}

#[test]
fn parameters_mean_the_command_line_is_matched_as_param_match_says() {
    let exact = ProcessConfig::from_model(&model(&["/usr/sbin/haproxy", "-f", "a.cfg"]));
    assert!(exact.needs_cmdline());
    assert_eq!(exact.param_match, ParamMatch::Exact);
    assert!(exact.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfg\0"));
    assert!(!exact.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfg\0-D\0"));
    assert!(!exact.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfgx\0"));
    assert!(!exact.matches("haproxy", b"haproxy\0-f\0a.cfg\0"));

    let mut m = model(&["/usr/sbin/haproxy", "-f", "a.cfg"]);
    m.param_match = ParamMatch::Partial;
    let partial = ProcessConfig::from_model(&m);
    assert!(partial.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfg\0-D\0"));
    assert!(!partial.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfgx\0"));

    m.param_match = ParamMatch::Initial;
    let initial = ProcessConfig::from_model(&m);
    assert!(initial.matches("haproxy", b"/usr/sbin/haproxy\0-f\0a.cfgx\0"));
    assert!(!initial.matches("haproxy", b"/usr/sbin/haproxy\0-x\0a.cfg\0"));

    // A bare param_match: the command must have no parameters.
    let mut bare = model(&["/bin/sleep"]);
    bare.param_match = ParamMatch::Exact;
    let bare = ProcessConfig::from_model(&bare);
    assert!(bare.matches("sleep", b"/bin/sleep\0"));
    assert!(!bare.matches("sleep", b"/bin/sleep\x001000\0"));
    // full_command alone: the command, whatever its parameters.
    let mut full = model(&["/bin/sleep"]);
    full.full_command = true;
    let full = ProcessConfig::from_model(&full);
    assert!(full.matches("sleep", b"/bin/sleep\x001000\0"));
    assert!(!full.matches("sleep", b"sleep\x001000\0"));
}

#[test]
fn quorum_without_delays_follows_the_count_at_once() {
    let mut m = model(&["nginx"]);
    m.quorum = 2;
    let mut t = ProcessTracker::new(ProcessConfig::from_model(&m));
    assert_eq!(t.start([10]), Some(false));
    assert_eq!(t.exec(11), Some(true));
    assert_eq!(t.exec(11), None, "a process counted twice");
    assert_eq!(t.exec(12), None);
    assert_eq!(t.exited(s(1.0), 12), None);
    assert_eq!(t.exited(s(1.0), 99), None, "not one of ours");
    assert_eq!(t.exited(s(1.0), 10), Some(false));
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn quorum_max_is_down_above_it() {
    let mut m = model(&["nginx"]);
    m.quorum_max = Some(1);
    let mut t = ProcessTracker::new(ProcessConfig::from_model(&m));
    assert_eq!(t.start([]), Some(false));
    assert_eq!(t.exec(1), Some(true));
    assert_eq!(t.exec(2), Some(false));
    assert_eq!(t.no_longer(2), Some(true));
}

#[test]
fn terminate_delay_hides_a_restart_and_reports_a_real_stop_late() {
    let mut m = model(&["haproxy"]);
    m.terminate_delay = Some(Duration::from_secs(2));
    let mut t = ProcessTracker::new(ProcessConfig::from_model(&m));
    assert_eq!(t.start([100]), Some(true));
    // A restart: gone, back within the delay: nothing reported.
    assert_eq!(t.exited(s(10.0), 100), None);
    assert_eq!(t.next_deadline(), Some(s(12.0)));
    assert_eq!(t.exec(101), None);
    assert_eq!(t.next_deadline(), None);
    assert_eq!(t.tick(s(12.0)), None);
    // A stop: reported when the delay is over, not before.
    assert_eq!(t.exited(s(20.0), 101), None);
    assert_eq!(t.tick(s(21.9)), None);
    assert_eq!(t.tick(s(22.0)), Some(false));
    // No longer matching (another program): no delay.
    assert_eq!(t.exec(102), Some(true));
    assert_eq!(t.no_longer(102), Some(false));
}

#[test]
fn fork_delay_reports_a_quorum_gained_by_a_fork_late() {
    let mut m = model(&["worker"]);
    m.quorum = 2;
    m.delay = Duration::from_secs(1);
    let mut t = ProcessTracker::new(ProcessConfig::from_model(&m));
    assert_eq!(t.start([1]), Some(false));
    assert_eq!(t.fork(s(5.0), 2), None);
    assert_eq!(t.next_deadline(), Some(s(6.0)));
    assert_eq!(t.tick(s(6.0)), Some(true));
    // A fork whose child exits within the delay is never reported.
    assert_eq!(t.exited(s(7.0), 2), None, "terminate delay (from delay)");
    assert_eq!(t.tick(s(8.0)), Some(false));
    assert_eq!(t.fork(s(9.0), 3), None);
    assert_eq!(t.exited(s(9.5), 3), None);
    assert_eq!(
        t.next_deadline(),
        None,
        "the fork delay is cancelled by the exit"
    );
    assert_eq!(t.status(), Some(false));
    // An exec reaching the quorum is not delayed.
    assert_eq!(t.exec(4), Some(true));
}

/// One read of /proc at a time (what the VRRP child feeds it): the first starts the
/// tracker; then an exit, a fork of a counted process (fork_delay) and an exec are told
/// apart by who is gone and who the parent is.
#[test]
fn reads_of_proc_tell_exits_forks_and_execs_apart() {
    let mut m = model(&["worker"]);
    m.quorum = 2;
    m.fork_delay = Some(Duration::from_secs(1));
    let mut t = ProcessTracker::new(ProcessConfig::from_model(&m));
    // pid 1 (init) is not a worker; 10 is.
    assert_eq!(
        t.observe(s(0.0), &[(1, 0, false), (10, 1, true)]),
        Some(false)
    );
    // 11, a child of the counted 10: a fork, reported after fork_delay.
    assert_eq!(
        t.observe(s(1.0), &[(1, 0, false), (10, 1, true), (11, 10, true)]),
        None
    );
    assert_eq!(t.count(), 2);
    assert_eq!(t.tick(s(2.0)), Some(true));
    // 11 runs another program: at once; 12, started by init: an exec, at once.
    assert_eq!(
        t.observe(s(3.0), &[(1, 0, false), (10, 1, true), (11, 10, false)]),
        Some(false)
    );
    assert_eq!(
        t.observe(s(4.0), &[(1, 0, false), (10, 1, true), (12, 1, true)]),
        Some(true)
    );
    // 10 gone: an exit (no terminate delay here).
    assert_eq!(
        t.observe(s(5.0), &[(1, 0, false), (12, 1, true)]),
        Some(false)
    );
    assert_eq!(
        t.observe(s(6.0), &[(1, 0, false), (12, 1, true)]),
        None,
        "no change, nothing said"
    );
}
