#!/bin/sh
# Runs inside the IPVS VM (integration/ipvs.sh boots it): keepalived-rs's checker child
# programs the kernel's IPVS table. The guest's root namespace is the director; real
# servers, a sorry server and a client live in their own namespaces, reached over veths.
# Each step compares `ipvsadm -Ln` (forward method and weight, not the counters) with the
# table the configuration and the servers' states call for.
# POSIX sh: the guest's /bin/sh is dash, and there is no bash.
set -eu
BIN=$1
T=$(mktemp -d /tmp/ipvs.XXXXXX)
FAILS=0
KA=
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# ---- the network --------------------------------------------------------------
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
ns() {   # ns NAME INDEX: a namespace on 10.10.INDEX.2/24 (+ fd00:INDEX::2/64) behind a veth
    ip netns add "$1"
    ip link add "v-$1" type veth peer name eth0 netns "$1"
    ip addr add "10.10.$2.1/24" dev "v-$1"
    ip addr add "fd00:$2::1/64" dev "v-$1" nodad
    ip link set "v-$1" up
    ip -n "$1" addr add "10.10.$2.2/24" dev eth0
    ip -n "$1" addr add "fd00:$2::2/64" dev eth0 nodad
    ip -n "$1" link set eth0 up
    ip -n "$1" link set lo up
    ip -n "$1" route add default via "10.10.$2.1"
    ip -n "$1" -6 route add default via "fd00:$2::1"
}
ns client 0
ns rs1 1
ns rs2 2
ns sorry 3
www() {   # www NAME TEXT: busybox httpd on port 80 (v4 and v6)
    mkdir -p "$T/www-$1"
    echo "$2" > "$T/www-$1/index.html"
    ip netns exec "$1" busybox httpd -p 80 -h "$T/www-$1"
}
httpd_pid() { ip netns pids "$1" | while read -r p; do
    grep -q httpd "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done; }
stop_www() { for p in $(httpd_pid "$1"); do kill "$p"; done; }
www rs1 "backend 1"
www rs2 "backend 2"
www sorry "sorry"
# The VIP lives on the director's side of the client's veth.
ip addr add 10.10.0.100/32 dev v-client
ip addr add fd00::100/128 dev v-client nodad

conf() {   # conf EXTRA: the configuration, with EXTRA appended
    cat > "$T/k.conf" <<CONF
global_defs {
    router_id director
}
virtual_server 10.10.0.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 1
    sorry_server 10.10.3.2 80
    real_server 10.10.1.2 80 {
        weight 1
        notify_down "/bin/sh -c 'echo rs1 down >> $T/notes'"
        notify_up "/bin/sh -c 'echo rs1 up >> $T/notes'"
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 10.10.2.2 80 {
        weight $RS2_WEIGHT
        inhibit_on_failure
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
virtual_server fd00::100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 60
    real_server fd00:1::2 80 {
        weight 5
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
$1
CONF
}
FWM='virtual_server fwmark 7 {
    delay_loop 1
    lb_algo sh
    lb_kind DR
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 10.10.1.2 80 {
        weight 3
        uthreshold 100
        lthreshold 10
        TCP_CHECK { connect_timeout 1 }
    }
}'

# The table as `ipvsadm -Ln` shows it, without the connection counters.
table() {
    ipvsadm -Ln | awk 'NR > 3 { if ($1 == "->") print "  ->", $2, $3, $4; else print }' | sed 's/ *$//'
}
want() {   # want FILE: the expected table (here-doc on stdin) into FILE
    cat > "$T/$1"
}
wait_table() {   # wait_table NAME SECONDS: until the table equals $T/NAME
    end=$(( $(now_ms) + $2 * 1000 ))
    while :; do
        table > "$T/got"
        if cmp -s "$T/got" "$T/$1"; then
            echo "$(( $(now_ms) - START ))" > "$T/took"
            return 0
        fi
        [ "$(now_ms)" -lt "$end" ] || break
        sleep 0.1
    done
    echo "--- wanted ($1)"; cat "$T/$1"; echo "--- got"; cat "$T/got"
    return 1
}
# (busybox wget -T crashes in this image: timeout(1) bounds it instead)
client_get() { ip netns exec client timeout 3 wget -qO- "http://$1/" 2>/dev/null || echo "no answer"; }
answers() {   # answers VIP N: the sorted set of answers to N requests
    i=0; while [ $i -lt "$2" ]; do client_get "$1"; i=$((i + 1)); done | sort -u | tr '\n' ' '
}
checker_pid() { cat "$T/check.pid" 2>/dev/null || true; }
start_ka() {
    "$BIN" -n -l -D --metrics 127.0.0.1:9650 "$@" -f "$T/k.conf" -p "$T/ka.pid" -r "$T/vrrp.pid" -c "$T/check.pid" \
        >> "$T/log" 2>&1 &
    KA=$!
}
stop_ka() {
    [ -n "$KA" ] || return 0
    kill -TERM "$KA" 2>/dev/null || true
    i=0; while kill -0 "$KA" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$KA" 2>/dev/null || true
    KA=
}
trap 'stop_ka; for n in client rs1 rs2 sorry; do ip netns pids $n 2>/dev/null | xargs -r kill -9; ip netns del $n 2>/dev/null; done; rm -rf "$T"' EXIT

want full <<'W'
TCP  10.10.0.100:80 rr
  -> 10.10.1.2:80 Masq 1
  -> 10.10.2.2:80 Masq 2
TCP  [fd00::100]:80 wrr persistent 60
  -> [fd00:1::2]:80 Masq 5
FWM  7 sh persistent 300 mask 255.255.255.0
  -> 10.10.1.2:0 Route 3
W

# ---- 1. start: the table as configured; traffic reaches both servers -----------------
RS2_WEIGHT=2 conf "$FWM"
START=$(now_ms)
start_ka
if wait_table full 30; then ok "start: ipvsadm -Ln matches the configuration ($(cat "$T/took") ms)"; else fail "start"; fi
got=$(answers 10.10.0.100 4)
[ "$got" = "backend 1 backend 2 " ] && ok "LVS-NAT: a client reaches both real servers" || fail "client got '$got'"
got=$(ip netns exec client timeout 3 wget -qO- "http://[fd00::100]/" 2>/dev/null || echo none)
[ "$got" = "backend 1" ] && ok "IPv6 service answers through IPVS" || fail "IPv6 client got '$got'"

# ---- 2. rs1 stops: removed within delay_loop + retry x delay_before_retry + connect_timeout
want rs1down <<'W'
TCP  10.10.0.100:80 rr
  -> 10.10.2.2:80 Masq 2
TCP  [fd00::100]:80 wrr persistent 60
FWM  7 sh persistent 300 mask 255.255.255.0
W
START=$(now_ms)
stop_www rs1
if wait_table rs1down 10; then
    took=$(cat "$T/took")
    # bound 1 + 1 x 1 + 1 = 3 s, plus 1 s of margin for this emulated machine
    [ "$took" -le 4000 ] && ok "rs1 stopped: removed from all its services in $took ms (bound 3 s)" \
        || fail "rs1 removed only after $took ms"
else fail "rs1 down"; fi
grep -q 'rs1 down' "$T/notes" 2>/dev/null && ok "notify_down ran" || fail "no notify_down"
got=$(answers 10.10.0.100 4)
[ "$got" = "backend 2 " ] && ok "traffic reaches the live server only" || fail "client got '$got'"

# ---- 3. rs2 fails too: inhibited (weight 0), quorum lost, the sorry server comes in
#         beside it (keepalived removes only the live servers) ----
want sorry <<'W'
TCP  10.10.0.100:80 rr
  -> 10.10.2.2:80 Masq 0
  -> 10.10.3.2:80 Masq 1
TCP  [fd00::100]:80 wrr persistent 60
FWM  7 sh persistent 300 mask 255.255.255.0
W
stop_www rs2
START=$(now_ms)
if wait_table sorry 10; then ok "quorum lost: the sorry server serves, the inhibited server stays at weight 0"; else fail "sorry server"; fi
got=$(answers 10.10.0.100 2)
[ "$got" = "sorry " ] && ok "the client reaches the sorry server" || fail "client got '$got'"

# ---- 4. both come back --------------------------------------------------------------
www rs1 "backend 1"
www rs2 "backend 2"
START=$(now_ms)
if wait_table full 10; then ok "servers back: the table as configured again"; else fail "recovery"; fi
grep -q 'rs1 up' "$T/notes" 2>/dev/null && ok "notify_up ran" || fail "no notify_up"

# ---- 5. inhibit_on_failure alone (rs2 down, rs1 up: quorum holds) ---------------------
want rs2inhibit <<'W'
TCP  10.10.0.100:80 rr
  -> 10.10.1.2:80 Masq 1
  -> 10.10.2.2:80 Masq 0
TCP  [fd00::100]:80 wrr persistent 60
  -> [fd00:1::2]:80 Masq 5
FWM  7 sh persistent 300 mask 255.255.255.0
  -> 10.10.1.2:0 Route 3
W
stop_www rs2
START=$(now_ms)
if wait_table rs2inhibit 10; then ok "inhibit_on_failure: rs2 kept at weight 0"; else fail "inhibit"; fi
www rs2 "backend 2"
wait_table full 10 >/dev/null || fail "rs2 back"

# ---- 6. the checker child is killed: the successor changes nothing ------------------
ipvsadm -Ln --stats > /dev/null
answers 10.10.0.100 6 > /dev/null
sleep 3   # the kernel's counters are read through its 2 s estimator
conns() { ipvsadm -Ln --stats -t 10.10.0.100:80 | awk '$1 == "TCP" { print $3 }'; }
before=$(conns)
old=$(checker_pid)
kill -9 "$old"
i=0; while { [ "$(checker_pid)" = "$old" ] || [ -z "$(checker_pid)" ]; } && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
new=$(checker_pid)
sleep 3
if [ -n "$new" ] && [ "$new" != "$old" ]; then ok "checker child restarted ($old -> $new)"; else fail "no new checker child"; fi
if grep 'IPVS: table read' "$T/log" | tail -1 | grep -q ' 0 change(s)'; then
    ok "restarted checker: 0 changes to the kernel's table"
else
    fail "restarted checker changed the table"; grep 'IPVS' "$T/log" | tail -5
fi
after=$(conns)
[ -n "$before" ] && [ "$before" = "$after" ] && [ "$before" -gt 0 ] && ok "service counters kept ($before connections): nothing removed and re-added" \
    || fail "counters $before -> $after"
wait_table full 2 >/dev/null && ok "table unchanged after the restart" || fail "table after restart"

# ---- 6b. status and metrics carry the kernel's counters ------------------------------
# The first virtual server's real servers come first in the JSON, then its own counters.
json=$("$BIN" status --json 2>&1 || true)
nums=$(printf '%s' "$json" | grep -o '"connections":[0-9]*' | head -3 | cut -d: -f2 | tr '\n' ' ')
c1=$(echo "$nums" | awk '{ print $1 }'); c2=$(echo "$nums" | awk '{ print $2 }'); c3=$(echo "$nums" | awk '{ print $3 }')
exact() { ipvsadm -Ln --stats --exact -t 10.10.0.100:80 | awk -v w="$1" '$1 == w || $2 == w { print $3 }'; }
if [ -n "$c3" ] && [ "$c3" = "$(exact TCP)" ] && [ "$c1" = "$(exact 10.10.1.2:80)" ] \
    && [ "$c2" = "$(exact 10.10.2.2:80)" ] && [ "$c3" -gt 0 ]; then
    ok "status --json: IPVS connections as ipvsadm --stats shows them (rs1 $c1, rs2 $c2, service $c3)"
else
    fail "status counters '$nums', ipvsadm: $(ipvsadm -Ln --stats --exact -t 10.10.0.100:80 | tr '\n' ' ')"
fi
printf '%s' "$json" | grep -q '"active_connections":' && ok "status --json: real servers' active connections" \
    || fail "no active_connections in the status"
"$BIN" status 2>&1 | grep -q 'CONNS' && ok "status table: the counter columns" || fail "status table: $("$BIN" status 2>&1 | tail -5)"
got=$(timeout 3 wget -qO- http://127.0.0.1:9650/metrics 2>/dev/null | grep '^keepalived_rs_virtual_server_connections_total' | head -1)
case "$got" in
    *" $c3") ok "metrics: $got" ;;
    *) fail "metrics: '$got'" ;;
esac

# ---- 7. reload: the fwmark service dropped, rs2's weight changed ----------------------
want reloaded <<'W'
TCP  10.10.0.100:80 rr
  -> 10.10.1.2:80 Masq 1
  -> 10.10.2.2:80 Masq 4
TCP  [fd00::100]:80 wrr persistent 60
  -> [fd00:1::2]:80 Masq 5
W
RS2_WEIGHT=4 conf ""
kill -HUP "$KA"
START=$(now_ms)
if wait_table reloaded 20; then ok "reload: fwmark service removed, weight changed"; else fail "reload"; fi
after2=$(conns)
[ "$after2" -ge "$after" ] && ok "reload kept the service (counters $after -> $after2)" || fail "reload counters $after -> $after2"

# ---- 8. someone changes the table by hand: put right at the next change ---------------
ipvsadm -d -t 10.10.0.100:80 -r 10.10.1.2:80
ipvsadm -A -t 10.10.0.99:80 -s rr   # not ours: left alone
stop_www rs2
want drift <<'W'
TCP  10.10.0.99:80 rr
TCP  10.10.0.100:80 rr
  -> 10.10.1.2:80 Masq 1
  -> 10.10.2.2:80 Masq 0
TCP  [fd00::100]:80 wrr persistent 60
  -> [fd00:1::2]:80 Masq 5
W
if wait_table drift 10; then ok "a hand-removed destination is restored at the next change; a foreign service stays"; else fail "drift"; fi
www rs2 "backend 2"

# ---- 9. stop: our services removed, the foreign one kept; with -I everything kept -----
stop_ka
want stopped <<'W'
TCP  10.10.0.99:80 rr
W
START=$(now_ms)
if wait_table stopped 5; then ok "SIGTERM: the services keepalived-rs made are removed"; else fail "stop"; fi
start_ka -I
want reloaded_foreign <<'W'
TCP  10.10.0.99:80 rr
TCP  10.10.0.100:80 rr
  -> 10.10.1.2:80 Masq 1
  -> 10.10.2.2:80 Masq 4
TCP  [fd00::100]:80 wrr persistent 60
  -> [fd00:1::2]:80 Masq 5
W
wait_table reloaded_foreign 30 >/dev/null || fail "start with -I"
stop_ka
sleep 1
if wait_table reloaded_foreign 2 >/dev/null; then ok "-I: the table stays after stop"; else fail "-I"; fi

# ---- 10. lvs_sync_daemon: backup daemon from start, master while the instance is MASTER -
ip link add sync0 type dummy
ip addr add 10.77.0.1/24 dev sync0
ip link set sync0 up
cat > "$T/k.conf" <<CONF
global_defs {
    lvs_sync_daemon sync0 VI_SYNC id 7
}
vrrp_instance VI_SYNC {
    state BACKUP
    interface sync0
    virtual_router_id 77
    priority 150
    advert_int 3
    virtual_ipaddress {
        10.77.0.100/24
    }
}
CONF
# advert_int 3: the instance stays BACKUP for its master-down interval, 3 x 3 s + skew,
# long enough for this emulated machine to see the backup daemon before the master one.
daemons() { ipvsadm -L --daemon 2>/dev/null | sed 's/,.*//' | sort | tr '\n' ';'; }
wait_daemons() {   # wait_daemons WANT SECONDS
    end=$(( $(now_ms) + $2 * 1000 ))
    while [ "$(daemons)" != "$1" ]; do
        [ "$(now_ms)" -lt "$end" ] || { echo "  sync daemons: '$(daemons)', wanted '$1'"; return 1; }
        sleep 0.1
    done
}
start_ka -P
# The deadline counts from the start: the daemon's own start comes first (4 s in this
# emulated machine when its host is busy, 15 s seen once); the backup daemon is there for the master-down
# interval after it, and the wait ends as soon as it is seen.
t_sync=$(now_ms)
if wait_daemons "backup sync daemon (mcast=sync0;" 30; then ok "lvs_sync_daemon: a backup daemon while VI_SYNC is BACKUP (seen after $(( $(now_ms) - t_sync )) ms)"; else fail "no backup sync daemon"; fi
if wait_daemons "master sync daemon (mcast=sync0;" 20; then ok "lvs_sync_daemon: the master daemon once VI_SYNC is MASTER"; else fail "no master sync daemon"; fi
ipvsadm -L --daemon | grep -q 'syncid=7' && ok "sync id 7" || fail "sync id: $(ipvsadm -L --daemon)"
stop_ka
if wait_daemons "" 5; then ok "lvs_sync_daemon: stopped with the daemon"; else fail "sync daemon left running"; fi

# ---- net_namespace_ipvs: the table in another namespace, the checks from this one --------
# IPVS takes a NAT destination it has a route to: lvsns gets one over a dummy interface.
ip netns add lvsns
ip -n lvsns link add d0 type dummy
ip -n lvsns addr add 10.10.9.1/24 dev d0
ip -n lvsns link set d0 up
ip -n lvsns route add 10.10.1.0/24 via 10.10.9.2
cat > "$T/k.conf" <<CONF
net_namespace_ipvs lvsns
virtual_server 10.10.0.201 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.10.1.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
start_ka -C
end=$(( $(now_ms) + 20000 ))
until ip netns exec lvsns ipvsadm -Ln | grep -q '10.10.1.2:80'; do
    [ "$(now_ms)" -lt "$end" ] || break
    sleep 0.2
done
# The real server answers only from this namespace (rs1 is routed from here): its check
# passing shows the checks run here while the table is in lvsns.
if ip netns exec lvsns ipvsadm -Ln | grep -q '10.10.1.2:80'; then
    ok "net_namespace_ipvs: the service and its checked real server in lvsns"
else
    fail "net_namespace_ipvs: lvsns has $(ip netns exec lvsns ipvsadm -Ln | tail -n +4 | tr '\n' ';')"
fi
if ipvsadm -Ln | grep -q '10.10.0.201'; then fail "net_namespace_ipvs: the service is in the daemon's own namespace"; else ok "net_namespace_ipvs: nothing in the daemon's own namespace"; fi
stop_ka
ip netns del lvsns

if [ "$FAILS" -ne 0 ]; then
    echo "--- log"; tail -60 "$T/log"
    echo "$FAILS failure(s)"; exit 1
fi
echo "all IPVS checks passed"
