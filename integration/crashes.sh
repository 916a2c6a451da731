#!/usr/bin/env bash
# Repeated crashes of the master's VRRP child, watched with `ip monitor` on both nodes:
# 1. ten SIGKILLs 2.5 s apart (keepalived's back-off would leave the VIP up without adverts
#    for 1, 2, 4, 8… s): each successor starts at once and resumes as MASTER, so the VIP
#    never leaves the master and never reaches the backup;
# 2. a crash loop (each successor killed as soon as it appears): after three quick deaths
#    the parent releases the VIP, the backup takes over within its master-down interval,
#    and the two never hold the VIP together (a's release comes first).
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

fail() { echo "FAIL: $*"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.mon; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

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
