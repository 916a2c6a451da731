//! Every receive error counted in the statistics counter keepalived counts it in
//! (vrrp.c vrrp_in_chk and the keepalived.stats layout), and said as keepalived's log
//! line says it.

use ka_vrrp::error::{DecodeError, Stats};

/// Reads one counter.
type Counter = fn(&Stats) -> u64;

/// Each error, the counter it goes to, and its log text.
fn cases() -> Vec<(DecodeError, Counter, &'static str)> {
    use DecodeError::*;
    vec![
        (TooShort, |s| s.packet_len_err, "packet too short"),
        (BadIpHeader, |s| s.packet_len_err, "malformed IP header"),
        (
            BadLength {
                expected: 40,
                got: 20,
            },
            |s| s.packet_len_err,
            "wrong length: expected 40 bytes, got 20",
        ),
        (
            BadTtl(64),
            |s| s.ip_ttl_err,
            "invalid TTL/HL. Received 64 and expect 255",
        ),
        (BadType(2), |s| s.invalid_type_rcvd, "invalid packet type 2"),
        (
            IntervalMismatch {
                ours_cs: 100,
                theirs_cs: 300,
            },
            |s| s.advert_interval_err,
            "advertisement interval mismatch mine=1 sec rcv'd=3 sec",
        ),
        (
            AddressListMismatch,
            |s| s.addr_list_err,
            "received an unexpected ip address list",
        ),
        (
            BadAuthType(7),
            |s| s.invalid_authtype,
            "invalid authentication type 7",
        ),
        (
            AuthTypeMismatch { ours: 1, theirs: 0 },
            |s| s.authtype_mismatch,
            "received a 0 auth, expecting 1",
        ),
        (
            AhMismatch,
            |s| s.authtype_mismatch,
            "AH authentication present without being configured, or missing",
        ),
        (AuthFailure, |s| s.auth_failure, "bad authentication"),
        (BadChecksum, |s| s.checksum_err, "invalid VRRP checksum"),
        (
            BadVersion(4),
            |s| s.version_err,
            "wrong version. Received 4",
        ),
        (BadProtocol(6), |s| s.other_err, "IP protocol 6 is not VRRP"),
        (
            BadDestination,
            |s| s.other_err,
            "sent to the wrong destination for this mode (multicast/unicast)",
        ),
        (
            UnknownSource,
            |s| s.other_err,
            "unicast advert from an address that is not a configured peer",
        ),
        (UnknownVrid(9), |s| s.other_err, "unknown VRID 9"),
    ]
}

#[test]
fn each_error_in_its_counter_and_nowhere_else() {
    for (e, counter, _) in cases() {
        let mut s = Stats::default();
        s.count(&e);
        s.count(&e);
        assert_eq!(counter(&s), 2, "{e:?}");
        // All the errors are in that counter: no other one moved.
        assert_eq!(
            s.errors(),
            2,
            "{e:?}: counted once per packet, in one counter"
        );
    }
    assert_eq!(Stats::default().errors(), 0);
    // errors() adds every counter up.
    let mut all = Stats::default();
    for (e, _, _) in cases() {
        all.count(&e);
    }
    assert_eq!(all.errors(), cases().len() as u64);
    assert_eq!(
        (all.advert_rcvd, all.advert_sent, all.pri_zero_rcvd),
        (0, 0, 0),
        "receive errors are not adverts"
    );
}

#[test]
fn each_error_said_as_keepalived_logs_it() {
    for (e, _, text) in cases() {
        assert_eq!(e.to_string(), text);
    }
}
