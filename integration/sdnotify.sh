#!/usr/bin/env bash
# systemd's notify protocol as a Type=notify unit with WatchdogSec sees it, without
# systemd: a datagram socket stands in for the service manager (python3), the daemon runs
# in a namespace with NOTIFY_SOCKET and WATCHDOG_USEC set. Checked: READY=1 only once the
# VRRP child has loaded the configuration, a STATUS= line naming the instance's state,
# WATCHDOG=1 at half the interval and none while the parent is stopped, RELOADING=1 with
# MONOTONIC_USEC then READY=1 around a reload, a refused reload saying why, STOPPING=1,
# no NOTIFY_SOCKET in the children, and a start that cannot succeed exiting non-zero
# without READY.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.83.0.100
OUT=$WORKDIR/manager.out

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- datagrams"; cat "$OUT"; echo "--- log"; cat "$WORKDIR/a.log"; exit 1; }

manager() {   # manager SOCKET OUT: every datagram as one line, its newlines as '|'
    python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    d = s.recv(4096).decode(errors="replace")
    out.write(d.replace("\n", "|") + "\n")
' "$1" "$2" &
    PIDS+=($!)
    disown $!
    local i=0
    while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
}

wait_dgram() {   # wait_dgram REGEX TIMEOUT_S [AFTER_LINE]: a datagram matching REGEX
    local end=$(( $(now_ms) + $2 * 1000 )) from=${3:-0}
    while ! tail -n +"$((from + 1))" "$OUT" | grep -qE "$1"; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.02
    done
}
lines() { wc -l < "$OUT"; }

conf() {
    printf 'vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 83\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$VIP"
}

lan
node a 10.83.0.1/24
manager "$WORKDIR/notify.sock" "$OUT"

# ---- a start that cannot succeed: non-zero, no READY ----------------------------------
set +e
ip netns exec "$PREFIX-a" env NOTIFY_SOCKET="$WORKDIR/notify.sock" timeout 20 \
    "$BIN" -n -l -f "$WORKDIR/missing.conf" -p "$WORKDIR/bad.pid" > "$WORKDIR/a.log" 2>&1
code=$?
set -e
[ "$code" -ne 0 ] && [ "$code" -ne 124 ] || fail "a missing configuration: exit $code"
sleep 0.2
grep -q READY "$OUT" && fail "READY=1 sent by a start that failed"
echo "ok: a missing configuration: exit $code, no READY=1"

# ---- start --------------------------------------------------------------------------
conf > "$WORKDIR/a.conf"
ip netns exec "$PREFIX-a" env NOTIFY_SOCKET="$WORKDIR/notify.sock" WATCHDOG_USEC=1000000 \
    "$BIN" -n -l -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" -r "$WORKDIR/a.vpid" \
    --control-socket "$WORKDIR/control.sock" > "$WORKDIR/a.log" 2>&1 &
KA=$!
PIDS+=($KA)
disown $KA
wait_dgram '^READY=1' 10 || fail "no READY=1"
grep -q "Starting VRRP child process" "$WORKDIR/a.log" || fail "READY=1 before the VRRP child started"
child=$(cat "$WORKDIR/a.vpid" 2>/dev/null)
[ -n "$child" ] && kill -0 "$child" || fail "READY=1 without a running VRRP child"
grep -m1 '^READY=1' "$OUT" | grep -q "MAINPID=$KA" || fail "READY=1 without MAINPID=$KA"
echo "ok: READY=1 (MAINPID=$KA) once the VRRP child had loaded the configuration"
tr '\0' '\n' < "/proc/$child/environ" | grep -q '^NOTIFY_SOCKET=' && fail "the VRRP child inherited NOTIFY_SOCKET"
echo "ok: the children do not inherit NOTIFY_SOCKET"
wait_addr a $VIP 10 || fail "never MASTER"
wait_dgram '^STATUS=VI_1 MASTER$|STATUS=VI_1 MASTER$' 5 || fail "no STATUS= with VI_1 MASTER"
echo "ok: $(grep -E 'STATUS=VI_1 MASTER' "$OUT" | tail -1 | sed 's/.*STATUS=/STATUS=/')"

# ---- watchdog: every 0.5 s while the loop runs, none while the parent is stopped --------
sleep 2
n0=$(grep -c '^WATCHDOG=1$' "$OUT")
sleep 2
n1=$(grep -c '^WATCHDOG=1$' "$OUT")
# 2 s at one per 0.5 s: 4, and at least 2 on a loaded machine
[ $((n1 - n0)) -ge 2 ] && [ $((n1 - n0)) -le 5 ] || fail "WATCHDOG=1 $((n1 - n0)) times in 2 s (WATCHDOG_USEC=1 s)"
echo "ok: WATCHDOG=1 $((n1 - n0)) times in 2 s with WATCHDOG_USEC=1000000"
kill -STOP "$KA"
sleep 0.3
n0=$(grep -c '^WATCHDOG=1$' "$OUT")
sleep 1.5
n1=$(grep -c '^WATCHDOG=1$' "$OUT")
kill -CONT "$KA"
[ "$n0" -eq "$n1" ] || fail "WATCHDOG=1 sent while the parent was stopped"
wait_dgram '^WATCHDOG=1$' 3 "$(lines)" || fail "no WATCHDOG=1 after SIGCONT"
echo "ok: no WATCHDOG=1 while the parent was stopped (systemd would restart it); resumed after"

# ---- reload ---------------------------------------------------------------------------
mark=$(lines)
kill -HUP "$KA"
wait_dgram '^RELOADING=1\|MONOTONIC_USEC=[0-9]+' 5 "$mark" || fail "no RELOADING=1 with MONOTONIC_USEC"
wait_dgram '^READY=1' 10 "$mark" || fail "no READY=1 after the reload"
has_addr a $VIP || fail "the VIP left during the reload"
echo "ok: SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1"
mark=$(lines)
printf 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n}\n' > "$WORKDIR/a.conf"
kill -HUP "$KA"
wait_dgram '^READY=1.*STATUS=Reload refused' 10 "$mark" || fail "a refused reload did not say why"
kill -0 "$KA" || fail "the daemon stopped on a bad reload"
has_addr a $VIP || fail "the VIP left on a bad reload"
echo "ok: a bad reload: $(tail -n +"$((mark + 1))" "$OUT" | grep -m1 'STATUS=Reload refused' | sed 's/.*STATUS=/STATUS=/')"

# ---- stop -----------------------------------------------------------------------------
kill -TERM "$KA"
wait_dgram '^STOPPING=1' 5 || fail "no STOPPING=1"
i=0; while kill -0 "$KA" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$KA" 2>/dev/null && fail "did not stop"
echo "ok: SIGTERM: STOPPING=1"
echo "PASS sdnotify"
