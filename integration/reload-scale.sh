#!/usr/bin/env bash
# Reload with thousands of real servers: bench/reload.sh at 150 virtual servers x 16 real
# servers (2,400 TCP_CHECKs, every one down). Their states travel to the successor in a
# message longer than one datagram (a reload with more than about 1,100 real servers used
# to stop the daemon: "message of 90371 bytes is too large"). Fails when the daemon goes,
# when any real server is logged down again after an unchanged reload, or when a server
# added by a reload is not logged down exactly once.
set -euo pipefail
cd "$(dirname "$0")/.."
VS=150 RS=16 DELAY=1 exec bash bench/reload.sh
