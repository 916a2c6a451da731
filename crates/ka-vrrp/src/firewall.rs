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

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const BATCH_BEGIN: u16 = 0x10;
const BATCH_END: u16 = 0x11;
const NEWTABLE: u16 = 0;
const DELTABLE: u16 = 2;
const NEWCHAIN: u16 = 3;
const NEWRULE: u16 = 6;
const NEWSET: u16 = 9;
const NEWSETELEM: u16 = 12;
const DELSETELEM: u16 = 14;

const F_REQUEST: u16 = 0x1;
const F_ACK: u16 = 0x4;
const F_CREATE: u16 = 0x400;
const F_APPEND: u16 = 0x800;

/// NFPROTO_IPV4 / NFPROTO_IPV6.
const IPV4: u8 = 2;
const IPV6: u8 = 10;

/// nft's data types for the sets' keys (ipv4_addr, ipv6_addr).
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;

const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
const HOOK_LOCAL_IN: u32 = 1;
const HOOK_LOCAL_OUT: u32 = 3;
const REG_VERDICT: u32 = 0;
const REG_1: u32 = 1;
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
                                expr(e, "meta", |d| {
                                    put_be32(d, 2, 16); // NFT_META_L4PROTO
                                    put_be32(d, 1, REG_1);
                                });
                                cmp_eq(e, &[58]);
                                expr(e, "payload", |d| {
                                    put_be32(d, 1, REG_1);
                                    put_be32(d, 2, 2); // transport header
                                    put_be32(d, 3, 0);
                                    put_be32(d, 4, 1);
                                });
                                cmp_eq(e, &[icmp_type]);
                                if self.counters {
                                    expr(e, "counter", |_| {});
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
                        expr(e, "payload", |d| {
                            put_be32(d, 1, REG_1);
                            put_be32(d, 2, 1); // network header
                            put_be32(d, 3, offset);
                            put_be32(d, 4, key_len);
                        });
                        expr(e, "lookup", |d| {
                            put_str(d, 1, "vips");
                            put_be32(d, 2, REG_1);
                            put_be32(d, 4, SET_ID);
                        });
                        if self.counters {
                            expr(e, "counter", |_| {});
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

/// An nf_tables transaction: BATCH_BEGIN, the messages (each acknowledged), BATCH_END.
struct Batch<'s> {
    buf: Vec<u8>,
    seq: &'s mut u32,
}

impl<'s> Batch<'s> {
    fn new(seq: &'s mut u32) -> Batch<'s> {
        let mut b = Batch {
            buf: Vec::new(),
            seq,
        };
        b.raw(BATCH_BEGIN, F_REQUEST, 0, NFNL_SUBSYS_NFTABLES, |_| {});
        b
    }

    fn raw(
        &mut self,
        ty: u16,
        flags: u16,
        family: u8,
        res_id: u16,
        body: impl FnOnce(&mut Vec<u8>),
    ) {
        *self.seq = self.seq.wrapping_add(1);
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(&flags.to_ne_bytes());
        self.buf.extend_from_slice(&self.seq.to_ne_bytes());
        self.buf.extend_from_slice(&0u32.to_ne_bytes());
        // struct nfgenmsg: family, version 0, resource id (big-endian).
        self.buf.extend_from_slice(&[family, 0]);
        self.buf.extend_from_slice(&res_id.to_be_bytes());
        body(&mut self.buf);
        let len = (self.buf.len() - start) as u32;
        self.buf[start..start + 4].copy_from_slice(&len.to_ne_bytes());
    }

    fn msg(&mut self, cmd: u16, family: u8, flags: u16, body: impl FnOnce(&mut Vec<u8>)) {
        let ty = (NFNL_SUBSYS_NFTABLES << 8) | cmd;
        self.raw(ty, F_REQUEST | F_ACK | flags, family, 0, body);
    }

    fn finish(mut self) -> Vec<u8> {
        self.raw(BATCH_END, F_REQUEST, 0, NFNL_SUBSYS_NFTABLES, |_| {});
        self.buf
    }
}

/// The sequence numbers a batch's acknowledged messages carry (all but its first and
/// last), for matching the kernel's answers.
pub fn acked_seqs(batch: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut b = batch;
    while b.len() >= 16 {
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let flags = u16::from_ne_bytes([b[6], b[7]]);
        if len < 16 || len > b.len() {
            break;
        }
        if flags & F_ACK != 0 {
            out.push(u32::from_ne_bytes([b[8], b[9], b[10], b[11]]));
        }
        b = &b[align4(len).min(b.len())..];
    }
    out
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn put(buf: &mut Vec<u8>, ty: u16, data: &[u8]) {
    buf.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(data);
    buf.resize(align4(buf.len()), 0);
}

fn put_str(buf: &mut Vec<u8>, ty: u16, s: &str) {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    put(buf, ty, &v);
}

fn put_be32(buf: &mut Vec<u8>, ty: u16, v: u32) {
    put(buf, ty, &v.to_be_bytes());
}

/// A nested attribute (NLA_F_NESTED set, as nftables' kernel side expects).
fn nest(buf: &mut Vec<u8>, ty: u16, f: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    f(buf);
    let len = (buf.len() - start) as u16;
    buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    buf[start + 2..start + 4].copy_from_slice(&(ty | 0x8000).to_ne_bytes());
}

/// One expression of a rule's list: its name and its data.
fn expr(buf: &mut Vec<u8>, name: &str, data: impl FnOnce(&mut Vec<u8>)) {
    nest(buf, 1, |e| {
        put_str(e, 1, name);
        nest(e, 2, data);
    });
}

fn cmp_eq(buf: &mut Vec<u8>, value: &[u8]) {
    expr(buf, "cmp", |d| {
        put_be32(d, 1, REG_1);
        put_be32(d, 2, 0); // NFT_CMP_EQ
        nest(d, 3, |v| put(v, 1, value));
    });
}

fn verdict(buf: &mut Vec<u8>, code: u32) {
    expr(buf, "immediate", |d| {
        put_be32(d, 1, REG_VERDICT);
        nest(d, 2, |v| nest(v, 2, |c| put_be32(c, 1, code)));
    });
}
