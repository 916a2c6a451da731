#!/usr/bin/env bash
# The checker at scale beside keepalived 2.2.7, which needs IPVS: both run in turn inside
# the IPVS VM (integration/vm/), N real servers (500 by default: the VM's CPU is emulated)
# with TCP_CHECK every second and their destinations programmed into IPVS.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v keepalived >/dev/null || { apt-get update -qq && apt-get install -y -qq keepalived >/dev/null; }
cargo build -q --release -p keepalived-rs
cargo build -q --release -p keepalived-rs --example tcp-sink
IPVS_VM_BINS=keepalived IPVS_VM_MEM=1024 integration/vm/ipvs-vm.sh -d "$PWD" -t 600 \
    integration/vm/bench-checker-guest.sh "$PWD/target/release/keepalived-rs" \
    "$PWD/target/release/examples/tcp-sink" "${N:-500}" "${WINDOW:-20}"
