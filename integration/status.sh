#!/usr/bin/env bash
# `keepalived-rs status`, `status --json`, `events` and `--metrics` on a two-node pair
# with a checker: the states and the reasons of their transitions, the master as the
# backup heard it, a real server's check result and latency; after a failover, a real
# server going down and coming back, a reload and a child killed; the socket refuses an
# unprivileged user; garbage, oversize requests, 1,000 connections and more clients than
# allowed change nothing, and the master's adverts keep their pace meanwhile.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
HTTP=${HTTP:-$PWD/target/release/examples/http-responder}
source integration/lib.sh
VIP=10.87.0.100

conf() {   # conf STATE PRIORITY
    cat <<CONF
vrrp_script chk {
    script "/usr/bin/true"
    interval 1
    weight 10
}
vrrp_instance VI_1 {
    state $1
    interface eth0
    virtual_router_id 87
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk
    }
}
virtual_server 10.87.0.200 80 {
    delay_loop 1
    lb_kind NAT
    protocol TCP
    real_server 10.87.0.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
}

start() {   # start NODE STATE PRIORITY [OPTIONS...]
    local n=$1 st=$2 pr=$3; shift 3
    conf "$st" "$pr" > "$WORKDIR/$n.conf"
    ip netns exec "$PREFIX-$n" "$BIN" -n -l -f "$WORKDIR/$n.conf" -p "$WORKDIR/$n.pid" -r "$WORKDIR/$n.vpid" \
        -c "$WORKDIR/$n.cpid" --control-socket "$WORKDIR/$n.sock" "$@" > "$WORKDIR/$n.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

serve() {
    echo ok > "$WORKDIR/r1.mode"
    ip netns exec "$PREFIX-r1" "$HTTP" 10.87.0.11:80 "$WORKDIR/r1.mode" > /dev/null 2>&1 &
    SRV=$!
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.events; do echo "--- $f"; tail -30 "$f"; done; exit 1; }

st() { "$BIN" status --json --control-socket "$WORKDIR/$1.sock"; }
# q NODE EXPR: a Python expression over the status document `s`, printed.
q() { st "$1" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }
# until_q NODE EXPR VALUE SECONDS
until_q() {
    local end=$(( $(now_ms) + $4 * 1000 )) v
    while :; do
        v=$(q "$1" "$2" 2>/dev/null || true)
        [ "$v" = "$3" ] && return 0
        [ "$(now_ms)" -lt "$end" ] || { echo "$2 is '$v', not '$3'"; return 1; }
        sleep 0.1
    done
}

lan
node a 10.87.0.1/24
node b 10.87.0.2/24
node r1 10.87.0.11/24
serve
start b BACKUP 100
start a MASTER 150 --metrics 127.0.0.1:9650
wait_addr a $VIP 10 || fail "a never became master"
"$BIN" events --control-socket "$WORKDIR/b.sock" > "$WORKDIR/b.events" 2>&1 &
PIDS+=($!); disown $!

# 1. The pair as it is.
I='s["vrrp"]["instances"][0]'
R='s["checker"]["virtual_servers"][0]["real_servers"][0]'
until_q a "$I[\"state\"]" MASTER 5 || fail "a's status does not say MASTER"
[ "$(q a "$I['vips_set']")" = True ] || fail "a's VIPs are not shown as set"
[ "$(q a "$I['reason']")" = "master down timer expired" ] || fail "a's reason: $(q a "$I['reason']")"
[ "$(q a "$I['effective_priority']")" = 160 ] || fail "a's effective priority is not 150 + 10"
[ "$(q a "[t['contribution'] for t in $I['trackers'] if t['kind']=='script'][0]")" = 10 ] || fail "the script's contribution is not shown"
until_q b "$I['master']" 10.87.0.1 5 || fail "b does not show a as its master"
[ "$(q b "$I['master_priority']")" = 160 ] || fail "b does not show the master's priority"
until_q a "$R['alive']" True 5 || fail "the real server is not UP in a's status"
[ "$(q a "$R['checks'][0]['last_result']")" = ok ] || fail "the last check result is not ok"
[ "$(q a "$R['checks'][0]['latency'] is not None and $R['checks'][0]['latency'] < 1")" = True ] || fail "no check latency"
[ "$(q a "[p['answered'] for p in s['keepalived_rs']['processes']]")" = "[True, True]" ] || fail "a child did not answer"
"$BIN" status --control-socket "$WORKDIR/a.sock" > "$WORKDIR/a.table"
grep -q "^VI_1 .*MASTER .*master down timer expired" "$WORKDIR/a.table" || fail "the table: $(cat "$WORKDIR/a.table")"
grep -q "10.87.0.11\]:tcp:80 .*UP" "$WORKDIR/a.table" || fail "the table has no UP real server: $(cat "$WORKDIR/a.table")"
echo "ok: status and status --json: states, reasons, priorities with the tracker's part, the master as b heard it, the real server's result and latency"

# 2. Metrics, as Prometheus reads them.
metrics() {
    ip netns exec "$PREFIX-a" python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:9650/metrics", timeout=5).read().decode())'
}
metrics > "$WORKDIR/a.metrics" || fail "no answer from /metrics"
grep -q '^keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="87",ip_address="10.87.0.100/24"} 2$' "$WORKDIR/a.metrics" \
    || fail "no keepalived_vrrp_state for the VIP: $(grep vrrp_state "$WORKDIR/a.metrics")"
grep -q '^keepalived_rs_real_server_up{virtual_server="\[10.87.0.200\]:tcp:80",real_server="\[10.87.0.11\]:tcp:80"} 1$' "$WORKDIR/a.metrics" \
    || fail "no keepalived_rs_real_server_up: $(grep real_server_up "$WORKDIR/a.metrics")"
grep -q '^keepalived_script_status{name="chk"} 1$' "$WORKDIR/a.metrics" || fail "no keepalived_script_status"
if command -v promtool >/dev/null; then
    promtool check metrics < "$WORKDIR/a.metrics" || fail "promtool check metrics"
    echo "ok: promtool check metrics is clean"
fi
code=$(ip netns exec "$PREFIX-a" python3 -c '
import urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:9650/other", timeout=5)
except urllib.error.HTTPError as e:
    print(e.code)')
[ "$code" = 404 ] || fail "a path other than /metrics was answered with $code"
echo "ok: /metrics: mehdy/keepalived-exporter's names and labels, real-server health; other paths 404"

# 3. Failover: a stops gracefully; b's events and status say why it took over.
kill -TERM "$(cat "$WORKDIR/a.pid")"
wait_addr b $VIP 5 || fail "b did not take over"
until_q b "$I['state']" MASTER 5 || fail "b's status does not say MASTER"
[ "$(q b "$I['reason']")" = "master sent priority 0" ] || fail "b's reason: $(q b "$I['reason']")"
end=$(( $(now_ms) + 3000 ))
until grep -q '"type":"instance".*"name":"VI_1","state":"MASTER".*"reason":"master sent priority 0"' "$WORKDIR/b.events"; do
    [ "$(now_ms)" -lt "$end" ] || fail "no MASTER event on b: $(cat "$WORKDIR/b.events")"
    sleep 0.05
done
echo "ok: after a failover: b's status and its events stream say MASTER, because the master sent priority 0"

# 4. The real server goes down and comes back.
kill "$SRV"
until_q b "$R['alive']" False 6 || fail "the real server did not go DOWN in b's status"
down_text=$(q b "$R['checks'][0]['last_result']")
echo "$down_text" | grep -q "refused" || fail "no error text: $down_text"
grep -q '"type":"real_server".*"up":false' "$WORKDIR/b.events" || fail "no real_server down event"
serve
until_q b "$R['alive']" True 6 || fail "the real server did not come back in b's status"
grep -q '"type":"real_server".*"up":true' "$WORKDIR/b.events" || fail "no real_server up event"
echo "ok: a real server down (\"$down_text\") and back: status and events follow"

# 5. A reload, then a killed child.
kill -HUP "$(cat "$WORKDIR/b.pid")"
until_q b "s['keepalived_rs']['last_reload']['result'] if s['keepalived_rs']['last_reload'] else None" complete 10 || fail "no reload in b's status"
[ "$(q b "s['keepalived_rs']['reloads']")" = 1 ] || fail "reload count"
grep -q '"what":"reload complete"' "$WORKDIR/b.events" || fail "no reload event"
kill -9 "$(cat "$WORKDIR/b.vpid")"
until_q b "[p['restarts'] for p in s['keepalived_rs']['processes']]" "[1, 0]" 5 || fail "the restart is not counted"
until_q b "$I['state']" MASTER 5 || fail "b is not MASTER after its child was killed"
echo "ok: a reload and a killed VRRP child show in status (reloads 1, complete; vrrp restarts 1) and events"

# 6. Only root: an unprivileged user cannot connect.
chmod 755 "$WORKDIR"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" status --control-socket "$WORKDIR/b.sock" > "$WORKDIR/nobody.out" 2>&1; then
    fail "an unprivileged user read the status: $(cat "$WORKDIR/nobody.out")"
fi
grep -q "Permission denied" "$WORKDIR/nobody.out" || fail "not refused for permission: $(cat "$WORKDIR/nobody.out")"
chmod 700 "$WORKDIR"
echo "ok: the control socket refuses an unprivileged user ($(stat -c %a "$WORKDIR/b.sock"))"

# 7. Abuse: garbage, an oversize request, 1,000 connections, more clients than allowed
#    held open; b (MASTER) keeps advertising once a second and changes nothing.
events_before=$(grep -c '"type":"instance"' "$WORKDIR/b.events" || true)
sent_before=$(q b "$I['stats']['advert_sent']")
t0=$(now_ms)
python3 - "$WORKDIR/b.sock" <<'PY' || fail "the abuse script failed"
import socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
# garbage lines, answered with an error
for junk in [b"\x00\xff\xfe\n", b"GET / HTTP/1.0\r\n\r\n", b"stat\n", b"status status\n"]:
    s = conn(); s.sendall(junk); s.settimeout(5)
    answer = s.recv(4096)
    assert b"error" in answer, (junk, answer)
    s.close()
# an oversize request
s = conn(); s.settimeout(5)
try:
    s.sendall(b"x" * 100000)
except OSError:
    pass
answer = s.recv(4096)
assert b"too long" in answer, answer
s.close()
# 1,000 connections opened and closed
for _ in range(1000):
    conn().close()
# more than the 64 clients allowed, held open without a request
held = [conn() for _ in range(100)]
time.sleep(1)
# while they are held, the daemon still answers a status request (some were dropped)
for h in held:
    h.close()
time.sleep(0.2)
s = conn(); s.settimeout(10); s.sendall(b"status\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
assert b'"vrrp"' in data, data[:200]
PY
sleep 1
elapsed=$(( $(now_ms) - t0 ))
sent_after=$(q b "$I['stats']['advert_sent']")
sent=$(( sent_after - sent_before ))
# advert_int 1 s: at least the whole seconds elapsed, less one for the edges.
[ "$sent" -ge $(( elapsed / 1000 - 1 )) ] || fail "b sent $sent adverts in $elapsed ms"
events_after=$(grep -c '"type":"instance"' "$WORKDIR/b.events" || true)
[ "$events_after" = "$events_before" ] || fail "a state changed during the abuse"
[ "$(q b "$I['state']")" = MASTER ] || fail "b is no longer MASTER"
echo "ok: garbage, an oversize request, 1,000 connections and 100 held clients: errors answered, nothing changed, $sent adverts in $elapsed ms"
