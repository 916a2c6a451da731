//! Why a received packet was dropped: one variant per statistics counter, in the order
//! keepalived checks (vrrp.c vrrp_in_chk), and the counters themselves (the layout of
//! keepalived's /tmp/keepalived.stats).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// Shorter than an IP or VRRP header.
    TooShort,
    /// IPv4 header malformed (version, IHL, total length).
    BadIpHeader,
    /// IP protocol is neither VRRP (112) nor AH (51).
    BadProtocol(u8),
    /// AH present but not configured, or configured but absent.
    AhMismatch,
    /// The message is shorter than its header says.
    BadLength {
        expected: usize,
        got: usize,
    },
    /// TTL / hop limit is not 255 (or outside a unicast peer's min_ttl..max_ttl).
    BadTtl(u8),
    BadVersion(u8),
    /// A v2 auth type that is not 0, 1 or 2.
    BadAuthType(u8),
    /// The v2 auth type differs from ours.
    AuthTypeMismatch {
        ours: u8,
        theirs: u8,
    },
    /// The v2 password or the AH ICV does not match.
    AuthFailure,
    /// The v2 advertisement interval differs from ours (keepalived drops the packet).
    IntervalMismatch {
        ours_cs: u16,
        theirs_cs: u16,
    },
    BadType(u8),
    BadChecksum,
    /// Sent to a multicast group while we are unicast, or the other way round.
    BadDestination,
    /// The VIP count or list differs from ours (keepalived 2.2.7 drops the packet).
    AddressListMismatch,
    /// A unicast advert from an address that is not one of our peers.
    UnknownSource,
    /// Not our VRID (the caller demultiplexes; counted only when asked).
    UnknownVrid(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeError::*;
        match self {
            TooShort => write!(f, "packet too short"),
            BadIpHeader => write!(f, "malformed IP header"),
            BadProtocol(p) => write!(f, "IP protocol {p} is not VRRP"),
            AhMismatch => write!(
                f,
                "AH authentication present without being configured, or missing"
            ),
            BadLength { expected, got } => {
                write!(f, "wrong length: expected {expected} bytes, got {got}")
            }
            BadTtl(t) => write!(f, "invalid TTL/HL. Received {t} and expect 255"),
            BadVersion(v) => write!(f, "wrong version. Received {v}"),
            BadAuthType(t) => write!(f, "invalid authentication type {t}"),
            AuthTypeMismatch { ours, theirs } => {
                write!(f, "received a {theirs} auth, expecting {ours}")
            }
            AuthFailure => write!(f, "bad authentication"),
            IntervalMismatch { ours_cs, theirs_cs } => write!(
                f,
                "advertisement interval mismatch mine={} sec rcv'd={} sec",
                ours_cs / 100,
                theirs_cs / 100
            ),
            BadType(t) => write!(f, "invalid packet type {t}"),
            BadChecksum => write!(f, "invalid VRRP checksum"),
            BadDestination => write!(
                f,
                "sent to the wrong destination for this mode (multicast/unicast)"
            ),
            AddressListMismatch => write!(f, "received an unexpected ip address list"),
            UnknownSource => write!(
                f,
                "unicast advert from an address that is not a configured peer"
            ),
            UnknownVrid(v) => write!(f, "unknown VRID {v}"),
        }
    }
}

/// Per-instance counters (keepalived's vrrp_stats).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub advert_interval_err: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    pub checksum_err: u64,
    pub version_err: u64,
    pub other_err: u64,
}

impl Stats {
    pub fn count(&mut self, e: &DecodeError) {
        use DecodeError::*;
        match e {
            TooShort | BadLength { .. } | BadIpHeader => self.packet_len_err += 1,
            BadTtl(_) => self.ip_ttl_err += 1,
            BadType(_) => self.invalid_type_rcvd += 1,
            IntervalMismatch { .. } => self.advert_interval_err += 1,
            AddressListMismatch => self.addr_list_err += 1,
            BadAuthType(_) => self.invalid_authtype += 1,
            AuthTypeMismatch { .. } | AhMismatch => self.authtype_mismatch += 1,
            AuthFailure => self.auth_failure += 1,
            BadChecksum => self.checksum_err += 1,
            BadVersion(_) => self.version_err += 1,
            BadProtocol(_) | BadDestination | UnknownSource | UnknownVrid(_) => self.other_err += 1,
        }
    }

    /// All packet errors.
    pub fn errors(&self) -> u64 {
        self.packet_len_err
            + self.ip_ttl_err
            + self.invalid_type_rcvd
            + self.advert_interval_err
            + self.addr_list_err
            + self.invalid_authtype
            + self.authtype_mismatch
            + self.auth_failure
            + self.checksum_err
            + self.version_err
            + self.other_err
    }
}
