#!/usr/bin/env bash
# packaging/init.d/keepalived-rs on a host without systemd, in a network namespace with a
# backup node beside it: start, status, reload (no VIP deletion, `ip monitor` watching),
# a reload with errors (keeps running), restart, stop (the backup takes over), and the
# LSB exit codes (0, 3 not running, 6 not configured, 7 reload while stopped, 2 bad
# argument). The script runs as installed but for its paths (sed: the binary, the
# configuration, the pid file and the defaults files of this run).
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
# The exit codes are what is tested: no exit on the first non-zero one.
set +e
VIP=10.84.0.100

fail() {
    echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"
    for f in "$WORKDIR"/*.log "$WORKDIR"/monitor.*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}

conf() {   # conf PRIORITY STATE
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 84\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$2" "$1" "$VIP"
}

if [ ! -r /lib/lsb/init-functions ] || ! command -v start-stop-daemon >/dev/null; then
    echo "SKIP sysv: no /lib/lsb/init-functions or start-stop-daemon"
    exit 0
fi
# On a host run by systemd, init-functions hands the script over to systemctl.
if [ -d /run/systemd/system ]; then
    echo "SKIP sysv: systemd runs this host (the LSB functions redirect to systemctl)"
    exit 0
fi

lan
node a 10.84.0.1/24
node b 10.84.0.2/24
conf 150 MASTER > "$WORKDIR/a.conf"
conf 100 BACKUP > "$WORKDIR/b.conf"
printf 'DAEMON_ARGS="-D -r %s -c %s --control-socket %s"\n' \
    "$WORKDIR/a.vpid" "$WORKDIR/a.cpid" "$WORKDIR/a.sock" > "$WORKDIR/default-rs"
sed -e "s|^DAEMON=.*|DAEMON=$BIN|" \
    -e "s|^CONFIG=.*|CONFIG=$WORKDIR/a.conf|" \
    -e "s|^PIDFILE=.*|PIDFILE=$WORKDIR/a.pid|" \
    -e "s|^DEFAULTS=.*|DEFAULTS=\"$WORKDIR/default-none $WORKDIR/default-rs\"|" \
    packaging/init.d/keepalived-rs > "$WORKDIR/init"
chmod 755 "$WORKDIR/init"
# Alive and not a zombie (the daemon detaches; whoever inherits it may reap it late).
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
init() { ip netns exec "$PREFIX-a" "$WORKDIR/init" "$@" >> "$WORKDIR/init.log" 2>&1; }

ip netns exec "$PREFIX-b" "$BIN" -n -l -f "$WORKDIR/b.conf" -p "$WORKDIR/b.pid" -r "$WORKDIR/b.vpid" \
    --control-socket "$WORKDIR/b.sock" > "$WORKDIR/b.log" 2>&1 &
PIDS+=($!); disown $!
# Every address change on both nodes, from before the start to the end.
for n in a b; do
    ip -n "$PREFIX-$n" monitor address > "$WORKDIR/monitor.$n" 2>&1 &
    PIDS+=($!); disown $!
done

# ---- status before start, start, status ---------------------------------------------------
init status; rc=$?
[ $rc -eq 3 ] || fail "status before start: $rc (LSB: 3)"
init start; rc=$?
[ $rc -eq 0 ] || fail "start: $rc"
init status; rc=$?
[ $rc -eq 0 ] || fail "status after start: $rc"
pid=$(cat "$WORKDIR/a.pid")
alive "$pid" || fail "no daemon"
init start; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$WORKDIR/a.pid")" = "$pid" ] || fail "a second start: $rc, pid $(cat "$WORKDIR/a.pid")"
wait_addr a $VIP 10 || fail "a never became master"
echo "ok: start (0), status (0; 3 before), a second start changes nothing; a is master"
sleep 1.5

# ---- reload, then a reload with errors ----------------------------------------------------
init reload; rc=$?
[ $rc -eq 0 ] || fail "reload: $rc"
sleep 2
printf 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n}\n' > "$WORKDIR/a.conf"
init force-reload; rc=$?
[ $rc -eq 0 ] || fail "force-reload: $rc"
sleep 2
alive "$pid" || fail "the daemon stopped on a reload with errors"
init status || fail "status after a bad reload"
has_addr a $VIP || fail "the VIP left a"
grep -q "Deleted.*$VIP" "$WORKDIR/monitor.a" && fail "ip monitor saw the VIP deleted on a during the reloads"
grep -q "$VIP" "$WORKDIR/monitor.b" && fail "ip monitor saw the VIP on b during the reloads"
echo "ok: reload and force-reload (0): no VIP deletion (ip monitor on both nodes); a reload with errors keeps the daemon"
conf 150 MASTER > "$WORKDIR/a.conf"

# ---- restart: a new daemon, master again ---------------------------------------------------
init restart; rc=$?
[ $rc -eq 0 ] || fail "restart: $rc"
new=$(cat "$WORKDIR/a.pid")
[ "$new" != "$pid" ] && alive "$new" || fail "restart: pid $pid -> $new"
wait_addr a $VIP 10 || fail "a not master after restart"
echo "ok: restart (0): pid $pid -> $new, master again"

# ---- stop: the backup takes over at once (priority 0) -------------------------------------
t0=$(now_ms)
init stop; rc=$?
[ $rc -eq 0 ] || fail "stop: $rc"
alive "$new" && fail "the daemon survived stop"
wait_addr b $VIP 3 || fail "b did not take over"
took=$(( $(now_ms) - t0 ))
has_addr a $VIP && fail "the VIP stayed on a"
init status; rc=$?
[ $rc -eq 3 ] || fail "status after stop: $rc (LSB: 3)"
init stop; rc=$?
[ $rc -eq 0 ] || fail "stop when stopped: $rc"
echo "ok: stop (0; again 0): b master $took ms after (priority 0), status 3"

# ---- LSB codes ---------------------------------------------------------------------------
init reload; rc=$?
[ $rc -eq 7 ] || fail "reload while stopped: $rc (LSB: 7)"
mv "$WORKDIR/a.conf" "$WORKDIR/a.conf.away"
init start; rc=$?
[ $rc -eq 6 ] || fail "start without a configuration: $rc (LSB: 6)"
mv "$WORKDIR/a.conf.away" "$WORKDIR/a.conf"
init frobnicate; rc=$?
[ $rc -eq 2 ] || fail "an unknown action: $rc (LSB: 2)"
echo "ok: reload while stopped 7, no configuration 6, unknown action 2"
echo "PASS sysv"
