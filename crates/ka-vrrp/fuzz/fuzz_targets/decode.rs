//! Any bytes as a received packet (IPv4 with its header, or an IPv6 VRRP message) into the
//! decoder, the receive checks and instances in BACKUP and MASTER: an error or a state
//! change, never a panic.
#![no_main]

use std::net::IpAddr;

use ka_vrrp::instance::{Event, Instance, InstanceConfig};
use ka_vrrp::packet::{Envelope, Packet, Repr, Version};
use ka_vrrp::rx::{AuthConfig, Received};
use ka_vrrp::{ip, Time};
use libfuzzer_sys::fuzz_target;

fn instances() -> Vec<Instance> {
    let me: IpAddr = [10, 0, 0, 1].into();
    let vip: IpAddr = [192, 168, 1, 10].into();
    let mut out = Vec::new();
    for (version, auth) in [
        (Version::V2, AuthConfig::None),
        (Version::V2, AuthConfig::Pass(*b"secret\0\0")),
        (Version::V2, AuthConfig::Ah(*b"secret\0\0")),
        (Version::V3, AuthConfig::None),
    ] {
        for master in [false, true] {
            let mut c = InstanceConfig::simple("VI_1", 51, 100, me, vec![vip]);
            c.version = version;
            c.auth = auth.clone();
            let mut i = Instance::new(c);
            i.handle(Time(0), if master { Event::Resume } else { Event::Start });
            out.push(i);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let _ = ip::parse_ipv4(data);
    if let Ok(p) = Packet::new_checked(data) {
        for env in [
            Envelope { src: [10, 0, 0, 2].into(), dst: [224, 0, 0, 18].into() },
            Envelope { src: "fe80::2".parse().unwrap(), dst: "ff02::12".parse().unwrap() },
        ] {
            if let Ok(r) = Repr::parse(&p, &env, true) {
                if r.addrs.len() <= 255 && r.addrs.iter().all(|a| a.is_ipv4() == env.src.is_ipv4()) {
                    let bytes = r.to_bytes(&env);
                    let again = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap(), &env, false).unwrap();
                    assert_eq!(again.addrs, r.addrs);
                }
            }
        }
    }
    let v6 = Received { src: "fe80::2".parse().unwrap(), dst: "ff02::12".parse().unwrap(), ttl: 255, vrrp: data, ipv4: None };
    let v4 = Received::from_ipv4(data);
    for mut i in instances() {
        let t = Time(1_000_000);
        if let Ok(rx) = &v4 {
            i.handle(t, Event::Packet(rx));
        }
        i.handle(t, Event::Packet(&v6));
        let _ = i.next_deadline();
    }
});
