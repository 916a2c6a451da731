//! Test tool: sends malformed and wrongly authenticated VRRP adverts for one VRID at a given
//! rate, to the VRRP group on an interface, from inside a test namespace:
//! `vrrp-flood IFACE VRID PER_SECOND SECONDS`.
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let ifname = a.get(1).map(String::as_str).unwrap_or("eth0");
    let vrid: u8 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let rate: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let secs: u64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(10);
    let sock = ka_net::vrrp::SendSocket::new(ifname)?;
    let src = Ipv4Addr::new(10, 80, 0, 3);
    let group = Ipv4Addr::new(224, 0, 0, 18);
    let mut rng: u64 = 0x9e3779b97f4a7c15;
    let start = Instant::now();
    let mut sent = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        let due = start.elapsed().as_micros() as u64 * rate / 1_000_000;
        while sent < due {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // A priority-255 advert for our VRID, broken one way or another.
            let mut v = vec![
                0x21, vrid, 255, 1, 1, 1, 0, 0, 10, 80, 0, 200, b'b', b'a', b'd', 0, 0, 0, 0, 0,
            ];
            match rng % 5 {
                0 => v[6] = (rng >> 8) as u8, // bad checksum
                1 => v[3] = 40,               // wrong length
                2 => v[0] = 0x51,             // bad version
                3 => v.truncate((rng % 8) as usize),
                _ => v[4] = 7, // unknown auth type
            }
            let mut pkt = vec![0x45, 0xc0, 0, 0, 0, 1, 0, 0, 255, 112, 0, 0];
            pkt.extend_from_slice(&src.octets());
            pkt.extend_from_slice(&group.octets());
            pkt.extend_from_slice(&v);
            let len = pkt.len() as u16;
            pkt[2..4].copy_from_slice(&len.to_be_bytes());
            let _ = sock.send(group, &pkt);
            sent += 1;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    eprintln!("sent {sent} malformed adverts in {:?}", start.elapsed());
    Ok(())
}
