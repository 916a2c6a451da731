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
# retouch FILE: a comment line appended, so that the next reload reads the files again and
# starts successors (a reload whose files and inputs are all unchanged leaves the running
# children alone); the configuration itself stays the same.
retouch() { printf '# retouched %s\n' "$(date +%s%N)" >> "$1"; }

# wait_for TIMEOUT_S CMD...: until CMD succeeds, polled every 10 ms; non-zero when it
# did not within TIMEOUT_S. A poll that came back more than STALL_MS late means this
# script was not running (the machine stalled: a busy host, a paused VM), and the daemons
# it waits on most likely were not either: the lateness past STALL_MS is added to the
# deadline (at most as much again as TIMEOUT_S) and to STALLED_MS, which failure
# messages print.
STALL_MS=${STALL_MS:-300}
STALLED_MS=0
wait_for() {
    local t0 end prev now late forgiven=0 limit=$(( $1 * 1000 ))
    shift
    t0=$(now_ms); end=$(( t0 + limit )); prev=$t0
    while ! "$@"; do
        now=$(now_ms)
        late=$(( now - prev - STALL_MS ))
        if [ "$late" -gt 0 ] && [ "$forgiven" -lt "$limit" ]; then
            forgiven=$(( forgiven + late )); end=$(( end + late ))
            STALLED_MS=$(( STALLED_MS + late ))
        fi
        [ "$now" -lt "$end" ] || return 1
        sleep 0.01
        prev=$now
    done
}

# wait_line LINE TIMEOUT_S: until $WORKDIR/notify.out has LINE (exactly); prints the ms it
# took. Non-zero when it did not come in time.
wait_line() {
    local t0
    t0=$(now_ms)
    wait_for "$2" grep -qx "$1" "$WORKDIR/notify.out" 2>/dev/null || return 1
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

wait_addr() {   # wait_addr NODE ADDR TIMEOUT_S: until it holds (wait_for)
    wait_for "$3" has_addr "$1" "$2"
}

has_addr6() {   # has_addr6 NODE ADDR
    ip -n "$PREFIX-$1" -6 addr show dev eth0 2>/dev/null | grep "inet6 $2/" >/dev/null
}

wait_addr6() {   # wait_addr6 NODE ADDR TIMEOUT_S: until it holds (wait_for)
    wait_for "$3" has_addr6 "$1" "$2"
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

wait_addr_on() {   # wait_addr_on NODE IFNAME ADDR TIMEOUT_S: until it holds (wait_for)
    wait_for "$4" has_addr_on "$1" "$2" "$3"
}
