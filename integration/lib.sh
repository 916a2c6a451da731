# Shared helpers for the namespace scripts: a LAN (a bridge in its own namespace) with
# nodes attached, every name unique to this run, everything removed on exit.
set -euo pipefail
RUN_ID=${RUN_ID:-$$}
PREFIX=kars$RUN_ID
NAMESPACES=()
PIDS=()
# Logs and files on tmpfs when there is one that runs scripts: a disk busy writing back
# a build must not stall the daemons' log writes and with them the timings tested.
WORKDIR=
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    WORKDIR=$(mktemp -d /dev/shm/kars.XXXXXX)
    printf '#!/bin/sh\n' > "$WORKDIR/x"; chmod 755 "$WORKDIR/x"
    if "$WORKDIR/x" 2>/dev/null; then rm -f "$WORKDIR/x"; else rm -rf "$WORKDIR"; WORKDIR=; fi
fi
[ -n "$WORKDIR" ] || WORKDIR=$(mktemp -d /tmp/kars.XXXXXX)

cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    for ns in "${NAMESPACES[@]:-}"; do [ -n "$ns" ] && ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
    for ns in "${NAMESPACES[@]:-}"; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORKDIR"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP PIPE

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_line LINE TIMEOUT_S: until $WORKDIR/notify.out has LINE (exactly); prints the ms it
# took. Non-zero when it did not come in time.
wait_line() {
    local t0 end
    t0=$(now_ms); end=$(( t0 + $2 * 1000 ))
    while ! grep -qx "$1" "$WORKDIR/notify.out" 2>/dev/null; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.02
    done
    echo $(( $(now_ms) - t0 ))
}

processes() {   # what every process in this run's namespaces is doing (for failures)
    local ns p
    for ns in "${NAMESPACES[@]:-}"; do
        [ -n "$ns" ] || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            printf '%s %s state=%s wchan=%s %s\n' "$ns" "$p" \
                "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" "$(cat /proc/$p/wchan 2>/dev/null)" \
                "$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-80)"
        done
    done
}

lan() {   # lan: creates the bridge namespace
    LAN=$PREFIX-lan
    ip netns add "$LAN"; NAMESPACES+=("$LAN")
    ip -n "$LAN" link add br0 type bridge
    ip -n "$LAN" link set br0 up
}

node() {   # node NAME ADDR/LEN: a namespace with eth0 on the LAN
    local ns=$PREFIX-$1
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip link add "k$RUN_ID$1" type veth peer name eth0 netns "$ns"
    ip link set "k$RUN_ID$1" netns "$LAN"
    ip -n "$LAN" link set "k$RUN_ID$1" master br0 up
    ip -n "$ns" addr add "$2" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
}

has_addr() {   # has_addr NODE ADDR
    ip -n "$PREFIX-$1" -4 addr show dev eth0 2>/dev/null | grep "inet $2/" >/dev/null
}

wait_addr() {   # wait_addr NODE ADDR TIMEOUT_S: until NODE holds ADDR
    local end=$(( $(date +%s%N) + $3 * 1000000000 ))
    while ! has_addr "$1" "$2"; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.01
    done
}

has_addr6() {   # has_addr6 NODE ADDR
    ip -n "$PREFIX-$1" -6 addr show dev eth0 2>/dev/null | grep "inet6 $2/" >/dev/null
}

wait_addr6() {   # wait_addr6 NODE ADDR TIMEOUT_S
    local end=$(( $(date +%s%N) + $3 * 1000000000 ))
    while ! has_addr6 "$1" "$2"; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.01
    done
}

bridge() {   # bridge NAME: a LAN of its own (a bridge in namespace $PREFIX-NAME)
    local ns=$PREFIX-$1
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip -n "$ns" link add br0 type bridge
    ip -n "$ns" link set br0 up
}

host() {   # host NAME: a namespace with only lo
    local ns=$PREFIX-$1
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
}

attach() {   # attach HOST BRIDGE IFNAME ADDR/LEN: HOST's IFNAME on BRIDGE's LAN
    local ns=$PREFIX-$1 peer="k$RUN_ID$1$3"
    ip link add "$peer" type veth peer name "$3" netns "$ns"
    ip link set "$peer" netns "$PREFIX-$2"
    ip -n "$PREFIX-$2" link set "$peer" master br0 up
    ip -n "$ns" addr add "$4" dev "$3"
    ip -n "$ns" link set "$3" up
}

has_addr_on() {   # has_addr_on NODE IFNAME ADDR
    ip -n "$PREFIX-$1" -4 addr show dev "$2" 2>/dev/null | grep "inet $3/" >/dev/null
}

wait_addr_on() {   # wait_addr_on NODE IFNAME ADDR TIMEOUT_S
    local end=$(( $(date +%s%N) + $4 * 1000000000 ))
    while ! has_addr_on "$1" "$2" "$3"; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.01
    done
}
