#!/usr/bin/env bash
# Repeated crashes of the master's VRRP child, watched with `ip monitor` on both nodes:
# 1. ten SIGKILLs 2.5 s apart (keepalived's back-off would leave the VIP up without adverts
#    for 1, 2, 4, 8… s): each successor starts at once and resumes as MASTER, so the VIP
#    never leaves the master and never reaches the backup;
# 1b. a child made slow (stopped 1 s) while the parent is stopped longer than the hang
#    timeout: no restart;
# 1c. three SIGSTOPs of 4 s: the parent sends the stopped child's adverts, then replaces
#    it; the VIP never moves;
# 2. a crash loop (each successor killed as soon as it appears): after three quick deaths
#    the parent releases the VIP, the backup takes over within its master-down interval,
#    and the two never hold the VIP together (a's release comes first);
# 3. a SIGKILL of the parent alone: the children stop cleanly (priority 0), the backup
#    takes over after its skew time.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.84.0.100

conf() {
    printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 84\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$1" "$2" "$VIP"
}

start() {   # start NODE STATE PRIORITY
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

monitor() {   # ip monitor of NODE's addresses, timestamped
    ip -n "$PREFIX-$1" -t monitor address >> "$WORKDIR/$1.mon" 2>&1 &
    PIDS+=($!)
    disown $!
}

child_of() {   # the VRRP child's pid in NODE's namespace
    for p in $(ip netns pids "$PREFIX-$1"); do
        if tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -- '--child vrrp' >/dev/null; then echo "$p"; return; fi
    done
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.mon; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

lan
node a 10.84.0.1/24
node b 10.84.0.2/24
monitor a
monitor b
start b BACKUP 100
start a MASTER 150
wait_addr a $VIP 10 || fail "a never became master"
sleep 0.2
grep -aq "$VIP" "$WORKDIR/a.mon" || fail "ip monitor on a did not see the VIP arrive: the checks below would prove nothing"
sleep 1.5
: > "$WORKDIR/a.mon"; : > "$WORKDIR/b.mon"

# 1. Ten kills 2.5 s apart.
for n in $(seq 1 10); do
    old=$(child_of a)
    [ -n "$old" ] || fail "no VRRP child on a before kill $n"
    kill -9 "$old"
    sleep 2.5
done
new=$(child_of a)
[ -n "$new" ] || fail "no VRRP child on a after the kills"
grep -aq "$VIP" "$WORKDIR/a.mon" && fail "the VIP moved on the master: $(grep -a "$VIP" "$WORKDIR/a.mon")"
grep -aq "$VIP" "$WORKDIR/b.mon" && fail "the VIP reached the backup: $(grep -a "$VIP" "$WORKDIR/b.mon")"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "the backup became MASTER"
echo "ok: ten SIGKILLs of the master's VRRP child 2.5 s apart: restarted at once each time, the VIP never moved (ip monitor on both nodes)"

# 1b. A slow child while the parent is stopped for longer than the hang timeout (2 s):
#     the parent does not count the time it did not run, reads what the child sent
#     before it judges, and restarts nothing.
parent=$(cat "$WORKDIR/a.pid")
slow=$(child_of a)
restarts=$(grep -c "Starting VRRP child process" "$WORKDIR/a.log")
kill -STOP "$parent"
kill -STOP "$slow"; sleep 1; kill -CONT "$slow"
sleep 2.5
kill -CONT "$parent"
sleep 2
[ "$(child_of a)" = "$slow" ] || fail "the child was replaced although only the parent was stopped long"
[ "$(grep -c "Starting VRRP child process" "$WORKDIR/a.log")" = "$restarts" ] || fail "a child was restarted"
grep -q "is not answering" "$WORKDIR/a.log" && fail "the parent judged the slow child hung"
echo "ok: a child stopped 1 s while the parent was stopped 3.5 s: no restart"

# 1c. Three SIGSTOPs of the master's VRRP child, each longer than the hang timeout (2 s)
#     and than the backup's master-down interval (3.6 s): after 1 s of silence the parent
#     sends the child's adverts itself, at 2 s it replaces the child, whose successor
#     resumes as MASTER: the VIP never moves.
: > "$WORKDIR/a.mon"; : > "$WORKDIR/b.mon"
for n in 1 2 3; do
    hung=$(child_of a)
    kill -STOP "$hung"
    sleep 4
    kill -CONT "$hung" 2>/dev/null || true
    now=$(child_of a)
    [ -n "$now" ] && [ "$now" != "$hung" ] || fail "SIGSTOP $n: the stopped child was not replaced"
    sleep 1
done
grep -q "sending the adverts of its 1 MASTER instance" "$WORKDIR/a.log" || fail "the parent did not stand in for the stopped child"
grep -aq "$VIP" "$WORKDIR/a.mon" && fail "the VIP moved on the master during the SIGSTOPs: $(grep -a "$VIP" "$WORKDIR/a.mon")"
grep -aq "$VIP" "$WORKDIR/b.mon" && fail "the VIP reached the backup during the SIGSTOPs: $(grep -a "$VIP" "$WORKDIR/b.mon")"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "the backup became MASTER during the SIGSTOPs"
echo "ok: three SIGSTOPs of 4 s: the parent advertised for the stopped child, then replaced it; the VIP never moved"

# 2. A crash loop: every successor killed as soon as it appears.
t0=$(now_ms)
end=$(( t0 + 15000 ))
released=
while [ "$(now_ms)" -lt "$end" ]; do
    p=$(child_of a)
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null
    if grep -q "releasing the VIPs" "$WORKDIR/a.log"; then released=$(now_ms); break; fi
    sleep 0.02
done
[ -n "$released" ] || fail "the parent did not release the VIPs in a crash loop"
has_addr a $VIP && fail "the VIP is still on a after the release"
wait_addr b $VIP 5 || fail "b did not take the VIP after a released it"
took=$(( $(now_ms) - released ))
echo "ok: crash loop: after three quick deaths the parent released the VIP; b took it ${took} ms later (its master-down interval: 3.6 s after the last advert)"
# The two never held the VIP together: a's removal comes before b's addition.
grep -aq "Deleted.*$VIP" "$WORKDIR/a.mon" || fail "no removal of the VIP in a's ip monitor"
kill -0 "$(cat "$WORKDIR/a.pid")" || fail "a's parent is gone"
echo "ok: a's parent runs on; its next VRRP child waits for keepalived's back-off"

# 3. A SIGKILL of the parent alone: its children stop as on SIGTERM (PDEATHSIG): priority
#    0 and the VIP removed, so the backup takes over after its skew time, not after the
#    master-down interval, and the two never hold the VIP together.
kill -9 "$(cat "$WORKDIR/a.pid")"
sleep 0.5
old=$(child_of a); [ -n "$old" ] && kill -9 "$old" 2>/dev/null || true
start a MASTER 150
wait_addr a $VIP 10 || fail "a did not take the VIP back after its restart"
sleep 1.5
: > "$WORKDIR/a.mon"; : > "$WORKDIR/b.mon"
t0=$(now_ms)
kill -9 "$(cat "$WORKDIR/a.pid")"
wait_addr b $VIP 5 || fail "b did not take over after a's parent was killed"
took=$(( $(now_ms) - t0 ))
# Skew_Time for priority 100 is 609 ms; the master-down interval 3.6 s.
[ "$took" -lt 1500 ] || fail "b took over $took ms after the kill: not on a priority-0 advert"
end=$(( $(now_ms) + 2000 ))
while has_addr a $VIP; do [ "$(now_ms)" -lt "$end" ] || fail "a kept the VIP after its parent was killed"; sleep 0.02; done
grep -q "Backup received priority 0 advertisement" "$WORKDIR/b.log" || fail "b saw no priority-0 advert"
echo "ok: SIGKILL of the parent: the children stopped cleanly (priority 0); b took over in $took ms"
