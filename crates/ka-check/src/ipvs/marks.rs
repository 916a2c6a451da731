//! `nftables_ipvs` (keepalived check_nftables.c): a virtual server on a group of
//! addresses and ports (one without fwmark entries) is one firewall-mark service per
//! protocol instead of one service per address, and an nftables table gives each of the
//! group's addresses and ports its mark as packets come in.
//!
//! keepalived's layout: per family a table (`ip keepalived_ipvs`, `ip6 …`) with a base
//! chain `in` (filter, hook input, the configured priority, policy accept), per protocol
//! a map `tcp_map` / `udp_map` / `sctp_map` from `daddr . dport` ranges to marks, and
//! the rule `meta l4proto tcp meta mark set ip daddr . tcp dport map @tcp_map counter
//! return`. Marks are given out from `nftables_ipvs_start_fwmark` (1000), one per group
//! and protocol in the order the virtual servers come in the configuration (keepalived
//! gives them out as it adds the services, in the same order), so that a reload of the
//! same configuration keeps them.
//!
//! [`Marks`] is resolved from the configuration; it builds the nf_tables batches as
//! bytes, which the checker child sends through ka-net's netfilter socket.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ka_config::model::{Config, Protocol, VsGroupEntry, VsKey};

use crate::ipvs::kernel::SvcKey;
use ka_nft::{
    counter, expr, meta_load, nest, payload, put, put_be32, put_str, verdict, Batch, DELTABLE,
    F_APPEND, F_CREATE, HOOK_LOCAL_IN, IPV4, IPV6, NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM, NEWTABLE,
    NFT_RETURN, NF_ACCEPT, REG_1,
};

/// The IP protocol number of a virtual server's `protocol`.
pub fn protocol(p: Protocol) -> u16 {
    match p {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Sctp => 132,
    }
}

/// The mark of each (group, protocol) that nftables_ipvs turns into a fwmark service.
pub type AutoMarks = BTreeMap<(String, u16), u32>;

/// Whether group `name` is one nftables_ipvs marks: it has addresses and no fwmark entry.
fn marked_group(c: &Config, name: &str) -> bool {
    let entries = || {
        c.vs_groups
            .iter()
            .filter(|g| g.name == name)
            .flat_map(|g| &g.entries)
    };
    entries().any(|e| matches!(e, VsGroupEntry::Range { .. }))
        && !entries().any(|e| matches!(e, VsGroupEntry::Fwmark { .. }))
}

/// The marks, given out in the virtual servers' order (empty without nftables_ipvs).
pub fn auto_marks(c: &Config) -> AutoMarks {
    let mut out = AutoMarks::new();
    if c.global.nftables_ipvs.is_none() {
        return out;
    }
    let mut next = c.global.nftables_ipvs_start_fwmark;
    for v in &c.virtual_servers {
        let VsKey::Group(name) = &v.key else { continue };
        if !marked_group(c, name) {
            continue;
        }
        out.entry((name.clone(), protocol(v.protocol)))
            .or_insert_with(|| {
                let m = next;
                next = next.wrapping_add(1);
                m
            });
    }
    out
}

/// One map element: `first . port - last . port : mark`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Element {
    pub protocol: u16,
    pub first: IpAddr,
    pub last: IpAddr,
    pub port: u16,
    pub mark: u32,
}

/// The nftables_ipvs table of a configuration, when it marks something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marks {
    pub table: String,
    pub priority: i32,
    pub counters: bool,
    /// Sorted, without repeats.
    pub elements: Vec<Element>,
}

/// nft's data types (datatypes.h) and the width of a concatenation's type fields.
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;
const TYPE_INET_SERVICE: u32 = 13;
const TYPE_MARK: u32 = 19;
const TYPE_BITS: u32 = 6;

/// NFT_SET_* flags.
const SET_INTERVAL: u32 = 0x4;
const SET_MAP: u32 = 0x8;
const SET_CONCAT: u32 = 0x80;

/// NFT_META_* keys.
const META_MARK: u32 = 3;
const META_L4PROTO: u32 = 16;

