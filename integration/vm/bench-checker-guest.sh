#!/bin/sh
# Runs inside the IPVS VM (bench/vm-checker.sh boots it): N real servers with TCP_CHECK at
# delay_loop 1 s against a listener in a namespace, with the IPVS table programmed, under
# keepalived-rs and then keepalived 2.2.7; the daemons' CPU and RSS over the same window,
# keepalived-rs's share of probes started on time, and the ratios.
# Usage: bench-checker-guest.sh KEEPALIVED_RS TCP_SINK N WINDOW
set -eu
BIN=$1 SINK=$2 N=$3 WINDOW=$4
T=$(mktemp -d /tmp/bench.XXXXXX)
HZ=100
ip netns add lb; ip netns add rs
ip link add v-lb netns lb type veth peer name v-rs netns rs
ip -n lb addr add 10.60.250.1/16 dev v-lb; ip -n lb link set v-lb up; ip -n lb link set lo up
ip -n rs addr add 10.60.250.2/16 dev v-rs; ip -n rs link set v-rs up; ip -n rs link set lo up
ip -n lb route add 10.61.0.0/16 via 10.60.250.2
trap 'for n in lb rs; do ip netns pids $n | xargs -r kill -9; ip netns del $n; done; rm -rf "$T"' EXIT
i=0; while [ $i -lt "$N" ]; do
    echo "addr add 10.61.$((i / 250)).$((i % 250 + 1))/32 dev lo"; i=$((i + 1)); done > "$T/addrs"
ip -n rs -batch "$T/addrs"
ip netns exec rs sh -c 'echo 65535 > /proc/sys/net/core/somaxconn'
ip netns exec rs "$SINK" 0.0.0.0:80 > /dev/null 2>&1 &
PER_VS=100
awk -v n="$N" -v per=$PER_VS 'BEGIN {
    for (v = 0; v < n / per; v++) {
        printf "virtual_server 10.62.%d.%d 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n", int(v / 250), v % 250 + 1
        for (r = 0; r < per; r++) { i = v * per + r
            printf "    real_server 10.61.%d.%d 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", int(i / 250), i % 250 + 1 }
        print "}" } }' > "$T/checks.conf"
usage() {   # CPU jiffies and RSS kB of every process in lb
    cpu=0; rss=0
    for p in $(ip netns pids lb); do
        set -- $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
        cpu=$((cpu + $1))
        rss=$((rss + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo "$cpu $rss"
}
measure() {   # measure: CPU jiffies over WINDOW after 10 s of warm-up, and RSS then
    sleep 10
    set -- $(usage); c0=$1
    sleep "$WINDOW"
    set -- $(usage); echo "$(($1 - c0)) $2"
}
dests() { ip netns exec lb ipvsadm -Ln | grep -c "^  -> [0-9]" || true; }
stop_all() { ip netns pids lb | xargs -r kill -TERM; sleep 3; ip netns pids lb | xargs -r kill -9 2>/dev/null || true; }

mkdir -p "$T/tmp"
TMPDIR="$T/tmp" ip netns exec lb "$BIN" -n -C -G -f "$T/checks.conf" -p "$T/r.pid" -c "$T/r.cpid" -r "$T/r.vpid" > "$T/rs.log" 2>&1 &
set -- $(measure); rs_cpu=$1 rs_rss=$2
rs_dests=$(dests)
kill -USR1 "$(cat "$T/r.pid")"; sleep 1
data="$T/tmp/keepalived_check.data"
started=$(awk -F' = ' '/Probes started/ { print $2 }' "$data")
late=$(awk -F' = ' '/more than 100 ms late/ { print $2 }' "$data")
maxlate=$(awk -F' = ' '/Latest start/ { print $2 }' "$data")
stop_all
ip netns exec lb ipvsadm -C
ip netns exec lb keepalived -n -C -f "$T/checks.conf" -p "$T/k.pid" -c "$T/k.cpid" -r "$T/k.vpid" > "$T/ka.log" 2>&1 &
set -- $(measure); ka_cpu=$1 ka_rss=$2
ka_dests=$(dests)
stop_all
awk -v n="$N" -v w="$WINDOW" -v hz=$HZ -v rc="$rs_cpu" -v rr="$rs_rss" -v kc="$ka_cpu" -v kr="$ka_rss" \
    -v st="$started" -v late="$late" -v ml="$maxlate" -v rd="$rs_dests" -v kd="$ka_dests" 'BEGIN {
    printf "checker in the IPVS VM (emulated CPU, ~8x slower than the host): %d real servers, TCP_CHECK every 1 s, %d s window\n", n, w
    printf "  keepalived-rs:    CPU %.2f s (%.1f%% of the VM'"'"'s core), RSS %d kB, %d destinations in IPVS; %d probes, %d started >100 ms late (%.2f%%), latest %s\n", rc / hz, 100 * rc / hz / w, rr, rd, st, late, 100 * late / (st + 1), ml
    printf "  keepalived 2.2.7: CPU %.2f s (%.1f%% of the VM'"'"'s core), RSS %d kB, %d destinations in IPVS\n", kc / hz, 100 * kc / hz / w, kr, kd
    printf "  ratios keepalived-rs / keepalived: CPU %.2f, RSS %.2f\n", rc / (kc + 0.001), rr / (kr + 0.001) }'
