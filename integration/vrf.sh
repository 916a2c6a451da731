#!/usr/bin/env bash
# vrf and use_ipvlan (see integration/vm/vrf-guest.sh), in the VM: the host's kernel has
# neither the vrf nor the ipvlan module. keepalived 2.2.7 runs the ipvlan case too.
# Usage: integration/vrf.sh [path to keepalived-rs]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/keepalived-rs}")
[ -x "$BIN" ] || { echo "build first: $BIN is missing" >&2; exit 2; }
command -v keepalived >/dev/null || apt-get install -y -qq keepalived >/dev/null
KEEPALIVED=keepalived IPVS_VM_ENV=KEEPALIVED IPVS_VM_BINS="keepalived" \
    IPVS_VM_MODULES="vrf ipvlan macvlan veth" \
    exec integration/vm/ipvs-vm.sh -d "$PWD" -t 300 integration/vm/vrf-guest.sh "$BIN"
