//! The nftables rules of instances not in accept mode (keepalived vrrp_nftables.c): while
//! such an instance holds its VIPs, traffic to and from them is dropped, IPv6 neighbour
//! discovery excepted (RFC 5798 6.4.3: a master not in accept mode does not accept
//! packets addressed to the VIPs).
//!
//! [`Firewall`] is resolved from the configuration once ([`Firewall::from_config`]); it
//! builds nf_tables netlink batches as bytes ([`Firewall::create`],
//! [`Firewall::elements`], [`Firewall::delete`]) that the VRRP child sends through
//! ka-net's netfilter socket. The layout is keepalived's: per family a table (`ip NAME`,
//! `ip6 NAME`) with base chains `in` (input) and `out` (output) at the configured
//! priority, a set `vips`, and the rules `ip daddr @vips drop` in `in` and
//! `ip saddr @vips drop` in `out` (IPv6: neighbour solicitations and advertisements are
//! accepted first).

use std::net::IpAddr;

use ka_config::model;
use ka_nft::{
    cmp_eq, counter, expr, meta_load, nest, payload, put, put_be32, put_str, verdict, Batch,
    DELSETELEM, DELTABLE, F_APPEND, F_CREATE, HOOK_LOCAL_IN, HOOK_LOCAL_OUT, IPV4, IPV6, NEWCHAIN,
    NEWRULE, NEWSET, NEWSETELEM, NEWTABLE, NF_ACCEPT, NF_DROP, REG_1,
};

/// The nftables table of a configuration, when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firewall {
    pub table: String,
    pub priority: i32,
    pub counters: bool,
    /// keepalived added the table without `nftables` being configured (an instance not
    /// in accept mode needs it).
    pub implicit: bool,
}

/// Whether instance `m`'s VIPs go into the drop sets while it holds them (keepalived
/// vrrp_handle_accept_mode): not in accept mode, and not the address owner.
pub fn filtered(m: &model::VrrpInstance) -> bool {
    !m.accept && m.priority != 255
}

/// nft's data types for the sets' keys (ipv4_addr, ipv6_addr).
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;

const SET_ID: u32 = 1;

impl Firewall {
    /// keepalived's: the configured table, else "keepalived" when an instance is not in
    /// accept mode (vrrp_complete_instance: "use_vmac or no_accept/strict specified,
    /// but no firewall configured - using nftables"). VMAC-only configurations get no
    /// table: the IGMP/MLD rules keepalived adds for VMACs are not made here.
    pub fn from_config(c: &model::Config) -> Option<Firewall> {
        let g = &c.global;
        let needed = c.instances.iter().any(filtered);
        match &g.nftables {
            Some(t) => Some(Firewall {
                table: t.clone(),
                priority: g.nftables_priority,
                counters: g.nftables_counters,
                implicit: false,
            }),
            None if needed => Some(Firewall {
                table: "keepalived".into(),
                priority: -1,
                counters: g.nftables_counters,
                implicit: true,
            }),
            None => None,
        }
    }

