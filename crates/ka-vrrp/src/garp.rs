//! Gratuitous ARP (keepalived vrrp_arp.c) and unsolicited neighbour advertisements
//! (vrrp_ndisc.c, RFC 4861 4.4 / 7.2.6), as whole frames.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::checksum;
use crate::time::Time;

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

/// Which kind of announcement a frame is: keepalived spaces the two apart separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A gratuitous ARP (`garp_interval`).
    Arp,
    /// An unsolicited neighbour advertisement (`gna_interval`).
    Na,
}

/// Spacing of gratuitous ARPs and unsolicited NAs on an interface (keepalived's
/// `vrrp_garp_interval`, `vrrp_gna_interval` and `garp_group`; vrrp_arp.c
/// send_gratuitous_arp, vrrp_scheduler.c vrrp_arp_thread): after one is sent on an
/// interface, the next of the same kind waits the interval. Interfaces of one garp_group
/// share their spacing. A frame that must wait is queued, in the order offered.
pub struct Pacer<F> {
    groups: Vec<GarpGroup>,
    default_arp: Duration,
    default_na: Duration,
    /// When the next frame of a kind may go out on a slot.
    next: Vec<((Slot, Kind), Time)>,
    queue: std::collections::VecDeque<(Slot, Kind, F)>,
}

/// An interface's spacing: its garp_group's, or the interface's own (global defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    Group(usize),
    Interface(String),
}

/// A `garp_group`: its intervals (zero: none) and its interfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GarpGroup {
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    pub interfaces: Vec<String>,
}

impl<F: PartialEq> Pacer<F> {
    pub fn new(groups: Vec<GarpGroup>, default_arp: Duration, default_na: Duration) -> Self {
        Pacer {
            groups,
            default_arp,
            default_na,
            next: Vec::new(),
            queue: std::collections::VecDeque::new(),
        }
    }

    fn slot(&self, iface: &str, kind: Kind) -> Option<(Slot, Duration)> {
        let (slot, interval) = match self
            .groups
            .iter()
            .position(|g| g.interfaces.iter().any(|i| i == iface))
        {
            Some(g) => {
                let grp = &self.groups[g];
                let d = match kind {
                    Kind::Arp => grp.garp_interval,
                    Kind::Na => grp.gna_interval,
                };
                (Slot::Group(g), d)
            }
            None => (
                Slot::Interface(iface.to_string()),
                match kind {
                    Kind::Arp => self.default_arp,
                    Kind::Na => self.default_na,
                },
            ),
        };
        (!interval.is_zero()).then_some((slot, interval))
    }

    fn next_of(&self, slot: &Slot, kind: Kind) -> Option<Time> {
        self.next
            .iter()
            .find(|((s, k), _)| s == slot && *k == kind)
            .map(|(_, t)| *t)
    }

    fn sent(&mut self, slot: Slot, kind: Kind, at: Time) {
        match self
            .next
            .iter_mut()
            .find(|((s, k), _)| *s == slot && *k == kind)
        {
            Some((_, t)) => *t = at,
            None => self.next.push(((slot, kind), at)),
        }
    }

    /// A frame to send on `iface` at `now`: given back to be sent now, or queued (None)
    /// until its interface's interval has passed since the last one. The same frame
    /// waiting already is not queued twice (keepalived marks an address pending once:
    /// repeats offered while it waits go out as one).
    pub fn offer(&mut self, now: Time, iface: &str, kind: Kind, frame: F) -> Option<F> {
        let Some((slot, interval)) = self.slot(iface, kind) else {
            return Some(frame);
        };
        if self.queue.iter().any(|(_, _, f)| *f == frame) {
            return None;
        }
        let waiting = self.queue.iter().any(|(s, k, _)| *s == slot && *k == kind);
        if waiting || self.next_of(&slot, kind).is_some_and(|t| now < t) {
            self.queue.push_back((slot, kind, frame));
            return None;
        }
        self.sent(slot, kind, now + interval);
        Some(frame)
    }

