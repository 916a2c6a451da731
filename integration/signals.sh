#!/usr/bin/env bash
# Signals and the dumps monitoring tools read.
# 1. Every signal from 1 to 64 that keepalived 2.2.7 survives is sent to the master's
#    parent, VRRP child and checker child (what exporters send among them: SIGJSON 36,
#    STATS_CLEAR 63, USR1, USR2): no process stops, is suspended or is restarted, and,
#    with `ip monitor` on both nodes, the VIP never leaves the master nor reaches the
#    backup. Then SIGHUP (a reload) moves nothing either. Not sent: KILL and STOP (cannot
#    be handled), TERM and INT (they stop keepalived), ILL, BUS, FPE and SEGV (keepalived
#    keeps their default: a core dump), 32 and 33 (the C library reserves them and
#    keepalived dies of them too; checked against keepalived 2.2.7 by hand).
# 2. keepalived 2.2.7 and keepalived-rs run the same configuration, each alone on a LAN
#    of its own; both get SIGJSON: the two keepalived.json documents have the same keys in
#    the same order with the same types, and equal values for everything that depends
#    only on the configuration and the state; adverts sent over the same window agree
#    within two. The dumps are whole files (written to a temporary file and renamed).
#    (The scripts are named by their real paths: keepalived prints a script's path with
#    its symbolic links resolved, keepalived-rs as written.)
# 3. All 64 signals as dispositions (/proc/PID/status) of the parent and the VRRP child,
#    beside keepalived 2.2.7's: ignored, handled or default alike.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.81.0.100

conf() {   # conf STATE PRIORITY
    cat <<CONF
vrrp_script chk_ok {
    script "/bin/true"
    interval 1
}
vrrp_instance VI_1 {
    state $1
    interface eth0
    virtual_router_id 81
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass sig81
    }
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_ok
    }
    notify_master "/bin/true master"
}
virtual_server 10.81.0.200 80 {
    delay_loop 1
    lb_kind NAT
    protocol TCP
    real_server 10.81.0.2 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
}

