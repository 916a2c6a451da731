//! Writes a large configuration for benchmarks:
//! `gen_config VIRTUAL_SERVERS REAL_SERVERS_EACH VRRP_INSTANCES INTERFACE`.
use std::fmt::Write;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let num = |i: usize, d: usize| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (vs, rs, inst) = (num(1, 2000), num(2, 4), num(3, 200));
    let ifname = a.get(4).cloned().unwrap_or_else(|| "eth0".into());
    let mut s = String::from("global_defs {\n    router_id bench\n}\n");
    for i in 0..inst {
        let _ = write!(
            s,
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface {ifname}\n    virtual_router_id {}\n    priority 100\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        auth_pass pw{i}\n    }}\n    virtual_ipaddress {{\n        10.{}.{}.1/24\n    }}\n}}\n",
            i % 255 + 1,
            100 + i / 250,
            i % 250
        );
    }
    for v in 0..vs {
        let _ = write!(
            s,
            "virtual_server 10.{}.{}.{} 80 {{\n    delay_loop 6\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n",
            v / 62500 + 1,
            v / 250 % 250,
            v % 250 + 1
        );
        for r in 0..rs {
            let _ = write!(
                s,
                "    real_server 172.16.{}.{} 8080 {{\n        weight 1\n        TCP_CHECK {{\n            connect_timeout 3\n            retry 2\n            delay_before_retry 2\n        }}\n    }}\n",
                (v * rs + r) / 250 % 250,
                (v * rs + r) % 250 + 1
            );
        }
        s.push_str("}\n");
    }
    print!("{s}");
}