    /// The queued frames whose time has come at `now`: one per interface (or group) and
    /// kind, the first offered.
    pub fn due(&mut self, now: Time) -> Vec<F> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.queue.len() {
            let (slot, kind) = (self.queue[i].0.clone(), self.queue[i].1);
            let ready = self.next_of(&slot, kind).is_none_or(|t| now >= t);
            let first = !self
                .queue
                .iter()
                .take(i)
                .any(|(s, k, _)| *s == slot && *k == kind);
            if ready && first {
                let interval = self.slot_interval(&slot, kind);
                if let Some((_, _, f)) = self.queue.remove(i) {
                    out.push(f);
                }
                self.sent(slot, kind, now + interval);
            } else {
                i += 1;
            }
        }
        out
    }

    fn slot_interval(&self, slot: &Slot, kind: Kind) -> Duration {
        let (a, n) = match slot {
            Slot::Group(g) => (self.groups[*g].garp_interval, self.groups[*g].gna_interval),
            Slot::Interface(_) => (self.default_arp, self.default_na),
        };
        match kind {
            Kind::Arp => a,
            Kind::Na => n,
        }
    }

    /// When the first queued frame may go out.
    pub fn next_deadline(&self) -> Option<Time> {
        self.queue
            .iter()
            .map(|(s, k, _)| self.next_of(s, *k).unwrap_or(Time::ZERO))
            .min()
    }

    /// Frames still waiting.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Drops what waits (the instance left MASTER, or the process stops).
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

#[cfg(test)]
mod pacing {
    use super::*;

    fn ms(n: u64) -> Time {
        Time::ZERO + Duration::from_millis(n)
    }

    #[test]
    fn spaced_per_interface_and_kind_in_offer_order() {
        let mut p = Pacer::new(Vec::new(), Duration::from_millis(100), Duration::ZERO);
        assert_eq!(p.offer(ms(0), "eth0", Kind::Arp, 1), Some(1));
        assert_eq!(p.offer(ms(0), "eth0", Kind::Arp, 2), None);
        assert_eq!(p.offer(ms(0), "eth0", Kind::Arp, 3), None);
        // A repeat of one waiting merges with it.
        assert_eq!(p.offer(ms(0), "eth0", Kind::Arp, 2), None);
        assert_eq!(p.queued(), 2);
        // Another interface, and NAs (no gna_interval), are not held back.
        assert_eq!(p.offer(ms(0), "eth1", Kind::Arp, 4), Some(4));
        assert_eq!(p.offer(ms(0), "eth0", Kind::Na, 5), Some(5));
        assert_eq!(p.offer(ms(0), "eth0", Kind::Na, 6), Some(6));
        assert_eq!(p.next_deadline(), Some(ms(100)));
        assert_eq!(p.due(ms(99)), Vec::<i32>::new());
        assert_eq!(p.due(ms(100)), vec![2]);
        assert_eq!(p.next_deadline(), Some(ms(200)));
        // Woken late: the spacing counts from when it went.
        assert_eq!(p.due(ms(250)), vec![3]);
        assert_eq!(p.next_deadline(), None);
        // A new offer while the last one's interval runs still waits for it.
        assert_eq!(p.offer(ms(300), "eth0", Kind::Arp, 7), None);
        assert_eq!(p.due(ms(350)), vec![7]);
        assert_eq!(p.offer(ms(500), "eth0", Kind::Arp, 8), Some(8));
    }

    #[test]
    fn a_garp_groups_interfaces_share_one_spacing() {
        let g = GarpGroup {
            garp_interval: Duration::from_millis(50),
            gna_interval: Duration::from_millis(20),
            interfaces: vec!["eth1".into(), "eth2".into()],
        };
        // No global interval: interfaces outside the group are not spaced.
        let mut p = Pacer::new(vec![g], Duration::ZERO, Duration::ZERO);
        assert_eq!(p.offer(ms(0), "eth1", Kind::Arp, 1), Some(1));
        assert_eq!(p.offer(ms(0), "eth2", Kind::Arp, 2), None);
        assert_eq!(p.offer(ms(0), "eth3", Kind::Arp, 3), Some(3));
        assert_eq!(p.offer(ms(0), "eth2", Kind::Na, 4), Some(4));
        assert_eq!(p.offer(ms(1), "eth1", Kind::Na, 5), None);
        assert_eq!(p.next_deadline(), Some(ms(20)));
        assert_eq!(p.due(ms(20)), vec![5]);
        assert_eq!(p.due(ms(50)), vec![2]);
        assert_eq!(p.queued(), 0);
    }
}
