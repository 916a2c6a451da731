//! The VRRP advertisement (RFC 3768 section 5, RFC 5798 section 5), in smoltcp's
//! Packet/Repr style: [`Packet`] is a checked view over bytes, [`Repr`] the meaning.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2: |   Auth Type   |   Adver Int   |          Checksum         |
//! v3: |(rsvd) |     Max Adver Int     |          Checksum         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   IP Address(es) (4 or 16 bytes each)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2 only: |             Authentication Data (8 bytes)             |
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::checksum;
use crate::error::DecodeError;

pub const PROTO_VRRP: u8 = 112;
pub const PROTO_AH: u8 = 51;
/// Type 1: the only VRRP packet type.
pub const TYPE_ADVERT: u8 = 1;
pub const HEADER_LEN: usize = 8;
pub const AUTH_LEN: usize = 8;

mod field {
    pub type Field = core::ops::Range<usize>;
    pub const VERS_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const NADDR: usize = 3;
    pub const AUTH_TYPE: usize = 4;
    pub const ADVER_INT: usize = 5;
    pub const MAX_ADVER_INT: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const ADDRS: usize = 8;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The v2 authentication type (RFC 3768 5.3.6; 2 is keepalived's IPsec AH).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthType {
    None,
    Pass,
    Ah,
    Unknown(u8),
}

impl From<u8> for AuthType {
    fn from(v: u8) -> Self {
        match v {
            0 => AuthType::None,
            1 => AuthType::Pass,
            2 => AuthType::Ah,
            x => AuthType::Unknown(x),
        }
    }
}

impl From<AuthType> for u8 {
    fn from(a: AuthType) -> u8 {
        match a {
            AuthType::None => 0,
            AuthType::Pass => 1,
            AuthType::Ah => 2,
            AuthType::Unknown(x) => x,
        }
    }
}

/// A read-only or read-write view over the bytes of one advertisement.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Checks that the header is there; the address list and auth data are checked by
    /// [`Repr::parse`], which knows the family.
    pub fn new_checked(buffer: T) -> Result<Self, DecodeError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(DecodeError::TooShort);
        }
        Ok(Packet { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn version(&self) -> u8 {
        self.b()[field::VERS_TYPE] >> 4
    }

    pub fn msg_type(&self) -> u8 {
        self.b()[field::VERS_TYPE] & 0x0f
    }

    pub fn vrid(&self) -> u8 {
        self.b()[field::VRID]
    }

    pub fn priority(&self) -> u8 {
        self.b()[field::PRIORITY]
    }

    pub fn naddr(&self) -> u8 {
        self.b()[field::NADDR]
    }

    /// v2 only.
    pub fn auth_type(&self) -> AuthType {
        self.b()[field::AUTH_TYPE].into()
    }

    /// v2 only: whole seconds.
    pub fn adver_int(&self) -> u8 {
        self.b()[field::ADVER_INT]
    }

    /// v3 only: centiseconds (12 bits).
    pub fn max_adver_int(&self) -> u16 {
        let r = &self.b()[field::MAX_ADVER_INT];
        u16::from_be_bytes([r[0], r[1]]) & 0x0fff
    }

    pub fn checksum(&self) -> u16 {
        let r = &self.b()[field::CHECKSUM];
        u16::from_be_bytes([r[0], r[1]])
    }

    pub fn payload(&self) -> &[u8] {
        &self.b()[field::ADDRS..]
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    pub fn set_version_type(&mut self, version: u8, t: u8) {
        self.bm()[field::VERS_TYPE] = (version << 4) | (t & 0x0f);
    }

    pub fn set_vrid(&mut self, v: u8) {
        self.bm()[field::VRID] = v;
    }

    pub fn set_priority(&mut self, v: u8) {
        self.bm()[field::PRIORITY] = v;
    }

    pub fn set_naddr(&mut self, v: u8) {
        self.bm()[field::NADDR] = v;
    }

    pub fn set_auth_type(&mut self, v: AuthType) {
        self.bm()[field::AUTH_TYPE] = v.into();
    }

    pub fn set_adver_int(&mut self, v: u8) {
        self.bm()[field::ADVER_INT] = v;
    }

    pub fn set_max_adver_int(&mut self, cs: u16) {
        self.bm()[field::MAX_ADVER_INT].copy_from_slice(&(cs & 0x0fff).to_be_bytes());
    }

    pub fn set_checksum(&mut self, v: u16) {
        self.bm()[field::CHECKSUM].copy_from_slice(&v.to_be_bytes());
    }

    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.bm()[field::ADDRS..]
    }
}

/// v2 authentication carried in the packet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    None,
    /// The 8 bytes of the password field (the password zero-padded).
    Pass([u8; AUTH_LEN]),
    /// IPsec AH in front of the VRRP message; the auth data field is zero.
    Ah,
}

impl Auth {
    /// keepalived: the password is cut to 8 bytes and zero-padded.
    pub fn pass(password: &str) -> Auth {
        let mut p = [0u8; AUTH_LEN];
        let b = password.as_bytes();
        let n = b.len().min(AUTH_LEN);
        p[..n].copy_from_slice(&b[..n]);
        Auth::Pass(p)
    }

    pub fn auth_type(&self) -> AuthType {
        match self {
            Auth::None => AuthType::None,
            Auth::Pass(_) => AuthType::Pass,
            Auth::Ah => AuthType::Ah,
        }
    }
}

