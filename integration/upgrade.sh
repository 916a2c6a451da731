#!/usr/bin/env bash
# An upgrade in place, as the package runs it after replacing the executable: the master's
# executable is replaced on disk (a new file), `keepalived-rs upgrade` asks the running
# daemon to take it. Checked with `ip monitor` on both nodes and a client pinging the VIP:
# the parent keeps its PID and runs the new file (/proc/PID/exe), the children are new, no
# VIP is deleted anywhere, the backup never becomes master, no real server is notified
# again. Then the refusals that leave the daemon as it was: an executable that is not a
# keepalived-rs, and a configuration with errors. Last, SIGTERM to the upgraded daemon:
# a clean stop, the backup takes over.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
TCP_SINK=${TCP_SINK:-$PWD/target/release/examples/tcp-sink}
source integration/lib.sh
VIP=10.85.0.100

fail() {
    echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"
    for f in "$WORKDIR"/a.log "$WORKDIR"/b.log "$WORKDIR"/monitor.* "$WORKDIR"/notes; do
        [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }
    done
    exit 1
}
[ -x "$TCP_SINK" ] || { echo "build the examples first: $TCP_SINK" >&2; exit 2; }

conf() {   # conf STATE PRIORITY
    cat <<EOF
global_defs {
    enable_script_security
    script_user root
}
vrrp_instance VI_1 {
    state $1
    interface eth0
    virtual_router_id 85
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
virtual_server 10.85.0.200 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.85.0.1 8080 {
        notify_up "$WORKDIR/note up"
        notify_down "$WORKDIR/note down"
        TCP_CHECK {
            connect_timeout 1
            alpha
        }
    }
}
EOF
}

lan
node a 10.85.0.1/24
node b 10.85.0.2/24
node client 10.85.0.50/24
printf '#!/bin/sh\necho "$(date +%%s.%%N) $1" >> %s/notes\n' "$WORKDIR" > "$WORKDIR/note"
chmod 755 "$WORKDIR/note"
ip netns exec "$PREFIX-a" "$TCP_SINK" 10.85.0.1:8080 > /dev/null 2>&1 &
PIDS+=($!); disown $!

# The master runs a copy of the executable, as an installed package would.
mkdir -p "$WORKDIR/bin"
cp "$BIN" "$WORKDIR/bin/keepalived-rs"
A="$WORKDIR/bin/keepalived-rs"
conf MASTER 150 > "$WORKDIR/a.conf"
conf BACKUP 100 > "$WORKDIR/b.conf"
start() {   # start NODE EXE
    ip netns exec "$PREFIX-$1" "$2" -n -l -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" \
        -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" --control-socket "$WORKDIR/$1.sock" \
        > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!); disown $!
    eval "PID_$1=$!"
}
start b "$BIN"
start a "$A"
wait_addr a $VIP 10 || fail "a never became master"
for n in a b; do
    ip -n "$PREFIX-$n" monitor address > "$WORKDIR/monitor.$n" 2>&1 &
    PIDS+=($!); disown $!
done
ip netns exec "$PREFIX-client" ping -D -i 0.05 -W 1 $VIP > "$WORKDIR/ping.log" 2>&1 &
PIDS+=($!); disown $!
i=0; while ! grep -q up "$WORKDIR/notes" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q up "$WORKDIR/notes" || fail "the real server never came up"
sleep 2
notes_before=$(wc -l < "$WORKDIR/notes")
vpid=$(cat "$WORKDIR/a.vpid"); cpid=$(cat "$WORKDIR/a.cpid")

