//! The checker and server rules one by one, on a virtual clock, each citing the keepalived
//! function it follows.

use std::time::Duration;

use ka_check::checker::{Checker, CheckerAction, CheckerConfig, Outcome};
use ka_check::service::{Action, IpvsOp, Notify, Pool, RsConfig, VsConfig};
use ka_check::Time;

fn s(secs: f64) -> Time {
    Time((secs * 1e6) as u64)
}

fn cfg(retry: u32, alpha: bool) -> CheckerConfig {
    CheckerConfig {
        delay_loop: Duration::from_secs(6),
        retry,
        delay_before_retry: Duration::from_secs(2),
        alpha,
    }
}

/// Runs one probe at its deadline with `outcome`; returns (when it ran, actions).
fn probe(c: &mut Checker, outcome: Outcome) -> (Time, Vec<CheckerAction>) {
    let t = c.next_deadline().expect("a probe is scheduled");
    assert_eq!(c.timer(t), vec![CheckerAction::Probe]);
    (t, c.result(t, outcome))
}

fn fail() -> Outcome {
    Outcome::Failure("connection refused".into())
}

#[test]
fn first_probe_after_warmup_and_first_failure_is_enough_at_start() {
    // check_api.c register_checkers_thread: the first check after 0..warmup;
    // check_data.c: retries start used up, so a server down at start is down at once.
    let mut c = Checker::new(cfg(3, false));
    assert!(c.is_up(), "without alpha a checker starts up");
    c.start(s(0.0), Duration::from_millis(1500));
    assert!(c.timer(s(1.0)).is_empty(), "not before the warmup");
    let (t, acts) = probe(&mut c, fail());
    assert_eq!(t, s(1.5));
    assert_eq!(
        acts,
        vec![CheckerAction::Changed {
            up: false,
            why: "connection refused".into()
        }]
    );
    assert_eq!(c.next_deadline(), Some(s(7.5)), "then every delay_loop");
}

#[test]
fn an_up_checker_retries_then_goes_down() {
    // check_tcp.c tcp_epilog: 1 + retry failures, delay_before_retry apart.
    let mut c = Checker::new(cfg(2, false));
    c.start(s(0.0), Duration::ZERO);
    probe(&mut c, Outcome::Success);
    let (t, acts) = probe(&mut c, fail());
    assert_eq!(t, s(6.0));
    assert!(matches!(
        acts[..],
        [CheckerAction::Retrying { attempt: 1, .. }]
    ));
    assert_eq!(c.next_deadline(), Some(s(8.0)));
    let (_, acts) = probe(&mut c, fail());
    assert!(matches!(
        acts[..],
        [CheckerAction::Retrying { attempt: 2, .. }]
    ));
    let (t, acts) = probe(&mut c, fail());
    assert_eq!(t, s(10.0));
    assert!(matches!(
        acts[..],
        [CheckerAction::Changed { up: false, .. }]
    ));
    assert_eq!(c.next_deadline(), Some(s(16.0)));
    // A down checker keeps probing every delay_loop and says nothing more.
    let (_, acts) = probe(&mut c, fail());
    assert!(acts.is_empty());
    assert_eq!(c.next_deadline(), Some(s(22.0)));
    // One success brings it up.
    let (_, acts) = probe(&mut c, Outcome::Success);
    assert!(matches!(
        acts[..],
        [CheckerAction::Changed { up: true, .. }]
    ));
}

#[test]
fn a_success_resets_the_retries() {
    let mut c = Checker::new(cfg(1, false));
    c.start(s(0.0), Duration::ZERO);
    probe(&mut c, Outcome::Success);
    probe(&mut c, fail());
    probe(&mut c, Outcome::Success);
    let (_, acts) = probe(&mut c, fail());
    assert!(
        matches!(acts[..], [CheckerAction::Retrying { attempt: 1, .. }]),
        "{acts:?}"
    );
    assert!(c.is_up());
}

