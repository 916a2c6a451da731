#!/usr/bin/env bash
# vm-pair.sh BIN: ipvs.sh and vrf.sh at once, a VM (and a core) each; both outputs are
# printed, ipvs.sh's first. Fails if either does.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/kars-vm-pair.XXXXXX)
trap 'rm -rf "$out"' EXIT
bash integration/timed.sh bash integration/ipvs.sh "$1" > "$out/ipvs" 2>&1 &
p=$!
bash integration/timed.sh bash integration/vrf.sh "$1" > "$out/vrf" 2>&1
rc=$?
wait $p || rc=1
cat "$out/ipvs" "$out/vrf"
exit $rc