# ---- the upgrade ------------------------------------------------------------------------
cp "$BIN" "$A.new" && mv -f "$A.new" "$A"   # a new file at the same path, as dpkg does
ino=$(stat -c %i "$A")
t0=$(now_ms)
out=$("$A" upgrade --control-socket "$WORKDIR/a.sock" 2>&1) || fail "keepalived-rs upgrade: $out"
took=$(( $(now_ms) - t0 ))
kill -0 "$PID_a" || fail "the daemon is gone"
[ "$(stat -L -c %i "/proc/$PID_a/exe")" = "$ino" ] || fail "/proc/$PID_a/exe is not the new file: $(readlink "/proc/$PID_a/exe")"
sleep 0.5
nv=$(cat "$WORKDIR/a.vpid"); nc=$(cat "$WORKDIR/a.cpid")
[ "$nv" != "$vpid" ] && kill -0 "$nv" || fail "the VRRP child was not replaced ($vpid -> $nv)"
[ "$nc" != "$cpid" ] && kill -0 "$nc" || fail "the checker child was not replaced ($cpid -> $nc)"
kill -0 "$vpid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$vpid/stat" 2>/dev/null)" != Z ] && fail "the old VRRP child still runs"
echo "ok: upgraded in $took ms: $out"
echo "ok: same pid $PID_a, /proc/PID/exe is the new file, children replaced (vrrp $vpid -> $nv, checker $cpid -> $nc)"
sleep 4   # the backup's master-down interval (3 s + skew) passes: a takeover would show
has_addr a $VIP || fail "the VIP left the master"
grep -q "Deleted.*$VIP" "$WORKDIR/monitor.a" && fail "ip monitor: the VIP was deleted on a"
grep -q "$VIP" "$WORKDIR/monitor.b" && fail "ip monitor: the VIP appeared on b"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "the backup became MASTER"
[ "$(wc -l < "$WORKDIR/notes")" = "$notes_before" ] || fail "a real server was notified again: $(tail -3 "$WORKDIR/notes")"
st=$("$A" status --json --control-socket "$WORKDIR/a.sock")
[[ "$st" == *'"upgrades":1'* ]] && [[ "$st" == *'"last_upgrade":{"time":'*'"result":"complete"}'* ]] \
    || fail "status after the upgrade: ${st:0:400}"
echo "ok: no VIP deletion on either node (ip monitor), the backup stayed BACKUP, no notify_up/down again; status: upgrades 1, complete"

# ---- refusals: the daemon runs on as it was ----------------------------------------------
printf '#!/bin/sh\necho "not keepalived-rs"\n' > "$A.new"; chmod 755 "$A.new"; mv -f "$A.new" "$A"
out=$("$BIN" upgrade --control-socket "$WORKDIR/a.sock" 2>&1) && fail "an upgrade to a non-keepalived-rs succeeded: $out"
[[ "$out" == *"refused"* ]] || fail "no refusal: $out"
[ "$(stat -L -c %i "/proc/$PID_a/exe")" = "$ino" ] || fail "the refused upgrade changed the running executable"
[ "$(cat "$WORKDIR/a.vpid")" = "$nv" ] || fail "the refused upgrade replaced the VRRP child"
echo "ok: an executable that is not keepalived-rs: refused ($out)"
cp "$BIN" "$A.new" && mv -f "$A.new" "$A"
cp "$WORKDIR/a.conf" "$WORKDIR/a.conf.good"
printf 'vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 300\n}\n' >> "$WORKDIR/a.conf"
out=$("$A" upgrade --control-socket "$WORKDIR/a.sock" 2>&1) && fail "an upgrade with a bad configuration succeeded: $out"
[[ "$out" == *"finds errors in the configuration"* ]] || fail "no reason given: $out"
[ "$(cat "$WORKDIR/a.vpid")" = "$nv" ] || fail "the refused upgrade replaced the VRRP child"
cp "$WORKDIR/a.conf.good" "$WORKDIR/a.conf"
echo "ok: a configuration with errors: refused ($out)"
has_addr a $VIP || fail "the VIP left during the refusals"
grep -q "Deleted.*$VIP" "$WORKDIR/monitor.a" && fail "ip monitor: the VIP was deleted on a"

# ---- the upgraded daemon stops as any other ------------------------------------------------
kill -TERM "$PID_a"
wait_addr b $VIP 3 || fail "b did not take over after SIGTERM of the upgraded daemon"
i=0; while kill -0 "$PID_a" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$PID_a" 2>/dev/null && fail "the upgraded daemon did not stop"
kill -0 "$nv" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$nv/stat" 2>/dev/null)" != Z ] && fail "its VRRP child survived"
echo "ok: SIGTERM to the upgraded daemon: a clean stop, b took over at once"
echo "PASS upgrade"
