#!/bin/sh
# Runs inside the IPVS VM (bench/vm-reload.sh boots it): reload at scale beside keepalived
# 2.2.7, whose checker needs IPVS. N real servers (16 per virtual server) with TCP_CHECK
# against addresses that fail at connect() (an unreachable route), so that every one is
# down before the first reload; then RELOADS reloads (SIGHUP) of the same configuration
# (a comment added each time, so that both read it again), under keepalived-rs
# and then keepalived 2.2.7. For each reload: the time from SIGHUP to the checker's
# config_save_dir dump written after it (keepalived's save_config(true) at the end of
# reload_check_thread; keepalived-rs's successor writes it once running), the real servers
# logged down again after it, and the RSS of all the daemon's processes. Before that, each
# daemon is also started with N/8 real servers: the RSS difference between the two sizes,
# divided by the real servers between them, is its start-up memory per real server.
# Usage: bench-reload-guest.sh KEEPALIVED_RS N RELOADS DELAY [LOGDIR]
# LOGDIR: where the daemons' logs are copied at the end (a host directory).
set -eu
BIN=$1 N=$2 RELOADS=$3 DELAY=$4 LOGDIR=${5:-}
T=$(mktemp -d /tmp/bench.XXXXXX)
ip netns add lb
ip -n lb link set lo up
ip -n lb route add unreachable 10.61.0.0/16
trap 'if [ -n "$LOGDIR" ]; then cp "$T"/*.log "$LOGDIR"/ 2>/dev/null; fi; ip netns pids lb | xargs -r kill -9; ip netns del lb; rm -rf "$T"' EXIT
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
PER_VS=16
conf() {   # conf SAVE_DIR [COUNT]
    awk -v n="${2:-$N}" -v per=$PER_VS -v d="$DELAY" -v save="$1" 'BEGIN {
        printf "global_defs {\n    router_id bench\n    config_save_dir %s\n}\n", save
        for (v = 0; v < n / per; v++) {
            printf "virtual_server 10.62.%d.%d 80 {\n    delay_loop %d\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n", int(v / 250), v % 250 + 1, d
            for (r = 0; r < per; r++) { i = v * per + r
                printf "    real_server 10.61.%d.%d 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", int(i / 250), i % 250 + 1 }
            print "}" } }'
}
rss() {   # RSS kB of every process in lb
    t=0
    for p in $(ip netns pids lb); do
        t=$((t + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
downs() { grep -c "Removing service" "$1" || true; }

start() {   # start NAME BIN COUNT: the daemon started with COUNT real servers, all down
    name=$1 bin=$2 count=$3
    save=$T/save-$name log=$T/$name.log
    rm -rf "$save"; mkdir -p "$save"
    conf "$save" "$count" > "$T/$name.conf"
    ip netns exec lb "$bin" -n -l -C -f "$T/$name.conf" -p "$T/$name.pid" -c "$T/$name.cpid" \
        > "$log" 2>&1 &
    pid=$!
    # The emulated VM removes some 50 real servers a second from IPVS: count / 25 s more.
    end=$(( $(now_ms) + (DELAY * 3 + 60 + count / 25) * 1000 ))
    until [ "$(downs "$log")" -ge "$count" ]; do
        if [ "$(now_ms)" -gt "$end" ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "$name: only $(downs "$log") of $count real servers down"; tail -5 "$log"; exit 1
        fi
        sleep 0.2
    done
    # Settled: what a burst of reports left (the parent gives it back 3 s after).
    sleep 5
}

stop() {
    kill "$pid"
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    ip netns pids lb | xargs -r kill -9 2>/dev/null || true
    sleep 1
}

run() {   # run NAME BIN: the measurements for one daemon
    name=$1 bin=$2
    small=$((N / 8 / PER_VS * PER_VS))
    start "$name" "$bin" "$small"
    at_small=$(rss)
    stop
    start "$name" "$bin" "$N"
    before=$(rss)
    per=$(( (before - at_small) * 1000 / (N - small) ))
    echo "$name: $N real servers down; RSS $before kB ($at_small kB with $small): $per bytes per real server"
    eval "${name}_per=$per"
    k=1 total=0
    while [ $k -le "$RELOADS" ]; do
        d0=$(downs "$log")
        # A comment added: both daemons read and apply the file again (keepalived-rs
        # leaves its children alone when nothing it read changed; bench/reload.sh
        # measures that).
        echo "# reload $k" >> "$T/$name.conf"
        t0=$(now_ms)
        kill -HUP "$pid"
        until ls "$save"/keepalived_check.*."$k".post > /dev/null 2>&1; do
            if [ $(( $(now_ms) - t0 )) -gt 120000 ]; then
                echo "$name: no dump 120 s after reload $k"; grep -v "Removing service\|failed after" "$log" | tail -20; exit 1
            fi
            sleep 0.01
        done
        ms=$(( $(now_ms) - t0 ))
        total=$((total + ms))
        # A whole check period after: the real servers logged down again.
        sleep $((DELAY + 4))
        again=$(( $(downs "$log") - d0 ))
        echo "$name: reload $k: ${ms} ms to the checker's dump after it; real servers logged down again $again; RSS $(rss) kB"
        k=$((k + 1))
    done
    grep "Reload complete" "$log" | sed "s/^/$name: /" || true
    echo "$name: mean $((total / RELOADS)) ms; RSS before $before kB, after $(rss) kB"
    eval "${name}_mean=$((total / RELOADS))"
    stop
}

echo "reload beside keepalived 2.2.7: $((N / PER_VS)) virtual servers x $PER_VS real servers = $N TCP_CHECKs, delay_loop $DELAY s, $RELOADS reloads each"
run rs "$BIN"
run ka keepalived
awk -v a="$rs_mean" -v b="$ka_mean" 'BEGIN { printf "reload time, keepalived-rs / keepalived 2.2.7: %.2f (%d ms / %d ms)\n", (b ? a / b : 0), a, b }'
awk -v a="$rs_per" -v b="$ka_per" 'BEGIN { printf "start-up memory per real server, keepalived-rs / keepalived 2.2.7: %.2f (%d / %d bytes)\n", (b ? a / b : 0), a, b }'
