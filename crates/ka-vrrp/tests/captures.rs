//! Byte fixtures: adverts keepalived 2.2.7 sent between two network namespaces, captured
//! with tcpdump by integration/capture-adverts.sh (instance VI_1, VRID 51, priority 150,
//! source 10.0.0.1). Each decodes to the expected Repr, and our encoder, given the same
//! configuration, emits the same bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ka_vrrp::instance::{Event, Instance, InstanceConfig};
use ka_vrrp::packet::{Auth, Envelope, Packet, Repr, Version};
use ka_vrrp::rx::{self, AuthConfig, Peer, Received, RxConfig};
use ka_vrrp::{ip, Action, Time};

fn capture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/captures/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let hex = std::fs::read_to_string(&path).unwrap();
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

const SRC: [u8; 4] = [10, 0, 0, 1];
const GROUP: [u8; 4] = [224, 0, 0, 18];

fn vips2() -> Vec<IpAddr> {
    vec![v4([192, 168, 100, 10]), v4([192, 168, 100, 11])]
}

/// What our instance sends first on becoming master with this configuration.
fn first_advert(cfg: InstanceConfig) -> Vec<u8> {
    let mut i = Instance::new(cfg);
    let mut acts = i.handle(Time(0), Event::Start);
    while !acts.iter().any(|a| matches!(a, Action::Send { .. })) {
        let t = i.next_deadline().expect("a deadline");
        acts = i.handle(t, Event::Timer);
    }
    acts.into_iter()
        .find_map(|a| match a {
            Action::Send { packet, .. } => Some(packet),
            _ => None,
        })
        .unwrap()
}

fn base(vips: Vec<IpAddr>) -> InstanceConfig {
    let mut c = InstanceConfig::simple("VI_1", 51, 150, v4(SRC), vips);
    c.want_master = true;
    c
}

#[test]
fn v2_with_pass() {
    let bytes = capture("v2-pass");
    let p = ip::parse_ipv4(&bytes).unwrap();
    assert_eq!(
        (p.ttl, bytes[1], bytes[9], p.id),
        (255, 0xc0, 112, 1),
        "TTL, TOS, protocol, IP ID"
    );
    let repr = Repr::parse(
        &Packet::new_checked(p.vrrp).unwrap(),
        &Envelope {
            src: v4(SRC),
            dst: v4(GROUP),
        },
        false,
    )
    .unwrap();
    assert_eq!(
        repr,
        Repr {
            version: Version::V2,
            vrid: 51,
            priority: 150,
            adver_int_cs: 100,
            auth: Auth::pass("secret"),
            addrs: vips2()
        }
    );
    let mut cfg = base(vips2());
    cfg.auth = AuthConfig::Pass(*b"secret\0\0");
    assert_eq!(first_advert(cfg), bytes);
}

#[test]
fn v2_without_auth() {
    let bytes = capture("v2-noauth");
    let p = ip::parse_ipv4(&bytes).unwrap();
    let repr = Repr::parse(
        &Packet::new_checked(p.vrrp).unwrap(),
        &Envelope {
            src: v4(SRC),
            dst: v4(GROUP),
        },
        false,
    )
    .unwrap();
    assert_eq!(repr.auth, Auth::None);
    assert_eq!(repr.addrs, vec![v4([192, 168, 100, 10])]);
    assert_eq!(first_advert(base(vec![v4([192, 168, 100, 10])])), bytes);
}

#[test]
fn v3_over_ipv4() {
    let bytes = capture("v3-ipv4");
    let p = ip::parse_ipv4(&bytes).unwrap();
    let repr = Repr::parse(
        &Packet::new_checked(p.vrrp).unwrap(),
        &Envelope {
            src: v4(SRC),
            dst: v4(GROUP),
        },
        false,
    )
    .unwrap();
    assert_eq!(
        (repr.version, repr.adver_int_cs, repr.addrs.clone()),
        (Version::V3, 100, vips2())
    );
    let mut cfg = base(vips2());
    cfg.version = Version::V3;
    assert_eq!(first_advert(cfg), bytes);
}

