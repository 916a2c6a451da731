#!/usr/bin/env bash
# The seed configurations with virtual servers, and the parity cases of
# integration/vm/parity/ (quorum and sorry servers, groups, fwmark, alpha, UDP with MISC
# checks, IPv6), run by keepalived 2.2.7 and by keepalived-rs in turn inside the IPVS VM
# (see integration/vm/seeds-guest.sh): the same IPVS table from both. Usage: integration/seeds.sh [path to keepalived-rs]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/debug/keepalived-rs}")
[ -x "$BIN" ] || { echo "build first: $BIN is missing" >&2; exit 2; }
command -v keepalived >/dev/null || apt-get install -y -qq keepalived >/dev/null
SEEDS=()
for f in crates/ka-config/tests/fixtures/seed/*.conf; do
    grep -q '^virtual_server' "$f" && SEEDS+=("$PWD/$f")
done
SEEDS+=("$PWD"/integration/vm/parity/*.conf)
# Two VMs side by side (each runs on one core), half of the configurations each.
half=$(( (${#SEEDS[@]} + 1) / 2 ))
OUT=$(mktemp -d /tmp/kars-seeds.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
IPVS_VM_BINS="keepalived nft" IPVS_VM_MODULES=nf_tables integration/vm/ipvs-vm.sh -d "$PWD" -t 900 \
    integration/vm/seeds-guest.sh "$BIN" "${SEEDS[@]:0:$half}" > "$OUT/1" 2>&1 &
one=$!
IPVS_VM_BINS="keepalived nft" IPVS_VM_MODULES=nf_tables integration/vm/ipvs-vm.sh -d "$PWD" -t 900 \
    integration/vm/seeds-guest.sh "$BIN" "${SEEDS[@]:$half}" > "$OUT/2" 2>&1 &
two=$!
rc=0
wait $one || rc=1
wait $two || rc=1
cat "$OUT/1" "$OUT/2"
exit $rc
