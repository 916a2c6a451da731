//! The log lines operators grep for, worded as keepalived 2.2.7 words them.

use std::net::IpAddr;

pub fn entering(name: &str, state: &str) -> String {
    format!("({name}) Entering {state} STATE")
}

pub fn entering_backup_init(name: &str) -> String {
    format!("({name}) Entering BACKUP STATE (init)")
}

pub fn prio_zero_received(name: &str) -> String {
    format!("({name}) Backup received priority 0 advertisement")
}

pub fn master_prio_zero_received(name: &str) -> String {
    format!("({name}) Master received priority 0 advertisement, sending advert")
}

pub fn lower_prio(name: &str, src: IpAddr, theirs: u8, ours: u8) -> String {
    format!("({name}) Received advert from {src} with lower priority {theirs}, ours {ours}, forcing new election")
}

pub fn higher_prio(name: &str, src: IpAddr, theirs: u8, ours: u8) -> String {
    format!("({name}) Master received advert from {src} with higher priority {theirs}, ours {ours}")
}

pub fn same_prio_own_ip(name: &str, src: IpAddr) -> String {
    format!("({name}) Received advert from {src} with same priority and our own IP address - check for duplicate addresses")
}

pub fn sent_zero(name: &str) -> String {
    format!("({name}) sent 0 priority")
}

pub fn owner_conflict(name: &str, src: IpAddr) -> String {
    format!("({name}) WARNING - other router {src} is also an address owner (priority 255); reducing our priority to 254")
}

pub fn bad_packet(name: &str, src: Option<IpAddr>, why: &str, suppressed: u64) -> String {
    let from = src.map(|s| format!(" from {s}")).unwrap_or_default();
    let more = if suppressed > 0 {
        format!(" ({suppressed} more since the last report)")
    } else {
        String::new()
    };
    format!("({name}) dropping advert{from}: {why}{more}")
}

pub fn interval_differs(name: &str, ours_cs: u16, theirs_cs: u16) -> String {
    format!(
        "({name}) advertisement interval changed: mine={} milli-sec, rcved={} milli-sec",
        ours_cs as u32 * 10,
        theirs_cs as u32 * 10
    )
}

pub fn group_entering(name: &str, state: &str) -> String {
    format!("VRRP_Group({name}) Syncing instances to {state} state")
}
