#!/usr/bin/env bash
# keepalived 2.2.7 (Debian's) and keepalived-rs in one VRRP group, each in both roles:
# v2 with PASS, v3, multicast and unicast. Election, failover and preemption must work both
# ways, and the first advert of each, for the same configuration, must be the same bytes.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.78.0.100
FAILED=0

conf() {   # conf NODE_ADDR PEER_ADDR STATE PRIORITY VERSION MODE(mcast|ucast)
    cat <<CONF
global_defs {
    router_id interop
}
vrrp_instance VI_1 {
    state $3
    interface eth0
    virtual_router_id 78
    priority $4
    version $5
    advert_int 1
CONF
    if [ "$5" = 2 ]; then
        printf '    authentication {\n        auth_type PASS\n        auth_pass interop\n    }\n'
    fi
    if [ "$6" = ucast ]; then
        printf '    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n' "$1" "$2"
    fi
    printf '    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$VIP"
}

run() {   # run NODE IMPL CONF-FILE: starts keepalived or keepalived-rs on NODE
    local ns=$PREFIX-$1
    if [ "$2" = ka ]; then
        ip netns exec "$ns" keepalived -n -P -f "$3" -p "$WORKDIR/$1.kpid" -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" > "$WORKDIR/$1.log" 2>&1 &
    else
        ip netns exec "$ns" "$BIN" -n -l -P -f "$3" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.rsvpid" > "$WORKDIR/$1.log" 2>&1 &
    fi
    PIDS+=($!)
    eval "PID_$1=$!"
    disown $!
}

stop_node() {   # cut the node's link, then SIGKILL everything in its namespace (link first:
                # a child whose parent dies first stops gracefully on PDEATHSIG, in both
                # implementations, and sends priority 0, which a dead node does not)
    ip -n "$PREFIX-$1" link set eth0 down
    ip netns pids "$PREFIX-$1" | xargs -r kill -9 2>/dev/null || true
    sleep 0.2
    ip -n "$PREFIX-$1" addr del $VIP/24 dev eth0 2>/dev/null || true
}

revive() {
    ip -n "$PREFIX-$1" link set eth0 up
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; FAILED=1; }

lan
node a 10.78.0.1/24
node b 10.78.0.2/24

# One case: MASTER_IMPL on a (priority 150), BACKUP_IMPL on b (priority 100).
case_run() {   # case_run IMPL_A IMPL_B VERSION MODE
    local name="$1(a,150) + $2(b,100), v$3 $4"
    conf 10.78.0.1 10.78.0.2 MASTER 150 "$3" "$4" > "$WORKDIR/a.conf"
    conf 10.78.0.2 10.78.0.1 BACKUP 100 "$3" "$4" > "$WORKDIR/b.conf"
    run b "$2" "$WORKDIR/b.conf"
    run a "$1" "$WORKDIR/a.conf"
    if ! wait_addr a $VIP 10; then fail "$name: a never became master"; fi
    sleep 1.5
    has_addr b $VIP && fail "$name: b holds the VIP too"
    # a dies: b takes over within master_down (3.61 s) plus margin.
    stop_node a
    local t0=$(date +%s%N)
    if ! wait_addr b $VIP 6; then fail "$name: b did not take over"; fi
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    # a returns and preempts.
    revive a
    run a "$1" "$WORKDIR/a.conf"
    if ! wait_addr a $VIP 10; then fail "$name: a did not preempt"; fi
    sleep 1.5
    has_addr b $VIP && fail "$name: b kept the VIP after a preempted"
    echo "ok: $name (takeover after ${ms} ms)"
    stop_node a; stop_node b; revive a; revive b
    sleep 0.3
}

for v in 2 3; do
    for mode in mcast ucast; do
        case_run ka rs $v $mode
        case_run rs ka $v $mode
    done
done

# IPv6 (VRRPv3 to ff02::12 from the link-local addresses), both roles.
VIP6=2001:db8:78::100
conf6() {   # conf6 STATE PRIORITY
    printf 'vrrp_instance VI_6 {\n    state %s\n    interface eth0\n    virtual_router_id 79\n    priority %s\n    version 3\n    advert_int 1\n    virtual_ipaddress {\n        %s/64\n    }\n}\n' "$1" "$2" "$VIP6"
}
sleep 2.5   # link-local addresses back after the link flaps above (DAD)
for pair in "ka rs" "rs ka"; do
    set -- $pair
    conf6 MASTER 150 > "$WORKDIR/a6.conf"
    conf6 BACKUP 100 > "$WORKDIR/b6.conf"
    run b "$2" "$WORKDIR/b6.conf"
    run a "$1" "$WORKDIR/a6.conf"
    name="$1(a,150) + $2(b,100), v3 IPv6"
    wait_addr6 a $VIP6 10 || fail "$name: a never became master"
    sleep 1.5
    has_addr6 b $VIP6 && fail "$name: b holds the VIP too"
    stop_node a
    ip -n "$PREFIX-a" addr del $VIP6/64 dev eth0 2>/dev/null || true
    t0=$(date +%s%N)
    wait_addr6 b $VIP6 6 || fail "$name: b did not take over"
    echo "ok: $name (takeover after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
    stop_node b; ip -n "$PREFIX-b" addr del $VIP6/64 dev eth0 2>/dev/null || true
    revive a; revive b; sleep 2.5
done

# The same configuration gives the same first advert from both (tcpdump on the LAN).
same_bytes() {   # VERSION MODE
    conf 10.78.0.1 10.78.0.2 MASTER 150 "$1" "$2" > "$WORKDIR/s.conf"
    local out=()
    for impl in ka rs; do
        ip netns exec "$PREFIX-b" timeout 8 tcpdump -i eth0 -nn -xx -c 1 'ip proto 112' > "$WORKDIR/$impl.dump" 2>/dev/null &
        local dump=$!
        sleep 0.5
        run a "$impl" "$WORKDIR/s.conf"
        wait "$dump" || true
        stop_node a; revive a; sleep 0.3
        # Skip the Ethernet header (its source MAC is the same interface either way).
        out+=("$(grep -E '^\s+0x' "$WORKDIR/$impl.dump" | sed -E 's/^\s+0x[0-9a-f]+:\s+//' | tr -d ' \n' | cut -c29-)")
    done
    if [ -z "${out[0]}" ] || [ "${out[0]}" != "${out[1]}" ]; then
        fail "v$1 $2: adverts differ: keepalived ${out[0]} keepalived-rs ${out[1]}"
    else
        echo "ok: v$1 $2: keepalived and keepalived-rs send the same bytes (${out[0]})"
    fi
}
if command -v tcpdump >/dev/null; then
    same_bytes 2 mcast
    same_bytes 3 ucast
else
    fail "tcpdump is not installed"
fi

if [ "$FAILED" != 0 ]; then
    for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -20 "$f"; done
    exit 1
fi
echo "interop: all cases passed"
