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
IPVS_VM_BINS=keepalived exec integration/vm/ipvs-vm.sh -d "$PWD" -t 900 \
    integration/vm/seeds-guest.sh "$BIN" "${SEEDS[@]}"
