#!/bin/sh
# Runs inside the IPVS VM (integration/seeds.sh boots it): each configuration's checker
# side under keepalived 2.2.7 and then under keepalived-rs, against the same real servers
# (every real server address in a namespace, busybox httpd on every port: HTTP_GET and
# TCP_CHECK pass, SMTP_CHECK fails; addresses in 10.59.0.0/16 and fd00:59::/32 are never
# reachable). Once each daemon's table has settled, `ipvsadm -Ln` must be the same.
# Usage: seeds-guest.sh KEEPALIVED_RS CONF...
set -eu
BIN=$1; shift
T=$(mktemp -d /tmp/seeds.XXXXXX)
FAILS=0
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# The table without the connection counters; with --tun-info a tunnel's type, port and
# checksum ("gue:6080:+c") stand between its forwarding method and its weight.
# With nftables_ipvs, the marks' tables too (`nft list`, when the VM has nft).
table() {
    ipvsadm -Ln --tun-info | awk 'NR > 3 { if ($1 == "->" && $3 == "Tunnel") print "  ->", $2, $3, $4, $5; else if ($1 == "->") print "  ->", $2, $3, $4; else print }' | sed 's/ *$//'
    if [ -n "${NFT_TABLE:-}" ] && command -v nft >/dev/null; then
        for f in ip ip6; do nft list table $f "$NFT_TABLE" 2>/dev/null || true; done
    fi
}
ip netns add rs
ip link add v-rs type veth peer name eth0 netns rs
ip addr add 10.99.0.1/24 dev v-rs
ip addr add fd00:99::1/64 dev v-rs nodad
ip link set v-rs up
ip -n rs addr add 10.99.0.2/24 dev eth0
ip -n rs addr add fd00:99::2/64 dev eth0 nodad
ip -n rs link set eth0 up
ip -n rs link set lo up
ip -n rs route add default via 10.99.0.1
ip -n rs -6 route add default via fd00:99::1
mkdir -p "$T/www"; echo "seed backend" > "$T/www/index.html"
PORTS=
trap 'ip netns pids rs | xargs -r kill -9; ip netns del rs; rm -rf "$T"' EXIT

# settle NAME: waits until the table has not changed for 3 s (at least 6 s after start,
# at most 40 s) and holds something (an empty table only counts after 20 s: a daemon that
# starts slowly on this emulated, loaded machine has not programmed it yet), then saves it
# as $T/NAME.
settle() {
    start=$(now_ms); last=$start; table > "$T/prev"
    while :; do
        sleep 0.5
        table > "$T/cur"
        t=$(now_ms)
        if ! cmp -s "$T/cur" "$T/prev"; then last=$t; cp "$T/cur" "$T/prev"; fi
        if [ $((t - start)) -ge 6000 ] && [ $((t - last)) -ge 3000 ] \
            && { [ -s "$T/cur" ] || [ $((t - start)) -ge 20000 ]; }; then break; fi
        if [ $((t - start)) -ge 40000 ]; then echo "  ($1: table still changing after 40 s)"; break; fi
    done
    cp "$T/cur" "$T/$1"
}
# What a stopped daemon left: the IPVS table's lines, and nftables_ipvs's tables.
leftover() {
    { ipvsadm -Ln | awk 'NR > 3'; [ -z "$NFT_TABLE" ] || nft list tables 2>/dev/null; } | wc -l
}
stop() {   # stop PID
    kill -TERM "$1" 2>/dev/null || true
    i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

for conf in "$@"; do
    name=$(basename "$conf" .conf)
    NFT_TABLE=
    grep -qE '^[[:space:]]*nftables_ipvs([[:space:]]|$)' "$conf" && NFT_TABLE=keepalived_ipvs
    # The real servers of this configuration, reachable through the namespace.
    for ip in $(grep -oE '^[[:space:]]*(real_server|sorry_server)[[:space:]]+[0-9a-f.:]+' "$conf" | awk '{ print $2 }' | sort -u); do
        case $ip in
            10.59.*|fd00:59:*) ;;
            *:*) ip -n rs addr add "$ip/128" dev eth0 nodad 2>/dev/null || true
                 ip route replace "$ip/128" via fd00:99::2 ;;
            *) ip -n rs addr add "$ip/32" dev eth0 2>/dev/null || true
               ip route replace "$ip/32" via 10.99.0.2 ;;
        esac
    done
    for port in $(grep -oE '^[[:space:]]*(real_server|sorry_server)[[:space:]]+[0-9a-f.:]+[[:space:]]+[0-9]+' "$conf" | awk '{ print $3 }' | sort -u); do
        case " $PORTS " in *" $port "*) ;; *)
            [ "$port" = 0 ] || ip netns exec rs busybox httpd -p "$port" -h "$T/www" || echo "  (httpd on port $port: $?)"
            PORTS="$PORTS $port" ;;
        esac
    done
    ipvsadm -C
    keepalived -C -n -l -f "$conf" -p "$T/k.pid" -c "$T/kc.pid" -r "$T/kv.pid" > "$T/$name.keepalived.log" 2>&1 &
    pid=$!
    settle "$name.keepalived"
    stop "$pid"
    left=$(leftover)
    ipvsadm -C
    "$BIN" -C -n -l -f "$conf" -p "$T/r.pid" -c "$T/rc.pid" -r "$T/rv.pid" > "$T/$name.rs.log" 2>&1 &
    pid=$!
    settle "$name.rs"
    stop "$pid"
    left_rs=$(leftover)
    if cmp -s "$T/$name.keepalived" "$T/$name.rs"; then
        echo "ok: $name: the same IPVS table as keepalived 2.2.7 ($(grep -c '^  ->' "$T/$name.rs") real servers in $(grep -vc '^  ->' "$T/$name.rs") services)"
    else
        echo "FAIL: $name: tables differ (keepalived, then keepalived-rs)"
        diff "$T/$name.keepalived" "$T/$name.rs" || true
        echo "--- keepalived-rs log"; tail -20 "$T/$name.rs.log"
        echo "--- keepalived log"; tail -20 "$T/$name.keepalived.log"
        FAILS=$((FAILS + 1))
    fi
    if [ "$left" = "$left_rs" ]; then
        echo "ok: $name: after stop both leave $left lines in the table"
    else
        echo "FAIL: $name: after stop keepalived left $left lines, keepalived-rs $left_rs"
        FAILS=$((FAILS + 1))
    fi
done
[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "all configurations: the same tables as keepalived 2.2.7"
