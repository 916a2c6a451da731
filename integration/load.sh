#!/usr/bin/env bash
# A master and a backup with two busy loops per core for LOAD_SECONDS (60 by default),
# while a client pings the VIP every 20 ms: no transition, no child restarted, no reply
# lost. The loops run at the daemons' own priority (nothing here is reniced).
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.88.0.100
SECONDS_LOADED=${LOAD_SECONDS:-60}

conf() {
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 88\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$VIP"
}

start() {   # start NODE STATE PRIORITY
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" \
        --control-socket "$WORKDIR/$1.sock" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -30 "$f"; done; exit 1; }

lan
node a 10.88.0.1/24
node b 10.88.0.2/24
node c 10.88.0.3/24
start b BACKUP 100
start a MASTER 150
wait_addr a $VIP 10 || fail "a never became master"
sleep 1
transitions_a=$(grep -c "Entering" "$WORKDIR/a.log" || true)
transitions_b=$(grep -c "Entering" "$WORKDIR/b.log" || true)
child_a=$(cat "$WORKDIR/a.vpid"); child_b=$(cat "$WORKDIR/b.vpid")

cores=$(nproc)
for _ in $(seq 1 $(( 2 * cores ))); do
    ( end=$(( $(date +%s) + SECONDS_LOADED )); while [ "$(date +%s)" -lt "$end" ]; do :; done ) &
    PIDS+=($!)
done
count=$(( SECONDS_LOADED * 50 ))
ip netns exec "$PREFIX-c" ping -q -n -i 0.02 -W 1 -c "$count" $VIP > "$WORKDIR/ping.out" 2>&1 || true
wait 2>/dev/null || true

received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORKDIR/ping.out")
[ -n "$received" ] || fail "no ping summary: $(cat "$WORKDIR/ping.out")"
[ "$(grep -c "Entering" "$WORKDIR/a.log" || true)" = "$transitions_a" ] || fail "a made a transition under load"
[ "$(grep -c "Entering" "$WORKDIR/b.log" || true)" = "$transitions_b" ] || fail "b made a transition under load"
[ "$(cat "$WORKDIR/a.vpid")" = "$child_a" ] && [ "$(cat "$WORKDIR/b.vpid")" = "$child_b" ] || fail "a child was restarted under load"
grep -q "is not answering" "$WORKDIR/a.log" "$WORKDIR/b.log" && fail "a child was judged hung under load"
[ "$received" = "$count" ] || fail "the client lost $(( count - received )) of $count replies under load"
echo "ok: $(( 2 * cores )) busy loops for ${SECONDS_LOADED} s: no transition, no restart, $received/$count replies"
