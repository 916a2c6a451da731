#!/usr/bin/env bash
# interface_up_down_delays and linkbeat (keepalived 2.2.7): VI_1 tracks trk0, whose down
# delay is 2 s: trk0 down and up again within 0.5 s changes nothing; trk0 down for good
# puts VI_1 in FAULT only after the delay. VI_2 tracks trk1, listed in linkbeat_interfaces:
# its link is polled every second ("Linkbeat reports trk1 down"), not taken from netlink.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; tail -30 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.82.0.1/24
for d in trk0 trk1; do
    ip -n "$PREFIX-a" link add "$d" type veth peer name "${d}p"
    ip -n "$PREFIX-a" link set "${d}p" up
    ip -n "$PREFIX-a" link set "$d" up
done
inst() {   # inst NAME VRID VIP TRACKED
    printf 'vrrp_instance %s {\n    interface eth0\n    state MASTER\n    virtual_router_id %s\n    priority 150\n    advert_int 1\n    track_interface {\n        %s\n    }\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$4" "$3"
}
{
    printf 'interface_up_down_delays {\n    trk0 2 0\n}\nlinkbeat_interfaces {\n    trk1\n}\n'
    inst VI_1 82 10.82.0.100 trk0
    inst VI_2 83 10.82.0.101 trk1
} > "$WORKDIR/a.conf"
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" \
    -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_addr a 10.82.0.100 10 || fail "VI_1 did not become MASTER"
wait_addr a 10.82.0.101 10 || fail "VI_2 did not become MASTER"

# Down and back up within the delay: cancelled, VI_1 stays MASTER.
ip -n "$PREFIX-a" link set trk0 down; sleep 0.5; ip -n "$PREFIX-a" link set trk0 up
sleep 3
grep -q "(VI_1) Entering FAULT STATE" "$WORKDIR/a.log" && fail "VI_1 went to FAULT on a change cancelled within its delay"
has_addr a 10.82.0.100 || fail "VI_1 lost its VIP"
echo "ok: trk0 down and up within its 2 s delay: nothing changed"

# Down for good: FAULT only after the delay (not before 1 s is certain; then within 2 s + 3 s).
t0=$(now_ms)
ip -n "$PREFIX-a" link set trk0 down
sleep 1
grep -q "(VI_1) Entering FAULT STATE" "$WORKDIR/a.log" && fail "VI_1 went to FAULT before trk0's 2 s delay"
end=$(( t0 + 5000 ))
until grep -q "(VI_1) Entering FAULT STATE" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "VI_1 did not go to FAULT after trk0's delay"
    sleep 0.05
done
took=$(( $(now_ms) - t0 ))
[ "$took" -ge 1900 ] || fail "VI_1 went to FAULT $took ms after trk0 went down (delay 2 s)"
echo "ok: trk0 down: VI_1 in FAULT after $took ms (down delay 2 s)"

# trk1 is polled: its down comes from polling.
ip -n "$PREFIX-a" link set trk1 down
end=$(( $(now_ms) + 5000 ))
until grep -q "(VI_2) Entering FAULT STATE" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "VI_2 did not go to FAULT when trk1 went down"
    sleep 0.05
done
grep -q "Linkbeat reports trk1 down" "$WORKDIR/a.log" || fail "trk1's down did not come from linkbeat polling"
ip -n "$PREFIX-a" link set trk1 up
wait_addr a 10.82.0.101 10 || fail "VI_2 did not come back when trk1 did"
grep -q "Linkbeat reports trk1 up" "$WORKDIR/a.log" || fail "trk1's up did not come from linkbeat polling"
echo "ok: trk1 polled: down and up reported by linkbeat, VI_2 FAULT and back"
echo "ok: linkdelay"
