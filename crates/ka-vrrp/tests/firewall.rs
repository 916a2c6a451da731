//! Accept mode as keepalived 2.2.7 resolves it, and the nftables table that follows from
//! it (keepalived vrrp_complete_instance, vrrp_firewall.c, vrrp_nftables.c). The kernel
//! side (the table as `nft list` prints it, beside keepalived's) is integration/nftables.sh.

use ka_config::{parse_str, Loaded, Options};
use ka_vrrp::firewall::{acked_seqs, filtered, Firewall};

fn load(text: &str) -> Loaded {
    parse_str("fw.conf", text, &Options::default())
}

fn messages(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(|d| d.message.clone()).collect()
}

fn instance(name: &str, vrid: u8, lines: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {vrid}\n{lines}    virtual_ipaddress {{\n        192.0.2.{vrid}/24\n    }}\n}}\n"
    )
}

/// Accept mode, unless given, is off in strict mode and on otherwise; the address owner
/// always accepts; VRRPv2 in strict mode has no accept mode (keepalived's warning).
#[test]
fn accept_mode_is_resolved_as_keepalived() {
    let text = [
        instance("PLAIN", 1, "    priority 100\n"),
        instance(
            "STRICT3",
            2,
            "    priority 100\n    strict_mode\n    version 3\n",
        ),
        instance(
            "OWNER",
            3,
            "    priority 255\n    strict_mode\n    version 3\n",
        ),
        instance(
            "STRICT3_ACCEPT",
            4,
            "    priority 100\n    strict_mode\n    version 3\n    accept\n",
        ),
        instance(
            "STRICT2_ACCEPT",
            5,
            "    priority 100\n    strict_mode\n    version 2\n    accept\n",
        ),
        instance("NO_ACCEPT", 6, "    priority 100\n    no_accept\n"),
    ]
    .concat();
    let l = load(&text);
    assert_eq!(
        messages(&l),
        vec!["(STRICT2_ACCEPT) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting".to_string()]
    );
    let got: Vec<(&str, bool)> = l
        .config
        .instances
        .iter()
        .map(|m| (m.name.as_str(), filtered(m)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("PLAIN", false),
            ("STRICT3", true),
            ("OWNER", false),
            ("STRICT3_ACCEPT", false),
            ("STRICT2_ACCEPT", true),
            ("NO_ACCEPT", true),
        ]
    );
    // The runtime instance carries it: its VIPs go into the drop sets unless it accepts.
    for m in &l.config.instances {
        let c =
            ka_vrrp::config::instance_config(m, &l.config.global, "192.0.2.200".parse().unwrap());
        assert_eq!(c.accept, !filtered(m), "{}", m.name);
    }
    // vrrp_strict in global_defs makes every instance strict.
    let l = load(&format!(
        "global_defs {{\n    vrrp_strict\n}}\n{}",
        instance("G", 7, "    priority 100\n    version 3\n")
    ));
    assert!(filtered(&l.config.instances[0]));
}

/// The table: the configured one; else keepalived's "keepalived" as soon as an instance
/// does not accept; else none.
#[test]
fn the_table_is_the_configured_one_or_keepalived_when_an_instance_needs_it() {
    let plain = instance("A", 1, "    priority 100\n");
    let strict = instance("B", 2, "    priority 100\n    no_accept\n");
    assert_eq!(Firewall::from_config(&load(&plain).config), None);
    assert_eq!(
        Firewall::from_config(&load(&format!("{plain}{strict}")).config),
        Some(Firewall {
            table: "keepalived".into(),
            priority: -1,
            counters: false,
            implicit: true
        })
    );
    let l = load(&format!(
        "global_defs {{\n    nftables fw\n    nftables_priority -7\n    nftables_counters\n}}\n{plain}"
    ));
    assert_eq!(
        Firewall::from_config(&l.config),
        Some(Firewall {
            table: "fw".into(),
            priority: -7,
            counters: true,
            implicit: false
        })
    );
}

/// Each batch's acknowledged messages: per family the table made afresh (add, delete,
/// add), two chains, the set and the two drop rules (IPv6: two more rules per chain for
/// neighbour discovery); elements per family present; the tables at stop.
#[test]
fn batches_hold_the_messages_keepalived_sends() {
    let fw = Firewall {
        table: "keepalived".into(),
        priority: -1,
        counters: false,
        implicit: false,
    };
    let mut seq = 0;
    assert_eq!(
        acked_seqs(&fw.create(true, false, &mut seq)).len(),
        3 + 2 + 1 + 2
    );
    assert_eq!(
        acked_seqs(&fw.create(false, true, &mut seq)).len(),
        3 + 2 + 1 + 2 + 4
    );
    let both = ["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()];
    assert_eq!(
        acked_seqs(&fw.elements(true, &both, &mut seq).unwrap()).len(),
        2
    );
    assert_eq!(
        acked_seqs(&fw.elements(false, &both[..1], &mut seq).unwrap()).len(),
        1
    );
    assert!(fw.elements(true, &[], &mut seq).is_none());
    let del = fw.delete(true, true, &mut seq);
    let seqs = acked_seqs(&del);
    assert_eq!(seqs.len(), 2);
    assert_eq!(
        seqs[1],
        seq - 1,
        "batch end has the last number, unacknowledged"
    );
}

/// The kernel's answers are matched by the sequence numbers `acked_seqs` reads back from
/// a batch: a message cut short, or one whose length is impossible, ends the reading.
#[test]
fn acked_seqs_stops_at_a_message_cut_short_or_malformed() {
    let fw = Firewall {
        table: "keepalived".into(),
        priority: -1,
        counters: false,
        implicit: false,
    };
    let mut seq = 10;
    let b = fw
        .elements(true, &["192.0.2.1".parse().unwrap()], &mut seq)
        .unwrap();
    assert_eq!(acked_seqs(&b), vec![12]);
    // BATCH_BEGIN (20 bytes) and the start of the elements message only.
    assert_eq!(acked_seqs(&b[..40]), Vec::<u32>::new());
    // A header whose length (8) is shorter than a header.
    let mut bad = vec![0u8; 16];
    bad[0..4].copy_from_slice(&8u32.to_ne_bytes());
    bad[6..8].copy_from_slice(&0x5u16.to_ne_bytes());
    bad[8..12].copy_from_slice(&7u32.to_ne_bytes());
    assert_eq!(acked_seqs(&bad), Vec::<u32>::new());
    // A header alone (16 bytes) is a whole message; so is one that ends the buffer.
    bad[0..4].copy_from_slice(&16u32.to_ne_bytes());
    assert_eq!(acked_seqs(&bad), vec![7]);
    assert_eq!(
        acked_seqs(&b[..b.len() - 20]),
        vec![12],
        "without BATCH_END"
    );
}
