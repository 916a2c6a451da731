#!/usr/bin/env bash
# What asking costs, beside keepalived 2.2.7 in the same run: node a is master of 1,000
# VRRP instances (four veth pairs, 250 VRIDs each) and checks 10,000 real servers
# (625 virtual servers × 16, TCP_CHECK against closed ports on loopback, so each probe
# fails at once; delay_loop 30 s so that probing does not drown the measurement).
# - the time of one `keepalived-rs status --json` (the whole document, both children's
#   parts), median and 95th percentile of ROUNDS requests, beside the time keepalived
#   2.2.7 takes from SIGJSON to a complete /tmp/keepalived.json for the same 1,000
#   instances (its checker cannot run on a kernel without IPVS);
# - the daemon's CPU (every process of the node) over WINDOW seconds with /metrics scraped
#   once a second, beside the same window not scraped, as a share of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
BIN=$PWD/target/release/keepalived-rs
RUN_ID=s$$
source integration/lib.sh
ROUNDS=${ROUNDS:-20}
WINDOW=${WINDOW:-30}
HZ=$(getconf CLK_TCK)

host a
for k in 0 1 2 3; do
    ip -n "$PREFIX-a" link add "v$k" type veth peer name "w$k"
    ip -n "$PREFIX-a" addr add "10.$((91 + k)).0.1/16" dev "v$k"
    ip -n "$PREFIX-a" link set "v$k" up; ip -n "$PREFIX-a" link set "w$k" up
done
vrrp_conf() {
    for i in $(seq 0 999); do
        k=$((i / 250)); vrid=$((i % 250 + 1))
        printf 'vrrp_instance VI_%s_%s {\n    state MASTER\n    interface v%s\n    virtual_router_id %s\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.%s.100.%s/32\n    }\n}\n' \
            "$k" "$vrid" "$k" "$vrid" "$((91 + k))" "$vrid"
    done
}
check_conf() {
    python3 - <<'PY'
for v in range(625):
    print(f"virtual_server 10.250.{v // 250}.{v % 250 + 1} 80 {{\n    delay_loop 30\n    lb_kind NAT\n    protocol TCP")
    for r in range(16):
        n = v * 16 + r
        print(f"    real_server 127.1.{n // 250}.{n % 250 + 1} 1 {{\n        TCP_CHECK {{\n            connect_timeout 1\n        }}\n    }}")
    print("}")
PY
}
vrrp_conf > "$WORKDIR/vrrp.conf"
{ cat "$WORKDIR/vrrp.conf"; check_conf; } > "$WORKDIR/all.conf"

usage() {   # CPU jiffies of every daemon process in node a (not the scraper)
    local cpu=0
    for p in $(ip netns pids "$PREFIX-a"); do
        tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q python3 && continue
        set -- $(awk '{print $14, $15}' /proc/$p/stat 2>/dev/null || echo 0 0)
        cpu=$(( cpu + $1 + $2 ))
    done
    echo "$cpu"
}
stop_all() { ip netns pids "$PREFIX-a" | xargs -r kill -TERM 2>/dev/null || true; sleep 3; ip netns pids "$PREFIX-a" | xargs -r kill -9 2>/dev/null || true; sleep 0.5; }

# keepalived 2.2.7: SIGJSON to a whole keepalived.json.
mkdir -p "$WORKDIR/ka.tmp"
TMPDIR="$WORKDIR/ka.tmp" ip netns exec "$PREFIX-a" keepalived -n -P -f "$WORKDIR/vrrp.conf" -p "$WORKDIR/ka.pid" \
    -r "$WORKDIR/ka.vpid" -c "$WORKDIR/ka.cpid" >/dev/null 2>&1 &
