#!/usr/bin/env bash
# vrrp_track_process in a VRRP instance (weight 0: no process, FAULT), in a network
# namespace, where keepalived's process events do not reach (keepalived-rs reads /proc
# every second): the process running at start, the instance MASTER; the process killed,
# FAULT and the VIP removed; started again, MASTER; a reload while it runs leaves the VIP
# in place (ip monitor); a second tracker with quorum 2 and terminate_delay adds its
# weight only while two processes run, and a restart within the delay changes nothing.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- notify"; cat "$WORKDIR/notify.out" 2>/dev/null; echo "--- log"; tail -30 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.74.0.1/24
# Processes with names of their own (/proc/PID/comm, at most 15 characters).
P1=kp1$RUN_ID; P2=kp2$RUN_ID
cp /bin/sleep "$WORKDIR/$P1"; cp /bin/sleep "$WORKDIR/$P2"
run_proc() {   # run_proc NAME: one more such process; its pid in $!
    "$WORKDIR/$1" 1000 &
    PIDS+=($!); disown $!
}
printf '#!/bin/sh\necho "$*" >> %s/notify.out\n' "$WORKDIR" > "$WORKDIR/notify.sh"
chmod 755 "$WORKDIR/notify.sh"
cat > "$WORKDIR/a.conf" <<CONF
vrrp_track_process tp_gate {
    process $P1
}
vrrp_track_process tp_pair {
    process $P2
    quorum 2
    weight 10
    terminate_delay 3
}
vrrp_instance VI_P {
    state BACKUP
    interface eth0
    virtual_router_id 74
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.74.0.100/24
    }
    track_process {
        tp_gate
        tp_pair
    }
    notify $WORKDIR/notify.sh
}
CONF
run_proc "$P1"; gate=$!
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" \
    -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_line "INSTANCE VI_P MASTER 100" 8 >/dev/null || fail "no MASTER with $P1 running"
echo "ok: $P1 running at start: VI_P MASTER"

kill "$gate"
t0=$(now_ms)
wait_line "INSTANCE VI_P FAULT 100" 4 >/dev/null || fail "VI_P did not go to FAULT when $P1 was killed"
has_addr a 10.74.0.100 && fail "the VIP stayed in FAULT"
grep -q "Quorum lost for tracked process tp_gate" "$WORKDIR/a.log" || fail "no 'Quorum lost' line"
echo "ok: $P1 killed: VI_P FAULT, VIP removed ($(( $(now_ms) - t0 )) ms; /proc is read every second)"
run_proc "$P1"
: > "$WORKDIR/notify.out"
wait_line "INSTANCE VI_P MASTER 100" 8 >/dev/null || fail "VI_P did not come back when $P1 ran again"
echo "ok: $P1 started again: VI_P MASTER"

# A reload (the text changed: a successor starts): the successor's trackers have their results before its instances start.
ip -n "$PREFIX-a" -t monitor address > "$WORKDIR/a.mon" 2>&1 &
PIDS+=($!); disown $!
sleep 0.3
retouch "$WORKDIR/a.conf"
kill -HUP "$(cat "$WORKDIR/a.pid")"
end=$(( $(now_ms) + 10000 ))
until grep -q "Reload complete" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "no 'Reload complete'"
    sleep 0.05
done
sleep 2.5
grep -q "Deleted.*10.74.0.100" "$WORKDIR/a.mon" && fail "the reload removed the VIP: $(cat "$WORKDIR/a.mon")"
has_addr a 10.74.0.100 || fail "the VIP is gone after the reload"
echo "ok: a reload with $P1 running: the VIP never left (ip monitor)"

# quorum 2, weight 10: +10 only while two run; one restarted within terminate_delay 3:
# no change.
run_proc "$P2"; first=$!
run_proc "$P2"
end=$(( $(now_ms) + 4000 ))
until grep -q "(VI_P) Changing effective priority from 100 to 110" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "two $P2 did not add tp_pair's weight"
    sleep 0.05
done
kill "$first"
sleep 1.5
run_proc "$P2"
sleep 3
grep -q "(VI_P) Changing effective priority from 110" "$WORKDIR/a.log" \
    && fail "a restart within terminate_delay changed the priority"
echo "ok: tp_pair (quorum 2, weight 10): +10 with two running; one restarted within terminate_delay: no change"
