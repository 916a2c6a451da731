#!/usr/bin/env bash
# The checker child programming a real kernel's IPVS table. This machine's kernel has no
# IPVS, so the test runs in a throwaway VM (QEMU, Debian's 6.1 kernel, no network device:
# nothing leaves it) with the work tree shared over 9p; integration/vm/ipvs-guest.sh is
# the test itself. Usage: integration/ipvs.sh [path to keepalived-rs]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/debug/keepalived-rs}")
[ -x "$BIN" ] || { echo "build first: $BIN is missing" >&2; exit 2; }
exec integration/vm/ipvs-vm.sh -d "$PWD" -t 900 integration/vm/ipvs-guest.sh "$BIN"
