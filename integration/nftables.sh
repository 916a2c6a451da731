#!/usr/bin/env bash
# nftables for instances not in accept mode (strict_mode, no_accept), as keepalived
# 2.2.7 as Debian builds it: while such an instance is MASTER its VIP is in the table's
# set and a client's pings to it are dropped; an instance in accept mode beside it
# answers. keepalived 2.2.7 in a namespace of its own, with the same configuration,
# makes the same table (compared as `nft list table` prints it). A reload keeps the VIP
# in the set; a stop removes the table. Then `nftables NAME`, `nftables_priority` and
# `nftables_counters` as the table's name, its chains' priority and its rules' counters.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

command -v nft >/dev/null || { apt-get install -y -qq nftables >/dev/null 2>&1 || true; }
command -v nft >/dev/null || { echo "FAIL: no nft command to read the tables with (apt-get install nftables)"; exit 1; }

fail() {
    echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"
    for n in a k; do
        echo "--- $n ruleset"; ip netns exec "$PREFIX-$n" nft list ruleset 2>&1 | head -40
        echo "--- $n log"; tail -20 "$WORKDIR/$n.log" 2>/dev/null
    done
    exit 1
}
lan
node a 10.77.0.1/24
node k 10.77.0.2/24
node c 10.77.0.3/24

