#!/usr/bin/env bash
# Interfaces that come and go, with one daemon and no restart:
# 1. a's VI_2 is on eth1, which does not exist at start: the daemon runs, VI_1 (on eth0)
#    becomes MASTER, VI_2 waits in FAULT with a warning naming eth1;
# 2. eth1 is created: VI_2 elects (a, priority 150, takes it from b, priority 100);
# 3. eth1 is deleted (VI_2 FAULT, b takes the VIP) and created again with a new index:
#    VI_2 recovers and a takes it back;
# 4. a's VI_3 runs on a VMAC (use_vmac, vrrp.87): someone deletes it, then renames it:
#    each time VI_3 goes to FAULT, the VMAC is created again at once, and VI_3 becomes
#    MASTER on it again (b, whose master-down interval is longer, may take the VIP for a
#    moment, and gives it back).
# Throughout, VI_1's VIP never moves (ip monitor) and the VRRP child is never restarted.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP1=10.85.0.100
VIP2=10.86.0.100
VIP3=10.85.0.103

inst() {   # inst NAME VRID STATE PRIORITY IFNAME VIP
    printf 'vrrp_instance %s {\n    state %s\n    interface %s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$3" "$5" "$2" "$4" "$6"
}

start() {   # start NODE (its configuration in $WORKDIR/NODE.conf)
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.mon; do echo "--- $f"; tail -n "${TAIL:-40}" "$f"; done; exit 1; }

lan
bridge lan2
node a 10.85.0.1/24
node b 10.85.0.2/24
attach b lan2 eth1 10.86.0.2/24
ip -n "$PREFIX-a" -t monitor address >> "$WORKDIR/a.mon" 2>&1 &
PIDS+=($!); disown $!
{ inst VI_1 85 MASTER 150 eth0 $VIP1; inst VI_2 86 MASTER 150 eth1 $VIP2
  inst VI_3 87 MASTER 150 eth0 $VIP3 | sed 's/^    advert_int 1$/&\n    use_vmac/'; } > "$WORKDIR/a.conf"
{ inst VI_1 85 BACKUP 100 eth0 $VIP1; inst VI_2 86 BACKUP 100 eth1 $VIP2; inst VI_3 87 BACKUP 100 eth0 $VIP3; } > "$WORKDIR/b.conf"
start b
start a

# 1. eth1 missing on a.
wait_addr a $VIP1 10 || fail "VI_1 did not become MASTER on a while eth1 is missing"
grep -aq "$VIP1" "$WORKDIR/a.mon" || fail "ip monitor on a did not see VI_1's VIP arrive"
grep -q "interface eth1 which doesn't currently exist" "$WORKDIR/a.log" || fail "no warning naming the missing interface"
grep -q "(VI_2) Entering FAULT STATE" "$WORKDIR/a.log" || fail "VI_2 is not in FAULT on a"
wait_addr_on b eth1 $VIP2 10 || fail "b did not become MASTER of VI_2"
parent=$(cat "$WORKDIR/a.pid"); child=$(cat "$WORKDIR/a.vpid")
: > "$WORKDIR/a.mon"
echo "ok: eth1 missing: the daemon runs, VI_1 MASTER on eth0, VI_2 in FAULT with a warning"

# 2. eth1 appears.
attach a lan2 eth1 10.86.0.1/24
t0=$(now_ms)
wait_addr_on a eth1 $VIP2 10 || fail "VI_2 did not elect on a after eth1 appeared"
echo "ok: eth1 created: a's VI_2 became MASTER $(( $(now_ms) - t0 )) ms later"
end=$(( $(now_ms) + 5000 ))
while has_addr_on b eth1 $VIP2; do [ "$(now_ms)" -lt "$end" ] || fail "b kept VI_2's VIP"; sleep 0.05; done

