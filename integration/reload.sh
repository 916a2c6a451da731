#!/usr/bin/env bash
# Reload (SIGHUP) without a flap: the master keeps its VIP through reloads of unchanged
# files (the child carries on) and of the same configuration (a successor), and a burst
# of them; config_save_dir's dumps before and after a reload; a changed
# configuration adds and removes VIPs and deletes an instance
# (priority 0, the peer takes it at once); a configuration with errors, or one the new
# child cannot run, leaves the running configuration and child untouched; a reloaded
# backup stays BACKUP; reload_check_config's log, reload_file and reload_time_file.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

VIP1=10.78.0.100
VIP1B=10.78.0.101
VIP2=10.78.0.200

inst() {   # inst NAME VRID STATE PRIO "VIP..." [INTERFACE]
    printf 'vrrp_instance %s {\n    state %s\n    interface %s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n' "$1" "$3" "${6:-eth0}" "$2" "$4"
    for v in $5; do printf '        %s/24\n' "$v"; done
    printf '    }\n}\n'
}

start() {   # start NODE
    ip netns exec "$PREFIX-$1" "$BIN" -n -l -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" -c "$WORKDIR/$1.cpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}

child_of() {   # child_of NODE [KIND]: the VRRP (or KIND) child's pid in NODE's namespace
    for p in $(ip netns pids "$PREFIX-$1"); do
        if tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -- "--child ${2:-vrrp}" >/dev/null; then echo "$p"; return; fi
    done
}

# The last lines of each log (the newest last), short enough for a CI excerpt to keep.
fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -12 "$f"; done; processes; exit 1; }

# watch SECONDS: a keeps VIP1 and b never holds it, sampled every 10 ms.
watch_vip1() {
    local end=$(( $(date +%s%N) + $1 * 1000000000 ))
    while [ "$(date +%s%N)" -lt "$end" ]; do
        has_addr a $VIP1 || fail "$2: the VIP left the master"
        has_addr b $VIP1 && fail "$2: the backup took the VIP"
        sleep 0.01
    done
    grep -q "(VI_1) Entering MASTER STATE" "$WORKDIR/b.log" && fail "$2: the backup became MASTER"
    return 0
}

reloads() { grep -c "Reload complete" "$WORKDIR/$1.log" || true; }

hup() {   # hup NODE: SIGHUP to NODE's parent
    kill -HUP "$(cat "$WORKDIR/$1.pid")"
}

lan
node a 10.78.0.1/24
node b 10.78.0.2/24
{ inst VI_1 78 MASTER 150 "$VIP1"; inst VI_2 77 MASTER 150 "$VIP2"; } > "$WORKDIR/a.conf"
{ inst VI_1 78 BACKUP 100 "$VIP1"; inst VI_2 77 BACKUP 100 "$VIP2"; } > "$WORKDIR/b.conf"
start b
start a
wait_addr a $VIP1 10 || fail "a never became master"
wait_addr a $VIP2 10 || fail "a never took VIP2"
sleep 1.5

# 1. Unchanged files: nothing is read again, the running child carries on.
old=$(child_of a)
hup a
watch_vip1 2 "unchanged reload"
[ "$(reloads a)" = 1 ] || fail "no 'Reload complete' on a"
[ "$(child_of a)" = "$old" ] || fail "a reload of unchanged files replaced the child ($old -> $(child_of a))"
grep -q "Reload complete (.*unchanged; the running children carry on)" "$WORKDIR/a.log" \
    || fail "the unchanged reload did not say so"
echo "ok: unchanged files: the reload kept the child ($old), the VIP never left, the backup stayed BACKUP"
# 1a. The file's text changed, not the configuration: read again, a successor takes over.
retouch "$WORKDIR/a.conf"
hup a
watch_vip1 4 "reload of the same configuration"
new=$(child_of a)
[ "$(reloads a)" = 2 ] || fail "no second 'Reload complete' on a"
[ -n "$new" ] && [ "$new" != "$old" ] || fail "the reload did not replace the child ($old -> $new)"
echo "ok: same configuration, text changed: the child was replaced ($old -> $new), the VIP never left, the backup stayed BACKUP"

