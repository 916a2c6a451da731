#!/usr/bin/env bash
# Reload at scale beside keepalived 2.2.7 (whose checker needs IPVS): both in turn inside
# the IPVS VM (see integration/vm/bench-reload-guest.sh). N real servers (2,000 by
# default: the VM's CPU may be emulated; keepalived issue #2318's size is N=36544). Also
# prints each daemon's start-up memory per real server (RSS at N beside N/8) and their ratio.
# Env: N, RELOADS (3), DELAY (delay_loop, 6 s). The daemons' logs are left in
# target/vm-reload-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
mkdir -p target/vm-reload-logs
IPVS_VM_BINS=keepalived IPVS_VM_MEM=${IPVS_VM_MEM:-1024} integration/vm/ipvs-vm.sh -d "$PWD" -t 1800 \
    integration/vm/bench-reload-guest.sh "$PWD/target/release/keepalived-rs" \
    "${N:-2000}" "${RELOADS:-3}" "${DELAY:-6}" "$PWD/target/vm-reload-logs"
