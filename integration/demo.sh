#!/usr/bin/env bash
# make demo: two keepalived-rs nodes and a client in network namespaces; the master holds
# the VIP, is killed, the backup takes over while the client keeps pinging, the master
# comes back and preempts. Everything is removed at the end.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.77.0.100

conf() {   # conf STATE PRIORITY
    cat <<CONF
global_defs {
    router_id demo
}
vrrp_instance VI_1 {
    state $1
    interface eth0
    virtual_router_id 77
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass demo
    }
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}

start() {   # start NODE STATE PRIORITY
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" \
        --control-socket "$WORKDIR/$1.sock" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$1=$!"
    disown $!
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The client's silences: each gap over 200 ms between two consecutive echo replies (ping -D
# stamps each; one reply is due every 50 ms), with when it began relative to the kill.
silences() {
    awk -v t0="$1" '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0;
        if (last && t - last > 0.2) { at = last - t0 / 1e9; if (at < 0) at = 0
            printf "  unanswered for %.2f s, starting %.1f s after the kill\n", t - last - 0.05, at; n++ }
        last = t }
        END { if (!n) print "  never unanswered for more than 200 ms" }' "$WORKDIR/ping.log"
}

lan
node n1 10.77.0.1/24
node n2 10.77.0.2/24
node client 10.77.0.50/24

say "starting keepalived-rs on n1 (MASTER, priority 150) and n2 (BACKUP, priority 100)"
start n1 MASTER 150
start n2 BACKUP 100
wait_addr n1 $VIP 10 || { cat "$WORKDIR"/n*.log; exit 1; }
say "n1 holds the VIP"
ip -n "$PREFIX-n1" -4 addr show dev eth0 | grep inet

say "the client pings $VIP every 50 ms"
ip netns exec "$PREFIX-client" ping -D -i 0.05 -W 1 $VIP > "$WORKDIR/ping.log" 2>&1 &
PIDS+=($!); PING=$!; disown $!
sleep 2

say "killing n1's processes (SIGKILL, parent and child) and cutting its link"
t0=$(date +%s%N)
ip -n "$PREFIX-n1" link set eth0 down; ip netns pids "$PREFIX-n1" | xargs -r kill -9
wait_addr n2 $VIP 10 || { cat "$WORKDIR"/n*.log; exit 1; }
t1=$(date +%s%N)
printf 'n2 took the VIP over after %d ms (master_down_interval = 3 s + skew 0.61 s)\n' $(( (t1 - t0) / 1000000 ))
echo "n2's addresses now:"
ip -n "$PREFIX-n2" -4 addr show dev eth0 | grep inet
sleep 2

say "n1 comes back: it preempts with its higher priority"
ip -n "$PREFIX-n1" addr flush dev eth0 2>/dev/null || true
ip -n "$PREFIX-n1" addr add 10.77.0.1/24 dev eth0
ip -n "$PREFIX-n1" link set eth0 up
start n1 MASTER 150
wait_addr n1 $VIP 15 || { cat "$WORKDIR"/n*.log; exit 1; }
sleep 1
has_addr n2 $VIP && { echo "n2 still holds the VIP"; exit 1; }
echo "n1 holds the VIP again; n2 released it"
sleep 1

kill -INT "$PING" 2>/dev/null || true; sleep 0.2
say "the client's view"
echo "the client's silences (master_down_interval after the kill, as keepalived; none at the preemption):"
silences "$t0"
tail -2 "$WORKDIR/ping.log" | sed 's/^/  ping: /'
say "keepalived-rs logs"
echo "--- n1 (second run)"; cat "$WORKDIR/n1.log"
echo "--- n2"; cat "$WORKDIR/n2.log"
say "cleaning up"