conf() {   # conf GLOBAL_LINES VRID_BASE VIP_BASE
    cat <<CONF
global_defs {
$1
}
vrrp_instance STRICT {
    interface eth0
    state MASTER
    virtual_router_id $2
    priority 100
    advert_int 1
    strict_mode
    version 3
    virtual_ipaddress {
        10.77.0.$3/24
    }
}
vrrp_instance OPEN {
    interface eth0
    state MASTER
    virtual_router_id $(( $2 + 1 ))
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.77.0.$(( $3 + 1 ))/24
    }
}
CONF
}
start() {   # start NODE IMPL CONF
    if [ "$2" = ka ]; then
        ip netns exec "$PREFIX-$1" keepalived -n -l -D -P -f "$3" -p "$WORKDIR/$1.pid" \
            -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" > "$WORKDIR/$1.log" 2>&1 &
    else
        ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$3" -p "$WORKDIR/$1.pid" \
            -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" > "$WORKDIR/$1.log" 2>&1 &
    fi
    PIDS+=($!); disown $!
}
stop() {   # stop NODE: SIGTERM to the parent, until every process of the node is gone
    local end
    kill -TERM "$(cat "$WORKDIR/$1.pid")"
    end=$(( $(now_ms) + 8000 ))
    while [ -n "$(ip netns pids "$PREFIX-$1")" ]; do
        [ "$(now_ms)" -lt "$end" ] || fail "node $1 did not stop"
        sleep 0.05
    done
}
elements() {   # elements NODE TABLE: the addresses in the ip table's vips set
    ip netns exec "$PREFIX-$1" nft list set ip "$2" vips 2>/dev/null \
        | tr -d ' \t\n' | sed -n 's/.*elements={\([^}]*\)}.*/\1/p' || true
}
pings() {   # pings ADDR: how many of 3 pings from the client are answered
    { ip netns exec "$PREFIX-c" ping -c 3 -i 0.2 -W 1 "$1" 2>/dev/null || true; } \
        | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# What nft prints (read whole before it is matched: `nft … | grep -q` under pipefail fails
# when grep stops reading first and nft dies of SIGPIPE).
tables() { ip netns exec "$PREFIX-$1" nft list tables 2>&1 || true; }
# What nft prints of a table, without counters' values and handles (comparable).
table() { ip netns exec "$PREFIX-$1" nft list table "$2" "$3" 2>&1 | sed 's/packets [0-9]* bytes [0-9]*//'; }

# ---- keepalived-rs: the implicit table ------------------------------------------------
conf "" 77 100 > "$WORKDIR/a.conf"
start a rs "$WORKDIR/a.conf"
wait_addr a 10.77.0.100 10 || fail "STRICT did not become MASTER"
wait_addr a 10.77.0.101 10 || fail "OPEN did not become MASTER"
grep -q "no firewall configured - using nftables" "$WORKDIR/a.log" || fail "no log line for the implicit table"
[ "$(elements a keepalived)" = "10.77.0.100" ] || fail "set ip keepalived vips: '$(elements a keepalived)', want 10.77.0.100"
got=$(pings 10.77.0.100); [ "$got" = 0 ] || fail "$got pings to the strict VIP answered (dropped by the table)"
got=$(pings 10.77.0.101); [ "$got" = 3 ] || fail "$got of 3 pings to the accept-mode VIP answered"
echo "ok: strict MASTER: its VIP in ip keepalived's set, pings to it dropped; the accept-mode VIP answers"
rs_table=$(table a ip keepalived)

# A reload that starts a successor (the text changed, the configuration the same).
retouch "$WORKDIR/a.conf"
kill -HUP "$(cat "$WORKDIR/a.pid")"
end=$(( $(now_ms) + 8000 ))
until grep -q "Reload complete" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "no reload"
    sleep 0.05
done
sleep 0.3
[ "$(elements a keepalived)" = "10.77.0.100" ] || fail "after a reload: set '$(elements a keepalived)'"
got=$(pings 10.77.0.100); [ "$got" = 0 ] || fail "after a reload: $got pings to the strict VIP answered"
echo "ok: a reload keeps the strict VIP in the set"
stop a
grep -q keepalived <<< "$(tables a)" && fail "the table is left after the stop"
echo "ok: the stop removes the table"

# ---- keepalived 2.2.7, same configuration, its own namespace --------------------------
if command -v keepalived >/dev/null; then
    conf "" 77 100 > "$WORKDIR/k.conf"
    # Node k's addresses: the same VIPs (its own LAN address differs, not in the table).
    start k ka "$WORKDIR/k.conf"
    wait_addr k 10.77.0.100 10 || fail "keepalived: STRICT did not become MASTER"
    sleep 0.5
    ka_table=$(table k ip keepalived)
    [ "$ka_table" = "$rs_table" ] || fail "tables differ:
--- keepalived 2.2.7
$ka_table
--- keepalived-rs
$rs_table"
    echo "ok: keepalived 2.2.7 makes the same table ip keepalived"
    stop k
fi

# ---- nftables NAME, nftables_priority, nftables_counters --------------------------------
conf "    nftables kafw
    nftables_priority -5
    nftables_counters" 80 110 > "$WORKDIR/a.conf"
start a rs "$WORKDIR/a.conf"
wait_addr a 10.77.0.110 10 || fail "STRICT did not become MASTER (kafw)"
[ "$(elements a kafw)" = "10.77.0.110" ] || fail "set ip kafw vips: '$(elements a kafw)'"
t=$(table a ip kafw)
grep -q 'hook input priority filter - 5; policy accept;' <<< "$t" || fail "chain in's priority: $t"
grep -q 'ip daddr @vips counter  drop' <<< "$t" || fail "no counter on the input rule: $t"
grep -q 'ip keepalived' <<< "$(tables a)" && fail "a table keepalived besides kafw"
got=$(pings 10.77.0.110); [ "$got" = 0 ] || fail "kafw: $got pings to the strict VIP answered"
[ "$(table a ip kafw | grep -c 'counter  drop')" = 2 ] || fail "kafw rules: $t"
counted=$(ip netns exec "$PREFIX-a" nft list table ip kafw 2>&1 || true)
grep -q 'ip daddr @vips counter packets [1-9]' <<< "$counted" \
    || fail "the input rule counted nothing: $(ip netns exec "$PREFIX-a" nft list table ip kafw)"
echo "ok: nftables kafw, priority -5, counters (the dropped pings counted)"
stop a
grep -q kafw <<< "$(tables a)" && fail "kafw is left after the stop"
echo "ok: nftables"
