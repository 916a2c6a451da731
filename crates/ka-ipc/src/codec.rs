//! bincode 1.3.3 behind two functions (fixed-size integers, little endian, bounded).
//! Their error is bincode's own ([`Error`]: what did not fit or did not decode).

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub type Error = bincode::Error;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_limit(crate::MAX_MESSAGE as u64)
}

pub fn encode<T: Serialize>(m: &T) -> Result<Vec<u8>, Error> {
    options().serialize(m)
}

pub fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T, Error> {
    options().deserialize(b)
}

/// A value as one whole blob (no message's size limit: a configuration travels in parts,
/// or through a pipe).
pub fn encode_whole<T: Serialize>(m: &T) -> Result<Vec<u8>, Error> {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .serialize(m)
}

/// A whole blob decoded, up to 256 MiB of it.
pub fn decode_whole<T: DeserializeOwned>(b: &[u8]) -> Result<T, Error> {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_limit(256 << 20)
        .deserialize(b)
}

/// The configuration as a whole blob.
pub fn encode_config(c: &ka_config::Config) -> Result<Vec<u8>, Error> {
    encode_whole(c)
}

pub fn decode_config(b: &[u8]) -> Result<ka_config::Config, Error> {
    decode_whole(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ToChild, ToParent};

    #[test]
    fn round_trip_and_garbage() {
        let m = ToChild::Ping(7);
        assert_eq!(decode::<ToChild>(&encode(&m).unwrap()).unwrap(), m);
        assert!(decode::<ToParent>(&[0xff; 3]).is_err());
        // A length prefix claiming gigabytes is refused by the limit, not allocated.
        let mut evil = 2u32.to_le_bytes().to_vec(); // variant State
        evil.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(decode::<ToParent>(&evil).is_err());
    }

    #[test]
    fn config_round_trips() {
        let c = ka_config::parse_str("x.conf", "vrrp_instance V { interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", &Default::default()).config;
        assert_eq!(decode_config(&encode_config(&c).unwrap()).unwrap(), c);
    }
}