# 1b. config_save_dir (keepalived save_config): at each reload every child writes its data
#     dump before ("pre", the retiring child) and after ("post", its successor) as
#     keepalived_{vrrp,check}.PID.N.{pre,post}. The directory is made (0700) when missing.
save=$WORKDIR/saved
vs() { printf 'virtual_server 10.78.0.100 80 {\n    delay_loop 1\n    lb_kind DR\n    protocol TCP\n    real_server 10.78.0.1 9 {\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n}\n'; }
{ printf 'global_defs {\n    config_save_dir %s/\n}\n' "$save"; inst VI_1 78 MASTER 150 "$VIP1"; inst VI_2 77 MASTER 150 "$VIP2"; vs; } > "$WORKDIR/a.conf"
n=$(reloads a); r=$((n + 1)); hup a
end=$(( $(date +%s%N) + 5000000000 ))
while [ "$(reloads a)" = "$n" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
[ "$(stat -c %a "$save" 2>/dev/null)" = 700 ] || fail "config_save_dir: $save not made with mode 0700"
v1=$(child_of a)
i=0; c1=; while [ -z "$c1" ] && [ $i -lt 100 ]; do sleep 0.05; c1=$(child_of a check); i=$((i + 1)); done
[ -n "$c1" ] || fail "no checker child after adding a virtual_server"
i=0; while [ ! -s "$save/keepalived_vrrp.$v1.$r.post" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$save/keepalived_vrrp.$v1.$r.post" ] || fail "config_save_dir: no post dump of reload $r: $(ls "$save")"
ls "$save"/*.pre >/dev/null 2>&1 && fail "config_save_dir: a pre dump although the running configuration had none: $(ls "$save")"
r=$((r + 1)); retouch "$WORKDIR/a.conf"; hup a
end=$(( $(date +%s%N) + 5000000000 ))
while [ "$(reloads a)" = "$((n + 1))" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
v2=$(child_of a); c2=$(child_of a check)
i=0; while [ ! -s "$save/keepalived_check.$c2.$r.post" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
for f in "vrrp.$v1.$r.pre" "vrrp.$v2.$r.post" "check.$c1.$r.pre" "check.$c2.$r.post"; do
    [ -s "$save/keepalived_$f" ] || fail "config_save_dir: no keepalived_$f after reload $r: $(ls "$save")"
done
for f in "vrrp.$v1.$r.pre" "vrrp.$v2.$r.post"; do
    grep -q "VRRP Instance = VI_2" "$save/keepalived_$f" && grep -q "State = MASTER" "$save/keepalived_$f" \
        || fail "config_save_dir: keepalived_$f is not the VRRP data dump: $(head -20 "$save/keepalived_$f")"
done
for f in "check.$c1.$r.pre" "check.$c2.$r.post"; do
    grep -q "RS = " "$save/keepalived_$f" || fail "config_save_dir: keepalived_$f is not the checker's data dump"
done
# Unchanged files: the running children write both dumps.
r=$((r + 1)); hup a
i=0; while [ ! -s "$save/keepalived_check.$c2.$r.post" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
for f in "vrrp.$v2.$r.pre" "vrrp.$v2.$r.post" "check.$c2.$r.pre" "check.$c2.$r.post"; do
    [ -s "$save/keepalived_$f" ] || fail "config_save_dir: no keepalived_$f after the unchanged reload $r: $(ls "$save")"
done
watch_vip1 1 "reloads with config_save_dir"
echo "ok: config_save_dir: made 0700; each reload's pre dumps (retiring children) and post dumps (successors; the same children when nothing changed) written under keepalived's names"

# 2. A burst of five reloads, each of a retouched file (successors).
for _ in 1 2 3 4 5; do retouch "$WORKDIR/a.conf"; hup a; sleep 0.05; done
watch_vip1 5 "burst of reloads"
[ "$(reloads a)" -ge 2 ] || fail "the burst did not reload"
echo "ok: a burst of 5 SIGHUPs: $(( $(reloads a) - 1 )) reload(s), the VIP never left"

# 3. Changed configuration: VI_1 gains a VIP, VI_2 is deleted on a. Both nodes reload
#    (an advert whose address list differs from the receiver's is dropped, as keepalived
#    does, so an operator changes VIPs on every node).
inst VI_1 78 MASTER 150 "$VIP1 $VIP1B" > "$WORKDIR/a.conf"
{ inst VI_1 78 BACKUP 100 "$VIP1 $VIP1B"; inst VI_2 77 BACKUP 100 "$VIP2"; } > "$WORKDIR/b.conf"
hup b
hup a
wait_addr a $VIP1B 3 || fail "the added VIP did not appear"
wait_addr b $VIP2 3 || fail "the deleted instance's peer did not take its VIP within 3 s"
has_addr a $VIP2 && fail "the deleted instance's VIP is still on a"
grep -q "(VI_2) Backup received priority 0 advertisement" "$WORKDIR/b.log" \
    || fail "the deleted instance sent no priority-0 advert"
watch_vip1 2 "changed reload"
# (From here a's configuration has reload_file and reload_check_config.)
{ printf 'global_defs {\n    reload_file %s\n    reload_check_config %s\n}\n' "$WORKDIR/a.reload" "$WORKDIR/a.check"
  inst VI_1 78 MASTER 150 "$VIP1"; } > "$WORKDIR/a.conf"
{ inst VI_1 78 BACKUP 100 "$VIP1"; inst VI_2 77 BACKUP 100 "$VIP2"; } > "$WORKDIR/b.conf"
hup b
hup a
end=$(( $(date +%s%N) + 3000000000 ))
while has_addr a $VIP1B && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.01; done
has_addr a $VIP1B && fail "a VIP dropped from the configuration is still there"
watch_vip1 2 "reload dropping a VIP"
echo "ok: changed reload: a VIP added and one removed, the deleted instance released its VIP with priority 0"

# 4. A configuration with errors: refused, nothing changes.
before=$(child_of a)
n=$(reloads a)
printf 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 999\n    priority 150\n}\n' > "$WORKDIR/a.conf"
hup a
watch_vip1 2 "reload with errors"
grep -q "Reload failed: the configuration has errors" "$WORKDIR/a.log" || fail "no 'Reload failed' for a bad configuration"
grep -q "a.conf:3:23: error: number '999' outside range" "$WORKDIR/a.log" || fail "the bad line was not reported with its position"
[ "$(child_of a)" = "$before" ] || fail "a refused reload replaced the child"
[ "$(reloads a)" = "$n" ] || fail "a refused reload completed"
echo "ok: a configuration with errors: reported at a.conf:3, refused, the running child kept"
# reload_check_config and reload_file (the running configuration's): the check went to
# its log file, and the reload file, there before the SIGHUP, is gone once the files
# were read.
grep -q "a.conf:3:23: error: number '999' outside range" "$WORKDIR/a.check" \
    || fail "reload_check_config: the check log has: $(cat "$WORKDIR/a.check" 2>&1)"
grep -q "New config failed validation, see $WORKDIR/a.check for details" "$WORKDIR/a.log" \
    || fail "reload_check_config: no 'New config failed validation'"
echo busy > "$WORKDIR/a.reload"
hup a
end=$(( $(date +%s%N) + 3000000000 ))
while [ -e "$WORKDIR/a.reload" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.01; done
[ -e "$WORKDIR/a.reload" ] && fail "reload_file: still there after the reload read the files"
echo "ok: reload_check_config wrote the refused configuration's errors to its log; reload_file went once the files were read"

# 5. A configuration the new child cannot run (an IPv6 instance on an interface with IPv6
#    turned off: no link-local address to send adverts from): the child fails while the
#    running one still runs, and nothing changes. (A missing interface no longer fails a
#    child: its instances wait in FAULT; integration/interfaces.sh.)
ip netns exec "$PREFIX-a" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
{ inst VI_1 78 MASTER 150 "$VIP1"; printf 'vrrp_instance VI_6 {\n    interface eth0\n    virtual_router_id 96\n    priority 100\n    virtual_ipaddress {\n        fd00:96::100/64\n    }\n}\n'; } > "$WORKDIR/a.conf"
hup a
watch_vip1 3 "reload the child cannot run"
grep -q "Reload failed: the VRRP child cannot run the new configuration" "$WORKDIR/a.log" \
    || fail "no 'Reload failed' for a configuration the child cannot run"
[ "$(child_of a)" = "$before" ] || fail "a failed reload replaced the child"
ip netns exec "$PREFIX-a" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
echo "ok: a configuration the child cannot run: refused, the running child kept"

# 6. Reload on the backup.
inst VI_1 78 MASTER 150 "$VIP1" > "$WORKDIR/a.conf"
oldb=$(child_of b)
retouch "$WORKDIR/b.conf"
hup b
watch_vip1 4 "backup reload"
[ "$(child_of b)" != "$oldb" ] || fail "the backup's child was not replaced"
echo "ok: reload on the backup: it stayed BACKUP, the master kept the VIP"

# 7. reload_time_file: a reload at a time of day (local time, no date) written in a file
#    the parent follows; the file goes once it has reloaded.
{ printf 'global_defs {\n    reload_time_file %s\n}\n' "$WORKDIR/when"; inst VI_1 78 MASTER 150 "$VIP1"; } > "$WORKDIR/a.conf"
n=$(reloads a); hup a
end=$(( $(date +%s%N) + 5000000000 ))
while [ "$(reloads a)" = "$n" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
n=$(reloads a)
date -d '+3 sec' +%H:%M:%S > "$WORKDIR/when"
i=0; while ! grep -q "Scheduling reload for" "$WORKDIR/a.log" && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "Scheduling reload for" "$WORKDIR/a.log" || fail "reload_time_file: no reload scheduled for $(cat "$WORKDIR/when")"
watch_vip1 2 "waiting for the scheduled reload"
end=$(( $(date +%s%N) + 4000000000 ))
while [ "$(reloads a)" = "$n" ] && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
[ "$(reloads a)" = "$((n + 1))" ] || fail "reload_time_file: no reload at $(cat "$WORKDIR/when" 2>/dev/null) ($(reloads a) reloads)"
[ -e "$WORKDIR/when" ] && fail "reload_time_file: the file is still there after its reload"
watch_vip1 1 "the scheduled reload"
echo "ok: reload_time_file: a reload scheduled from the file's time of day happened then, the file removed, the VIP kept"

# 8. Then a real failover still works: the master's parent stops cleanly.
t0=$(now_ms)
kill -TERM "$(cat "$WORKDIR/a.pid")"
wait_addr b $VIP1 3 || fail "b did not take over after the reloads"
echo "ok: after the reloads, a clean stop of the master hands the VIP to the backup in $(( $(now_ms) - t0 )) ms"
