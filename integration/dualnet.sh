#!/usr/bin/env bash
# The seed dual-network configurations (ka67 / ka68) on two LANs: each node masters one
# external and one internal instance and backs up the other pair. Without sync groups an
# internal link failure moves only the internal VIP; with the seed's sync groups
# (VG_1 = External_1 + Internal_1) it moves both, and both come back when the link does.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

EXT1=10.16.8.100 EXT2=10.16.8.101 INT1=10.17.8.100 INT2=10.17.8.101

inst() {   # inst NAME IFACE VRID STATE PRIO VIP PASS
    printf 'vrrp_instance %s {\n    state %s\n    interface %s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass %s\n    }\n    virtual_ipaddress {\n        %s\n    }\n}\n' "$1" "$4" "$2" "$3" "$5" "$7" "$6"
}

conf() {   # conf NODE SYNC(yes|no): the seed configuration for NODE (a = ka67, b = ka68)
    local hi=100 lo=95 s1=MASTER s2=BACKUP
    [ "$1" = b ] && { hi=95; lo=100; s1=BACKUP; s2=MASTER; }
    printf 'global_defs {\n    router_id ka6%s\n    vrrp_mcast_group4 224.0.0.111\n}\n' "$([ "$1" = a ] && echo 7 || echo 8)"
    if [ "$2" = yes ]; then
        printf 'vrrp_sync_group VG_1 {\n    group {\n        External_1\n        Internal_1\n    }\n}\n'
        printf 'vrrp_sync_group VG_2 {\n    group {\n        External_2\n        Internal_2\n    }\n}\n'
    fi
    inst External_1 eth1 171 $s1 $hi $EXT1 renwole0
    inst External_2 eth1 172 $s2 $lo $EXT2 renwole1
    inst Internal_1 eth2 191 $s1 $hi $INT1 renwole2
    inst Internal_2 eth2 192 $s2 $lo $INT2 renwole3
}

start() {   # start NODE SYNC
    conf "$1" "$2" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}
stop_all() { for n in a b; do ip netns pids "$PREFIX-$n" | xargs -r kill -TERM 2>/dev/null || true; done; sleep 1.5; }
fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -25 "$f"; done; exit 1; }

bridge ext
bridge int
host a
host b
attach a ext eth1 10.16.8.1/24
attach b ext eth1 10.16.8.2/24
attach a int eth2 10.17.8.1/24
attach b int eth2 10.17.8.2/24

settled() {   # a holds EXT1 and INT1, b holds EXT2 and INT2
    wait_addr_on a eth1 $EXT1 10 && wait_addr_on a eth2 $INT1 10 &&
        wait_addr_on b eth1 $EXT2 10 && wait_addr_on b eth2 $INT2 10
}

for sync in no yes; do
    start a $sync
    start b $sync
    settled || fail "sync=$sync: the dual masters did not settle"
    sleep 1
    ip -n "$PREFIX-a" link set eth2 down
    wait_addr_on b eth2 $INT1 6 || fail "sync=$sync: b did not take Internal_1 when a's eth2 went down"
    sleep 1.5
    if [ $sync = no ]; then
        has_addr_on a eth1 $EXT1 || fail "sync=no: External_1 left a, but only eth2 failed"
        has_addr_on b eth1 $EXT1 && fail "sync=no: b took External_1 too"
        echo "ok: dual network without sync groups: a's internal link down moves only Internal_1 to b"
    else
        wait_addr_on b eth1 $EXT1 3 || fail "sync=yes: b did not take External_1 with its group"
        has_addr_on a eth1 $EXT1 && fail "sync=yes: a kept External_1 while its group is in FAULT"
        grep -q "VG_1) Entering FAULT STATE\|VG_1.*FAULT" "$WORKDIR/a.log" || fail "sync=yes: no group FAULT on a"
        echo "ok: dual network with sync groups: a's internal link down moves the whole VG_1 (both VIPs) to b"
    fi
    ip -n "$PREFIX-a" link set eth2 up
    wait_addr_on a eth2 $INT1 10 || fail "sync=$sync: a did not take Internal_1 back"
    wait_addr_on a eth1 $EXT1 10 || fail "sync=$sync: a did not hold External_1 after recovery"
    end=$(( $(date +%s%N) + 3000000000 ))
    while { has_addr_on b eth2 $INT1 || has_addr_on b eth1 $EXT1; } && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.01; done
    has_addr_on b eth2 $INT1 && fail "sync=$sync: b kept Internal_1 after a recovered"
    has_addr_on b eth1 $EXT1 && fail "sync=$sync: b kept External_1 after a recovered"
    has_addr_on b eth1 $EXT2 || fail "sync=$sync: b lost External_2"
    echo "ok: dual network sync=$sync: link back, a preempts its pair again, b keeps its own"
    stop_all
done
