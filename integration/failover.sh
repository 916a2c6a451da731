#!/usr/bin/env bash
# Failover deadlines, seen from a client in a third namespace that pings the VIP every
# 2 ms: a master killed (SIGKILL of its processes, link cut) → the client is answered again
# within Master_Down_Interval + 20 ms of the cut; a graceful stop → the client goes without
# answers for at most Skew_Time + 20 ms (from the old master's last answer, which may come
# some milliseconds after the SIGTERM, to the new master's first); the
# master returns and preempts, and the two hold the VIP together for less than one advert
# interval (address events timestamped by `ip monitor` in both namespaces). Run for
# VRRPv2 at advert_int 1 and VRRPv3 at advert_int 0.1.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.77.0.100
SLACK_MS=20

conf() {   # conf STATE PRIO VERSION ADVERT_INT
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 76\n    priority %s\n    version %s\n    advert_int %s\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$3" "$4" "$VIP"
}

start() {   # start NODE
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" >> "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -15 "$f"; done; exit 1; }
now_ns() { date +%s%N; }

ping_start() {
    ip netns exec "$PREFIX-c" ping -D -n -i 0.002 "$VIP" > "$WORKDIR/ping.out" 2>&1 &
    PING=$!
    PIDS+=($PING)
}
ping_stop() { kill "$PING" 2>/dev/null || true; wait "$PING" 2>/dev/null || true; }

# first_reply_after T_NS [GAP_MS]: ms from T_NS to the first echo reply after a silence of
# at least GAP_MS (default 20): the first answer from the new master.
first_reply_after() {
    awk -v t="$1" -v gap="${2:-20}" '/bytes from/ { gsub(/[\[\]]/, "", $1); ns = $1 * 1e9;
        if (ns > t && last > 0 && ns - last > gap * 1e6) { printf "%d\n", (ns - t) / 1e6; exit }
        last = ns }' "$WORKDIR/ping.out"
}

# reply_gap_after T_NS: the longest silence (ms) between two echo replies, the second after
# T_NS: the replies a graceful failover cost the client.
reply_gap_after() {
    awk -v t="$1" '/bytes from/ { gsub(/[\[\]]/, "", $1); ns = $1 * 1e9;
        if (ns > t && last > 0 && ns - last > gap) gap = ns - last;
        last = ns } END { if (gap > 0) printf "%d\n", gap / 1e6 }' "$WORKDIR/ping.out"
}

monitor() {   # monitor NODE: address events with timestamps
    ip -n "$PREFIX-$1" -ts monitor address > "$WORKDIR/$1.mon" 2>&1 &
    PIDS+=($!)
}

# event_ns NODE add|del: time of the first add (or delete) of the VIP in NODE's monitor log.
event_ns() {
    local pat="inet $VIP/"
    local line
    if [ "$2" = del ]; then line=$(grep "Deleted.*$pat" "$WORKDIR/$1.mon" | head -1)
    else line=$(grep -v Deleted "$WORKDIR/$1.mon" | grep "$pat" | head -1); fi
    [ -n "$line" ] || return 1
    date -d "$(echo "$line" | sed 's/^\[\([^]]*\)\].*/\1/')" +%s%N
}

lan
node a 10.77.0.1/24
node b 10.77.0.2/24
node c 10.77.0.3/24

