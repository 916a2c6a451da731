#!/usr/bin/env bash
# track_src_ip, as keepalived 2.2.7: VI_1 sends from mcast_src_ip 10.79.0.5 (a second
# address on eth0) and tracks it: removing the address puts VI_1 in FAULT (its VIP goes),
# adding it back brings VI_1 back to MASTER. VI_2 has the same source without
# track_src_ip and stays MASTER throughout.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; tail -30 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.79.0.1/24
ip -n "$PREFIX-a" addr add 10.79.0.5/24 dev eth0
inst() {   # inst NAME VRID VIP EXTRA
    printf 'vrrp_instance %s {\n    interface eth0\n    state MASTER\n    virtual_router_id %s\n    priority 150\n    advert_int 1\n    mcast_src_ip 10.79.0.5\n%s    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$4" "$3"
}
{ inst VI_1 79 10.79.0.100 "    track_src_ip
"; inst VI_2 80 10.79.0.101 ""; } > "$WORKDIR/a.conf"
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" \
    -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_addr a 10.79.0.100 10 || fail "VI_1 did not become MASTER"
wait_addr a 10.79.0.101 10 || fail "VI_2 did not become MASTER"

ip -n "$PREFIX-a" addr del 10.79.0.5/24 dev eth0
end=$(( $(now_ms) + 5000 ))
until grep -q "(VI_1) Entering FAULT STATE" "$WORKDIR/a.log" && ! has_addr a 10.79.0.100; do
    [ "$(now_ms)" -lt "$end" ] || fail "VI_1 did not go to FAULT when its source address went"
    sleep 0.05
done
grep -q "(VI_2) Entering FAULT STATE" "$WORKDIR/a.log" && fail "VI_2 (no track_src_ip) went to FAULT"
has_addr a 10.79.0.101 || fail "VI_2 lost its VIP"
echo "ok: the source address removed: VI_1 (track_src_ip) in FAULT, VI_2 still MASTER"

ip -n "$PREFIX-a" addr add 10.79.0.5/24 dev eth0
wait_addr a 10.79.0.100 10 || fail "VI_1 did not come back when its source address did"
echo "ok: the source address back: VI_1 MASTER again"
echo "ok: srcip"
