//! Gratuitous ARP (keepalived vrrp_arp.c) and unsolicited neighbour advertisements
//! (vrrp_ndisc.c, RFC 4861 4.4 / 7.2.6), as whole frames.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::checksum;

pub const ETH_P_ARP: u16 = 0x0806;
pub const ETH_P_IPV6: u16 = 0x86dd;

/// keepalived's gratuitous ARP: an ARP *request*, Ethernet broadcast from the interface
/// MAC, sender IP = target IP = the VIP, target MAC broadcast. 42 bytes.
pub fn gratuitous_arp(mac: [u8; 6], ip: Ipv4Addr) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETH_P_ARP.to_be_bytes());
    f[14..16].copy_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    f[16..18].copy_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    f[18] = 6;
    f[19] = 4;
    f[20..22].copy_from_slice(&1u16.to_be_bytes()); // request
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip.octets());
    f[32..38].copy_from_slice(&[0xff; 6]);
    f[38..42].copy_from_slice(&ip.octets());
    f
}

/// An unsolicited NA for `target` to all-nodes (ff02::1) from `src` (the interface's
/// link-local address), Override set, Router set when forwarding; with the target
/// link-layer address option. A whole Ethernet frame, 86 bytes.
pub fn unsolicited_na(mac: [u8; 6], src: Ipv6Addr, target: Ipv6Addr, router: bool) -> Vec<u8> {
    let all_nodes = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    let mut icmp = vec![0u8; 32];
    icmp[0] = 136; // Neighbor Advertisement
    icmp[4] = if router { 0x80 } else { 0 } | 0x20; // R, O
    icmp[8..24].copy_from_slice(&target.octets());
    icmp[24] = 2; // target link-layer address
    icmp[25] = 1; // length in 8-byte units
    icmp[26..32].copy_from_slice(&mac);
    let sum = checksum::with_pseudo(src.into(), all_nodes.into(), 58, &icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let mut f = Vec::with_capacity(14 + 40 + icmp.len());
    f.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ETH_P_IPV6.to_be_bytes());
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    f.push(58);
    f.push(255);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&all_nodes.octets());
    f.extend_from_slice(&icmp);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garp_layout() {
        let f = gratuitous_arp([2, 0, 0, 0, 0, 1], Ipv4Addr::new(192, 168, 100, 10));
        assert_eq!(&f[..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(f[21], 1, "an ARP request, as keepalived sends");
        assert_eq!(&f[28..32], &f[38..42], "sender IP = target IP");
    }

    #[test]
    fn na_checksum_verifies() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let f = unsolicited_na(
            [2, 0, 0, 0, 0, 1],
            src,
            "2001:db8::10".parse().unwrap(),
            false,
        );
        assert_eq!(f.len(), 86);
        let all_nodes: Ipv6Addr = "ff02::1".parse().unwrap();
        assert_eq!(
            checksum::with_pseudo(src.into(), all_nodes.into(), 58, &f[54..]),
            0
        );
        assert_eq!(f[54 + 4], 0x20, "Override set, Router clear");
    }
}
