//! The Internet checksum (RFC 1071) and the VRRPv3 pseudo-header sums (RFC 5798 5.2.8).

use std::net::IpAddr;

fn sum(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u32) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The checksum of `data` (0 when `data` already holds a correct checksum).
pub fn data(data: &[u8]) -> u16 {
    fold(sum(data, 0))
}

/// The checksum of `data` behind the IPv4 or IPv6 pseudo-header for `proto`.
pub fn with_pseudo(src: IpAddr, dst: IpAddr, proto: u8, data: &[u8]) -> u16 {
    let mut acc = 0;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum(&s.octets(), acc);
            acc = sum(&d.octets(), acc);
            acc += proto as u32;
            acc += data.len() as u32;
        }
        (s, d) => {
            let o = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
                IpAddr::V6(v) => v.octets(),
            };
            acc = sum(&o(s), acc);
            acc = sum(&o(d), acc);
            acc = sum(&(data.len() as u32).to_be_bytes(), acc);
            acc += proto as u32;
        }
    }
    fold(sum(data, acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2; the checksum is its complement.
        assert_eq!(
            data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(data(&[0x12]), !0x1200);
    }
}
