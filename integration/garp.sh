#!/usr/bin/env bash
# Spacing of gratuitous ARPs (keepalived 2.2.7's vrrp_garp_interval and garp_group): a
# MASTER with four VIPs and garp_master_repeat 3 sends them 250 ms apart on eth0, the
# repeats of one still waiting merged with it, with the global interval and then with a
# garp_group naming eth0; without either, all twelve leave at once (the capture's control).
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; tail -30 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.81.0.1/24
conf() {   # conf GLOBAL_DEFS_LINES TOP_LEVEL_BLOCKS
    printf 'global_defs {\n%s    vrrp_garp_master_delay 0\n}\n%s' "$1" "$2"
    printf 'vrrp_instance VI_1 {\n    interface eth0\n    state MASTER\n    virtual_router_id 81\n    priority 150\n    advert_int 1\n    garp_master_repeat 3\n    garp_master_delay 0\n    virtual_ipaddress {\n        10.81.0.100/24\n        10.81.0.101/24\n        10.81.0.102/24\n        10.81.0.103/24\n    }\n}\n'
}
# run NAME: starts the daemon on $WORKDIR/NAME.conf with a capture of ARP on the LAN side,
# waits for the VIPs and 3 s more, stops both; the capture is $WORKDIR/NAME.arp.
run() {
    ip netns exec "$LAN" tcpdump -i "k${RUN_ID}a" -n -tt -l arp > "$WORKDIR/$1.arp" 2>/dev/null &
    local cap=$!; PIDS+=($cap)
    sleep 1
    ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/a.pid" \
        -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
    local d=$!; PIDS+=($d)
    wait_addr a 10.81.0.103 10 || fail "$1: VI_1 did not become MASTER"
    sleep 3
    kill -TERM "$d"; wait "$d" 2>/dev/null || true
    kill -TERM "$cap"; wait "$cap" 2>/dev/null || true
    [ -z "${GARP_DEBUG:-}" ] || cat "$WORKDIR/$1.arp"
}
# The gratuitous ARPs captured (requests whose sender is a VIP), as "TIME VIP".
garps() { awk '/Request who-has 10\.81\.0\.10[0-3]/ && / tell 10\.81\.0\.10[0-3],/ { print $1, $5 }' "$WORKDIR/$1.arp"; }
spaced() {   # spaced NAME: four VIPs, at most five frames, 230 ms or more apart
    local n vips gap
    n=$(garps "$1" | wc -l)
    vips=$(garps "$1" | awk '{ print $2 }' | sort -u | wc -l)
    gap=$(garps "$1" | awk 'NR > 1 { g = ($1 - p) * 1000; if (min == "" || g < min) min = g } { p = $1 } END { printf "%d", min }')
    [ "$vips" -eq 4 ] || fail "$1: $vips VIPs announced, not 4: $(garps "$1" | tr '\n' ' ')"
    [ "$n" -le 5 ] || fail "$1: $n gratuitous ARPs (the repeats of one waiting are merged): $(garps "$1" | tr '\n' ' ')"
    [ "$gap" -ge 230 ] || fail "$1: two gratuitous ARPs $gap ms apart (interval 250 ms): $(garps "$1" | tr '\n' ' ')"
    echo "ok: $1: $n gratuitous ARPs for the 4 VIPs, at least $gap ms apart"
}

conf "    vrrp_garp_interval 0.25
" "" > "$WORKDIR/global.conf"
run global
spaced global

conf "" "garp_group {
    garp_interval 0.25
    interfaces {
        eth0
    }
}
" > "$WORKDIR/group.conf"
run group
spaced group

conf "" "" > "$WORKDIR/none.conf"
run none
n=$(garps none | wc -l)
span=$(garps none | awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%d", (l - f) * 1000 }')
[ "$n" -ge 12 ] || fail "none: $n gratuitous ARPs, expected the 12 of 4 VIPs x 3 at once"
[ "$span" -lt 200 ] || fail "none: the 12 took $span ms"
echo "ok: none: $n gratuitous ARPs within $span ms without an interval (the control)"
echo "ok: garp"
