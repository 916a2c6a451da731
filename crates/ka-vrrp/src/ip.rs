//! The IPv4 header keepalived builds for adverts (vrrp.c vrrp_build_ip4: TOS 0xC0, TTL
//! 255, protocol 112 or 51 with AH, an incrementing ID, no fragmentation), the IPsec AH
//! header with HMAC-MD5-96 (vrrp_build_ipsecah, RFC 2402 / RFC 2403), and parsing of what
//! a raw IPv4 socket receives.

use std::net::Ipv4Addr;

use md5::{Digest, Md5};

use crate::checksum;
use crate::error::DecodeError;
use crate::packet::{PROTO_AH, PROTO_VRRP};

pub const IPV4_HEADER_LEN: usize = 20;
pub const AH_LEN: usize = 24;
/// keepalived: TOS "internet network control".
pub const TOS: u8 = 0xc0;
pub const TTL: u8 = 255;
/// AH payload length: (12-byte ICV + 12) / 4 - 2 (RFC 2402 2.2).
const AH_PLEN: u8 = 4;
const ICV_LEN: usize = 12;

/// HMAC-MD5 (RFC 2104) of `data` under `key`.
pub fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Md5::new().chain_update(ipad).chain_update(data).finalize();
    let outer = Md5::new().chain_update(opad).chain_update(inner).finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&outer);
    out
}

/// Builds the whole IPv4 packet keepalived sends: header, optional AH, and `vrrp`.
/// `ah` is (key, sequence number); `unicast` zeroes the TTL in the ICV input as keepalived.
pub fn build_ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    id: u16,
    ttl: u8,
    ah: Option<(&[u8; 8], u32)>,
    unicast: bool,
    vrrp: &[u8],
) -> Vec<u8> {
    let ah_len = if ah.is_some() { AH_LEN } else { 0 };
    let total = IPV4_HEADER_LEN + ah_len + vrrp.len();
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[1] = TOS;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[8] = ttl;
    p[9] = if ah.is_some() { PROTO_AH } else { PROTO_VRRP };
    p[12..16].copy_from_slice(&src.octets());
    p[16..20].copy_from_slice(&dst.octets());
    p[IPV4_HEADER_LEN + ah_len..].copy_from_slice(vrrp);
    if let Some((key, seq)) = ah {
        let a = IPV4_HEADER_LEN;
        p[a] = PROTO_VRRP;
        p[a + 1] = AH_PLEN;
        // keepalived: the SPI is the source address.
        p[a + 4..a + 8].copy_from_slice(&src.octets());
        p[a + 8..a + 12].copy_from_slice(&seq.to_be_bytes());
        // ICV over the packet with the mutable fields zeroed (TOS, fragment offset,
        // checksum; TTL too for unicast) and the ICV field zero (RFC 2402 3.3.3.1).
        let mut icv_input = p.clone();
        icv_input[1] = 0;
        if unicast {
            icv_input[8] = 0;
        }
        let icv = hmac_md5(key, &icv_input);
        p[a + 12..a + 24].copy_from_slice(&icv[..ICV_LEN]);
    }
    let sum = checksum::data(&p[..IPV4_HEADER_LEN]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p
}

/// What a raw IPv4 socket delivered, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub id: u16,
    /// (SPI, sequence, ICV) when the packet carries AH.
    pub ah: Option<(u32, u32, [u8; ICV_LEN])>,
    /// The VRRP message (Ethernet padding after it, if any, removed by total length).
    pub vrrp: &'a [u8],
    /// The whole packet, for the AH check.
    pub raw: &'a [u8],
}

pub fn parse_ipv4(b: &[u8]) -> Result<Ipv4Packet<'_>, DecodeError> {
    if b.len() < IPV4_HEADER_LEN {
        return Err(DecodeError::TooShort);
    }
    if b[0] >> 4 != 4 {
        return Err(DecodeError::BadIpHeader);
    }
    let ihl = (b[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([b[2], b[3]]) as usize;
    if ihl < IPV4_HEADER_LEN || total < ihl || b.len() < ihl {
        return Err(DecodeError::BadIpHeader);
    }
    // keepalived: the IPv4 total length must cover what is received, padding aside.
    if total > b.len() {
        return Err(DecodeError::BadLength {
            expected: total,
            got: b.len(),
        });
    }
    let raw = &b[..total];
    let src = Ipv4Addr::new(b[12], b[13], b[14], b[15]);
    let dst = Ipv4Addr::new(b[16], b[17], b[18], b[19]);
    let (ah, vrrp) = match b[9] {
        PROTO_VRRP => (None, &raw[ihl..]),
        PROTO_AH => {
            if raw.len() < ihl + AH_LEN {
                return Err(DecodeError::TooShort);
            }
            let a = &raw[ihl..ihl + AH_LEN];
            if a[0] != PROTO_VRRP {
                return Err(DecodeError::BadProtocol(a[0]));
            }
            let spi = u32::from_be_bytes([a[4], a[5], a[6], a[7]]);
            let seq = u32::from_be_bytes([a[8], a[9], a[10], a[11]]);
            let mut icv = [0u8; ICV_LEN];
            icv.copy_from_slice(&a[12..24]);
            (Some((spi, seq, icv)), &raw[ihl + AH_LEN..])
        }
        p => return Err(DecodeError::BadProtocol(p)),
    };
    Ok(Ipv4Packet {
        src,
        dst,
        ttl: b[8],
        id: u16::from_be_bytes([b[4], b[5]]),
        ah,
        vrrp,
        raw,
    })
}

/// Checks the AH ICV of a received packet (keepalived vrrp_in_chk_ipsecah).
pub fn verify_ah(p: &Ipv4Packet, key: &[u8; 8], unicast: bool) -> bool {
    let Some((_, _, icv)) = p.ah else {
        return false;
    };
    let mut input = p.raw.to_vec();
    input[1] = 0;
    input[6] = 0;
    input[7] = 0;
    input[10] = 0;
    input[11] = 0;
    if unicast {
        input[8] = 0;
    }
    let ihl = (input[0] & 0x0f) as usize * 4;
    input[ihl + 12..ihl + 24].fill(0);
    let want = hmac_md5(key, &input);
    want[..ICV_LEN] == icv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_md5_rfc2104_vectors() {
        // RFC 2104 appendix / RFC 2202 test case 2.
        let mac = hmac_md5(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac,
            [
                0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31, 0x0a, 0x5d,
                0xb7, 0x38
            ]
        );
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..64 {
            let b: Vec<u8> = (0..len).map(|i| (i * 37 + 0x45) as u8).collect();
            let _ = parse_ipv4(&b);
        }
    }
}