/// Registers: the address goes in NFT_REG_1 (32-bit registers 8…); the port right after
/// it, in 32-bit register 9 after an IPv4 address and in NFT_REG_2 (12) after an IPv6
/// one.
const REG32_01: u32 = 9;
const REG_2: u32 = 2;

impl Marks {
    pub fn from_config(c: &Config) -> Option<Marks> {
        let table = c.global.nftables_ipvs.clone()?;
        let marks = auto_marks(c);
        let mut elements = Vec::new();
        for v in &c.virtual_servers {
            let VsKey::Group(name) = &v.key else { continue };
            let proto = protocol(v.protocol);
            let Some(&mark) = marks.get(&(name.clone(), proto)) else {
                continue;
            };
            for g in c.vs_groups.iter().filter(|g| &g.name == name) {
                for e in &g.entries {
                    if let VsGroupEntry::Range { first, last, port } = *e {
                        elements.push(Element {
                            protocol: proto,
                            first,
                            last,
                            port,
                            mark,
                        });
                    }
                }
            }
        }
        if elements.is_empty() {
            return None;
        }
        elements.sort();
        elements.dedup();
        Some(Marks {
            table,
            priority: c.global.nftables_ipvs_priority,
            counters: c.global.nftables_counters,
            elements,
        })
    }

