#!/bin/sh
# Runs inside the VM (integration/vrf.sh boots it; its kernel has the vrf and ipvlan
# modules, which the host's has not). Two routers a and b in namespaces on one veth.
#  1. vrf: unicast instances without an interface, `vrf red`, where eth0 is enslaved to
#     VRF red (its connected route is in the VRF's table only): adverts flow only if
#     the sockets are bound to the VRF. a MASTER, b BACKUP; a stopped: b MASTER.
#     A VMAC and an ipvlan made on an interface in a VRF join that VRF.
#  2. use_ipvlan: an L2 ipvlan (private) with its address, adverts from that address
#     (unicast to the peer's ipvlan address, which reaches only the ipvlan), the VIP on
#     the base interface (where keepalived, every version, leaves it);
#     a stopped: b MASTER; someone deletes b's ipvlan: FAULT, made again, MASTER again;
#     a stop removes it. With KEEPALIVED set, keepalived 2.2.7 runs the ipvlan case too
#     and must make the same ipvlan (mode, flags, address, VIP).
# POSIX sh: the guest's /bin/sh is dash.
set -eu
BIN=$1
T=$(mktemp -d /tmp/vrf.XXXXXX)
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

ip netns add a
ip netns add b
ip link add eth0 netns a type veth peer name eth0 netns b
for n in a b; do
    ip -n $n link set lo up
    ip -n $n link set eth0 up
done
ip -n a addr add 10.90.0.1/24 dev eth0
ip -n b addr add 10.90.0.2/24 dev eth0

start() {   # start NODE CONF [BIN]: the daemon in NODE's namespace
    ip netns exec "$1" "${3:-$BIN}" -n -l -D -f "$2" -p "$T/$1.pid" -r "$T/$1.vpid" \
        -c "$T/$1.cpid" > "$T/$1.log" 2>&1 &
    echo $! > "$T/$1.main"
}
stop() {   # stop NODE: SIGTERM, and wait for it to be gone
    p=$(cat "$T/$1.main" 2>/dev/null) || return 0
    kill "$p" 2>/dev/null || true
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$p" 2>/dev/null || true
    rm -f "$T/$1.main"
}
has() {   # has NODE ADDR [DEV]
    ip -n "$1" -o addr show ${3:+dev "$3"} 2>/dev/null | grep -q " $2/"
}
wait_has() {   # wait_has NODE ADDR SECS [DEV]
    end=$(( $(now_ms) + $3 * 1000 ))
    until has "$1" "$2" "${4:-}"; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.05
    done
}
# up NODE: waits (30 s at most) until NODE's daemon has put an instance in a state: in
# this emulated VM a start can take seconds when the host is busy, and the elections'
# deadlines below count from there.
up() {
    end=$(( $(now_ms) + 30000 ))
    until grep -q "Entering [A-Z]* STATE" "$T/$1.log" 2>/dev/null; do
        [ "$(now_ms)" -lt "$end" ] || return 0
        sleep 0.05
    done
}
show() { for n in a b; do echo "--- $n"; tail -25 "$T/$n.log" 2>&1 || true; ip -n $n -d -br addr || true; done; }
trap 'stop a; stop b; ip netns del a 2>/dev/null; ip netns del b 2>/dev/null; rm -rf "$T"' EXIT

# ---- 1. vrf ----------------------------------------------------------------------
for n in a b; do
    ip -n $n link add red type vrf table 10
    ip -n $n link set red up
    ip -n $n link set eth0 master red
done
ip -n a route show table main | grep -q 10.90.0.0 && fail "the connected route stayed in main"

vrf_conf() {   # vrf_conf SRC PEER PRIO
    cat <<EOF
vrrp_instance U {
    virtual_router_id 90
    priority $3
    advert_int 1
    vrf red
    unicast_src_ip $1
    unicast_peer {
        $2
    }
    virtual_ipaddress {
        10.90.0.100/24 dev eth0
    }
    virtual_routes {
        10.91.0.0/16 via 10.90.0.254 dev eth0 vrf red
    }
}
vrrp_instance V {
    interface eth0
    virtual_router_id 91
    priority $3
    advert_int 1
    use_vmac
    virtual_ipaddress {
        10.90.0.101/24
    }
}
EOF
}
vrf_conf 10.90.0.1 10.90.0.2 150 > "$T/a.conf"
vrf_conf 10.90.0.2 10.90.0.1 100 > "$T/b.conf"
ip netns exec a "$BIN" -t -f "$T/a.conf" > "$T/t.out" 2>&1 || { cat "$T/t.out"; fail "-t refused the vrf configuration"; }
start a "$T/a.conf"
up a
if wait_has a 10.90.0.100 10; then ok "vrf: a MASTER"; else show; fail "vrf: a did not become MASTER"; fi
# Then b: it takes the VIP after its master-down interval (3.61 s) unless a's adverts
# reach it, which they do only through the VRF.
start b "$T/b.conf"
sleep 5
if has b 10.90.0.100; then show; fail "vrf: b holds the VIP too (adverts did not cross the VRF)"; else ok "vrf: b BACKUP"; fi
grep -q "(U) Entering MASTER STATE" "$T/b.log" && fail "vrf: b was MASTER at some point"
ip -n a -d link show vrrp.91 | grep -q "master red" \
    && ok "vrf: the VMAC of an interface in VRF red is in VRF red" \
    || { ip -n a -d link show vrrp.91; fail "vrf: the VMAC is not in VRF red"; }
