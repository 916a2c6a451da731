#!/usr/bin/env bash
# Reload at scale (keepalived issue #2318's size): 2,284 virtual servers x 16 real servers
# with TCP_CHECK (36,544 checks) against addresses that fail at once (an unreachable route
# in the namespace), so every real server is down before the first reload. Then SIGHUP,
# three times with the files unchanged (the running children carry on), three times with
# the same configuration in a retouched file (read again: successors take over), once
# with a real server added:
#   - the time from SIGHUP to "Reload complete" (read from the followed log),
#   - the real servers logged down again after the reload (their state must be carried
#     over: 0 expected, and exactly the added one after the last),
#   - the daemon's RSS (all its processes) before the reloads and after each.
# Env: VS (2284), RS (16), DELAY (delay_loop, 6 s). Exits non-zero when a real server is
# logged down again, the added one is not logged down exactly once, or the daemon goes:
# integration/reload-scale.sh runs it small for that.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p keepalived-rs
BIN=$PWD/target/release/keepalived-rs
RUN_ID=r$$
source integration/lib.sh
NVS=${VS:-2284}
NRS=${RS:-16}
DELAY=${DELAY:-6}
N=$((NVS * NRS))

host lb
# Every real server's address fails at connect(): EHOSTUNREACH without a packet sent.
ip -n "$PREFIX-lb" route add unreachable 10.61.0.0/16

conf() {   # conf EXTRA: the configuration, EXTRA real servers more in the first virtual server
    local extra=$1 v r i
    printf 'global_defs {\n    router_id bench\n}\n'
    for v in $(seq 0 $((NVS - 1))); do
        printf 'virtual_server 10.62.%d.%d 80 {\n    delay_loop %d\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n' \
            $((v / 250)) $((v % 250 + 1)) "$DELAY"
        local n=$NRS
        [ "$v" = 0 ] && n=$((NRS + extra))
        for r in $(seq 0 $((n - 1))); do
            i=$((v * (NRS + 1) + r))
            printf '    real_server 10.61.%d.%d 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n' \
                $((i / 250)) $((i % 250 + 1))
        done
        printf '}\n'
    done
}
conf 0 > "$WORKDIR/checks.conf"
echo "reload at scale: $NVS virtual servers x $NRS real servers = $N TCP_CHECKs, delay_loop $DELAY s, failing at connect()"

rss() {   # RSS kB of all processes in lb
    local t=0 p
    for p in $(ip netns pids "$PREFIX-lb"); do
        t=$(( t + $(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0) ))
    done
    echo "$t"
}
prss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || echo 0; }   # the parent's
downs() { grep -c "Removing service" "$WORKDIR/rs.log" || true; }

t0=$(now_ms)
ip netns exec "$PREFIX-lb" "$BIN" -n -l -C -f "$WORKDIR/checks.conf" -p "$WORKDIR/r.pid" -c "$WORKDIR/r.cpid" \
    --control-socket "$WORKDIR/ctl.sock" > "$WORKDIR/rs.log" 2>&1 &
PIDS+=($!)
disown $!
end=$(( $(now_ms) + (DELAY * 4 + 60) * 1000 ))
while [ "$(downs)" -lt "$N" ]; do
    [ "$(now_ms)" -lt "$end" ] || { echo "only $(downs) of $N real servers went down"; tail -5 "$WORKDIR/rs.log"; exit 1; }
    sleep 0.2
done
echo "  start: all $N real servers down after $(( $(now_ms) - t0 )) ms; RSS $(rss) kB"
sleep 4   # the parent trims 3 s after the last large report
PID=$(cat "$WORKDIR/r.pid")
rss0=$(rss)
echo "  RSS before the reloads $rss0 kB (the parent $(prss) kB)"

reload() {   # reload LABEL: SIGHUP, time to "Reload complete", re-notified servers, RSS
    local n0 t1 took
    local size follow tailer
    n0=$(downs)
    # The log is followed from its current end (tail wakes on each write): grepping the
    # whole log (tens of MB) every few ms would take a core from the daemon it measures.
    size=$(stat -c %s "$WORKDIR/rs.log")
    exec {follow}< <(exec timeout 60 tail -c +$((size + 1)) -f "$WORKDIR/rs.log")
    tailer=$!
    t1=$(date +%s%N)
    kill -HUP "$PID"
    grep -q -m1 "Reload complete" <&"$follow" || { echo "no 'Reload complete' within 60 s"; tail -5 "$WORKDIR/rs.log"; exit 1; }
    took=$(( ($(date +%s%N) - t1) / 1000000 ))
    exec {follow}<&-
    kill "$tailer" 2>/dev/null || true
    # Two check rounds: a server whose state was lost is logged down again within one.
    sleep $((DELAY * 2 + 1))
    kill -0 "$PID" 2>/dev/null || { echo "the daemon has gone after $1:"; tail -20 "$WORKDIR/rs.log"; exit 1; }
    again=$(( $(downs) - n0 ))
    echo "  $1: SIGHUP to 'Reload complete' $took ms ($(grep "Reload complete" "$WORKDIR/rs.log" | tail -1 | sed 's/.*(\(.*\))/\1/')); real servers logged down again $again; RSS $(rss) kB (the parent $(prss) kB)"
    [ "$again" -le "$2" ] || { echo "FAIL: $again real servers logged down again after $1 (expected $2)"; grep -v "TCP_CHECK on\|Removing service\|Lost quorum" "$WORKDIR/rs.log" | tail -30; exit 1; }
}
reload "reload 1 (unchanged files)" 0
reload "reload 2 (unchanged files)" 0
reload "reload 3 (unchanged files)" 0
rss3=$(rss)
printf '  RSS before the reloads %d kB, after three of unchanged files %d kB (%+.1f%%)\n' "$rss0" "$rss3" "$(echo "100 * ($rss3 - $rss0) / $rss0" | bc -l)"
# The same configuration in a file whose text changed (a comment added): read again,
# successors started, every real server's state handed over.
rss0=$(rss)
for k in 4 5 6; do
    printf '# retouched %s\n' "$(date +%s%N)" >> "$WORKDIR/checks.conf"
    reload "reload $k (same configuration, read again)" 0
done
rss3=$(rss)
hangs=$(grep -c "not answering" "$WORKDIR/rs.log" || true)
[ "$hangs" = 0 ] || { echo "FAIL: a child was judged hung $hangs time(s):"; grep "not answering\|Starting" "$WORKDIR/rs.log" | tail; exit 1; }
printf '  RSS before the reloads that read again %d kB, after three %d kB (%+.1f%%)\n' "$rss0" "$rss3" "$(echo "100 * ($rss3 - $rss0) / $rss0" | bc -l)"
conf 1 > "$WORKDIR/checks.conf"
reload "reload 7 (one real server added)" 1
added=$(grep -c "Removing service \[10.61.0.17\]" "$WORKDIR/rs.log" || true)
echo "  the added real server was logged down $added time(s) (expected once)"
[ "$added" = 1 ] || { echo "FAIL: the added real server was logged down $added times"; grep -v "TCP_CHECK on\|Removing service\|Lost quorum" "$WORKDIR/rs.log" | tail -30; exit 1; }
