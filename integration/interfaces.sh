#!/usr/bin/env bash
# Interfaces that come and go, with one daemon and no restart:
# 1. a's VI_2 is on eth1, which does not exist at start: the daemon runs, VI_1 (on eth0)
#    becomes MASTER, VI_2 waits in FAULT with a warning naming eth1;
# 2. eth1 is created: VI_2 elects (a, priority 150, takes it from b, priority 100);
# 3. eth1 is deleted (VI_2 FAULT, b takes the VIP) and created again with a new index:
#    VI_2 recovers and a takes it back.
# Throughout, VI_1's VIP never moves (ip monitor) and the VRRP child is never restarted.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP1=10.85.0.100
VIP2=10.86.0.100

inst() {   # inst NAME VRID STATE PRIORITY IFNAME VIP
    printf 'vrrp_instance %s {\n    state %s\n    interface %s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$3" "$5" "$2" "$4" "$6"
}

start() {   # start NODE (its configuration in $WORKDIR/NODE.conf)
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $*"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.mon; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

lan
bridge lan2
node a 10.85.0.1/24
node b 10.85.0.2/24
attach b lan2 eth1 10.86.0.2/24
ip -n "$PREFIX-a" -t monitor address >> "$WORKDIR/a.mon" 2>&1 &
PIDS+=($!); disown $!
{ inst VI_1 85 MASTER 150 eth0 $VIP1; inst VI_2 86 MASTER 150 eth1 $VIP2; } > "$WORKDIR/a.conf"
{ inst VI_1 85 BACKUP 100 eth0 $VIP1; inst VI_2 86 BACKUP 100 eth1 $VIP2; } > "$WORKDIR/b.conf"
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

[ "$(cat "$WORKDIR/a.pid")" = "$parent" ] && [ "$(cat "$WORKDIR/a.vpid")" = "$child" ] || fail "a daemon process was restarted"
kill -0 "$child" || fail "a's VRRP child is gone"
grep -aq "$VIP1" "$WORKDIR/a.mon" && fail "VI_1's VIP moved: $(grep -a "$VIP1" "$WORKDIR/a.mon")"
echo "ok: no restart of the daemon or its child; VI_1's VIP never moved (ip monitor)"