    /// The fwmark services the marks feed.
    pub fn service_keys(&self) -> Vec<SvcKey> {
        let mut keys: Vec<SvcKey> = self
            .elements
            .iter()
            .map(|e| SvcKey::Fwmark {
                ipv6: e.first.is_ipv6(),
                mark: e.mark,
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn families(&self) -> Vec<u8> {
        let mut f = Vec::new();
        if self.elements.iter().any(|e| e.first.is_ipv4()) {
            f.push(IPV4);
        }
        if self.elements.iter().any(|e| e.first.is_ipv6()) {
            f.push(IPV6);
        }
        f
    }

    fn in_family(&self, family: u8) -> impl Iterator<Item = &Element> {
        self.elements
            .iter()
            .filter(move |e| e.first.is_ipv4() == (family == IPV4))
    }

    /// One batch that makes the tables afresh (any table of that name, a predecessor's,
    /// is deleted in the same transaction, so that packets never meet a half-made
    /// table), with every element when `with_elements`.
    pub fn create(&self, with_elements: bool, seq: &mut u32) -> Vec<u8> {
        let mut b = Batch::new(seq);
        let mut set_id = 0;
        for family in self.families() {
            let table = |buf: &mut Vec<u8>| put_str(buf, 1, &self.table);
            b.msg(NEWTABLE, family, F_CREATE, table);
            b.msg(DELTABLE, family, 0, table);
            b.msg(NEWTABLE, family, F_CREATE, table);
            b.msg(NEWCHAIN, family, F_CREATE, |m| {
                put_str(m, 1, &self.table);
                put_str(m, 3, "in");
                nest(m, 4, |h| {
                    put_be32(h, 1, HOOK_LOCAL_IN);
                    put_be32(h, 2, self.priority as u32);
                });
                put_be32(m, 5, NF_ACCEPT);
                put_str(m, 7, "filter");
            });
            let mut protocols: Vec<u16> = self.in_family(family).map(|e| e.protocol).collect();
            protocols.dedup();
            protocols.sort_unstable();
            protocols.dedup();
            for proto in protocols {
                set_id += 1;
                self.map(&mut b, family, proto, set_id);
                if with_elements {
                    let els: Vec<&Element> = self
                        .in_family(family)
                        .filter(|e| e.protocol == proto)
                        .collect();
                    self.put_elements(&mut b, family, proto, &els);
                }
            }
        }
        b.finish()
    }

    /// One batch per element, for when the whole table was refused (overlapping ranges
    /// in two groups): each element that fits goes in, as keepalived adds them one by
    /// one.
    pub fn element_batches(&self, seq: &mut u32) -> Vec<(Element, Vec<u8>)> {
        self.elements
            .iter()
            .map(|e| {
                let family = if e.first.is_ipv4() { IPV4 } else { IPV6 };
                let mut b = Batch::new(seq);
                self.put_elements(&mut b, family, e.protocol, &[e]);
                (e.clone(), b.finish())
            })
            .collect()
    }

    /// One batch that deletes the tables (at stop).
    pub fn delete(&self, seq: &mut u32) -> Vec<u8> {
        let mut b = Batch::new(seq);
        for family in self.families() {
            b.msg(DELTABLE, family, 0, |m| put_str(m, 1, &self.table));
        }
        b.finish()
    }

    /// The map of `proto` and the rule that looks packets up in it.
    fn map(&self, b: &mut Batch, family: u8, proto: u16, set_id: u32) {
        let name = map_name(proto);
        let addr_len: u32 = if family == IPV4 { 4 } else { 16 };
        let addr_type = if family == IPV4 {
            TYPE_IPADDR
        } else {
            TYPE_IP6ADDR
        };
        b.msg(NEWSET, family, F_CREATE, |m| {
            put_str(m, 1, &self.table);
            put_str(m, 2, name);
            put_be32(m, 3, SET_MAP | SET_CONCAT | SET_INTERVAL);
            put_be32(m, 4, (addr_type << TYPE_BITS) | TYPE_INET_SERVICE);
            // Each field takes whole 32-bit registers: the port 4 bytes.
            put_be32(m, 5, addr_len + 4);
            put_be32(m, 6, TYPE_MARK);
            put_be32(m, 7, 4);
            // NFTA_SET_DESC { NFTA_SET_DESC_CONCAT { field lengths } }.
            nest(m, 9, |d| {
                nest(d, 2, |c| {
                    for len in [addr_len, 2] {
                        nest(c, 1, |f| put_be32(f, 1, len));
                    }
                })
            });
            put_be32(m, 10, set_id);
            // What `nft list` needs to print the keys and marks (keepalived's userdata):
            // key byte order host (a concatenation), data byte order host.
            let mut udata = Vec::new();
            for (ty, order) in [(0u8, 1u32), (1, 1)] {
                udata.extend_from_slice(&[ty, 4]);
                udata.extend_from_slice(&order.to_ne_bytes());
            }
            put(m, 13, &udata);
            if self.counters {
                // NFTA_SET_EXPR: a counter per element.
                nest(m, 17, |e| {
                    put_str(e, 1, "counter");
                    nest(e, 2, |_| {});
                });
            }
        });
        let (daddr, port_reg) = if family == IPV4 {
            (16, REG32_01)
        } else {
            (24, REG_2)
        };
        let proto_byte = proto as u8;
        b.msg(NEWRULE, family, F_CREATE | F_APPEND, |m| {
            put_str(m, 1, &self.table);
            put_str(m, 2, "in");
            nest(m, 4, |e| {
                meta_load(e, META_L4PROTO, REG_1);
                ka_nft::cmp_eq(e, &[proto_byte]);
                payload(e, REG_1, 1, daddr, addr_len);
                // The destination port: the same offset in TCP, UDP and SCTP.
                payload(e, port_reg, 2, 2, 2);
                expr(e, "lookup", |d| {
                    put_str(d, 1, name);
                    put_be32(d, 2, REG_1);
                    put_be32(d, 3, REG_1);
                    put_be32(d, 4, set_id);
                });
                expr(e, "meta", |d| {
                    put_be32(d, 2, META_MARK);
                    put_be32(d, 3, REG_1);
                });
                // keepalived add_counter: only with nftables_counters.
                if self.counters {
                    counter(e);
                }
                verdict(e, NFT_RETURN);
            });
        });
    }

    fn put_elements(&self, b: &mut Batch, family: u8, proto: u16, els: &[&Element]) {
        if els.is_empty() {
            return;
        }
        b.msg(NEWSETELEM, family, F_CREATE, |m| {
            put_str(m, 1, &self.table);
            put_str(m, 2, map_name(proto));
            nest(m, 3, |list| {
                for e in els {
                    nest(list, 1, |el| {
                        nest(el, 1, |k| put(k, 1, &key(e.first, e.port)));
                        nest(el, 10, |k| put(k, 1, &key(e.last, e.port)));
                        nest(el, 2, |d| put(d, 1, &e.mark.to_ne_bytes()));
                    });
                }
            });
        });
    }
}

fn map_name(proto: u16) -> &'static str {
    match proto {
        6 => "tcp_map",
        17 => "udp_map",
        _ => "sctp_map",
    }
}

/// `address . port` as the registers hold it: the address, then the port (network order)
/// padded to 4 bytes.
fn key(a: IpAddr, port: u16) -> Vec<u8> {
    let mut k = match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    k.extend_from_slice(&port.to_be_bytes());
    k.extend_from_slice(&[0, 0]);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        let l = ka_config::parse_str("/k.conf", text, &ka_config::Options::default());
        assert!(
            !l.diagnostics
                .iter()
                .any(|d| d.severity == ka_config::diag::Severity::Error),
            "{:?}",
            l.diagnostics
        );
        l.config
    }

    const CONF: &str = "global_defs {\n nftables_ipvs\n nftables_ipvs_start_fwmark 2000\n}\n\
        virtual_server_group web {\n 10.50.1.1-3 443\n 10.50.2.9 80\n}\n\
        virtual_server_group dns {\n fd00:50::1-2 53\n}\n\
        virtual_server_group marked {\n 10.50.3.1 80\n fwmark 7\n}\n\
        virtual_server group web {\n protocol TCP\n real_server 10.51.1.1 443 {\n }\n}\n\
        virtual_server group dns {\n protocol UDP\n real_server fd00:51::1 53 {\n }\n}\n\
        virtual_server group web {\n protocol UDP\n real_server 10.51.1.1 443 {\n }\n}\n\
        virtual_server group marked {\n protocol TCP\n real_server 10.51.1.1 80 {\n }\n}\n";

    #[test]
    fn marks_go_to_groups_of_addresses_in_order() {
        let c = parse(CONF);
        let m = auto_marks(&c);
        assert_eq!(m.get(&("web".into(), 6)), Some(&2000));
        assert_eq!(m.get(&("dns".into(), 17)), Some(&2001));
        assert_eq!(m.get(&("web".into(), 17)), Some(&2002));
        // A group with a fwmark entry keeps its per-address services.
        assert_eq!(m.get(&("marked".into(), 6)), None);
        assert_eq!(m.len(), 3);
        let marks = Marks::from_config(&c).unwrap();
        assert_eq!(marks.table, "keepalived_ipvs");
        assert_eq!(marks.priority, -1);
        // web TCP and UDP (2 entries each), dns UDP (1).
        assert_eq!(marks.elements.len(), 5);
        assert!(marks.elements.contains(&Element {
            protocol: 17,
            first: "fd00:50::1".parse().unwrap(),
            last: "fd00:50::2".parse().unwrap(),
            port: 53,
            mark: 2001,
        }));
    }

    #[test]
    fn without_the_keyword_nothing_is_marked() {
        let c = parse(&CONF.replacen("nftables_ipvs\n", "", 1));
        assert!(auto_marks(&c).is_empty());
        assert_eq!(Marks::from_config(&c), None);
    }

    #[test]
    fn the_batch_holds_both_families_maps_rules_and_elements() {
        let c = parse(CONF);
        let marks = Marks::from_config(&c).unwrap();
        let mut seq = 0;
        let b = marks.create(true, &mut seq);
        // Per family: table, delete, table, chain; ip: tcp_map + rule + elements,
        // udp_map + rule + elements; ip6: udp_map + rule + elements.
        assert_eq!(ka_nft::acked_seqs(&b).len(), 4 + 3 + 3 + 4 + 3);
        let has = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"keepalived_ipvs\0"));
        assert!(has(b"tcp_map\0") && has(b"udp_map\0") && !has(b"sctp_map\0"));
        // 10.50.1.3 . 443 as a range end, and mark 2000 in host order.
        assert!(has(&[10, 50, 1, 3, 1, 187, 0, 0]));
        assert!(has(&2000u32.to_ne_bytes()));
        // Without elements: three messages fewer.
        let mut seq = 0;
        let bare = marks.create(false, &mut seq);
        assert_eq!(ka_nft::acked_seqs(&bare).len(), 14);
        assert_eq!(marks.element_batches(&mut seq).len(), 5);
        let mut seq = 0;
        assert_eq!(ka_nft::acked_seqs(&marks.delete(&mut seq)).len(), 2);
    }
}
