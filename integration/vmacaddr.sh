#!/usr/bin/env bash
# VMACs for single addresses (keepalived vrrp_complete_instance, create_vmac_name): an
# instance on eth0 with `use_vmac_addr` puts its VIP on eth1 on a macvlan of its own there,
# named vmac_addr_prefix.VRID, with the virtual MAC 00:00:5e:00:01:VRID, so that a client on
# eth1's LAN learns the virtual MAC for that VIP; its VIP on eth0 stays on eth0. The VMAC is
# tracked: deleted by someone else, the instance goes to FAULT and the VMAC is made again;
# a stop removes it. And use_vmac's netlink_notify_msg on a bridge. One node, and a client
# on eth1's LAN.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- a.log"; tail -30 "$WORKDIR/a.log"; processes; exit 1; }

VIP0=10.81.0.100
VIP1=10.81.1.100
lan
node a 10.81.0.1/24
bridge lan1
attach a lan1 eth1 10.81.1.1/24
host c1
attach c1 lan1 eth0 10.81.1.9/24

cat > "$WORKDIR/a.conf" <<EOF
global_defs {
    vmac_addr_prefix avm
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    use_vmac_addr
    virtual_ipaddress {
        $VIP0/24
        $VIP1/24 dev eth1
    }
}
EOF
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" -r "$WORKDIR/a.vpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!)
disown $!

wait_addr_on a avm.51 $VIP1 10 || fail "the eth1 VIP is not on avm.51: $(ip -n "$PREFIX-a" -br addr)"
has_addr_on a eth0 $VIP0 || fail "the eth0 VIP is not on eth0"
has_addr_on a eth1 $VIP1 && fail "the eth1 VIP is on eth1 itself"
link=$(ip -n "$PREFIX-a" -d link show avm.51)
grep -q "link/ether 00:00:5e:00:01:33" <<< "$link" || fail "avm.51's MAC: $link"
grep -q "macvlan mode private" <<< "$link" || fail "avm.51 is not a private macvlan: $link"
grep -q "avm.51@eth1" <<< "$link" || fail "avm.51 is not on eth1: $link"
ip -n "$PREFIX-a" -br link | grep -q "^avm.51@eth0" && fail "a VMAC was made for the eth0 VIP"
echo "ok: use_vmac_addr: the eth1 VIP on avm.51 (vmac_addr_prefix), a private macvlan on eth1 with 00:00:5e:00:01:33; the eth0 VIP on eth0"

# A client on eth1's LAN reaches the VIP and learns the virtual MAC for it.
ip netns exec "$PREFIX-c1" ping -c 1 -W 2 $VIP1 > /dev/null || fail "the client on eth1's LAN cannot reach $VIP1"
neigh=$(ip -n "$PREFIX-c1" neigh show $VIP1)
grep -q "00:00:5e:00:01:33" <<< "$neigh" || fail "the client learnt $neigh for $VIP1"
echo "ok: a client on eth1's LAN reaches $VIP1 at the virtual MAC ($neigh)"

# Deleted by someone else: the instance goes to FAULT, the VMAC is made again, the
# instance elects itself again and the VIP comes back on it.
ip -n "$PREFIX-a" link del avm.51
end=$(( $(now_ms) + 5000 ))
until grep -q "(VI_1) Entering FAULT STATE" "$WORKDIR/a.log"; do [ "$(now_ms)" -lt "$end" ] || fail "no FAULT after the VMAC was deleted"; sleep 0.05; done
wait_addr_on a avm.51 $VIP1 10 || fail "the VMAC and its VIP did not come back: $(ip -n "$PREFIX-a" -br addr)"
grep -q "VMAC avm.51 on eth1 created again" "$WORKDIR/a.log" || fail "no 'created again' line"
echo "ok: avm.51 deleted by hand: the instance went to FAULT, the VMAC was made again and the VIP is back on it"

# A stop removes it.
kill -TERM "$(cat "$WORKDIR/a.pid")"
end=$(( $(now_ms) + 5000 ))
while ip -n "$PREFIX-a" link show avm.51 > /dev/null 2>&1; do [ "$(now_ms)" -lt "$end" ] || fail "avm.51 still there after the stop"; sleep 0.05; done
echo "ok: a stop removed avm.51"

# use_vmac netlink_notify_msg (keepalived 2.3.0): a bridge does not announce itself when a
# macvlan on it is made or removed; with the option the daemon sets its group again, so
# that the kernel does. Seen with `ip monitor link`: a br9 line after the VMAC's deletion
# (none comes without the option).
ip -n "$PREFIX-a" link add br9 type bridge
ip -n "$PREFIX-a" addr add 10.81.9.1/24 dev br9
ip -n "$PREFIX-a" link set br9 up
cat > "$WORKDIR/n.conf" <<EOF2
vrrp_instance VI_9 {
    state MASTER
    interface br9
    virtual_router_id 52
    priority 150
    advert_int 1
    use_vmac netlink_notify_msg
    virtual_ipaddress {
        10.81.9.100/24
    }
}
EOF2
ip -n "$PREFIX-a" monitor link > "$WORKDIR/n.mon" 2>&1 &
PIDS+=($!); disown $!
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/n.conf" -p "$WORKDIR/n.pid" -r "$WORKDIR/n.vpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_addr_on a vrrp.52 10.81.9.100 10 || fail "VI_9's VIP is not on vrrp.52"
kill -TERM "$(cat "$WORKDIR/n.pid")"
end=$(( $(now_ms) + 5000 ))
until grep -q "^Deleted .*vrrp.52@br9" "$WORKDIR/n.mon" && sed -n '/^Deleted .*vrrp.52@br9/,$p' "$WORKDIR/n.mon" | grep -q "^[0-9]*: br9:"; do
    [ "$(now_ms)" -lt "$end" ] || fail "no announcement of br9 after vrrp.52 was removed: $(cat "$WORKDIR/n.mon")"
    sleep 0.05
done
echo "ok: use_vmac netlink_notify_msg: the bridge under the VMAC announced after the VMAC was removed"