#[test]
fn v3_unicast_checksum_uses_the_peer_address() {
    let bytes = capture("v3-unicast");
    let p = ip::parse_ipv4(&bytes).unwrap();
    assert_eq!(p.dst, Ipv4Addr::new(10, 0, 0, 2));
    // The pseudo-header holds the destination actually used, not the group.
    let env = Envelope {
        src: v4(SRC),
        dst: v4([10, 0, 0, 2]),
    };
    Repr::parse(&Packet::new_checked(p.vrrp).unwrap(), &env, false).unwrap();
    let wrong = Envelope {
        src: v4(SRC),
        dst: v4(GROUP),
    };
    assert!(Repr::parse(&Packet::new_checked(p.vrrp).unwrap(), &wrong, false).is_err());
    let mut cfg = base(vec![v4([192, 168, 100, 10])]);
    cfg.version = Version::V3;
    cfg.peers = vec![Peer {
        addr: v4([10, 0, 0, 2]),
        min_ttl: 0,
        max_ttl: 255,
    }];
    assert_eq!(first_advert(cfg), bytes);
}

#[test]
fn v3_over_ipv6() {
    // tcpdump shows the kernel's IPv6 header: the VRRP message starts at byte 40.
    let bytes = capture("v3-ipv6");
    assert_eq!(bytes[6], 112, "next header");
    assert_eq!(bytes[7], 255, "hop limit");
    let src = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[8..24]).unwrap()));
    let dst = IpAddr::V6(Ipv6Addr::from(
        <[u8; 16]>::try_from(&bytes[24..40]).unwrap(),
    ));
    assert_eq!(dst, "ff02::12".parse::<IpAddr>().unwrap());
    let vrrp = &bytes[40..];
    let repr = Repr::parse(
        &Packet::new_checked(vrrp).unwrap(),
        &Envelope { src, dst },
        false,
    )
    .unwrap();
    assert_eq!(repr.addrs, vec!["2001:db8::10".parse::<IpAddr>().unwrap()]);
    let mut cfg = InstanceConfig::simple("VI_1", 51, 150, src, repr.addrs.clone());
    cfg.version = Version::V3;
    cfg.want_master = true;
    // We compute the checksum the kernel fills in (IPV6_CHECKSUM), so the bytes match.
    assert_eq!(first_advert(cfg), vrrp);
}

#[test]
fn v2_with_ah() {
    let bytes = capture("v2-ah");
    let p = ip::parse_ipv4(&bytes).unwrap();
    assert_eq!(bytes[9], 51, "AH in front of VRRP");
    let (spi, seq, _) = p.ah.unwrap();
    assert_eq!(
        (spi, seq),
        (u32::from(Ipv4Addr::new(10, 0, 0, 1)), 1),
        "SPI = source address, sequence from 1"
    );
    let key = *b"secret\0\0";
    assert!(
        ip::verify_ah(&p, &key, false),
        "the ICV is HMAC-MD5-96 as keepalived computes it"
    );
    assert!(!ip::verify_ah(&p, b"wrong\0\0\0", false));
    let mut cfg = base(vec![v4([192, 168, 100, 10])]);
    cfg.auth = AuthConfig::Ah(key);
    assert_eq!(first_advert(cfg), bytes);
}

#[test]
fn captured_adverts_pass_the_receive_checks() {
    for (name, auth, version, vips) in [
        (
            "v2-pass",
            AuthConfig::Pass(*b"secret\0\0"),
            Version::V2,
            vips2(),
        ),
        (
            "v2-noauth",
            AuthConfig::None,
            Version::V2,
            vec![v4([192, 168, 100, 10])],
        ),
        (
            "v2-ah",
            AuthConfig::Ah(*b"secret\0\0"),
            Version::V2,
            vec![v4([192, 168, 100, 10])],
        ),
        ("v3-ipv4", AuthConfig::None, Version::V3, vips2()),
    ] {
        let bytes = capture(name);
        let rx = Received::from_ipv4(&bytes).unwrap();
        let cfg = RxConfig {
            version,
            auth,
            adver_int_cs: 100,
            vips,
            peers: vec![],
            check_unicast_src: false,
            v3_checksum_as_v2: false,
            unicast_checksum: ka_vrrp::rx::UnicastChecksum::Standard,
        };
        rx::check(&cfg, &rx, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let _ = Duration::ZERO;
}
