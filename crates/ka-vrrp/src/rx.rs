//! The checks on a received advertisement, in keepalived 2.2.7's order (vrrp.c
//! vrrp_in_chk), each failure its own [`DecodeError`].

use std::net::IpAddr;

use crate::error::DecodeError;
use crate::ip::{self, Ipv4Packet};
use crate::packet::{Auth, AuthType, Envelope, Packet, Repr, Version, AUTH_LEN, HEADER_LEN};

/// Our side of the comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthConfig {
    None,
    Pass([u8; AUTH_LEN]),
    Ah([u8; AUTH_LEN]),
}

impl AuthConfig {
    fn auth_type(&self) -> AuthType {
        match self {
            AuthConfig::None => AuthType::None,
            AuthConfig::Pass(_) => AuthType::Pass,
            AuthConfig::Ah(_) => AuthType::Ah,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
}

/// What an instance expects of the adverts it receives.
#[derive(Clone, Debug)]
pub struct RxConfig {
    pub version: Version,
    pub auth: AuthConfig,
    pub adver_int_cs: u16,
    pub vips: Vec<IpAddr>,
    /// Empty: multicast.
    pub peers: Vec<Peer>,
    pub check_unicast_src: bool,
    /// Sending without the pseudo-header (v3_checksum_as_v2). On receive both forms are
    /// accepted whatever this says (RFC 9568 interoperability).
    pub v3_checksum_as_v2: bool,
    /// Unicast VRRPv3 over IPv4: which pseudo-header destination the checksum has.
    pub unicast_checksum: UnicastChecksum,
}

/// keepalived's old unicast VRRPv3 checksum (`old_unicast_checksum`): before 1.3.6 it
/// summed the pseudo-header with the multicast group in place of the unicast destination
/// (keepalived vrrp.c, _WITH_UNICAST_CHKSUM_COMPAT_).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnicastChecksum {
    /// The standard sum; an advert summed the old way over this group switches the
    /// instance to the old sum (keepalived's default).
    Detect(std::net::Ipv4Addr),
    /// The standard sum only (`old_unicast_checksum never`).
    Standard,
    /// The old sum over this group (`old_unicast_checksum`, or detected).
    Old(std::net::Ipv4Addr),
}

/// A received advert with what the IO edge learnt around it.
#[derive(Clone, Debug)]
pub struct Received<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4 header) or hop limit (IPV6_HOPLIMIT).
    pub ttl: u8,
    /// The VRRP message.
    pub vrrp: &'a [u8],
    /// IPv4 only: the whole packet, when it came with AH.
    pub ipv4: Option<Ipv4Packet<'a>>,
}

impl<'a> Received<'a> {
    /// From what a raw IPv4 socket delivers (the IP header included).
    pub fn from_ipv4(bytes: &'a [u8]) -> Result<Received<'a>, DecodeError> {
        let p = ip::parse_ipv4(bytes)?;
        Ok(Received {
            src: IpAddr::V4(p.src),
            dst: IpAddr::V4(p.dst),
            ttl: p.ttl,
            vrrp: p.vrrp,
            ipv4: Some(p),
        })
    }
}

/// Something worth a log line that does not drop the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// v3: the master advertises another interval (we adopt it as a backup).
    IntervalDiffers { ours_cs: u16, theirs_cs: u16 },
    /// A unicast VRRPv3 advert summed the old way, accepted by an instance that detects
    /// it (it sums the old way from now on). Noted in preference to IntervalDiffers.
    OldChecksum,
}