disown $!
sleep 12
ka_times=$(python3 - "$WORKDIR/ka.pid" "$WORKDIR/ka.tmp/keepalived.json" "$ROUNDS" <<'PY'
import json, os, signal, sys, time
pid = int(open(sys.argv[1]).read()); path = sys.argv[2]; rounds = int(sys.argv[3])
out = []
for _ in range(rounds):
    try: os.unlink(path)
    except FileNotFoundError: pass
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGRTMIN + 2)
    while True:
        # The whole file is there once it ends its top-level array (the parse is not
        # timed, as on our side).
        try:
            with open(path, "rb") as f:
                f.seek(-2, 2)
                if f.read() == b"]\n":
                    break
        except (FileNotFoundError, OSError):
            pass
        time.sleep(0.0005)
    out.append((time.perf_counter() - t0) * 1e3)
    assert len(json.load(open(path))) == 1000
    time.sleep(0.2)
print(" ".join(f"{x:.2f}" for x in out))
PY
)
stop_all

# keepalived-rs: status --json and scraping.
ip netns exec "$PREFIX-a" "$BIN" -n -G -f "$WORKDIR/all.conf" -p "$WORKDIR/rs.pid" -r "$WORKDIR/rs.vpid" -c "$WORKDIR/rs.cpid" \
    --control-socket "$WORKDIR/rs.sock" --metrics 127.0.0.1:9650 >/dev/null 2>&1 &
disown $!
sleep 15
rs_times=$(python3 - "$WORKDIR/rs.sock" "$ROUNDS" <<'PY'
import json, socket, sys, time
path = sys.argv[1]; rounds = int(sys.argv[2])
out = []
for _ in range(rounds):
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); s.sendall(b"status\n")
    chunks = []
    while True:
        c = s.recv(1 << 20)
        if not c: break
        chunks.append(c)
    out.append((time.perf_counter() - t0) * 1e3)
    doc = json.loads(b"".join(chunks))
    assert len(doc["vrrp"]["instances"]) == 1000
    assert sum(len(v["real_servers"]) for v in doc["checker"]["virtual_servers"]) == 10000
    time.sleep(0.2)
print(" ".join(f"{x:.2f}" for x in out))
PY
)
sleep 2
c0=$(usage); sleep "$WINDOW"; c1=$(usage)
ip netns exec "$PREFIX-a" python3 - "$WINDOW" <<'PY' &
import sys, time, urllib.request
end = time.time() + float(sys.argv[1])
while time.time() < end:
    urllib.request.urlopen("http://127.0.0.1:9650/metrics", timeout=5).read()
    time.sleep(1)
PY
scraper=$!
c2=$(usage); wait $scraper; c3=$(usage)
size=$(ip netns exec "$PREFIX-a" python3 -c 'import urllib.request; print(len(urllib.request.urlopen("http://127.0.0.1:9650/metrics").read()))')
stop_all

stats() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {printf "%s %s", a[int((NR+1)/2)], a[int(NR*0.95+0.5)]}'; }
read -r ka_med ka_p95 <<< "$(echo "$ka_times" | stats)"
read -r rs_med rs_p95 <<< "$(echo "$rs_times" | stats)"
echo "status with 1,000 instances and 10,000 real servers ($ROUNDS requests each, median / p95)"
printf '  keepalived 2.2.7 SIGJSON to a whole keepalived.json (VRRP only): %7.2f / %7.2f ms\n' "$ka_med" "$ka_p95"
printf '  keepalived-rs status --json (VRRP and checker):                  %7.2f / %7.2f ms   ratio %.2f\n' "$rs_med" "$rs_p95" "$(echo "$rs_med / $ka_med" | bc -l)"
idle=$(echo "($c1 - $c0) / $HZ / $WINDOW * 100" | bc -l)
scraped=$(echo "($c3 - $c2) / $HZ / $WINDOW * 100" | bc -l)
printf 'CPU of the node over %s s: not scraped %.2f %% of a core, /metrics scraped every second (%s bytes) %.2f %%: +%.2f %%\n' \
    "$WINDOW" "$idle" "$size" "$scraped" "$(echo "$scraped - $idle" | bc -l)"