start() {   # start NODE STATE PRIORITY
    conf "$2" "$3" > "$WORKDIR/$1.conf"
    mkdir -p "$WORKDIR/$1.tmp"
    TMPDIR="$WORKDIR/$1.tmp" ip netns exec "$PREFIX-$1" "$BIN" -n -l -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" \
        -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

monitor() {   # monitor NODE: ip monitor of NODE's addresses into $WORKDIR/NODE.mon
    ip -n "$PREFIX-$1" monitor address >> "$WORKDIR/$1.mon" 2>&1 &
    PIDS+=($!)
    disown $!
}

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log "$WORKDIR"/*.mon; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

alive() {   # alive PID: exists and is not stopped
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != T ] && [ "$st" != Z ]
}

lan
node a 10.81.0.1/24
node b 10.81.0.2/24
monitor a
monitor b
start b BACKUP 100
start a MASTER 150
wait_addr a $VIP 10 || fail "a never became master"
sleep 0.2
grep -aq "$VIP" "$WORKDIR/a.mon" || fail "ip monitor on a did not see the VIP arrive: the checks below would prove nothing"
for f in pid vpid cpid; do
    end=$(( $(now_ms) + 5000 ))
    until [ -s "$WORKDIR/a.$f" ]; do [ "$(now_ms)" -lt "$end" ] || fail "no $f file"; sleep 0.05; done
done
parent=$(cat "$WORKDIR/a.pid"); vrrp=$(cat "$WORKDIR/a.vpid"); check=$(cat "$WORKDIR/a.cpid")
sleep 1
: > "$WORKDIR/a.mon"; : > "$WORKDIR/b.mon"

skip=" 2 4 7 8 9 11 15 19 32 33 "
sent=0
for sig in $(seq 1 64); do
    case "$skip" in *" $sig "*) continue ;; esac
    [ "$sig" = 1 ] && continue     # SIGHUP to the parent reloads: below, on its own
    kill -s "$sig" "$parent"
    for p in "$vrrp" "$check"; do kill -s "$sig" "$p"; done
    sent=$((sent + 1))
    sleep 0.03
    for p in "$parent" "$vrrp" "$check"; do
        alive "$p" || fail "signal $sig stopped or suspended process $p"
    done
done
# SIGHUP to each child (keepalived's children reload; ours leave reloads to the parent).
kill -s HUP "$vrrp"; kill -s HUP "$check"
sleep 1.5
for p in "$parent" "$vrrp" "$check"; do alive "$p" || fail "process $p is gone after the signals"; done
[ "$(cat "$WORKDIR/a.vpid")" = "$vrrp" ] || fail "the VRRP child was restarted"
[ "$(cat "$WORKDIR/a.cpid")" = "$check" ] || fail "the checker child was restarted"
grep -aq "$VIP" "$WORKDIR/a.mon" && fail "the VIP moved on the master: $(grep -a "$VIP" "$WORKDIR/a.mon")"
grep -aq "$VIP" "$WORKDIR/b.mon" && fail "the VIP reached the backup: $(grep -a "$VIP" "$WORKDIR/b.mon")"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "the backup became MASTER"
for f in keepalived.json keepalived.stats keepalived.data keepalived_check.data; do
    [ -s "$WORKDIR/a.tmp/$f" ] || fail "no $f after the signals"
done
[ -z "$(find "$WORKDIR/a.tmp" -name '.*.tmp')" ] || fail "temporary dump files left behind"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORKDIR/a.tmp/keepalived.json" || fail "keepalived.json is not JSON"
echo "ok: $sent signals sent to the parent and each child: no process stopped, suspended or restarted; the VIP never moved (ip monitor on both nodes)"

# STATS_CLEAR writes the stats, then zeroes the counters: the next stats show fewer
# adverts sent than before (signal 63 was among those above: wait for a few adverts).
sleep 2.5
kill -s "$("$BIN" --signum=STATS)" "$parent"
sleep 0.3
before=$(awk '/Sent:/ {print $2; exit}' "$WORKDIR/a.tmp/keepalived.stats")
kill -s "$("$BIN" --signum=STATS_CLEAR)" "$parent"
sleep 0.3
kill -s "$("$BIN" --signum=STATS)" "$parent"
sleep 0.3
after=$(awk '/Sent:/ {print $2; exit}' "$WORKDIR/a.tmp/keepalived.stats")
[ "$before" -gt 2 ] && [ "$after" -lt 3 ] || fail "STATS_CLEAR did not zero the counters ($before -> $after adverts sent)"
echo "ok: STATS_CLEAR through the parent: adverts sent $before -> $after"

# SIGHUP to the parent: a reload, nothing moves.
kill -s HUP "$parent"
end=$(( $(now_ms) + 10000 ))
until grep -q "Reload complete" "$WORKDIR/a.log"; do [ "$(now_ms)" -lt "$end" ] || fail "no reload"; sleep 0.05; done
sleep 1.5
grep -aq "$VIP" "$WORKDIR/a.mon" && fail "the VIP moved on the master during the reload"
grep -aq "$VIP" "$WORKDIR/b.mon" && fail "the VIP reached the backup during the reload"
echo "ok: SIGHUP to the parent: reloaded, the VIP never moved"

# 2. The JSON dump beside keepalived 2.2.7's.
command -v keepalived >/dev/null || { echo "SKIP: keepalived 2.2.7 not installed: no JSON comparison"; exit 0; }
bridge lan2
bridge lan3
host k
host r
attach k lan2 eth0 10.82.0.1/24
attach r lan3 eth0 10.82.0.1/24
cat > "$WORKDIR/j.conf" <<CONF
vrrp_script chk_ok {
    script "/usr/bin/true"
    interval 1
}
vrrp_instance VI_J {
    state MASTER
    interface eth0
    virtual_router_id 82
    priority 120
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass json82
    }
    virtual_ipaddress {
        10.82.0.100/24
        10.82.0.101
    }
    virtual_ipaddress_excluded {
        10.82.0.102/24
    }
    track_script {
        chk_ok
    }
    notify_master "/usr/bin/true master"
    notify_backup "/usr/bin/true backup"
}
vrrp_instance VI_K {
    state BACKUP
    interface eth0
    virtual_router_id 83
    priority 90
    version 3
    advert_int 0.5
    nopreempt
    virtual_ipaddress {
        10.82.0.110/24
    }
}
CONF
mkdir -p "$WORKDIR/k.tmp" "$WORKDIR/r.tmp"
TMPDIR="$WORKDIR/k.tmp" ip netns exec "$PREFIX-k" keepalived -n -l -P -f "$WORKDIR/j.conf" -p "$WORKDIR/k.pid" \
    -r "$WORKDIR/k.vpid" -c "$WORKDIR/k.cpid" > "$WORKDIR/k.log" 2>&1 &
PIDS+=($!); disown $!
TMPDIR="$WORKDIR/r.tmp" ip netns exec "$PREFIX-r" "$BIN" -n -l -P -f "$WORKDIR/j.conf" -p "$WORKDIR/r.pid" \
    -r "$WORKDIR/r.vpid" > "$WORKDIR/r.log" 2>&1 &
PIDS+=($!); disown $!
wait_addr_on k eth0 10.82.0.100 10 || fail "keepalived did not become master"
wait_addr_on r eth0 10.82.0.100 10 || fail "keepalived-rs did not become master"
wait_addr_on k eth0 10.82.0.110 10 || fail "keepalived's VI_K did not become master"
wait_addr_on r eth0 10.82.0.110 10 || fail "keepalived-rs's VI_K did not become master"
sleep 2
kill -s "$(keepalived --signum=JSON)" "$(cat "$WORKDIR/k.pid")"
kill -s "$("$BIN" --signum=JSON)" "$(cat "$WORKDIR/r.pid")"
end=$(( $(now_ms) + 3000 ))
until [ -s "$WORKDIR/k.tmp/keepalived.json" ] && [ -s "$WORKDIR/r.tmp/keepalived.json" ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "no keepalived.json from one of them"
    sleep 0.05
done
sleep 0.2
python3 - "$WORKDIR/k.tmp/keepalived.json" "$WORKDIR/r.tmp/keepalived.json" <<'PY' || fail "the JSON dumps differ"
import json, sys, time
ka = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
rs = json.load(open(sys.argv[2]), object_pairs_hook=lambda p: p)
# Values that depend on when each daemon started, not on configuration or state.
TIMING = {"last_transition"}
COUNTERS = {"advert_sent": 2, "advert_rcvd": 0, "become_master": 0}
bad = []
def kind(v):
    return "list-of-pairs" if isinstance(v, list) and v and isinstance(v[0], tuple) else type(v).__name__
def cmp(a, b, path):
    if kind(a) != kind(b):
        bad.append(f"{path}: type {kind(a)} (keepalived) vs {kind(b)}"); return
    if kind(a) == "list-of-pairs":
        ka_keys = [k for k, _ in a]; rs_keys = [k for k, _ in b]
        if ka_keys != rs_keys:
            bad.append(f"{path}: keys\n  keepalived:    {ka_keys}\n  keepalived-rs: {rs_keys}")
        d = dict(b)
        for k, v in a:
            if k in d:
                cmp(v, d[k], f"{path}.{k}")
        return
    if isinstance(a, list):
        if len(a) != len(b):
            bad.append(f"{path}: {len(a)} vs {len(b)} elements: {a} vs {b}"); return
        for n, (x, y) in enumerate(zip(a, b)):
            cmp(x, y, f"{path}[{n}]")
        return
    key = path.rsplit(".", 1)[-1]
    if key in TIMING:
        if abs(a - time.time()) > 60 or abs(b - time.time()) > 60:
            bad.append(f"{path}: {a} / {b} not within a minute of now")
    elif key in COUNTERS:
        if abs(a - b) > COUNTERS[key]:
            bad.append(f"{path}: {a} vs {b}")
    elif a != b:
        bad.append(f"{path}: {a!r} (keepalived) vs {b!r}")
cmp(ka, rs, "$")
for b in bad:
    print("DIFF", b)
sys.exit(1 if bad else 0)
PY
echo "ok: SIGJSON: keepalived 2.2.7's and keepalived-rs's keepalived.json agree (keys, order, types, values)"

# 3. All 64, as dispositions: keepalived 2.2.7's parent and VRRP child and ours, each alone
#    (-P: keepalived's checker cannot run without IPVS), read from /proc/PID/status: the
#    same signals ignored; of the rest, the same handled (keepalived blocks them for its
#    signalfd, we catch them) and the same left to their default action. Allowed: the
#    Rust runtime catches SIGSEGV and SIGBUS to report a stack overflow, then dies as the
#    default would; keepalived's VRRP child takes SIGCHLD through its signalfd where ours
#    leaves it at its default (ignored): neither ends the process.
bridge lan4
host m
host n
attach m lan4 eth0 10.83.0.1/24
attach n lan4 eth0 10.83.0.2/24
printf 'vrrp_instance VI_M {\n    state BACKUP\n    interface eth0\n    virtual_router_id 84\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        10.83.0.100/24\n    }\n}\n' > "$WORKDIR/m.conf"
ip netns exec "$PREFIX-m" keepalived -n -l -P -f "$WORKDIR/m.conf" -p "$WORKDIR/m.pid" -r "$WORKDIR/m.vpid" -c "$WORKDIR/m.cpid" > "$WORKDIR/m.log" 2>&1 &
PIDS+=($!); disown $!
ip netns exec "$PREFIX-n" "$BIN" -n -l -P -f "$WORKDIR/m.conf" -p "$WORKDIR/n.pid" -r "$WORKDIR/n.vpid" --control-socket "$WORKDIR/n.sock" > "$WORKDIR/n.log" 2>&1 &
PIDS+=($!); disown $!
end=$(( $(now_ms) + 10000 ))
until [ -s "$WORKDIR/m.vpid" ] && [ -s "$WORKDIR/n.vpid" ]; do [ "$(now_ms)" -lt "$end" ] || fail "no pid files for the disposition check"; sleep 0.1; done
sleep 1
masks() { grep -E '^Sig(Blk|Ign|Cgt):' "/proc/$1/status" | awk '{print $2}' | tr '\n' ' '; }
python3 - "$(masks "$(cat "$WORKDIR/m.pid")")" "$(masks "$(cat "$WORKDIR/n.pid")")" \
    "$(masks "$(cat "$WORKDIR/m.vpid")")" "$(masks "$(cat "$WORKDIR/n.vpid")")" <<'PY' || fail "signal dispositions differ from keepalived 2.2.7's"
import sys
def classes(masks):
    blk, ign, cgt = (int(m, 16) for m in masks.split())
    out = {}
    for sig in range(1, 65):
        bit = 1 << (sig - 1)
        out[sig] = "ignored" if ign & bit else "handled" if (blk | cgt) & bit else "default"
    return out
allowed = {7, 11, 17}
bad = []
for who, ka, rs in (("parent", sys.argv[1], sys.argv[2]), ("VRRP child", sys.argv[3], sys.argv[4])):
    k, r = classes(ka), classes(rs)
    for sig in range(1, 65):
        if k[sig] != r[sig] and sig not in allowed:
            bad.append(f"{who}: signal {sig}: keepalived {k[sig]}, keepalived-rs {r[sig]}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
echo "ok: all 64 signals: the parent's and the VRRP child's dispositions are keepalived 2.2.7's (ignored, handled or default alike)"
