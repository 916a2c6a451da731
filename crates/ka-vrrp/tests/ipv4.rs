//! keepalived's IPv4 header checks on what a raw socket delivers (vrrp.c vrrp_in_chk):
//! each malformed header refused with its error, a valid one taken apart.

use ka_vrrp::error::DecodeError;
use ka_vrrp::ip::{build_ipv4, hmac_md5, parse_ipv4};

fn packet() -> Vec<u8> {
    build_ipv4(
        [10, 0, 0, 2].into(),
        [224, 0, 0, 18].into(),
        7,
        255,
        None,
        false,
        &[0x21, 51, 100, 1, 0, 1, 0, 0],
    )
}

#[test]
fn headers_refused_and_accepted() {
    let p = packet();
    let ok = parse_ipv4(&p).unwrap();
    assert_eq!(ok.vrrp, &p[20..]);
    assert_eq!(ok.ttl, 255);
    // Ethernet padding after the total length is not part of the message.
    let mut padded = p.clone();
    padded.extend_from_slice(&[0; 10]);
    assert_eq!(parse_ipv4(&padded).unwrap().vrrp, &p[20..]);
    // Too short for a header; not version 4.
    assert_eq!(parse_ipv4(&p[..19]).err(), Some(DecodeError::TooShort));
    let mut v6 = p.clone();
    v6[0] = 0x65;
    assert_eq!(parse_ipv4(&v6).err(), Some(DecodeError::BadIpHeader));
    // An IHL under 5 words; one longer than the packet.
    let mut short_ihl = p.clone();
    short_ihl[0] = 0x44;
    assert_eq!(parse_ipv4(&short_ihl).err(), Some(DecodeError::BadIpHeader));
    let mut long_ihl = p.clone();
    long_ihl[0] = 0x4f;
    assert_eq!(parse_ipv4(&long_ihl).err(), Some(DecodeError::BadIpHeader));
    // A total length shorter than the header; longer than what arrived.
    let mut t = p.clone();
    t[2..4].copy_from_slice(&16u16.to_be_bytes());
    assert_eq!(parse_ipv4(&t).err(), Some(DecodeError::BadIpHeader));
    let mut t = p.clone();
    t[2..4].copy_from_slice(&((p.len() + 4) as u16).to_be_bytes());
    assert_eq!(
        parse_ipv4(&t).err(),
        Some(DecodeError::BadLength {
            expected: p.len() + 4,
            got: p.len()
        })
    );
    // A total length that covers an IHL longer than what arrived: a bad header (the
    // header itself is cut), not a bad length.
    let mut cut = p.clone();
    cut[0] = 0x4f;
    cut[2..4].copy_from_slice(&60u16.to_be_bytes());
    assert_eq!(parse_ipv4(&cut).err(), Some(DecodeError::BadIpHeader));
    // AH: an AH header cut short is too short; a whole one with nothing after it leaves
    // an empty message (refused later as too short for VRRP).
    let mut ah = p[..20].to_vec();
    ah[9] = 51;
    ah.extend_from_slice(&[112, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    let n = ah.len() as u16;
    ah[2..4].copy_from_slice(&n.to_be_bytes());
    assert_eq!(parse_ipv4(&ah).err(), Some(DecodeError::TooShort));
    ah.extend_from_slice(&[0; 12]);
    let n = ah.len() as u16;
    ah[2..4].copy_from_slice(&n.to_be_bytes());
    let whole = parse_ipv4(&ah).unwrap();
    assert_eq!(whole.vrrp, &[] as &[u8]);
    assert_eq!(whole.ah.map(|(spi, seq, _)| (spi, seq)), Some((1, 1)));
    // Exactly the header's length is a header with an empty message.
    let mut h = p[..20].to_vec();
    h[2..4].copy_from_slice(&20u16.to_be_bytes());
    assert_eq!(parse_ipv4(&h).unwrap().vrrp, &[] as &[u8]);
}

#[test]
fn hmac_md5_of_rfc2104_and_of_a_long_key() {
    // RFC 2104 test vector 2.
    let d = hmac_md5(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        d,
        [
            0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31, 0x0a, 0x5d,
            0xb7, 0x38
        ]
    );
    // RFC 2202 test vector 6: an 80-byte key is hashed first; a 64-byte one is not.
    let d = hmac_md5(
        &[0xaa; 80],
        b"Test Using Larger Than Block-Size Key - Hash Key First",
    );
    assert_eq!(
        d,
        [
            0x6b, 0x1a, 0xb7, 0xfe, 0x4b, 0xd7, 0xbf, 0x8f, 0x0b, 0x62, 0xe6, 0xce, 0x61, 0xb9,
            0xd0, 0xcd
        ]
    );
    // A key of exactly the block size is used as it is (Python's hmac agrees).
    assert_eq!(
        hmac_md5(&[0xaa; 64], b"x"),
        [
            0x50, 0x08, 0xd7, 0x96, 0xc9, 0x1c, 0x4c, 0xc9, 0x4e, 0x59, 0xc7, 0x24, 0xe6, 0x64,
            0xa7, 0xf2
        ]
    );
}

#[test]
fn the_vrrp_header_and_its_type() {
    use ka_vrrp::packet::{Auth, Envelope, Packet, Repr, Version};
    // Eight bytes make a header; seven do not.
    assert!(Packet::new_checked(&[0u8; 8][..]).is_ok());
    assert_eq!(
        Packet::new_checked(&[0u8; 7][..]).err(),
        Some(DecodeError::TooShort)
    );
    let env = Envelope {
        src: "10.0.0.2".parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
    };
    let repr = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec!["192.0.2.1".parse().unwrap()],
    };
    let bytes = repr.to_bytes(&env);
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!((p.version(), p.msg_type()), (2, 1));
    assert_eq!(p.checksum(), u16::from_be_bytes([bytes[6], bytes[7]]));
    assert_ne!(p.checksum(), 0);
    assert_eq!(p.payload(), &bytes[8..]);
    // RFC 3768 7.1: a type other than 1 (ADVERTISEMENT) is refused.
    let mut t2 = bytes.clone();
    t2[0] = 0x22;
    assert_eq!(
        Repr::parse(&Packet::new_checked(&t2[..]).unwrap(), &env, false).err(),
        Some(DecodeError::BadType(2))
    );
}
