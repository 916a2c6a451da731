#!/usr/bin/env bash
# Unicast instances without an interface (keepalived 2.2.8; 2.2.7 refuses them with
# "Unknown interface!"): their sockets are bound to no interface; only adverts to their
# own unicast_src_ip are theirs. a (150) MASTER, b (100) BACKUP; a stopped: b MASTER and
# its gratuitous ARPs, sent on the VIP's `dev` (not an instance's interface), teach a
# client b's MAC for the VIP; a back: MASTER again, the client learns a's MAC.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; tail -n 20 "$WORKDIR/a.log" "$WORKDIR/b.log"; exit 1; }
lan
node a 10.82.0.1/24
node b 10.82.0.2/24
node c 10.82.0.9/24
start() {   # start NODE SRC PEER PRIO
    printf 'vrrp_instance U {\n    virtual_router_id 82\n    priority %s\n    advert_int 1\n    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n    virtual_ipaddress {\n        10.82.0.100/24 dev eth0\n    }\n}\n' \
        "$4" "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -D -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" \
        -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" >> "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!); disown $!
    echo $! > "$WORKDIR/$1.main"
}
mac() { ip -n "$PREFIX-$1" -br link show eth0 | awk '{print $3}'; }
# The MAC the client has for the VIP (it learns it from gratuitous ARPs: arp_accept).
ip netns exec "$PREFIX-c" sysctl -qw net.ipv4.conf.eth0.arp_accept=1
client_mac() { ip -n "$PREFIX-c" neigh show 10.82.0.100 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
wait_client() {   # wait_client MAC SECS
    local end=$(( $(now_ms) + $2 * 1000 ))
    until [ "$(client_mac)" = "$1" ]; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.05
    done
}

start a 10.82.0.1 10.82.0.2 150
wait_addr a 10.82.0.100 10 || fail "a did not become MASTER"
start b 10.82.0.2 10.82.0.1 100
# b would take the VIP after its master-down interval (3.61 s) without a's adverts.
sleep 5
has_addr b 10.82.0.100 && fail "b holds the VIP too: a's adverts did not reach it"
grep -q "(U) Entering BACKUP STATE" "$WORKDIR/b.log" || fail "b not BACKUP"
echo "ok: a MASTER, b BACKUP (adverts between sockets bound to no interface)"

kill "$(cat "$WORKDIR/a.main")"
wait_addr b 10.82.0.100 10 || fail "b did not take over"
wait_client "$(mac b)" 5 || fail "the client did not learn b's MAC ($(mac b)) for the VIP: $(client_mac)"
echo "ok: a stopped: b MASTER, its gratuitous ARPs on eth0 reached the client"

start a 10.82.0.1 10.82.0.2 150
wait_addr a 10.82.0.100 10 || fail "a did not take the VIP back"
wait_client "$(mac a)" 5 || fail "the client did not learn a's MAC back: $(client_mac)"
end=$(( $(now_ms) + 5000 ))
while has_addr b 10.82.0.100; do
    [ "$(now_ms)" -lt "$end" ] || fail "b kept the VIP after a came back"
    sleep 0.05
done
echo "ok: a back: MASTER again, b BACKUP, the client has a's MAC"
echo "ok: noif"
