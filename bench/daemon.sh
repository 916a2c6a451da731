#!/usr/bin/env bash
# keepalived-rs beside keepalived 2.2.7, in the same run, in network namespaces of ours:
# failover time after a kill (link cut + SIGKILL) and after a graceful stop, advert timing
# jitter, and the idle CPU, RSS and PSS of all daemon processes of a node with 1, 100 and 1,000
# instances.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
BIN=$PWD/target/release/keepalived-rs
RUN_ID=b$$
source integration/lib.sh
ROUNDS=${ROUNDS:-5}
PARTS=${PARTS:-failover jitter idle}   # which measurements to run
part() { [[ " $PARTS " == *" $1 "* ]]; }
HZ=$(getconf CLK_TCK)

run() {   # run NODE IMPL CONF
    if [ "$2" = ka ]; then
        ip netns exec "$PREFIX-$1" keepalived -n -P -f "$3" -p "$WORKDIR/$1.kp" -r "$WORKDIR/$1.kv" -c "$WORKDIR/$1.kc" >/dev/null 2>&1 &
    else
        ip netns exec "$PREFIX-$1" "$BIN" -n -P -G -f "$3" -p "$WORKDIR/$1.rp" -r "$WORKDIR/$1.rv" >/dev/null 2>&1 &
    fi
    disown $!
}
killall_in() { ip netns pids "$PREFIX-$1" | xargs -r kill -"$2" 2>/dev/null || true; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

inst() {   # inst VRID STATE PRIO IFACE VIP
    printf 'vrrp_instance VI_%s_%s {\n    state %s\n    interface %s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/32\n    }\n}\n' "$4" "$1" "$2" "$4" "$1" "$3" "$5"
}

lan
node a 10.90.0.1/16
node b 10.90.0.2/16
VIP=10.90.100.1

failover() {   # failover IMPL MODE(kill|stop): prints ms from the event to the VIP on b
    inst 90 MASTER 150 eth0 $VIP > "$WORKDIR/a.conf"
    inst 90 BACKUP 100 eth0 $VIP > "$WORKDIR/b.conf"
    run b "$1" "$WORKDIR/b.conf"; run a "$1" "$WORKDIR/a.conf"
    wait_addr a $VIP 15 || { echo "no master" >&2; return 1; }
    sleep 2.3
    local t0
    if [ "$2" = kill ]; then
        # Link first: a child whose parent dies first would stop gracefully (PDEATHSIG).
        t0=$(date +%s%N); ip -n "$PREFIX-a" link set eth0 down; killall_in a 9
    else
        t0=$(date +%s%N); killall_in a TERM
    fi
    wait_addr b $VIP 10 || { echo "no takeover" >&2; return 1; }
    echo $(( ($(date +%s%N) - t0) / 1000 ))
    killall_in a 9; killall_in b TERM; sleep 1.5; killall_in b 9
    ip -n "$PREFIX-a" link set eth0 up
    ip -n "$PREFIX-a" addr del $VIP/32 dev eth0 2>/dev/null || true
    ip -n "$PREFIX-b" addr del $VIP/32 dev eth0 2>/dev/null || true
    sleep 0.5
}

if part failover; then
echo "failover ($ROUNDS rounds each, median; master_down_interval 3.609 s, skew 0.609 s for priority 100)"
for mode in kill stop; do
    declare -A res=()
    for impl in ka rs; do
        : > "$WORKDIR/f.$impl"
        for _ in $(seq "$ROUNDS"); do failover $impl $mode >> "$WORKDIR/f.$impl"; done
        res[$impl]=$(median < "$WORKDIR/f.$impl")
    done
    printf '  %-5s keepalived %8.1f ms   keepalived-rs %8.1f ms   ratio %.3f\n' "$mode" \
        "$(echo "${res[ka]} / 1000" | bc -l)" "$(echo "${res[rs]} / 1000" | bc -l)" "$(echo "${res[rs]} / ${res[ka]}" | bc -l)"
done

fi

# Advert timing: node a alone is MASTER (VRRPv3, advert_int 0.1); node b records its adverts
# for JITTER_S seconds; deviation of each interval from 100 ms.
JITTER_S=${JITTER_S:-20}
jitter() {   # jitter IMPL: prints "median p99 max" of |interval - 100 ms| in µs
    printf 'vrrp_instance VI_J {\n    state MASTER\n    interface eth0\n    virtual_router_id 91\n    priority 150\n    version 3\n    advert_int 0.1\n    virtual_ipaddress {\n        10.90.100.2/32\n    }\n}\n' > "$WORKDIR/j.conf"
    run a "$1" "$WORKDIR/j.conf"
    wait_addr a 10.90.100.2 15 || { echo "no master" >&2; return 1; }
    sleep 1
    ip netns exec "$PREFIX-b" timeout "$JITTER_S" tcpdump -i eth0 -nn -tt -l 'ip proto 112 and src 10.90.0.1' 2>/dev/null > "$WORKDIR/j.$1" || true
    killall_in a TERM; sleep 1.5; killall_in a 9
    awk '{ t = $1 * 1e6; if (p) print (t - p - 100000 < 0 ? p + 100000 - t : t - p - 100000); p = t }' "$WORKDIR/j.$1" \
        | sort -n | awk '{a[NR] = $1} END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%d %d %d %d\n", a[int((NR + 1) / 2)], a[i], a[NR], NR }'
}
if part jitter; then
echo "advert timing, VRRPv3 advert_int 0.1 for ${JITTER_S} s: |interval - 100 ms| (median, p99, max)"
set -- $(jitter ka); ka_med=$1 ka_p99=$2 ka_max=$3 ka_n=$4
set -- $(jitter rs); rs_med=$1 rs_p99=$2 rs_max=$3 rs_n=$4
printf '  keepalived    %6d %6d %6d µs (%d intervals)\n' "$ka_med" "$ka_p99" "$ka_max" "$ka_n"
printf '  keepalived-rs %6d %6d %6d µs (%d intervals)   p99 ratio %.2f\n' "$rs_med" "$rs_p99" "$rs_max" "$rs_n" "$(echo "$rs_p99 / ($ka_p99 + 1)" | bc -l)"

fi

# Idle cost: node a is master of N instances spread over veth pairs (250 VRIDs each).
usage() {   # CPU jiffies, RSS kB and PSS kB of all processes in node a
    local cpu=0 rss=0 pss=0
    for p in $(ip netns pids "$PREFIX-a"); do
        set -- $(awk '{print $14, $15}' /proc/$p/stat 2>/dev/null || echo 0 0)
        cpu=$(( cpu + $1 + $2 ))
        rss=$(( rss + $(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0) ))
        # PSS: pages shared between the processes (the executable's) counted once.
        pss=$(( pss + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0) ))
    done
    echo "$cpu $rss $pss"
}
ifaces_for() {   # make enough veth pairs in a for N instances; prints their names
    local n=$1 k=0
    while [ $(( k * 250 )) -lt "$n" ]; do
        if ! ip -n "$PREFIX-a" link show "v$k" >/dev/null 2>&1; then
            ip -n "$PREFIX-a" link add "v$k" type veth peer name "w$k"
            ip -n "$PREFIX-a" addr add "10.$((91 + k)).0.1/16" dev "v$k"
            ip -n "$PREFIX-a" link set "v$k" up; ip -n "$PREFIX-a" link set "w$k" up
        fi
        k=$((k + 1))
    done
}
part idle || exit 0
echo "idle, node a master of N instances (10 s window after 10 s of warm-up)"
for n in 1 100 1000; do
    ifaces_for $n
    : > "$WORKDIR/many.conf"
    for i in $(seq 0 $((n - 1))); do
        k=$((i / 250)); vrid=$((i % 250 + 1))
        inst $vrid MASTER 150 "v$k" "10.$((91 + k)).$((vrid / 250 + 100)).$vrid" >> "$WORKDIR/many.conf"
    done
    declare -A cpu=() rss=() pss=()
    for impl in ka rs; do
        run a $impl "$WORKDIR/many.conf"
        sleep 10
        set -- $(usage); c0=$1
        sleep 10
        set -- $(usage); cpu[$impl]=$(( $1 - c0 )); rss[$impl]=$2; pss[$impl]=$3
        killall_in a TERM; sleep 3; killall_in a 9; sleep 0.5
    done
    printf '  N=%-5s CPU keepalived %5.2f s  keepalived-rs %5.2f s (per 10 s)   RSS keepalived %7d kB  keepalived-rs %7d kB   RSS ratio %.2f   PSS ratio %.2f (%d kB / %d kB)\n' \
        "$n" "$(echo "${cpu[ka]} / $HZ" | bc -l)" "$(echo "${cpu[rs]} / $HZ" | bc -l)" "${rss[ka]}" "${rss[rs]}" "$(echo "${rss[rs]} / ${rss[ka]}" | bc -l)" \
        "$(echo "${pss[rs]} / ${pss[ka]}" | bc -l)" "${pss[rs]}" "${pss[ka]}"
done