# 3. eth1 deleted, then created again (a new index).
old_index=$(ip -n "$PREFIX-a" -o link show eth1 | cut -d: -f1)
ip -n "$PREFIX-a" link del eth1
wait_addr_on b eth1 $VIP2 10 || fail "b did not take VI_2 after a's eth1 was deleted"
end=$(( $(now_ms) + 5000 ))
until grep -q "(VI_2) Entering FAULT STATE" <(sed -n '/eth1 appeared/,$p' "$WORKDIR/a.log"); do
    [ "$(now_ms)" -lt "$end" ] || fail "VI_2 did not go to FAULT on a when eth1 went"
    sleep 0.05
done
attach a lan2 eth1 10.86.0.1/24
new_index=$(ip -n "$PREFIX-a" -o link show eth1 | cut -d: -f1)
[ "$old_index" != "$new_index" ] || fail "eth1 came back with the same index ($old_index): the test proves nothing"
wait_addr_on a eth1 $VIP2 10 || fail "VI_2 did not recover on a after eth1 was created again"
grep -q "interface eth1 was created again" "$WORKDIR/a.log" || fail "no log line for the recreated interface"
echo "ok: eth1 deleted (b took VI_2) and created again (index $old_index -> $new_index): a's VI_2 recovered"

# 4. VI_3's VMAC deleted, then renamed, by someone else.
wait_addr_on a vrrp.87 $VIP3 10 || fail "VI_3 is not MASTER on a's VMAC vrrp.87"
remade() { grep -c "VMAC vrrp.87 on eth0 created again" "$WORKDIR/a.log" || true; }
vmac_lost() {   # vmac_lost HOW N0 T0: after HOW removed vrrp.87 at T0 (N0: remade() before),
                # b takes VI_3, a makes vrrp.87 again and takes VI_3 back
    local n0=$2 t0=$3
    end=$(( $(now_ms) + 10000 ))
    until [ "$(remade)" -gt "$n0" ]; do
        [ "$(now_ms)" -lt "$end" ] || fail "a did not create vrrp.87 again after it was $1"
        sleep 0.05
    done
    ip -n "$PREFIX-a" link show vrrp.87 | grep -q "link/ether 00:00:5e:00:01:57" || fail "vrrp.87 again without the virtual MAC"
    wait_addr_on a vrrp.87 $VIP3 10 || fail "VI_3 did not come back to a's new vrrp.87 after it was $1"
    end=$(( $(now_ms) + 5000 ))
    while has_addr b $VIP3; do [ "$(now_ms)" -lt "$end" ] || fail "b kept VI_3's VIP"; sleep 0.05; done
    # One FAULT per loss (the VMAC made again as many times).
    [ "$(grep -c "(VI_3) Entering FAULT STATE" "$WORKDIR/a.log")" -ge "$(remade)" ] \
        || fail "VI_3 did not go to FAULT when its VMAC was $1"
    echo "ok: a's VMAC $1: VI_3 to FAULT, vrrp.87 created again, VI_3 MASTER on it again after $(( $(now_ms) - t0 )) ms, b BACKUP"
}
n0=$(remade); t0=$(now_ms)
ip -n "$PREFIX-a" link del vrrp.87
vmac_lost deleted "$n0" "$t0"
n0=$(remade); t0=$(now_ms)
ip -n "$PREFIX-a" link set vrrp.87 down
ip -n "$PREFIX-a" link set vrrp.87 name x87
vmac_lost renamed "$n0" "$t0"
ip -n "$PREFIX-a" link del x87

[ "$(cat "$WORKDIR/a.pid")" = "$parent" ] && [ "$(cat "$WORKDIR/a.vpid")" = "$child" ] || fail "a daemon process was restarted"
kill -0 "$child" || fail "a's VRRP child is gone"
grep -aq "$VIP1" "$WORKDIR/a.mon" && fail "VI_1's VIP moved: $(grep -a "$VIP1" "$WORKDIR/a.mon")"
echo "ok: no restart of the daemon or its child; VI_1's VIP never moved (ip monitor)"
