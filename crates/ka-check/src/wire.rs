//! The bytes of the datagram checks, as keepalived's check_dns.c, check_udp.c and
//! check_ping.c send and judge them. Pure: the checker child does the sending.

use ka_config::model::DnsType;

fn qtype(t: DnsType) -> u16 {
    match t {
        DnsType::A => 1,
        DnsType::Ns => 2,
        DnsType::Cname => 5,
        DnsType::Soa => 6,
        DnsType::Mx => 15,
        DnsType::Txt => 16,
        DnsType::Aaaa => 28,
    }
}

/// A recursive query for `name` (class IN).
pub fn dns_query(id: u16, t: DnsType, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(32 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let l = &label.as_bytes()[..label.len().min(63)];
        q.push(l.len() as u8);
        q.extend_from_slice(l);
    }
    q.push(0);
    q.extend_from_slice(&qtype(t).to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// Why a UDP_CHECK or DNS_CHECK answer fails (its Display is the failure logged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyError {
    DnsTooShort(usize),
    DnsOtherId,
    NotDnsResponse,
    /// The response code (RFC 1035 4.1.1).
    DnsRcode(u16),
    DnsNoRecords,
    UdpLength {
        len: u32,
        min: u32,
        max: u32,
    },
    UdpMismatch,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::DnsTooShort(n) => write!(f, "DNS answer too short ({n} bytes)"),
            ReplyError::DnsOtherId => f.write_str("DNS answer with another id"),
            ReplyError::NotDnsResponse => f.write_str("not a DNS response"),
            ReplyError::DnsRcode(rcode) => {
                let name = match rcode {
                    1 => "FORMERR",
                    2 => "SERVFAIL",
                    3 => "NXDOMAIN",
                    4 => "NOTIMP",
                    5 => "REFUSED",
                    _ => "error",
                };
                write!(f, "DNS rcode {rcode} ({name})")
            }
            ReplyError::DnsNoRecords => f.write_str("DNS answer has no records"),
            ReplyError::UdpLength { len, min, max } => {
                write!(f, "UDP reply of {len} bytes, outside {min}..={max}")
            }
            ReplyError::UdpMismatch => f.write_str("UDP reply does not match require_reply"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// keepalived dns_recv_thread: the answer to our id, a response, no error code, and at
/// least one answer record.
pub fn dns_verdict(id: u16, r: &[u8]) -> Result<(), ReplyError> {
    if r.len() < 12 {
        return Err(ReplyError::DnsTooShort(r.len()));
    }
    if u16::from_be_bytes([r[0], r[1]]) != id {
        return Err(ReplyError::DnsOtherId);
    }
    let flags = u16::from_be_bytes([r[2], r[3]]);
    if flags & 0x8000 == 0 {
        return Err(ReplyError::NotDnsResponse);
    }
    let rcode = flags & 0xf;
    if rcode != 0 {
        return Err(ReplyError::DnsRcode(rcode));
    }
    if u16::from_be_bytes([r[6], r[7]]) == 0 {
        return Err(ReplyError::DnsNoRecords);
    }
    Ok(())
}

/// keepalived udp_check_reply: the length within min..=max, and when a reply is
/// required with content, the reply starting with it.
pub fn udp_verdict(
    reply: &[u8],
    require: Option<&[u8]>,
    min: u32,
    max: u32,
) -> Result<(), ReplyError> {
    let n = reply.len() as u32;
    if n < min || n > max {
        return Err(ReplyError::UdpLength { len: n, min, max });
    }
    if let Some(want) = require.filter(|w| !w.is_empty()) {
        if !reply.starts_with(want) {
            return Err(ReplyError::UdpMismatch);
        }
    }
    Ok(())
}

/// The Internet checksum (RFC 1071).
fn checksum(b: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in b.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP (or ICMPv6: the kernel fills in the checksum) echo request.
pub fn echo_request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(b"keepalived-rs ping check");
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// Whether `pkt` (IPv4: with its IP header, as raw sockets deliver it) is the echo reply
/// to (id, seq).
pub fn is_echo_reply(v6: bool, pkt: &[u8], id: u16, seq: u16) -> bool {
    let icmp = if v6 {
        pkt
    } else {
        let Some(&vhl) = pkt.first() else {
            return false;
        };
        let ihl = usize::from(vhl & 0xf) * 4;
        if ihl < 20 || pkt.len() < ihl {
            return false;
        }
        &pkt[ihl..]
    };
    icmp.len() >= 8
        && icmp[0] == if v6 { 129 } else { 0 }
        && u16::from_be_bytes([icmp[4], icmp[5]]) == id
        && u16::from_be_bytes([icmp[6], icmp[7]]) == seq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_query_bytes() {
        let q = dns_query(0x1234, DnsType::A, "www.example.org.");
        assert_eq!(&q[..12], &[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&q[12..17], b"\x03www\x07");
        assert_eq!(&q[q.len() - 5..], &[0, 0, 1, 0, 1]);
        // The root (keepalived's default name) is one zero byte.
        let r = dns_query(1, DnsType::Soa, ".");
        assert_eq!(&r[12..], &[0, 0, 6, 0, 1]);
    }

    #[test]
    fn dns_answers_judged() {
        let mut a = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        assert_eq!(dns_verdict(0x1234, &a), Ok(()));
        assert!(dns_verdict(0x1235, &a).is_err());
        a[3] = 0x83;
        assert_eq!(
            dns_verdict(0x1234, &a).map_err(|e| e.to_string()),
            Err("DNS rcode 3 (NXDOMAIN)".into())
        );
        a[3] = 0x80;
        a[7] = 0;
        assert!(dns_verdict(0x1234, &a).is_err());
        assert!(dns_verdict(0x1234, &a[..5]).is_err());
        a[2] = 0x01;
        assert!(dns_verdict(0x1234, &a).is_err(), "a query is not an answer");
    }

    #[test]
    fn udp_replies_judged() {
        assert!(udp_verdict(b"pong", Some(b"po"), 0, 255).is_ok());
        assert!(udp_verdict(b"pong", Some(b"pi"), 0, 255).is_err());
        assert!(udp_verdict(b"pong", Some(b""), 5, 255).is_err());
        assert!(udp_verdict(b"pong", None, 0, 3).is_err());
    }

    #[test]
    fn replies_said_as_logged_and_bounds_inclusive() {
        let text = |e: ReplyError| e.to_string();
        for (rcode, name) in [
            (1, "FORMERR"),
            (2, "SERVFAIL"),
            (4, "NOTIMP"),
            (5, "REFUSED"),
            (9, "error"),
        ] {
            assert_eq!(
                text(ReplyError::DnsRcode(rcode)),
                format!("DNS rcode {rcode} ({name})")
            );
        }
        // A query (QR clear) with records is still not an answer.
        let q = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
        assert_eq!(dns_verdict(0x1234, &q), Err(ReplyError::NotDnsResponse));
        // min and max are inclusive.
        assert!(udp_verdict(b"pong", None, 4, 4).is_ok());
        assert_eq!(
            udp_verdict(b"pong", None, 5, 9),
            Err(ReplyError::UdpLength {
                len: 4,
                min: 5,
                max: 9
            })
        );
    }

    #[test]
    fn internet_checksum_values() {
        assert_eq!(checksum(&[0x45, 0x00, 0x00, 0x1c]), 0xbae3);
        // A carry out of 16 bits is folded back in.
        assert_eq!(checksum(&[0xff, 0xff, 0x00, 0x01]), 0xfffe);
        // An odd length pads with a zero byte.
        assert_eq!(checksum(&[0x01]), !0x0100);
    }

    #[test]
    fn echo_replies_after_any_valid_ipv4_header_only() {
        let req = echo_request(false, 7, 9);
        let reply_after = |header: Vec<u8>| {
            let mut p = header;
            p.extend_from_slice(&req);
            let at = p.len() - req.len();
            p[at] = 0;
            p
        };
        // A header with options (IHL 6: 24 bytes).
        assert!(is_echo_reply(false, &reply_after(vec![0x46; 24]), 7, 9));
        // An IHL under 5 is not a header, whatever follows it.
        assert!(!is_echo_reply(false, &reply_after(vec![0x42; 8]), 7, 9));
        // Shorter than its own header: nothing to read, no panic.
        assert!(!is_echo_reply(false, &[0x46; 22], 7, 9));
    }

    #[test]
    fn echo_round_trip() {
        let req = echo_request(false, 7, 9);
        assert_eq!(checksum(&req), 0, "a valid checksum sums to zero");
        let mut reply = vec![0x45; 20];
        reply.extend_from_slice(&req);
        reply[20] = 0;
        assert!(is_echo_reply(false, &reply, 7, 9));
        assert!(!is_echo_reply(false, &reply, 7, 10));
        assert!(!is_echo_reply(false, &reply[..22], 7, 9));
        let mut r6 = echo_request(true, 1, 2);
        r6[0] = 129;
        assert!(is_echo_reply(true, &r6, 1, 2));
        assert!(!is_echo_reply(true, &[], 1, 2));
    }
}