/// What an advertisement says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// The advertisement interval in centiseconds (v2 carries whole seconds: 100 × s).
    pub adver_int_cs: u16,
    /// v2 only; always None for v3.
    pub auth: Auth,
    pub addrs: Vec<IpAddr>,
}

/// Where the checksum's pseudo-header comes from (v3), and which family the addresses are.
#[derive(Clone, Copy, Debug)]
pub struct Envelope {
    pub src: IpAddr,
    pub dst: IpAddr,
}

impl Repr {
    /// Parses and checks length, version, type, address family and checksum, in
    /// keepalived's order (vrrp_in_chk). `v3_no_pseudo` also accepts the RFC 9568 form
    /// (v3 checksum without the pseudo-header).
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Packet<T>,
        env: &Envelope,
        v3_no_pseudo: bool,
    ) -> Result<Repr, DecodeError> {
        let bytes = packet.b();
        let version = match packet.version() {
            2 => Version::V2,
            3 => Version::V3,
            v => return Err(DecodeError::BadVersion(v)),
        };
        let v4 = env.src.is_ipv4();
        let alen = if v4 { 4 } else { 16 };
        let naddr = packet.naddr() as usize;
        let auth_len = if version == Version::V2 { AUTH_LEN } else { 0 };
        let len = HEADER_LEN + naddr * alen + auth_len;
        // keepalived: exact length; Ethernet padding after the message is tolerated.
        if bytes.len() < len {
            return Err(DecodeError::BadLength {
                expected: len,
                got: bytes.len(),
            });
        }
        if packet.msg_type() != TYPE_ADVERT {
            return Err(DecodeError::BadType(packet.msg_type()));
        }
        let msg = &bytes[..len];
        let ok = match (version, v4) {
            (Version::V2, _) => checksum::data(msg) == 0,
            (Version::V3, _) => {
                checksum::with_pseudo(env.src, env.dst, PROTO_VRRP, msg) == 0
                    || (v3_no_pseudo && checksum::data(msg) == 0)
            }
        };
        if !ok {
            return Err(DecodeError::BadChecksum);
        }
        let mut addrs = Vec::with_capacity(naddr);
        for i in 0..naddr {
            let a = &msg[HEADER_LEN + i * alen..HEADER_LEN + (i + 1) * alen];
            addrs.push(if v4 {
                IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
            } else {
                let mut o = [0u8; 16];
                o.copy_from_slice(a);
                IpAddr::V6(Ipv6Addr::from(o))
            });
        }
        let (adver_int_cs, auth) = match version {
            Version::V2 => {
                let auth = match packet.auth_type() {
                    AuthType::None => Auth::None,
                    AuthType::Pass => {
                        let mut p = [0u8; AUTH_LEN];
                        p.copy_from_slice(&msg[len - AUTH_LEN..]);
                        Auth::Pass(p)
                    }
                    AuthType::Ah => Auth::Ah,
                    AuthType::Unknown(x) => return Err(DecodeError::BadAuthType(x)),
                };
                (packet.adver_int() as u16 * 100, auth)
            }
            Version::V3 => (packet.max_adver_int(), Auth::None),
        };
        Ok(Repr {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            adver_int_cs,
            auth,
            addrs,
        })
    }

    pub fn buffer_len(&self) -> usize {
        let alen = if self.addrs.first().is_none_or(|a| a.is_ipv4()) {
            4
        } else {
            16
        };
        HEADER_LEN
            + self.addrs.len() * alen
            + if self.version == Version::V2 {
                AUTH_LEN
            } else {
                0
            }
    }

    /// Writes the message and its checksum (v3: over the pseudo-header with the
    /// destination actually used, as keepalived 2.2.7 does for unicast too).
    pub fn emit(&self, buf: &mut [u8], env: &Envelope) {
        let len = self.buffer_len();
        let buf = &mut buf[..len];
        buf.fill(0);
        let mut p = Packet::new_unchecked(&mut *buf);
        p.set_version_type(self.version.number(), TYPE_ADVERT);
        p.set_vrid(self.vrid);
        p.set_priority(self.priority);
        p.set_naddr(self.addrs.len() as u8);
        match self.version {
            Version::V2 => {
                p.set_auth_type(self.auth.auth_type());
                p.set_adver_int((self.adver_int_cs / 100) as u8);
            }
            Version::V3 => p.set_max_adver_int(self.adver_int_cs),
        }
        let mut off = 0;
        for a in &self.addrs {
            let pl = p.payload_mut();
            match a {
                IpAddr::V4(v) => {
                    pl[off..off + 4].copy_from_slice(&v.octets());
                    off += 4;
                }
                IpAddr::V6(v) => {
                    pl[off..off + 16].copy_from_slice(&v.octets());
                    off += 16;
                }
            }
        }
        if let Auth::Pass(pw) = &self.auth {
            p.payload_mut()[off..off + AUTH_LEN].copy_from_slice(pw);
        }
        let sum = match self.version {
            Version::V2 => checksum::data(buf),
            Version::V3 => checksum::with_pseudo(env.src, env.dst, PROTO_VRRP, buf),
        };
        Packet::new_unchecked(&mut *buf).set_checksum(sum);
    }

    pub fn to_bytes(&self, env: &Envelope) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut v, env);
        v
    }
}
