#!/usr/bin/env bash
# The checker at scale: N real servers (10,000 by default) with TCP_CHECK at delay_loop 1 s
# against a listener in another namespace; the checker's CPU and RSS over a window, and the
# share of probes started on time (from keepalived_check.data). keepalived 2.2.7 is started
# the same way; on a kernel without IPVS its checker exits, which is reported instead of a
# ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
cargo build -q --release -p keepalived-rs --example tcp-sink
BIN=$PWD/target/release/keepalived-rs
SINK=$PWD/target/release/examples/tcp-sink
RUN_ID=c$$
source integration/lib.sh
N=${N:-10000}
WINDOW=${WINDOW:-20}
HZ=$(getconf CLK_TCK)

lan
node lb 10.60.250.1/16
node rs 10.60.250.2/16
# The real servers' addresses live on rs's loopback, routed through rs: lb resolves one MAC.
ip -n "$PREFIX-lb" route add 10.61.0.0/16 via 10.60.250.2
for i in $(seq 0 $((N - 1))); do
    echo "addr add 10.61.$((i / 250)).$((i % 250 + 1))/32 dev lo"
done > "$WORKDIR/addrs"
ip -n "$PREFIX-rs" -batch "$WORKDIR/addrs"
ip netns exec "$PREFIX-rs" sh -c 'echo 65535 > /proc/sys/net/core/somaxconn'
ip netns exec "$PREFIX-rs" "$SINK" 0.0.0.0:80 &
PIDS+=($!)
disown $!

PER_VS=100
{
    for v in $(seq 0 $((N / PER_VS - 1))); do
        printf 'virtual_server 10.62.%d.%d 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n' $((v / 250)) $((v % 250 + 1))
        for r in $(seq 0 $((PER_VS - 1))); do
            i=$((v * PER_VS + r))
            printf '    real_server 10.61.%d.%d 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n' $((i / 250)) $((i % 250 + 1))
        done
        printf '}\n'
    done
} > "$WORKDIR/checks.conf"

usage() {   # CPU jiffies (total, user) and RSS kB of all processes in lb
    local cpu=0 user=0 rss=0
    for p in $(ip netns pids "$PREFIX-lb"); do
        set -- $(awk '{print $14, $15}' /proc/$p/stat 2>/dev/null || echo 0 0)
        cpu=$(( cpu + $1 + $2 )); user=$(( user + $1 ))
        rss=$(( rss + $(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0) ))
    done
    echo "$cpu $rss $user"
}

echo "checker: $N real servers with TCP_CHECK, delay_loop 1 s (${WINDOW} s window after 10 s)"
mkdir -p "$WORKDIR/tmp"
TMPDIR="$WORKDIR/tmp" ip netns exec "$PREFIX-lb" "$BIN" -n -C -G -f "$WORKDIR/checks.conf" -p "$WORKDIR/r.pid" -c "$WORKDIR/r.cpid" > "$WORKDIR/rs.log" 2>&1 &
disown $!
sleep 10
set -- $(usage); c0=$1; u0=$3
sleep "$WINDOW"
set -- $(usage); cpu=$(( $1 - c0 )); rss=$2; user=$(( $3 - u0 ))
kill -USR1 "$(cat "$WORKDIR/r.pid")"; sleep 1
data="$WORKDIR/tmp/keepalived_check.data"
started=$(awk -F' = ' '/Probes started/ {print $2}' "$data")
late=$(awk -F' = ' '/more than 100 ms late/ {print $2}' "$data")
maxlate=$(awk -F' = ' '/Latest start/ {print $2}' "$data")
alive=$(grep -c "alive = yes" "$data" || true)
ip netns pids "$PREFIX-lb" | xargs -r kill -TERM; sleep 3; ip netns pids "$PREFIX-lb" | xargs -r kill -9 2>/dev/null || true
printf '  keepalived-rs: CPU %.2f s per %d s (%.1f%% of a core; user %.2f s, the rest the kernel'"'"'s TCP), RSS %d kB, %d probes, %d started more than 100 ms late (%.3f%%), latest %s, %d/%d servers up\n' \
    "$(echo "$cpu / $HZ" | bc -l)" "$WINDOW" "$(echo "100 * $cpu / $HZ / $WINDOW" | bc -l)" "$(echo "$user / $HZ" | bc -l)" "$rss" "$started" "$late" \
    "$(echo "100 * $late / ($started + 1)" | bc -l)" "$maxlate" "$alive" "$N"

ip netns exec "$PREFIX-lb" keepalived -n -C -f "$WORKDIR/checks.conf" -p "$WORKDIR/k.pid" -c "$WORKDIR/k.cpid" -r "$WORKDIR/k.vpid" > "$WORKDIR/ka.log" 2>&1 &
disown $!
sleep 10
if [ -n "$(ip netns pids "$PREFIX-lb")" ]; then
    set -- $(usage); c0=$1
    sleep "$WINDOW"
    set -- $(usage)
    printf '  keepalived 2.2.7: CPU %.2f s per %d s, RSS %d kB; CPU ratio %.2f\n' "$(echo "($1 - $c0) / $HZ" | bc -l)" "$WINDOW" "$2" \
        "$(echo "$cpu / ($1 - $c0 + 1)" | bc -l)"
    ip netns pids "$PREFIX-lb" | xargs -r kill -TERM; sleep 3
else
    echo "  keepalived 2.2.7: its checker exited on this kernel (no IPVS), taking the daemon down: no ratio here; run in the IPVS VM (../shared/recipes) for one"
fi
