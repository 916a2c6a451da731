//! keepalived's receive checks (vrrp.c vrrp_in_chk) one by one on `rx::check`: the
//! length with padding, a unicast peer's TTL range, the VRRPv3 interval note, the unicast
//! source check.

use std::net::IpAddr;

use ka_vrrp::error::DecodeError;
use ka_vrrp::packet::{Auth, Envelope, Repr, Version};
use ka_vrrp::rx::{check, AuthConfig, Note, Peer, Received, RxConfig};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cfg(version: Version, peers: Vec<Peer>, check_unicast_src: bool) -> RxConfig {
    RxConfig {
        version,
        auth: AuthConfig::None,
        adver_int_cs: 100,
        vips: vec![ip("192.0.2.1")],
        peers,
        check_unicast_src,
        v3_checksum_as_v2: false,
        unicast_checksum: ka_vrrp::rx::UnicastChecksum::Standard,
    }
}

fn advert(version: Version, src: &str, dst: &str, cs: u16) -> Vec<u8> {
    Repr {
        version,
        vrid: 51,
        priority: 100,
        adver_int_cs: cs,
        auth: Auth::None,
        addrs: vec![ip("192.0.2.1")],
    }
    .to_bytes(&Envelope {
        src: ip(src),
        dst: ip(dst),
    })
}

fn rx<'a>(src: &str, dst: &str, ttl: u8, vrrp: &'a [u8]) -> Received<'a> {
    Received {
        src: ip(src),
        dst: ip(dst),
        ttl,
        vrrp,
        ipv4: None,
    }
}

#[test]
fn padding_after_the_message_is_tolerated() {
    let c = cfg(Version::V2, vec![], false);
    let mut b = advert(Version::V2, "10.0.0.2", "224.0.0.18", 100);
    b.extend_from_slice(&[0; 6]);
    assert!(check(&c, &rx("10.0.0.2", "224.0.0.18", 255, &b), true).is_ok());
    let short = &b[..b.len() - 6 - 1];
    assert!(matches!(
        check(&c, &rx("10.0.0.2", "224.0.0.18", 255, short), true),
        Err(DecodeError::BadLength { .. })
    ));
}

#[test]
fn a_unicast_peer_is_held_to_its_ttl_range() {
    let peer = Peer {
        addr: ip("10.0.0.2"),
        min_ttl: 250,
        max_ttl: 252,
    };
    let c = cfg(Version::V2, vec![peer], false);
    let b = advert(Version::V2, "10.0.0.2", "10.0.0.1", 100);
    for (ttl, ok) in [(249, false), (250, true), (252, true), (253, false)] {
        let r = check(&c, &rx("10.0.0.2", "10.0.0.1", ttl, &b), true);
        assert_eq!(r.is_ok(), ok, "TTL {ttl}: {r:?}");
        if !ok {
            assert_eq!(r.err(), Some(DecodeError::BadTtl(ttl)));
        }
    }
    // A sender that is not a peer: no TTL range to hold it to (and no source check).
    let b = advert(Version::V2, "10.0.0.9", "10.0.0.1", 100);
    assert!(check(&c, &rx("10.0.0.9", "10.0.0.1", 7, &b), true).is_ok());
}

#[test]
fn check_unicast_src_refuses_a_stranger() {
    let peer = Peer {
        addr: ip("10.0.0.2"),
        min_ttl: 0,
        max_ttl: 255,
    };
    let c = cfg(Version::V2, vec![peer], true);
    let from = |src: &str| {
        let b = advert(Version::V2, src, "10.0.0.1", 100);
        check(&c, &rx(src, "10.0.0.1", 255, &b), true).map(|_| ())
    };
    assert_eq!(from("10.0.0.2"), Ok(()));
    assert_eq!(from("10.0.0.9"), Err(DecodeError::UnknownSource));
}

