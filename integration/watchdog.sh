#!/usr/bin/env bash
# The watchdog: kill -9 of the master's VRRP child → restarted (from the program the
# parent runs, although its file has been replaced since), the VIP never leaves the
# master and the backup never becomes MASTER; kill -STOP of the child → detected as hung
# and replaced; SIGTERM of the parent → a clean stop that leaves nothing behind.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.79.0.100

conf() {
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 79\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$VIP"
}

start() {   # start NODE STATE PRIORITY [PROGRAM]
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "${4:-$BIN}" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

child_of() {   # the VRRP child's pid in NODE's namespace
    for p in $(ip netns pids "$PREFIX-$1"); do
        if tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -- '--child vrrp' >/dev/null; then echo "$p"; return; fi
    done
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

lan
node a 10.79.0.1/24
node b 10.79.0.2/24
start b BACKUP 100
# a runs from a copy of the program, which is then replaced by another program (as a
# package does before `keepalived-rs upgrade`): children must still be started from the
# program a runs.
cp "$BIN" "$WORKDIR/keepalived-rs"
start a MASTER 150 "$WORKDIR/keepalived-rs"
wait_addr a $VIP 10 || fail "a never became master"
cp /bin/true "$WORKDIR/replaced" && mv -f "$WORKDIR/replaced" "$WORKDIR/keepalived-rs"
sleep 1.5

# 1. kill -9 of the master's child.
old=$(child_of a)
[ -n "$old" ] || fail "no VRRP child on a"
[ "$(cat /proc/"$old"/comm)" = keepalived-rs ] || fail "the child is named $(cat /proc/"$old"/comm)"
kill -9 "$old"
end=$(( $(date +%s%N) + 6000000000 ))
while [ "$(date +%s%N)" -lt "$end" ]; do
    has_addr a $VIP || fail "the VIP left the master after its child was killed"
    has_addr b $VIP && fail "the backup took the VIP while the master's child restarted"
    sleep 0.02
done
new=$(child_of a)
[ -n "$new" ] && [ "$new" != "$old" ] || fail "the child was not restarted ($old -> $new)"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "the backup became MASTER"
echo "ok: kill -9 of the child: restarted ($old -> $new), the VIP stayed on the master, the backup stayed BACKUP"

# 2. kill -STOP of the child: detected as hung and replaced.
hung=$(child_of a)
kill -STOP "$hung"
end=$(( $(date +%s%N) + 8000000000 ))
while [ "$(date +%s%N)" -lt "$end" ]; do
    now=$(child_of a)
    [ -n "$now" ] && [ "$now" != "$hung" ] && break
    sleep 0.05
done
[ -n "$now" ] && [ "$now" != "$hung" ] || fail "a stopped child was not replaced"
grep -q "is not answering" "$WORKDIR/a.log" || fail "no hung-child log line"
wait_addr a $VIP 10 || fail "a did not hold the VIP after the hung child was replaced"
echo "ok: kill -STOP of the child: detected as hung and replaced ($hung -> $now)"

# 3. SIGTERM to the parent: priority 0, VIP removed, nothing left.
sleep 2
parent=$(cat "$WORKDIR/a.pid")
kill -TERM "$parent"
end=$(( $(date +%s%N) + 6000000000 ))
while [ -n "$(ip netns pids "$PREFIX-a")" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
[ -z "$(ip netns pids "$PREFIX-a")" ] || fail "processes left in a after SIGTERM: $(ip netns pids "$PREFIX-a")"
has_addr a $VIP && fail "the VIP is still on a after a clean stop"
[ -e "$WORKDIR/a.pid" ] && fail "the pid file is still there"
wait_addr b $VIP 3 || fail "b did not take over quickly after the priority-0 advert"
grep -q "Backup received priority 0 advertisement" "$WORKDIR/b.log" || fail "b saw no priority-0 advert"
echo "ok: SIGTERM: clean stop, VIP removed, pid file removed, b took over on the priority-0 advert"

# 4. child_wait_time: a stop waits that long for a child that does not stop, then kills it.
{ printf 'child_wait_time 1\n'; conf BACKUP 50; } > "$WORKDIR/a.conf"
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" -r "$WORKDIR/a.vpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
end=$(( $(date +%s%N) + 8000000000 ))
until grep -q "Entering BACKUP STATE" "$WORKDIR/a.log"; do
    [ "$(date +%s%N)" -lt "$end" ] || fail "a did not start again"
    sleep 0.05
done
stuck=$(child_of a)
kill -STOP "$stuck"
t0=$(date +%s%N)
kill -TERM "$(cat "$WORKDIR/a.pid")"
end=$(( t0 + 6000000000 ))
while [ -n "$(ip netns pids "$PREFIX-a")" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.02; done
took=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -z "$(ip netns pids "$PREFIX-a")" ] || fail "processes left in a: $(ip netns pids "$PREFIX-a")"
grep -q "VRRP child did not stop in 1 s (child_wait_time): killing it" "$WORKDIR/a.log" || fail "no child_wait_time line"
# 1 s, and well under keepalived's default 5 s.
[ "$took" -ge 1000 ] && [ "$took" -lt 4000 ] || fail "the stop took $took ms with child_wait_time 1"
echo "ok: child_wait_time 1: a stopped child was killed after 1 s, the daemon gone after $took ms"
