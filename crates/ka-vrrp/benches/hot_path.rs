//! The VRRP hot path: decode plus one state-machine step for a received advert, and one
//! simulated second of 1,000 instances (500 master/backup pairs exchanging real adverts).

use std::net::IpAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ka_vrrp::instance::{Event, Instance, InstanceConfig};
use ka_vrrp::packet::{Auth, Envelope, Repr, Version};
use ka_vrrp::rx::Received;
use ka_vrrp::sim::Lan;
use ka_vrrp::sync::Router;
use ka_vrrp::{ip, Time};

fn advert() -> Vec<u8> {
    let repr = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 200,
        adver_int_cs: 100,
        auth: Auth::None,
        addrs: vec![IpAddr::from([192, 168, 1, 10])],
    };
    let env = Envelope {
        src: [10, 0, 0, 2].into(),
        dst: [224, 0, 0, 18].into(),
    };
    ip::build_ipv4(
        [10, 0, 0, 2].into(),
        [224, 0, 0, 18].into(),
        1,
        255,
        None,
        false,
        &repr.to_bytes(&env),
    )
}

fn hot_path(c: &mut Criterion) {
    let bytes = advert();
    let mut i = Instance::new(InstanceConfig::simple(
        "VI_1",
        51,
        100,
        [10, 0, 0, 1].into(),
        vec![[192, 168, 1, 10].into()],
    ));
    i.handle(Time(0), Event::Start);
    let mut t = 1u64;
    c.bench_function("decode + backup step (received advert)", |b| {
        b.iter(|| {
            t += 1000;
            let rx = Received::from_ipv4(std::hint::black_box(&bytes)).unwrap();
            std::hint::black_box(i.handle(Time(t), Event::Packet(&rx)));
        })
    });
}

fn lan_of(pairs: usize, lan_id: u8) -> Lan {
    let mut l = Lan::new(lan_id as u64 + 1);
    for node in 0..2u8 {
        let insts = (0..pairs)
            .map(|k| {
                let vrid = (k % 255 + 1) as u8;
                let vip = IpAddr::from([192, lan_id, (k / 255) as u8, vrid]);
                let prio = if node == 0 { 150 } else { 100 };
                Instance::new(InstanceConfig::simple(
                    &format!("VI_{k}"),
                    vrid,
                    prio,
                    IpAddr::from([10, lan_id, 0, node + 1]),
                    vec![vip],
                ))
            })
            .collect();
        l.add(&format!("n{node}"), Router::new(insts, vec![]));
        l.start(node as usize);
    }
    l.run_for(Duration::from_secs(5));
    l
}

fn simulated_second(c: &mut Criterion) {
    // VRIDs are unique per LAN: 1,000 instances = 4 LANs of 250 VRIDs, two nodes each.
    let mut lans: Vec<Lan> = (0..4).map(|k| lan_of(125, k)).collect();
    c.bench_function("one simulated second, 1000 instances", |b| {
        b.iter(|| {
            for l in &mut lans {
                l.run_for(Duration::from_secs(1));
            }
        })
    });
}

criterion_group!(benches, hot_path, simulated_second);
criterion_main!(benches);