#[test]
fn a_v3_interval_is_noted_only_when_it_differs() {
    let c = cfg(Version::V3, vec![], false);
    let note = |cs: u16| {
        let b = advert(Version::V3, "10.0.0.2", "224.0.0.18", cs);
        check(&c, &rx("10.0.0.2", "224.0.0.18", 255, &b), true)
            .unwrap()
            .1
    };
    assert_eq!(note(100), None);
    assert_eq!(
        note(200),
        Some(Note::IntervalDiffers {
            ours_cs: 100,
            theirs_cs: 200
        })
    );
}

#[test]
fn a_v3_checksum_is_checked_with_or_without_the_pseudo_header() {
    use ka_vrrp::packet::Packet;
    let c = cfg(Version::V3, vec![], false);
    let good = advert(Version::V3, "10.0.0.2", "224.0.0.18", 100);
    assert!(check(&c, &rx("10.0.0.2", "224.0.0.18", 255, &good), true).is_ok());
    let mut bad = good.clone();
    bad[6] ^= 0x55;
    assert_eq!(
        check(&c, &rx("10.0.0.2", "224.0.0.18", 255, &bad), true).err(),
        Some(DecodeError::BadChecksum)
    );
    // RFC 9568: a sender that leaves the pseudo-header out (v3_checksum_as_v2) is accepted.
    let mut no_pseudo = good.clone();
    no_pseudo[6] = 0;
    no_pseudo[7] = 0;
    let sum = ka_vrrp::checksum::data(&no_pseudo);
    no_pseudo[6..8].copy_from_slice(&sum.to_be_bytes());
    assert!(check(&c, &rx("10.0.0.2", "224.0.0.18", 255, &no_pseudo), true).is_ok());
    assert!(Packet::new_checked(&no_pseudo[..]).is_ok());
}

#[test]
fn several_ipv6_addresses_travel_in_order() {
    let addrs: Vec<IpAddr> = vec![ip("2001:db8::1"), ip("2001:db8::2"), ip("2001:db8::3")];
    let repr = Repr {
        version: Version::V3,
        vrid: 51,
        priority: 100,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: addrs.clone(),
    };
    let env = Envelope {
        src: ip("fe80::2"),
        dst: ip("ff02::12"),
    };
    let b = repr.to_bytes(&env);
    let back = Repr::parse(
        &ka_vrrp::packet::Packet::new_checked(&b[..]).unwrap(),
        &env,
        false,
    )
    .unwrap();
    assert_eq!(back.addrs, addrs);
}

/// old_unicast_checksum (keepalived before 1.3.6 summed unicast VRRPv3 adverts over the
/// multicast group): detected by default (noted, accepted), refused with `never`,
/// required once configured; multicast adverts and v2 are not concerned.
#[test]
fn old_unicast_checksums_are_detected_refused_or_required() {
    use ka_vrrp::rx::UnicastChecksum;
    let group = "224.0.0.18".parse().unwrap();
    let peer = Peer {
        addr: ip("10.0.0.2"),
        min_ttl: 0,
        max_ttl: 255,
    };
    let with = |u: UnicastChecksum| RxConfig {
        unicast_checksum: u,
        ..cfg(Version::V3, vec![peer.clone()], false)
    };
    // Summed the old way (over the group), sent to us (10.0.0.1).
    let old = advert(Version::V3, "10.0.0.2", "224.0.0.18", 100);
    let new = advert(Version::V3, "10.0.0.2", "10.0.0.1", 100);
    let got = |u, b: &[u8]| check(&with(u), &rx("10.0.0.2", "10.0.0.1", 255, b), true);
    assert_eq!(
        got(UnicastChecksum::Detect(group), &old).unwrap().1,
        Some(Note::OldChecksum)
    );
    assert_eq!(got(UnicastChecksum::Detect(group), &new).unwrap().1, None);
    assert_eq!(
        got(UnicastChecksum::Standard, &old).unwrap_err(),
        DecodeError::BadChecksum
    );
    assert_eq!(got(UnicastChecksum::Old(group), &old).unwrap().1, None);
    assert_eq!(
        got(UnicastChecksum::Old(group), &new).unwrap_err(),
        DecodeError::BadChecksum
    );
}