/// Checks `rx` against `cfg`. `check_addrs`: compare the address list (keepalived does
/// in MASTER, and in BACKUP unless skip_check_adv_addr and the sender is the known master).
pub fn check(
    cfg: &RxConfig,
    rx: &Received,
    check_addrs: bool,
) -> Result<(Repr, Option<Note>), DecodeError> {
    let unicast = !cfg.peers.is_empty();
    // (1) AH present exactly when configured (v2 over IPv4 only).
    let has_ah = rx.ipv4.as_ref().is_some_and(|p| p.ah.is_some());
    if has_ah != matches!(cfg.auth, AuthConfig::Ah(_)) {
        return Err(DecodeError::AhMismatch);
    }
    let pkt = Packet::new_checked(rx.vrrp)?;
    // (2) length: header, addresses and (v2) auth data; Ethernet padding tolerated.
    let alen = if rx.src.is_ipv4() { 4 } else { 16 };
    let want =
        HEADER_LEN + pkt.naddr() as usize * alen + if pkt.version() == 2 { AUTH_LEN } else { 0 };
    if rx.vrrp.len() < want {
        return Err(DecodeError::BadLength {
            expected: want,
            got: rx.vrrp.len(),
        });
    }
    // (3) TTL / hop limit 255, unless unicast (then the peer's min_ttl..max_ttl).
    if unicast {
        if let Some(p) = cfg.peers.iter().find(|p| p.addr == rx.src) {
            if rx.ttl < p.min_ttl || rx.ttl > p.max_ttl {
                return Err(DecodeError::BadTtl(rx.ttl));
            }
        }
    } else if rx.ttl != 255 {
        return Err(DecodeError::BadTtl(rx.ttl));
    }
    // (4) version.
    if pkt.version() != cfg.version.number() {
        return Err(DecodeError::BadVersion(pkt.version()));
    }
    // (5) v2: auth type, password / ICV, advert interval.
    if cfg.version == Version::V2 {
        let theirs = pkt.auth_type();
        if let AuthType::Unknown(x) = theirs {
            return Err(DecodeError::BadAuthType(x));
        }
        if theirs != cfg.auth.auth_type() {
            return Err(DecodeError::AuthTypeMismatch {
                ours: cfg.auth.auth_type().into(),
                theirs: theirs.into(),
            });
        }
        match &cfg.auth {
            AuthConfig::Pass(pw) => {
                let data = &rx.vrrp[want - AUTH_LEN..want];
                if data != pw {
                    return Err(DecodeError::AuthFailure);
                }
            }
            AuthConfig::Ah(key) => {
                let ok = rx
                    .ipv4
                    .as_ref()
                    .is_some_and(|p| ip::verify_ah(p, key, unicast));
                if !ok {
                    return Err(DecodeError::AuthFailure);
                }
            }
            AuthConfig::None => {}
        }
        let theirs_cs = pkt.adver_int() as u16 * 100;
        if theirs_cs != cfg.adver_int_cs {
            return Err(DecodeError::IntervalMismatch {
                ours_cs: cfg.adver_int_cs,
                theirs_cs,
            });
        }
    }
    // (6)-(8) type and checksum (and the parse itself).
    let old_sum = |g: std::net::Ipv4Addr| Envelope {
        src: rx.src,
        dst: IpAddr::V4(g),
    };
    let v3_unicast4 = unicast && cfg.version == Version::V3 && rx.src.is_ipv4();
    let env = match cfg.unicast_checksum {
        UnicastChecksum::Old(g) if v3_unicast4 => old_sum(g),
        _ => Envelope {
            src: rx.src,
            dst: rx.dst,
        },
    };
    // RFC 9568: some implementations leave the pseudo-header out of the v3 checksum.
    let (repr, old_detected) = match (Repr::parse(&pkt, &env, true), cfg.unicast_checksum) {
        (Err(DecodeError::BadChecksum), UnicastChecksum::Detect(g))
            if v3_unicast4 && rx.dst != IpAddr::V4(g) =>
        {
            (Repr::parse(&pkt, &old_sum(g), true)?, true)
        }
        (r, _) => (r?, false),
    };
    // (7) v3: a different interval is only noted.
    let note = (cfg.version == Version::V3 && repr.adver_int_cs != cfg.adver_int_cs).then_some(
        Note::IntervalDiffers {
            ours_cs: cfg.adver_int_cs,
            theirs_cs: repr.adver_int_cs,
        },
    );
    let note = if old_detected {
        Some(Note::OldChecksum)
    } else {
        note
    };
    // (9) a multicast advert to a unicast instance or the reverse.
    let to_multicast = match rx.dst {
        IpAddr::V4(a) => a.is_multicast(),
        IpAddr::V6(a) => a.is_multicast(),
    };
    if to_multicast == unicast {
        return Err(DecodeError::BadDestination);
    }
    // (10) keepalived 2.2.7: a different address count or list drops the packet.
    if check_addrs
        && (repr.addrs.len() != cfg.vips.len() || repr.addrs.iter().any(|a| !cfg.vips.contains(a)))
    {
        return Err(DecodeError::AddressListMismatch);
    }
    // (11) unicast: the sender must be a peer, if asked.
    if unicast && cfg.check_unicast_src && !cfg.peers.iter().any(|p| p.addr == rx.src) {
        return Err(DecodeError::UnknownSource);
    }
    // AH adverts carry a zero auth data field and no password to compare.
    debug_assert!(!matches!(repr.auth, Auth::Pass(_)) || matches!(cfg.auth, AuthConfig::Pass(_)));
    Ok((repr, note))
}
