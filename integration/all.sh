#!/usr/bin/env bash
# all.sh: every integration script, as `make integration` runs them (root; the release
# binary and the examples built first).
#
# Two lanes run at once:
# - the namespace scenarios, one after the other (stops at the first that fails), then
#   the VM scripts: ipvs.sh beside vrf.sh (vm-pair.sh), then seeds.sh (QEMU without KVM
#   here: a core each, their guests' margins are for an otherwise quiet host);
# - beside them, interop.sh (two idle daemons beside keepalived 2.2.7, 150 s of waiting
#   on VRRP timers), scenarios.sh and dualnet.sh, and the short single-node scripts, one
#   after the other (the two lanes take about as long).
# Every namespace script passed five runs in a row beside two busy loops, a heavier load
# than the other lane puts on it. Each lane's output is printed when it ends, with each
# script's time (integration/timed.sh) and the lane's total.
set -u
cd "$(dirname "$0")/.."

logs=$(mktemp -d /tmp/keepalived-rs-integration.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null; done; rm -rf "$logs"' EXIT

# lane NAME SCRIPT...: runs the scripts in order in its own process group; stops at the
# first failure when STOP=1.
lane() {
    local name=$1 stop=$2
    shift 2
    local t0 rc=0 s
    t0=$(date +%s)
    for s in "$@"; do
        bash integration/timed.sh bash integration/$s || { rc=1; [ "$stop" = 1 ] && break; }
    done
    printf '== lane %s: %d s (exit %d)\n' "$name" $(( $(date +%s) - t0 )) "$rc"
    return $rc
}

bash integration/demo.sh > "$logs/demo" 2>&1 || { cat "$logs/demo"; exit 1; }
make -s package > "$logs/package" 2>&1 || { cat "$logs/package"; exit 1; }

set -m
lane short 0 interop.sh scenarios.sh dualnet.sh trackfile.sh trackprocess.sh buffers.sh \
    nftables.sh netns.sh srcip.sh noif.sh garp.sh linkdelay.sh vmacaddr.sh package.sh \
    > "$logs/short" 2>&1 &
pids+=($!)
set +m

rc=0
lane namespaces 1 watchdog.sh sdnotify.sh upgrade.sh process.sh install.sh sysv.sh \
    signals.sh crashes.sh interfaces.sh status.sh prometheus.sh load.sh reload.sh \
    reload-scale.sh failover.sh checker.sh checks.sh nginx.sh || rc=1
[ "$rc" = 0 ] && { lane vm 0 "vm-pair.sh target/release/keepalived-rs" \
    "seeds.sh target/release/keepalived-rs" || rc=1; }
for p in "${pids[@]}"; do
    wait "$p" || rc=1
done
pids=()
cat "$logs/short"
exit $rc
