#!/usr/bin/env bash
# Netlink receive buffers as the configuration sets them, read back with ss(8) (the
# kernel shows twice the size asked for): the VRRP child's rtnetlink command socket and
# link monitor follow vrrp_netlink_cmd_rcv_bufs and vrrp_netlink_monitor_rcv_bufs (the
# latter with _force, past net.core.rmem_max). (ss shows no buffer for raw sockets: the
# VRRP receive sockets' vrrp_rx_bufs_policy and kernel_rx_buf_size are covered by
# ka-vrrp's newer_keywords test and ka-net's set_rcvbuf test.) disable_local_igmp: the
# namespace's net.ipv4.igmp_link_local_mcast_reports is 0 while the daemon runs, and
# back to 1 after it stops. fifo_write_vrrp_states_on_reload: a reload writes the BACKUP
# instances' states to the notify FIFO again.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- ss"; ip netns exec "$PREFIX-a" ss -a -m -f netlink 2>&1 | tail -20; echo "--- log"; tail -20 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.75.0.1/24
rmem_max=$(cat /proc/sys/net/core/rmem_max)
big=$(( rmem_max * 2 ))
cat > "$WORKDIR/a.conf" <<CONF
global_defs {
    notify_fifo $WORKDIR/fifo
    fifo_write_vrrp_states_on_reload
    disable_local_igmp
    vrrp_rx_bufs_policy 50000
    vrrp_netlink_cmd_rcv_bufs 100000
    vrrp_netlink_monitor_rcv_bufs $big
    vrrp_netlink_monitor_rcv_bufs_force
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 75
    priority 100
    advert_int 10
    virtual_ipaddress {
        10.75.0.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 76
    priority 100
    advert_int 10
    kernel_rx_buf_size 30000
    virtual_ipaddress {
        10.75.0.101/24
    }
}
CONF
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" \
    -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
end=$(( $(now_ms) + 8000 ))
until [ -s "$WORKDIR/a.vpid" ] && grep -q "Entering BACKUP STATE" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "the VRRP child did not start"
    sleep 0.05
done
child=$(cat "$WORKDIR/a.vpid")
nl=$(ip netns exec "$PREFIX-a" ss -a -m -f netlink 2>/dev/null | grep '^UNCONN *[0-9]* *[0-9]* *rtnl:' \
    | grep -v 'rtnl:kernel' | grep -o 'rb[0-9]*' | sed 's/rb//' | sort -n | tr '\n' ' ')
case " $nl " in *" 200000 "*) ;; *) fail "no rtnetlink socket with rb 200000 (2 x 100000): $nl" ;; esac
case " $nl " in *" $(( big * 2 )) "*) ;; *) fail "no link monitor with rb $(( big * 2 )) (forced past rmem_max $rmem_max): $nl" ;; esac
echo "ok: netlink receive buffers: rtnetlink 2 x 100000, link monitor 2 x $big (forced past rmem_max $rmem_max)"

# The instances stay BACKUP for 30 s (advert_int 10, nobody else): a reload keeps them so.
cat "$WORKDIR/fifo" > "$WORKDIR/fifo.out" &
PIDS+=($!); disown $!
sleep 0.5
before=$(grep -c 'BACKUP' "$WORKDIR/fifo.out" || true)
kill -HUP "$(cat "$WORKDIR/a.pid")"
end=$(( $(now_ms) + 8000 ))
until [ "$(grep -c 'Reload complete' "$WORKDIR/a.log")" -ge 1 ] && [ "$(grep -c 'BACKUP' "$WORKDIR/fifo.out")" -ge $(( before + 2 )) ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "the reload wrote no states to the FIFO: $(cat "$WORKDIR/fifo.out")"
    sleep 0.05
done
tail -2 "$WORKDIR/fifo.out" | sort | tr '\n' ';' | grep -qx 'INSTANCE "VI_1" BACKUP 100;INSTANCE "VI_2" BACKUP 100;' \
    || fail "FIFO lines after the reload: $(cat "$WORKDIR/fifo.out")"
echo "ok: fifo_write_vrrp_states_on_reload: the reload wrote both BACKUP states to the FIFO"

igmp() { ip netns exec "$PREFIX-a" cat /proc/sys/net/ipv4/igmp_link_local_mcast_reports; }
[ "$(igmp)" = 0 ] || fail "igmp_link_local_mcast_reports is $(igmp) while the daemon runs"
kill -TERM "$(cat "$WORKDIR/a.pid")"
end=$(( $(now_ms) + 8000 ))
while [ -n "$(ip netns pids "$PREFIX-a")" ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "the daemon did not stop"
    sleep 0.05
done
[ "$(igmp)" = 1 ] || fail "igmp_link_local_mcast_reports is $(igmp) after the stop"
echo "ok: disable_local_igmp: igmp_link_local_mcast_reports 0 while running, 1 again after the stop"
