#!/usr/bin/env bash
# A real Prometheus server (Debian's package) in a namespace of its own scrapes the
# built-in metrics of a master and a backup every second; its HTTP API shows
# keepalived_vrrp_state 2 for the master and 1 for the backup, then, after the master
# stops, 2 for the backup; `promtool check metrics` finds nothing wrong in what it scrapes.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.89.0.100
command -v prometheus >/dev/null || { echo "SKIP: no prometheus (.ci/run installs Debian's)"; exit 0; }

conf() {
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 89\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$VIP"
}

start() {   # start NODE STATE PRIORITY
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" \
        --control-socket "$WORKDIR/$1.sock" --metrics 0.0.0.0:9650 > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -30 "$f"; done; exit 1; }

lan
node a 10.89.0.1/24
node b 10.89.0.2/24
node p 10.89.0.9/24
start b BACKUP 100
start a MASTER 150
wait_addr a $VIP 10 || fail "a never became master"

cat > "$WORKDIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: keepalived
    static_configs:
      - targets: ['10.89.0.1:9650', '10.89.0.2:9650']
YML
ip netns exec "$PREFIX-p" prometheus --config.file="$WORKDIR/prometheus.yml" --storage.tsdb.path="$WORKDIR/tsdb" \
    --web.listen-address=127.0.0.1:9090 > "$WORKDIR/prometheus.log" 2>&1 &
PIDS+=($!)
disown $!

# state NODE_ADDR: keepalived_vrrp_state of VI_1 as Prometheus has it for that target now.
state() {
    ip netns exec "$PREFIX-p" python3 - "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
q = urllib.parse.quote('keepalived_vrrp_state{iname="VI_1",instance="%s:9650"}' % sys.argv[1])
try:
    r = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/query?query=" + q, timeout=2))
    res = r["data"]["result"]
    print(res[0]["value"][1] if res else "none")
except Exception as e:
    print("error")
PY
}
until_state() {   # until_state ADDR VALUE SECONDS
    local end=$(( $(now_ms) + $3 * 1000 )) v
    while :; do
        v=$(state "$1")
        [ "$v" = "$2" ] && return 0
        [ "$(now_ms)" -lt "$end" ] || { echo "state of $1 is $v, not $2"; return 1; }
        sleep 0.5
    done
}
until_state 10.89.0.1 2 30 || fail "Prometheus does not see a as MASTER"
until_state 10.89.0.2 1 10 || fail "Prometheus does not see b as BACKUP"
echo "ok: Prometheus scrapes both nodes: keepalived_vrrp_state is 2 on a, 1 on b"

ip netns exec "$PREFIX-p" python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://10.89.0.1:9650/metrics", timeout=5).read().decode())' > "$WORKDIR/a.metrics"
promtool check metrics < "$WORKDIR/a.metrics" > "$WORKDIR/promtool.out" 2>&1 || fail "promtool: $(cat "$WORKDIR/promtool.out")"
echo "ok: promtool check metrics finds nothing wrong"

kill -TERM "$(cat "$WORKDIR/a.pid")"
wait_addr b $VIP 5 || fail "b did not take over"
until_state 10.89.0.2 2 10 || fail "Prometheus does not see b become MASTER"
echo "ok: after a stops, Prometheus sees b's keepalived_vrrp_state go to 2"