# virtual_routes' `vrf red`: the route in the VRF's table (10), not in main.
if ip -n a route show table 10 | grep -q "^10.91.0.0/16 via 10.90.0.254" \
    && ! ip -n a route show table main | grep -q 10.91.0.0; then
    ok "vrf: the master's route with 'vrf red' is in table 10"
else
    ip -n a route show table all | grep 10.91; fail "vrf: the route is not in VRF red's table"
fi
ip -n b route show table 10 | grep -q 10.91.0.0 && fail "vrf: the backup has the route"
stop a
if wait_has b 10.90.0.100 10; then ok "vrf: a stopped, b MASTER"; else show; fail "vrf: b did not take over"; fi
ip -n a route show table 10 | grep -q 10.91.0.0 && fail "vrf: a's route stayed after its stop"
ip -n b route show table 10 | grep -q "^10.91.0.0/16" && ok "vrf: b's route in table 10" || fail "vrf: b has no route in table 10"
stop b
for n in a b; do
    ip -n $n link set eth0 nomaster
    ip -n $n link del red
    ip -n $n addr flush dev eth0
done
ip -n a addr add 10.90.0.1/24 dev eth0
ip -n b addr add 10.90.0.2/24 dev eth0

# ---- 2. use_ipvlan -------------------------------------------------------------------
ipvlan_conf() {   # ipvlan_conf OWN PEER PRIO
    cat <<EOF
vrrp_instance I {
    interface eth0
    virtual_router_id 92
    priority $3
    advert_int 1
    use_ipvlan ipv92 $1/24 private
    unicast_peer {
        $2
    }
    virtual_ipaddress {
        10.90.0.102/24
    }
}
EOF
}
ipvlan_conf 10.90.0.11 10.90.0.12 150 > "$T/a.conf"
ipvlan_conf 10.90.0.12 10.90.0.11 100 > "$T/b.conf"
run_ipvlan() {   # run_ipvlan WHO BIN: the ipvlan case with daemon BIN
    who=$1
    # b first, alone: MASTER; then a preempts it, and b names the address a's adverts
    # come from.
    start b "$T/b.conf" "$2"
    up b
    wait_has b 10.90.0.102 10 eth0 || { show; fail "$who ipvlan: b alone did not become MASTER"; }
    start a "$T/a.conf" "$2"
    up a
    if wait_has a 10.90.0.102 10 eth0; then ok "$who ipvlan: a MASTER, the VIP on eth0"; else show; fail "$who ipvlan: a did not become MASTER"; fi
    d=$(ip -n a -d link show ipv92)
    echo "$d" | grep -q "ipvlan  *mode l2 private" && ok "$who ipvlan: L2, private" \
        || { echo "$d"; fail "$who ipvlan: not an L2 private ipvlan"; }
    ma=$(ip -n a -br link show eth0 | awk '{print $3}')
    echo "$d" | grep -q "link/ether $ma" && ok "$who ipvlan: the base interface's MAC" \
        || { echo "$d"; fail "$who ipvlan: not the base's MAC $ma"; }
    has a 10.90.0.11 ipv92 && ok "$who ipvlan: its address 10.90.0.11 on it" || fail "$who ipvlan: no 10.90.0.11 on ipv92"
    sleep 4
    if has b 10.90.0.102; then show; fail "$who ipvlan: b holds the VIP too"; else ok "$who ipvlan: b BACKUP"; fi
    stop a
    ip -n a link show ipv92 > /dev/null 2>&1 && fail "$who ipvlan: a's ipvlan stayed after its stop" \
        || ok "$who ipvlan: a stop removes it"
    if wait_has b 10.90.0.102 10 eth0; then ok "$who ipvlan: a stopped, b MASTER"; else show; fail "$who ipvlan: b did not take over"; fi
    grep -q "advert from 10.90.0.11 with higher priority 150" "$T/b.log" \
        && ok "$who ipvlan: b saw adverts from a's ipvlan address" || { show; fail "$who ipvlan: b never named 10.90.0.11"; }
}
run_ipvlan keepalived-rs "$BIN"
# Someone deletes b's ipvlan: b in FAULT, the ipvlan made again, b MASTER again.
ip -n b link del ipv92
sleep 0.5
if wait_has b 10.90.0.102 10 eth0 && ip -n b link show ipv92 > /dev/null 2>&1; then ok "ipvlan deleted by someone: made again, b MASTER again"; else show; fail "ipvlan: not made again"; fi
grep -q "(I) Entering FAULT STATE" "$T/b.log" && ok "ipvlan deleted: b went through FAULT" || { show; fail "ipvlan deleted: no FAULT"; }
has b 10.90.0.12 ipv92 || fail "ipvlan made again without its address"
stop b
ip -n b link show ipv92 > /dev/null 2>&1 && fail "b's ipvlan stayed after its stop" || true
if [ -n "${KEEPALIVED:-}" ]; then
    run_ipvlan "keepalived 2.2.7" "$KEEPALIVED"
    stop b
fi

if [ "$FAILS" -gt 0 ]; then echo "FAILED: $FAILS"; exit 1; fi
echo "ok: vrf"