#[test]
fn alpha_starts_down_until_a_success() {
    let mut c = Checker::new(cfg(1, true));
    assert!(!c.is_up());
    c.start(s(0.0), Duration::ZERO);
    let (_, acts) = probe(&mut c, fail());
    assert!(acts.is_empty(), "already down: nothing to say");
    let (_, acts) = probe(&mut c, Outcome::Success);
    assert_eq!(
        acts,
        vec![CheckerAction::Changed {
            up: true,
            why: String::new()
        }]
    );
}

#[test]
fn misc_dynamic_sets_the_weight_once_per_change() {
    // check_misc.c misc_check_child_thread: exit 2..255 = up with weight exit - 2.
    let mut c = Checker::new(cfg(0, false));
    c.start(s(0.0), Duration::ZERO);
    let (_, acts) = probe(&mut c, Outcome::SuccessWeight(5));
    assert_eq!(acts, vec![CheckerAction::Weight(5)]);
    let (_, acts) = probe(&mut c, Outcome::SuccessWeight(5));
    assert!(acts.is_empty());
    let (_, acts) = probe(&mut c, Outcome::SuccessWeight(9));
    assert_eq!(acts, vec![CheckerAction::Weight(9)]);
}

#[test]
fn one_probe_at_a_time_and_stray_results_are_ignored() {
    let mut c = Checker::new(cfg(1, false));
    assert!(c.result(s(0.0), fail()).is_empty(), "no probe under way");
    c.start(s(0.0), Duration::ZERO);
    assert_eq!(c.timer(s(0.0)), vec![CheckerAction::Probe]);
    assert!(c.timer(s(100.0)).is_empty(), "still probing");
    c.suspend();
    assert!(c.result(s(1.0), fail()).is_empty(), "suspended: forgotten");
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn a_server_that_stops_is_down_within_the_documented_bound() {
    // The bound: delay_loop + retry × delay_before_retry + connect_timeout, for a
    // server that stops at any moment and whose probes then time out (each takes
    // connect_timeout) or are refused (instant).
    let connect_timeout = Duration::from_secs(1);
    for retry in [0u32, 1, 3] {
        for refused in [true, false] {
            for stop_at in [0.1, 2.9, 5.99] {
                let mut c = Checker::new(cfg(retry, false));
                c.start(s(0.0), Duration::ZERO);
                probe(&mut c, Outcome::Success);
                let stop = s(6.0 + stop_at);
                let mut down_at = None;
                while down_at.is_none() {
                    let t = c.next_deadline().unwrap();
                    assert_eq!(c.timer(t), vec![CheckerAction::Probe]);
                    let (done, outcome) = if t < stop {
                        (t, Outcome::Success)
                    } else if refused {
                        (t, fail())
                    } else {
                        (t + connect_timeout, Outcome::Failure("timeout".into()))
                    };
                    let acts = c.result(done, outcome);
                    if acts
                        .iter()
                        .any(|a| matches!(a, CheckerAction::Changed { up: false, .. }))
                    {
                        down_at = Some(done);
                    }
                }
                let took = down_at.unwrap() - stop;
                let per_retry = if refused {
                    Duration::from_secs(2)
                } else {
                    Duration::from_secs(2) + connect_timeout
                };
                let bound = Duration::from_secs(6) + per_retry * retry + connect_timeout;
                assert!(
                    took <= bound,
                    "retry {retry} refused {refused} stop {stop_at}: {took:?} > {bound:?}"
                );
            }
        }
    }
}

// ---- real and virtual servers ----

fn notify(what: &str) -> Option<Notify> {
    Some(Notify {
        argv: vec![format!("/bin/{what}")],
        user: None,
    })
}

fn rs(name: &str, weight: u32) -> RsConfig {
    RsConfig {
        name: name.into(),
        weight,
        inhibit_on_failure: false,
        notify_up: notify("up").map(Box::new),
        notify_down: notify("down").map(Box::new),
        smtp_alert: true,
        checkers: 1,
        alpha: false,
    }
}

fn vs(rss: Vec<RsConfig>) -> VsConfig {
    VsConfig {
        name: "[10.0.0.100]:tcp:80".into(),
        quorum: 1,
        hysteresis: 0,
        quorum_up: notify("qup"),
        quorum_down: notify("qdown"),
        sorry_server: None,
        sorry_server_inhibit: false,
        smtp_alert: false,
        omega: false,
        ha_suspend: None,
        real_servers: rss,
    }
}

fn ipvs(acts: &[Action]) -> Vec<IpvsOp> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Ipvs(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn notifies(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Notify(n) => Some(n.argv[0].clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_real_server_down_leaves_the_table_and_comes_back() {
    // ipwrapper.c perform_svr_state: DEL_DEST, notify_down, FIFO, mail; and back.
    let mut p = Pool::new(vec![vs(vec![
        rs("[10.0.0.1]:tcp:80", 3),
        rs("[10.0.0.2]:tcp:80", 1),
    ])]);
    let start = p.start();
    assert_eq!(
        ipvs(&start),
        vec![
            IpvsOp::AddDest {
                vs: 0,
                rs: 0,
                weight: 3
            },
            IpvsOp::AddDest {
                vs: 0,
                rs: 1,
                weight: 1
            }
        ]
    );
    let acts = p.checker_changed(0, 0, 0, false, "connection refused");
    assert_eq!(ipvs(&acts), vec![IpvsOp::DelDest { vs: 0, rs: 0 }]);
    assert_eq!(notifies(&acts), vec!["/bin/down"]);
    assert!(acts.contains(&Action::Fifo(
        "RS [10.0.0.1]:tcp:80 [10.0.0.100]:tcp:80 DOWN\n".into()
    )));
    assert!(acts.contains(&Action::Alert {
        subject: "Realserver [10.0.0.1]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN".into(),
        body: "=> CHECK failed on service : connection refused <=".into()
    }));
    assert!(acts.contains(&Action::Log(
        "Removing service [10.0.0.1]:tcp:80 from VS [10.0.0.100]:tcp:80".into()
    )));
    let acts = p.checker_changed(0, 0, 0, true, "");
    assert_eq!(
        ipvs(&acts),
        vec![IpvsOp::AddDest {
            vs: 0,
            rs: 0,
            weight: 3
        }]
    );
    assert_eq!(notifies(&acts), vec!["/bin/up"]);
}

#[test]
fn inhibit_on_failure_sets_weight_zero_instead() {
    let mut r = rs("[10.0.0.1]:tcp:80", 3);
    r.inhibit_on_failure = true;
    let mut p = Pool::new(vec![vs(vec![r, rs("[10.0.0.2]:tcp:80", 1)])]);
    p.start();
    let acts = p.checker_changed(0, 0, 0, false, "x");
    assert_eq!(
        ipvs(&acts),
        vec![IpvsOp::SetWeight {
            vs: 0,
            rs: 0,
            weight: 0
        }]
    );
    let acts = p.checker_changed(0, 0, 0, true, "");
    assert_eq!(
        ipvs(&acts),
        vec![IpvsOp::SetWeight {
            vs: 0,
            rs: 0,
            weight: 3
        }]
    );
}

#[test]
fn up_only_while_every_checker_is() {
    let mut r = rs("[10.0.0.1]:tcp:80", 1);
    r.checkers = 2;
    let mut p = Pool::new(vec![vs(vec![r, rs("[10.0.0.2]:tcp:80", 1)])]);
    p.start();
    assert!(!ipvs(&p.checker_changed(0, 0, 1, false, "x")).is_empty());
    assert!(
        p.checker_changed(0, 0, 0, false, "x").is_empty(),
        "already down"
    );
    assert!(
        p.checker_changed(0, 0, 1, true, "").is_empty(),
        "one still down"
    );
    assert!(!p.checker_changed(0, 0, 0, true, "").is_empty());
    assert!(p.rs_alive(0, 0));
}

#[test]
fn quorum_lost_brings_in_the_sorry_server_and_gained_takes_it_out() {
    // ipwrapper.c update_quorum_state.
    let mut v = vs(vec![rs("[10.0.0.1]:tcp:80", 1), rs("[10.0.0.2]:tcp:80", 1)]);
    v.quorum = 2;
    v.sorry_server = Some("[10.0.0.9]:tcp:80".into());
    v.smtp_alert = true;
    let mut p = Pool::new(vec![v]);
    p.start();
    let acts = p.checker_changed(0, 0, 0, false, "x");
    assert_eq!(
        ipvs(&acts),
        vec![
            IpvsOp::DelDest { vs: 0, rs: 0 },
            IpvsOp::DelDest { vs: 0, rs: 1 },
            IpvsOp::AddSorry { vs: 0, weight: 1 }
        ]
    );
    assert_eq!(notifies(&acts), vec!["/bin/down", "/bin/qdown"]);
    assert!(acts.contains(&Action::Fifo("VS [10.0.0.100]:tcp:80 DOWN\n".into())));
    assert!(acts.contains(&Action::Log(
        "Lost quorum 2-0=2 > 1 for VS [10.0.0.100]:tcp:80".into()
    )));
    assert!(p.sorry_active(0));
    // While the sorry server serves, real server changes are not pushed.
    let acts = p.checker_changed(0, 1, 0, false, "x");
    assert!(ipvs(&acts).is_empty(), "{acts:?}");
    p.checker_changed(0, 1, 0, true, "");
    let acts = p.checker_changed(0, 0, 0, true, "");
    assert_eq!(
        ipvs(&acts),
        vec![
            IpvsOp::DelSorry { vs: 0 },
            IpvsOp::AddDest {
                vs: 0,
                rs: 0,
                weight: 1
            },
            IpvsOp::AddDest {
                vs: 0,
                rs: 1,
                weight: 1
            }
        ]
    );
    assert_eq!(notifies(&acts), vec!["/bin/up", "/bin/qup"]);
    assert!(acts.contains(&Action::Alert {
        subject: "Virtualserver [10.0.0.100]:tcp:80 - UP".into(),
        body: "=> Gained quorum 2+0=2 <= 2 <=".into()
    }));
}

#[test]
fn an_inhibited_dead_server_stays_beside_the_sorry_server() {
    // ipwrapper.c perform_quorum_state removes only the live servers; a dead one kept at
    // weight 0 by inhibit_on_failure stays (checked against keepalived 2.2.7 in
    // integration/vm/parity/quorum-sorry-inhibit.conf).
    let mut r1 = rs("[10.0.0.2]:tcp:80", 2);
    r1.inhibit_on_failure = true;
    let mut v = vs(vec![rs("[10.0.0.1]:tcp:80", 2), r1]);
    v.quorum = 3;
    v.sorry_server = Some("[10.0.0.9]:tcp:80".into());
    let mut p = Pool::new(vec![v]);
    p.start();
    let acts = p.checker_changed(0, 1, 0, false, "x");
    assert_eq!(
        ipvs(&acts),
        vec![
            IpvsOp::SetWeight {
                vs: 0,
                rs: 1,
                weight: 0
            },
            IpvsOp::DelDest { vs: 0, rs: 0 },
            IpvsOp::AddSorry { vs: 0, weight: 1 }
        ]
    );
}

#[test]
fn hysteresis_damps_the_quorum() {
    // quorum 2, hysteresis 1: lost below 1, gained at 3.
    let mut v = vs((1..=3)
        .map(|k| rs(&format!("[10.0.0.{k}]:tcp:80"), 1))
        .collect());
    v.quorum = 2;
    v.hysteresis = 1;
    let mut p = Pool::new(vec![v]);
    p.start();
    p.checker_changed(0, 0, 0, false, "x");
    p.checker_changed(0, 1, 0, false, "x");
    assert!(p.quorum_up(0), "live 1 is not below 2 - 1");
    p.checker_changed(0, 2, 0, false, "x");
    assert!(!p.quorum_up(0));
    p.checker_changed(0, 0, 0, true, "");
    p.checker_changed(0, 1, 0, true, "");
    assert!(!p.quorum_up(0), "live 2 is below 2 + 1");
    p.checker_changed(0, 2, 0, true, "");
    assert!(p.quorum_up(0));
}

#[test]
fn at_start_alpha_servers_are_out_and_a_lacking_quorum_brings_the_sorry_server() {
    // ipwrapper.c init_service_vs: no notifies at start.
    let mut a = rs("[10.0.0.1]:tcp:80", 1);
    a.alpha = true;
    let mut v = vs(vec![a]);
    v.sorry_server = Some("[10.0.0.9]:tcp:80".into());
    let mut p = Pool::new(vec![v]);
    let acts = p.start();
    assert_eq!(ipvs(&acts), vec![IpvsOp::AddSorry { vs: 0, weight: 1 }]);
    assert!(notifies(&acts).is_empty());
    let acts = p.checker_changed(0, 0, 0, true, "");
    assert_eq!(
        ipvs(&acts),
        vec![
            IpvsOp::DelSorry { vs: 0 },
            IpvsOp::AddDest {
                vs: 0,
                rs: 0,
                weight: 1
            }
        ]
    );
}

#[test]
fn dynamic_weights_change_the_table_and_the_quorum() {
    let mut v = vs(vec![rs("[10.0.0.1]:tcp:80", 1)]);
    v.quorum = 3;
    let mut p = Pool::new(vec![v]);
    p.start();
    assert!(!p.quorum_up(0));
    let acts = p.weight_changed(0, 0, 5);
    assert!(ipvs(&acts).contains(&IpvsOp::SetWeight {
        vs: 0,
        rs: 0,
        weight: 5
    }));
    assert!(p.quorum_up(0));
}

#[test]
fn omega_runs_the_down_notifiers_at_stop() {
    let mut v = vs(vec![rs("[10.0.0.1]:tcp:80", 1)]);
    v.omega = true;
    let mut p = Pool::new(vec![v]);
    p.start();
    let acts = p.stop();
    assert_eq!(notifies(&acts), vec!["/bin/down", "/bin/qdown"]);
    assert_eq!(ipvs(&acts), vec![IpvsOp::DelDest { vs: 0, rs: 0 }]);
    let mut p = Pool::new(vec![vs(vec![rs("[10.0.0.1]:tcp:80", 1)])]);
    p.start();
    assert!(notifies(&p.stop()).is_empty(), "without omega: silent");
}

#[test]
fn the_seed_lvs_configuration_builds() {
    let text = include_str!("../../ka-config/tests/fixtures/seed/seed-lvs-dr-http-get.conf");
    let l = ka_config::parse_str("/seed.conf", text, &Default::default());
    let (pool, specs) = ka_check::config::build(&l.config);
    assert!(!pool.is_empty());
    assert!(pool[0].name.starts_with('['), "{}", pool[0].name);
    assert_eq!(
        specs.len(),
        pool.iter()
            .flat_map(|v| v.real_servers.iter())
            .map(|r| r.checkers)
            .sum::<usize>()
    );
    for sp in &specs {
        assert!(sp.how.timing.delay_loop > Duration::ZERO);
    }
}

#[test]
fn a_successor_inherits_states_and_notifies_nothing_new() {
    // keepalived migrate_checkers / clear_diff_rs: kept servers keep their state.
    let mut p = Pool::new(vec![vs(vec![
        rs("[10.0.0.1]:tcp:80", 1),
        rs("[10.0.0.2]:tcp:80", 1),
    ])]);
    p.inherit(0, 0, false, None);
    let start = p.start();
    assert_eq!(
        ipvs(&start),
        vec![IpvsOp::AddDest {
            vs: 0,
            rs: 1,
            weight: 1
        }]
    );
    assert!(notifies(&p.checker_changed(0, 0, 0, false, "x")).is_empty());
    let mut c = Checker::new(cfg(1, false));
    c.inherit(false, None);
    c.start(s(0.0), Duration::ZERO);
    let (_, acts) = probe(&mut c, fail());
    assert!(acts.is_empty(), "down stays down quietly");
    let (_, acts) = probe(&mut c, Outcome::Success);
    assert!(matches!(
        acts[..],
        [CheckerAction::Changed { up: true, .. }]
    ));
}

#[test]
fn a_successor_keeps_the_weight_misc_dynamic_set() {
    // Without it a restarted or reloaded checker would put the configured weight back
    // and the next script run the dynamic one: a weight flap in IPVS.
    let mut p = Pool::new(vec![vs(vec![rs("[10.0.0.1]:tcp:80", 1)])]);
    p.inherit(0, 0, true, Some(7));
    assert_eq!(
        ipvs(&p.start()),
        vec![IpvsOp::AddDest {
            vs: 0,
            rs: 0,
            weight: 7
        }]
    );
    assert!(p.weight_changed(0, 0, 7).is_empty());
    let mut c = Checker::new(cfg(1, false));
    c.inherit(true, Some(7));
    c.start(s(0.0), Duration::ZERO);
    let (_, acts) = probe(&mut c, Outcome::SuccessWeight(7));
    assert!(acts.is_empty(), "the same exit code changes nothing");
    let (_, acts) = probe(&mut c, Outcome::SuccessWeight(3));
    assert_eq!(acts, vec![CheckerAction::Weight(3)]);
}

#[test]
fn file_check_values_as_keepalived_reads_and_weighs_them() {
    use ka_check::file::{effective_weight, parse_value, status};
    // track_file.c process_track_file: strtol(buf, NULL, 0).
    assert_eq!(parse_value(b"  42\n"), Some(42));
    assert_eq!(parse_value(b"-7abc"), Some(-7));
    assert_eq!(parse_value(b"0x10"), Some(16));
    assert_eq!(parse_value(b"010"), Some(8));
    assert_eq!(parse_value(b""), Some(0));
    assert_eq!(parse_value(b"down"), Some(0));
    assert_eq!(parse_value(b"99999999999"), None, "out of range: ignored");
    assert_eq!(parse_value(b" 0x5"), Some(5), "hex after a blank");
    assert_eq!(parse_value(b"-3000000000"), None, "below i32: ignored");
    assert_eq!(
        parse_value(b"2147483648"),
        Some(2147483648),
        "i32::MAX + 1 still taken"
    );
    assert_eq!(parse_value(b"2147483647"), Some(2147483647));
    assert_eq!(
        parse_value(b"-2147483648"),
        Some(-2147483648),
        "i32::MIN is taken"
    );
    assert_eq!(
        parse_value(&[b'9'; 100]),
        None,
        "a hundred digits: ignored, no overflow"
    );
    // update_track_file_status: weight 0 means any value but 0 is a fault (reverse: 0 is).
    assert_eq!(status(0, 0, false), Some(0));
    assert_eq!(status(1, 0, false), None);
    assert_eq!(status(0, 0, true), None);
    assert_eq!(status(3, 0, true), Some(0));
    // Otherwise value × weight (negated with reverse) changes the weight.
    assert_eq!(status(2, 5, false), Some(10));
    assert_eq!(status(2, 5, true), Some(-10));
    assert_eq!(status(i64::from(i32::MIN), 1, false), None);
    assert_eq!(effective_weight(3, [10, -2]), 11);
    assert_eq!(effective_weight(3, [-10]), 0);
}

#[test]
fn what_a_checker_reports_for_status_and_hand_over() {
    // The child reports has_run (status: "no result yet") and the misc_dynamic weight
    // (handed to a successor, so that it does not put the configured weight back).
    let mut c = Checker::new(cfg(1, false));
    assert!(!c.has_run(), "no probe yet");
    assert_eq!(c.dynamic_weight(), None);
    c.start(s(0.0), Duration::ZERO);
    probe(&mut c, Outcome::Success);
    assert!(c.has_run());
    assert_eq!(c.dynamic_weight(), None, "a plain success sets no weight");
    probe(&mut c, Outcome::SuccessWeight(9));
    assert_eq!(c.dynamic_weight(), Some(9));
    probe(&mut c, fail());
    assert_eq!(
        c.dynamic_weight(),
        Some(9),
        "a failure keeps the last weight"
    );
    let mut d = Checker::new(cfg(1, false));
    d.inherit(true, Some(4));
    assert_eq!(d.dynamic_weight(), Some(4), "inherited from a predecessor");
}

#[test]
fn what_the_pool_reports_and_a_file_check_read_at_start() {
    // The child reports each server's state, the quorum and the sorry server.
    let mut v = vs(vec![rs("[10.0.0.1]:tcp:80", 1), rs("[10.0.0.2]:tcp:80", 1)]);
    v.sorry_server = Some("[10.0.0.99]:tcp:80".into());
    let mut p = Pool::new(vec![v]);
    p.start();
    assert!(p.rs_alive(0, 0) && p.quorum_up(0) && !p.sorry_active(0));
    p.checker_changed(0, 0, 0, false, "x");
    assert!(!p.rs_alive(0, 0) && p.rs_alive(0, 1));
    p.checker_changed(0, 1, 0, false, "x");
    assert!(
        !p.quorum_up(0) && p.sorry_active(0),
        "no server left: the sorry server"
    );
    // keepalived set_track_file_checkers_down / set_track_file_weights: a FILE_CHECK read
    // before start puts its server down, or up with the weight the file gives.
    let mut p = Pool::new(vec![vs(vec![
        rs("[10.0.0.1]:tcp:80", 1),
        rs("[10.0.0.2]:tcp:80", 1),
    ])]);
    p.preset(0, 0, 0, false, 1);
    p.preset(0, 1, 0, true, 6);
    assert_eq!(
        ipvs(&p.start()),
        vec![IpvsOp::AddDest {
            vs: 0,
            rs: 1,
            weight: 6
        }]
    );
    assert!(!p.rs_alive(0, 0));
}

#[test]
fn stop_removes_what_is_in_the_table_and_omega_notifies() {
    // keepalived clear_services: a live server and an inhibited one are in the table, a
    // plain down one is not; with omega the live ones get their notify_down and the
    // virtual server its quorum_down.
    let mut inhibited = rs("[10.0.0.2]:tcp:80", 1);
    inhibited.inhibit_on_failure = true;
    let mut v = vs(vec![
        rs("[10.0.0.1]:tcp:80", 1),
        inhibited,
        rs("[10.0.0.3]:tcp:80", 1),
    ]);
    v.omega = true;
    v.sorry_server = Some("[10.0.0.99]:tcp:80".into());
    v.sorry_server_inhibit = true;
    let mut p = Pool::new(vec![v]);
    p.start();
    p.checker_changed(0, 1, 0, false, "x");
    p.checker_changed(0, 2, 0, false, "x");
    let acts = p.stop();
    assert_eq!(
        ipvs(&acts),
        vec![
            IpvsOp::DelDest { vs: 0, rs: 0 },
            IpvsOp::DelDest { vs: 0, rs: 1 },
            IpvsOp::DelSorry { vs: 0 },
        ]
    );
    assert_eq!(
        notifies(&acts),
        vec!["/bin/down".to_string(), "/bin/qdown".to_string()]
    );
    // With the sorry server in, the live servers are not in the table.
    let mut p = Pool::new(vec![vs(vec![rs("[10.0.0.1]:tcp:80", 1)])]);
    p.cfg[0].sorry_server = Some("[10.0.0.99]:tcp:80".into());
    p.cfg[0].quorum = 5;
    p.start();
    assert!(p.sorry_active(0));
    assert_eq!(ipvs(&p.stop()), vec![IpvsOp::DelSorry { vs: 0 }]);
}

#[test]
fn rs_init_notifies_tells_of_the_real_servers_up_at_start() {
    // keepalived init_service_rs: with rs_init_notifies, a real server brought up at
    // start runs notify_up and tells the FIFO; one starting down (alpha), or whose state
    // a reload carried over, does not. Without it, start is silent.
    let mut alpha = rs("[10.0.0.2]:tcp:80", 1);
    alpha.alpha = true;
    let servers = || {
        vec![vs(vec![
            rs("[10.0.0.1]:tcp:80", 3),
            alpha.clone(),
            rs("[10.0.0.3]:tcp:80", 1),
        ])]
    };
    let start = Pool::new(servers()).start();
    assert!(notifies(&start).is_empty());
    assert!(!start.iter().any(|a| matches!(a, Action::Fifo(_))));
    let mut p = Pool::new(servers()).with_init_notifies(true);
    p.inherit(0, 2, true, None);
    let start = p.start();
    assert_eq!(notifies(&start), vec!["/bin/up"]);
    let fifo: Vec<_> = start
        .iter()
        .filter_map(|a| match a {
            Action::Fifo(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(fifo, vec!["RS [10.0.0.1]:tcp:80 [10.0.0.100]:tcp:80 UP\n"]);
}