    /// One batch that makes the tables of the families asked for afresh, empty: any
    /// table of that name (a predecessor's residue) is deleted in the same transaction.
    pub fn create(&self, v4: bool, v6: bool, seq: &mut u32) -> Vec<u8> {
        let mut b = Batch::new(seq);
        for (on, family) in [(v4, IPV4), (v6, IPV6)] {
            if !on {
                continue;
            }
            let table = |buf: &mut Vec<u8>| put_str(buf, 1, &self.table);
            b.msg(NEWTABLE, family, F_CREATE, table);
            b.msg(DELTABLE, family, 0, table);
            b.msg(NEWTABLE, family, F_CREATE, table);
            // keepalived makes `out` first (nft list shows the chains in that order).
            for (chain, hook) in [("out", HOOK_LOCAL_OUT), ("in", HOOK_LOCAL_IN)] {
                b.msg(NEWCHAIN, family, F_CREATE, |m| {
                    put_str(m, 1, &self.table);
                    put_str(m, 3, chain);
                    nest(m, 4, |h| {
                        put_be32(h, 1, hook);
                        put_be32(h, 2, self.priority as u32);
                    });
                    put_be32(m, 5, NF_ACCEPT);
                    put_str(m, 7, "filter");
                });
            }
            let (key_type, key_len) = if family == IPV4 {
                (TYPE_IPADDR, 4)
            } else {
                (TYPE_IP6ADDR, 16)
            };
            b.msg(NEWSET, family, F_CREATE, |m| {
                put_str(m, 1, &self.table);
                put_str(m, 2, "vips");
                put_be32(m, 3, 0);
                put_be32(m, 4, key_type);
                put_be32(m, 5, key_len);
                put_be32(m, 10, SET_ID);
            });
            // Network header offsets of the source and destination addresses.
            let (src, dst) = if family == IPV4 { (12, 16) } else { (8, 24) };
            for (chain, offset) in [("in", dst), ("out", src)] {
                if family == IPV6 {
                    // icmpv6 type nd-neighbor-solicit / nd-neighbor-advert accept
                    for icmp_type in [135u8, 136] {
                        b.msg(NEWRULE, family, F_CREATE | F_APPEND, |m| {
                            put_str(m, 1, &self.table);
                            put_str(m, 2, chain);
                            nest(m, 4, |e| {
                                meta_load(e, 16, REG_1); // NFT_META_L4PROTO
                                cmp_eq(e, &[58]);
                                payload(e, REG_1, 2, 0, 1); // the ICMPv6 type
                                cmp_eq(e, &[icmp_type]);
                                if self.counters {
                                    counter(e);
                                }
                                verdict(e, NF_ACCEPT);
                            });
                        });
                    }
                }
                b.msg(NEWRULE, family, F_CREATE | F_APPEND, |m| {
                    put_str(m, 1, &self.table);
                    put_str(m, 2, chain);
                    nest(m, 4, |e| {
                        payload(e, REG_1, 1, offset, key_len); // network header
                        expr(e, "lookup", |d| {
                            put_str(d, 1, "vips");
                            put_be32(d, 2, REG_1);
                            put_be32(d, 4, SET_ID);
                        });
                        if self.counters {
                            counter(e);
                        }
                        verdict(e, NF_DROP);
                    });
                });
            }
        }
        b.finish()
    }

    /// One batch that adds `addrs` to (or removes them from) the sets; none when empty.
    pub fn elements(&self, add: bool, addrs: &[IpAddr], seq: &mut u32) -> Option<Vec<u8>> {
        if addrs.is_empty() {
            return None;
        }
        let mut b = Batch::new(seq);
        for family in [IPV4, IPV6] {
            let keys: Vec<Vec<u8>> = addrs
                .iter()
                .filter_map(|a| match (a, family) {
                    (IpAddr::V4(v), IPV4) => Some(v.octets().to_vec()),
                    (IpAddr::V6(v), IPV6) => Some(v.octets().to_vec()),
                    _ => None,
                })
                .collect();
            if keys.is_empty() {
                continue;
            }
            let (cmd, flags) = if add {
                (NEWSETELEM, F_CREATE)
            } else {
                (DELSETELEM, 0)
            };
            b.msg(cmd, family, flags, |m| {
                put_str(m, 1, &self.table);
                put_str(m, 2, "vips");
                nest(m, 3, |list| {
                    for k in &keys {
                        nest(list, 1, |el| nest(el, 1, |key| put(key, 1, k)));
                    }
                });
            });
        }
        Some(b.finish())
    }

    /// One batch that deletes the tables of the families given (at stop).
    pub fn delete(&self, v4: bool, v6: bool, seq: &mut u32) -> Vec<u8> {
        let mut b = Batch::new(seq);
        for (on, family) in [(v4, IPV4), (v6, IPV6)] {
            if on {
                b.msg(DELTABLE, family, 0, |m| put_str(m, 1, &self.table));
            }
        }
        b.finish()
    }
}

/// The sequence numbers a batch's acknowledged messages carry (all but its first and
/// last), for matching the kernel's answers.
pub use ka_nft::acked_seqs;
