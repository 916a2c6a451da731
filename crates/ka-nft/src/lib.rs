//! nf_tables netlink messages as bytes, for the two users of nftables in keepalived-rs:
//! ka-vrrp's `firewall` (the VIPs of instances not in accept mode) and ka-check's
//! `ipvs::marks` (nftables_ipvs: the firewall marks of virtual server groups). Both build
//! a [`Batch`] (one transaction: the kernel applies all of it or nothing) and ka-net's
//! netfilter socket carries it.
//!
//! Numbers are the kernel's (include/uapi/linux/netfilter/nf_tables.h); each message's
//! attributes are written in the order `nft` writes them.

#![forbid(unsafe_code)]

pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const BATCH_BEGIN: u16 = 0x10;
pub const BATCH_END: u16 = 0x11;
pub const NEWTABLE: u16 = 0;
pub const DELTABLE: u16 = 2;
pub const NEWCHAIN: u16 = 3;
pub const NEWRULE: u16 = 6;
pub const NEWSET: u16 = 9;
pub const NEWSETELEM: u16 = 12;
pub const DELSETELEM: u16 = 14;

pub const F_REQUEST: u16 = 0x1;
pub const F_ACK: u16 = 0x4;
pub const F_CREATE: u16 = 0x400;
pub const F_APPEND: u16 = 0x800;

/// NFPROTO_IPV4 / NFPROTO_IPV6.
pub const IPV4: u8 = 2;
pub const IPV6: u8 = 10;

pub const NF_DROP: u32 = 0;
pub const NF_ACCEPT: u32 = 1;
/// NFT_RETURN (as a verdict code, -5).
pub const NFT_RETURN: u32 = (-5i32) as u32;
pub const HOOK_LOCAL_IN: u32 = 1;
pub const HOOK_LOCAL_OUT: u32 = 3;
pub const REG_VERDICT: u32 = 0;
pub const REG_1: u32 = 1;

/// An nf_tables transaction: BATCH_BEGIN, the messages (each acknowledged), BATCH_END.
pub struct Batch<'s> {
    buf: Vec<u8>,
    seq: &'s mut u32,
}

impl<'s> Batch<'s> {
    pub fn new(seq: &'s mut u32) -> Batch<'s> {
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

    /// One nf_tables message (`cmd`: NEWTABLE, …) of `family`, acknowledged.
    pub fn msg(&mut self, cmd: u16, family: u8, flags: u16, body: impl FnOnce(&mut Vec<u8>)) {
        let ty = (NFNL_SUBSYS_NFTABLES << 8) | cmd;
        self.raw(ty, F_REQUEST | F_ACK | flags, family, 0, body);
    }

    pub fn finish(mut self) -> Vec<u8> {
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

pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// An attribute: its length, type and data, padded to 4 bytes.
pub fn put(buf: &mut Vec<u8>, ty: u16, data: &[u8]) {
    buf.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(data);
    buf.resize(align4(buf.len()), 0);
}

/// A NUL-terminated string attribute.
pub fn put_str(buf: &mut Vec<u8>, ty: u16, s: &str) {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    put(buf, ty, &v);
}

pub fn put_be32(buf: &mut Vec<u8>, ty: u16, v: u32) {
    put(buf, ty, &v.to_be_bytes());
}

/// A nested attribute (NLA_F_NESTED set, as nftables' kernel side expects).
pub fn nest(buf: &mut Vec<u8>, ty: u16, f: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    f(buf);
    let len = (buf.len() - start) as u16;
    buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    buf[start + 2..start + 4].copy_from_slice(&(ty | 0x8000).to_ne_bytes());
}

/// One expression of a rule's list: its name and its data.
pub fn expr(buf: &mut Vec<u8>, name: &str, data: impl FnOnce(&mut Vec<u8>)) {
    nest(buf, 1, |e| {
        put_str(e, 1, name);
        nest(e, 2, data);
    });
}

/// `cmp eq VALUE` on register 1.
pub fn cmp_eq(buf: &mut Vec<u8>, value: &[u8]) {
    expr(buf, "cmp", |d| {
        put_be32(d, 1, REG_1);
        put_be32(d, 2, 0); // NFT_CMP_EQ
        nest(d, 3, |v| put(v, 1, value));
    });
}

/// `meta KEY` into register `dreg` (NFT_META_L4PROTO 16, …).
pub fn meta_load(buf: &mut Vec<u8>, key: u32, dreg: u32) {
    expr(buf, "meta", |d| {
        put_be32(d, 2, key);
        put_be32(d, 1, dreg);
    });
}

/// `payload` of `len` bytes at `offset` of header `base` (1 network, 2 transport) into
/// register `dreg`.
pub fn payload(buf: &mut Vec<u8>, dreg: u32, base: u32, offset: u32, len: u32) {
    expr(buf, "payload", |d| {
        put_be32(d, 1, dreg);
        put_be32(d, 2, base);
        put_be32(d, 3, offset);
        put_be32(d, 4, len);
    });
}

pub fn counter(buf: &mut Vec<u8>) {
    expr(buf, "counter", |_| {});
}

pub fn verdict(buf: &mut Vec<u8>, code: u32) {
    expr(buf, "immediate", |d| {
        put_be32(d, 1, REG_VERDICT);
        nest(d, 2, |v| nest(v, 2, |c| put_be32(c, 1, code)));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_framed_and_its_messages_acknowledged() {
        let mut seq = 10;
        let mut b = Batch::new(&mut seq);
        b.msg(NEWTABLE, IPV4, F_CREATE, |m| put_str(m, 1, "t"));
        b.msg(DELTABLE, IPV6, 0, |m| put_str(m, 1, "t"));
        let bytes = b.finish();
        // Begin (11), two messages (12, 13), end (14): only the two are acknowledged.
        assert_eq!(acked_seqs(&bytes), vec![12, 13]);
        assert_eq!(seq, 14);
        // The first message: nlmsghdr (16) + nfgenmsg (4), resource id NFTABLES.
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), BATCH_BEGIN);
        assert_eq!(&bytes[18..20], &NFNL_SUBSYS_NFTABLES.to_be_bytes());
        // The table message's type carries the subsystem; its name is NUL-terminated
        // and padded: "t\0" + 2.
        let m = &bytes[20..];
        assert_eq!(
            u16::from_ne_bytes([m[4], m[5]]),
            (NFNL_SUBSYS_NFTABLES << 8) | NEWTABLE
        );
        assert_eq!(u32::from_ne_bytes([m[0], m[1], m[2], m[3]]), 16 + 4 + 8);
        assert_eq!(&m[20..28], &[6, 0, 1, 0, b't', 0, 0, 0]);
    }

    #[test]
    fn nested_attributes_carry_their_flag_and_length() {
        let mut b = Vec::new();
        nest(&mut b, 3, |n| put_be32(n, 1, 7));
        assert_eq!(b, vec![12, 0, 3, 0x80, 8, 0, 1, 0, 0, 0, 0, 7]);
    }
}
