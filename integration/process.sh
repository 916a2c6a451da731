#!/usr/bin/env bash
# global_defs' per-process keywords, and vrrp_instance's promote_secondaries, read back
# from the kernel: the VRRP child in SCHED_RR
# at vrrp_rt_priority (chrt) with RLIMIT_RTTIME, a step higher (max_auto_priority) after
# it woke late, locked in memory (VmLck), named
# keepalived_vrrp; its notify script at normal priority (SCHED_RESET_ON_FORK); the checker
# child at checker_priority (nice), on checker_cpu_affinity's CPU (taskset), named
# keepalived_lvs; the parent named by process_name, with the umask; promote_secondaries
# on the interface while the daemon runs (the VIP survives the removal of the primary
# address) and restored at stop; startup_script run and waited for before the children
# start, shutdown_script once they have stopped (the VIP gone).
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
VIP=10.86.0.100

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; tail -20 "$WORKDIR/a.log"; exit 1; }
for t in chrt taskset prlimit; do command -v $t >/dev/null || { echo "SKIP process: no $t"; exit 0; }; done

lan
node a 10.86.0.1/24
cat > "$WORKDIR/master.sh" <<EOF
#!/bin/sh
echo "\$0" > "$WORKDIR/script.name"
chrt -p \$\$ > "$WORKDIR/script.sched" 2>&1
EOF
chmod 755 "$WORKDIR/master.sh"
# Called through a symlinked directory: keepalived runs it from its real path.
ln -s "$WORKDIR" "$WORKDIR/linkdir"
cat > "$WORKDIR/startup.sh" <<EOF
#!/bin/sh
echo "begun \$(ip -br addr show dev eth0 | grep -c $VIP)" > "$WORKDIR/startup.out"
sleep 3
echo done >> "$WORKDIR/startup.out"
EOF
cat > "$WORKDIR/shutdown.sh" <<EOF
#!/bin/sh
echo "vip \$(ip -br addr show dev eth0 | grep -c $VIP) children \$(pgrep -fc -- '--child.*$WORKDIR')" > "$WORKDIR/shutdown.out"
EOF
chmod 755 "$WORKDIR/startup.sh" "$WORKDIR/shutdown.sh"
cat > "$WORKDIR/a.conf" <<EOF
global_defs {
    enable_script_security
    script_user root
    vrrp_rt_priority 10
    max_auto_priority 12
    min_auto_priority_delay 200000
    vrrp_rlimit_rttime 200000
    vrrp_no_swap
    checker_priority 3
    checker_cpu_affinity 0
    process_names
    process_name karsparent
    umask IWGRP|IWOTH|IROTH|IXOTH
    startup_script $WORKDIR/startup.sh
    startup_script_timeout 20
    shutdown_script $WORKDIR/shutdown.sh
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 86
    priority 150
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
    notify_master $WORKDIR/linkdir/master.sh
    promote_secondaries
}
virtual_server 10.86.0.200 80 {
    delay_loop 5
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.86.0.1 8080 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
ip netns exec "$PREFIX-a" "$BIN" -n -l -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" -r "$WORKDIR/a.vpid" \
    -c "$WORKDIR/a.cpid" --control-socket "$WORKDIR/a.sock" > "$WORKDIR/a.log" 2>&1 &
PARENT=$!; PIDS+=($PARENT); disown $PARENT
wait_addr a $VIP 15 || fail "never MASTER"
# The children started once the startup script had ended (it took 3 s).
[ "$(cat "$WORKDIR/startup.out" 2>/dev/null)" = "$(printf 'begun 0\ndone')" ] \
    || fail "the VIP came before the startup script ended: $(cat "$WORKDIR/startup.out" 2>/dev/null)"
echo "ok: startup_script ran first and was waited for (the VIP came after it ended)"
i=0; while [ ! -s "$WORKDIR/script.sched" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
vrrp=$(cat "$WORKDIR/a.vpid"); check=$(cat "$WORKDIR/a.cpid")

# The VRRP child.
sched=$(chrt -p "$vrrp")
[[ "$sched" == *"SCHED_RR"*"priority: 10"* ]] || fail "VRRP child: $sched"
rt=$(prlimit --rttime --noheadings -o SOFT,HARD -p "$vrrp" | awk '{ print $1, $2 }')
[ "$rt" = "100000 200000" ] || fail "VRRP child RLIMIT_RTTIME (soft hard): $rt"
lck=$(awk '/^VmLck/ { print $2 }' "/proc/$vrrp/status")
[ "${lck:-0}" -gt 0 ] || fail "VRRP child not locked in memory (VmLck $lck kB)"
[ "$(cat "/proc/$vrrp/comm")" = keepalived_vrrp ] || fail "VRRP child named $(cat "/proc/$vrrp/comm")"
pol=$(chrt -p "$vrrp" | sed -n 's/.*policy: //p'); pri=$(chrt -p "$vrrp" | sed -n 's/.*priority: //p')
echo "ok: VRRP child: $pol priority $pri, RLIMIT_RTTIME $rt µs (soft hard), VmLck $lck kB, named keepalived_vrrp"
# max_auto_priority: stopped for 1.5 s (the next advert due 1 s after the last), the
# VRRP child wakes more than 200 ms late and steps up from 10 to 11.
kill -STOP "$vrrp"; sleep 1.5; kill -CONT "$vrrp"
i=0; while ! grep -q 'Set realtime priority 11' "$WORKDIR/a.log" && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
sched=$(chrt -p "$vrrp")
[[ "$sched" == *"SCHED_RR"*"priority: 11"* ]] || fail "VRRP child after a late wake-up: $sched"
grep -q 'A thread timer expired' "$WORKDIR/a.log" || fail "no late wake-up logged"
echo "ok: max_auto_priority: woken late after a 1.5 s stop, the VRRP child stepped to SCHED_RR 11"
grep -q "SCHED_OTHER" "$WORKDIR/script.sched" || fail "the notify script ran with: $(cat "$WORKDIR/script.sched")"
echo "ok: its notify_master script runs in SCHED_OTHER (SCHED_RESET_ON_FORK)"
[ "$(cat "$WORKDIR/script.name")" = "$(realpath "$WORKDIR")/master.sh" ] \
    || fail "notify_master ran as $(cat "$WORKDIR/script.name"), not from its real path"
echo "ok: notify_master named through a symlinked directory ran from its real path (no use_symlink_paths)"

# The checker child.
ni=$(ps -o ni= -p "$check" | tr -d ' ')
[ "$ni" = 3 ] || fail "checker child nice $ni"
aff=$(taskset -p "$check" | awk '{ print $NF }')
[ "$aff" = 1 ] || fail "checker child affinity mask $aff"
[ "$(cat "/proc/$check/comm")" = keepalived_lvs ] || fail "checker child named $(cat "/proc/$check/comm")"
# (SCHED_RR 1 only if it too woke 200 ms late, max_auto_priority's first step.)
[[ "$(chrt -p "$check")" == *SCHED_OTHER* ]] || grep -q 'Set realtime priority 1$' "$WORKDIR/a.log" \
    || fail "checker child: $(chrt -p "$check")"
echo "ok: checker child: nice 3, CPU mask 1, named keepalived_lvs, SCHED_OTHER"

# The parent.
[ "$(cat "/proc/$PARENT/comm")" = karsparent ] || fail "parent named $(cat "/proc/$PARENT/comm")"
um=$(awk '/^Umask/ { print $2 }' "/proc/$PARENT/status")
[ "$um" = 0027 ] || fail "parent umask $um"
echo "ok: parent: named karsparent, umask $um"
# promote_secondaries.
ps_now() { ip netns exec "$PREFIX-a" cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries; }
[ "$(ps_now)" = 1 ] || fail "promote_secondaries on eth0: $(ps_now)"
ip -n "$PREFIX-a" addr del 10.86.0.1/24 dev eth0
sleep 0.5
has_addr a $VIP || fail "the VIP went with the primary address"
echo "ok: promote_secondaries: set on eth0; the VIP stayed (promoted) when 10.86.0.1/24 was removed"
# SIGTERM: the children stop (promote_secondaries restored), then the shutdown script runs.
kill -TERM "$PARENT"
i=0; while kill -0 "$PARENT" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$PARENT" 2>/dev/null && fail "the daemon did not stop"
[ "$(ps_now)" = 0 ] || fail "promote_secondaries not restored at stop: $(ps_now)"
echo "ok: promote_secondaries restored to 0 at stop"
[ "$(cat "$WORKDIR/shutdown.out" 2>/dev/null)" = "vip 0 children 0" ] \
    || fail "shutdown script: $(cat "$WORKDIR/shutdown.out" 2>/dev/null)"
echo "ok: shutdown_script ran after the children had stopped and the VIP had gone"
echo "PASS process"