run_case() {   # run_case VERSION ADVERT_INT
    local ver=$1 adv=$2
    # Backup priority 100: Master_Down = 3 × advert + (256 − 100) × advert / 256.
    local down_ms skew_ms
    down_ms=$(echo "scale=3; 3 * $adv * 1000 + 156 * $adv * 1000 / 256" | bc)
    skew_ms=$(echo "scale=3; 156 * $adv * 1000 / 256" | bc)
    conf MASTER 150 "$ver" "$adv" > "$WORKDIR/a.conf"
    conf BACKUP 100 "$ver" "$adv" > "$WORKDIR/b.conf"
    start b
    start a
    wait_addr a $VIP 10 || fail "v$ver: a never became master"
    sleep 1

    # 1. Kill: cut a's link, then SIGKILL every process of a (in this order: a VRRP
    #    child whose parent dies first would stop gracefully on PR_SET_PDEATHSIG and send
    #    priority 0, which a dead node does not). Timed from the cut: the last advert
    #    b heard was sent before it.
    ping_start
    sleep 0.5
    local t0 ms
    ip -n "$PREFIX-a" link set eth0 down
    t0=$(now_ns)
    ip netns pids "$PREFIX-a" | xargs -r kill -9
    wait_addr b $VIP 10 || fail "v$ver: b did not take over"
    sleep 0.3
    ping_stop
    ms=$(first_reply_after "$t0")
    [ -n "$ms" ] || fail "v$ver kill: the client never got an answer from the new master"
    if [ "$(echo "$ms > $down_ms + $SLACK_MS" | bc)" = 1 ]; then
        fail "v$ver kill: the client was answered after $ms ms, bound $down_ms + $SLACK_MS ms"
    fi
    echo "ok: v$ver advert_int $adv: master killed, the client is answered again after $ms ms (Master_Down $down_ms ms)"

    # 2. The master returns and preempts: the overlap is below one advert interval.
    ip -n "$PREFIX-a" addr flush dev eth0 label eth0 2>/dev/null || true
    ip -n "$PREFIX-a" addr add 10.77.0.1/24 dev eth0
    ip -n "$PREFIX-a" link set eth0 up
    : > "$WORKDIR/a.mon"; : > "$WORKDIR/b.mon"
    monitor a
    monitor b
    sleep 0.3
    start a
    wait_addr a $VIP 10 || fail "v$ver: a did not preempt"
    local end=$(( $(now_ns) + 3000000000 ))
    while has_addr b $VIP && [ "$(now_ns)" -lt "$end" ]; do sleep 0.01; done
    has_addr b $VIP && fail "v$ver: b kept the VIP after a preempted"
    sleep 0.2
    local add del overlap adv_ms
    add=$(event_ns a add) || fail "v$ver: no address event on a"
    del=$(event_ns b del) || fail "v$ver: no address event on b"
    overlap=$(( (del - add) / 1000 ))
    adv_ms=$(echo "$adv * 1000" | bc)
    if [ "$(echo "$overlap >= $adv_ms * 1000" | bc)" = 1 ]; then
        fail "v$ver preempt: both held the VIP for $overlap µs (advert interval $adv_ms ms)"
    fi
    if [ "$overlap" -ge 0 ]; then
        echo "ok: v$ver advert_int $adv: a preempted; both held the VIP for $overlap µs (< one advert interval)"
    else
        echo "ok: v$ver advert_int $adv: a preempted; b released the VIP $(( -overlap )) µs before a added it (no overlap)"
    fi
    ip netns pids "$PREFIX-a" | xargs -r -n1 sh -c 'tr "\0" " " < /proc/$0/cmdline | grep -q "^ip " && kill $0' 2>/dev/null || true
    ip netns pids "$PREFIX-b" | xargs -r -n1 sh -c 'tr "\0" " " < /proc/$0/cmdline | grep -q "^ip " && kill $0' 2>/dev/null || true
    sleep 1

    # 3. Graceful stop of the master: priority 0, the backup takes over after Skew_Time.
    ping_start
    sleep 0.5
    t0=$(now_ns)
    kill -TERM "$(cat "$WORKDIR/a.pid")"
    wait_addr b $VIP 10 || fail "v$ver: b did not take over after a graceful stop"
    sleep 0.3
    ping_stop
    ms=$(reply_gap_after "$t0")
    [ -n "$ms" ] || fail "v$ver stop: the client never got an answer from the new master"
    if [ "$(echo "$ms > $skew_ms + $SLACK_MS" | bc)" = 1 ]; then
        fail "v$ver stop: the client went without answers for $ms ms, bound $skew_ms + $SLACK_MS ms"
    fi
    echo "ok: v$ver advert_int $adv: graceful stop, the client went without answers for $ms ms (Skew_Time $skew_ms ms; answered again $(first_reply_after "$t0") ms after the SIGTERM)"

    # Clean slate for the next case.
    for n in a b; do ip netns pids "$PREFIX-$n" | xargs -r kill -TERM 2>/dev/null || true; done
    sleep 1.5
    for n in a b; do ip netns pids "$PREFIX-$n" | xargs -r kill -9 2>/dev/null || true; done
}

run_case 2 1
run_case 3 0.1
