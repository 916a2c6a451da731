#!/usr/bin/env bash
# `keepalived-rs -t` beside keepalived 2.2.7's `keepalived -t`, in the same run, on a generated
# configuration of 2,000 virtual_servers x 4 real_servers (TCP_CHECK) and 200 vrrp_instances:
# the median time of each and the peak RSS of one run of each.
# Both run inside a network namespace of ours that has the interface the config names.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}

command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
cargo build -q --release -p ka-config --example gen_config
BIN=$PWD/target/release/keepalived-rs

NS=ka-bench-$$
WORK=$(mktemp -d /tmp/ka-bench.XXXXXX)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up

CONF=$WORK/bench.conf
./target/release/examples/gen_config 2000 4 200 eth0 > "$CONF"
echo "config: $(wc -l < "$CONF") lines, $(du -h "$CONF" | cut -f1)"

# Both must accept it cleanly before we time them.
ip netns exec "$NS" keepalived -t -f "$CONF" -p "$WORK/k.pid" -r "$WORK/v.pid" -c "$WORK/c.pid" \
    || { echo "keepalived -t rejected the bench config"; exit 1; }
ip netns exec "$NS" "$BIN" -t -f "$CONF" || { echo "keepalived-rs -t rejected the bench config"; exit 1; }

# The timing loop runs inside the namespace, so that `ip netns exec` (which remounts /sys)
# is paid once, not in every measurement.
cat > "$WORK/loop.sh" <<'LOOP'
set -u
CONF=$1 BIN=$2 WORK=$3 RUNS=$4
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$WORK/ka"; : > "$WORK/rs"
for _ in $(seq "$RUNS"); do
    # Interleaved, so both see the same machine load.
    t0=$(now); keepalived -t -f "$CONF" -p "$WORK/k.pid" -r "$WORK/v.pid" -c "$WORK/c.pid" >/dev/null 2>&1; t1=$(now)
    echo $(( (t1 - t0) / 1000 )) >> "$WORK/ka"
    t0=$(now); "$BIN" -t -f "$CONF" >/dev/null 2>&1; t1=$(now)
    echo $(( (t1 - t0) / 1000 )) >> "$WORK/rs"
done
echo "$(median < "$WORK/ka") $(median < "$WORK/rs")"
LOOP
read -r ka rs < <(ip netns exec "$NS" bash "$WORK/loop.sh" "$CONF" "$BIN" "$WORK" "$RUNS")
printf 'config test (%s runs each, median)\n' "$RUNS"
printf '  keepalived 2.2.7 -t : %8.1f ms\n' "$(echo "$ka / 1000" | bc -l)"
printf '  keepalived-rs -t    : %8.1f ms\n' "$(echo "$rs / 1000" | bc -l)"
printf '  ratio rs/keepalived : %8.3f   (goal: <= 0.5)\n' "$(echo "$rs / $ka" | bc -l)"

# Peak memory of one run of each (the maximum resident set, from wait4's rusage).
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
peak() { ip netns exec "$NS" /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
ka_kb=$(peak keepalived -t -f "$CONF" -p "$WORK/k.pid" -r "$WORK/v.pid" -c "$WORK/c.pid")
rs_kb=$(peak "$BIN" -t -f "$CONF")
printf 'config test peak RSS\n'
printf '  keepalived 2.2.7 -t : %8d kB\n' "$ka_kb"
printf '  keepalived-rs -t    : %8d kB\n' "$rs_kb"
printf '  ratio rs/keepalived : %8.3f\n' "$(echo "$rs_kb / $ka_kb" | bc -l)"

# The daemon's parent, which keeps the configuration for as long as it runs: its peak (the
# configuration is read in a copy of the parent that exits, so the parse's peak is not the
# parent's) and what it holds once started, beside keepalived's -t peak.
ip -n "$NS" addr add 10.9.0.1/24 dev eth0
ip netns exec "$NS" "$BIN" -n -l -G -f "$CONF" -p "$WORK/rs.pid" -r "$WORK/rs-v.pid" -c "$WORK/rs-c.pid" \
    --control-socket "$WORK/rs.sock" > "$WORK/rs.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -s "$WORK/rs.pid" ] && break; sleep 0.1; done
sleep 5
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon/status")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
kill "$daemon"; wait "$daemon" || true
printf "daemon's parent, 5 s after start\n"
printf '  peak (VmHWM)        : %8d kB   ratio to keepalived -t: %.3f (goal: <= 1)\n' "$hwm" "$(echo "$hwm / $ka_kb" | bc -l)"
printf '  held (VmRSS)        : %8d kB\n' "$rss"
