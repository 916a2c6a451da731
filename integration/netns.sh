#!/usr/bin/env bash
# net_namespace, instance and use_pid_dir, as keepalived 2.2.7: a daemon started in the
# host's namespace with `net_namespace NS` runs VRRP in NS (its VIP there, its adverts on
# NS's LAN keep a backup there BACKUP, every process of it in NS); its pid files are
# /run/keepalived/NS/keepalived_INSTANCE.pid and vrrp_INSTANCE.pid, its syslog ident
# Keepalived_NS_INSTANCE, with data_use_instance its SIGUSR1 dump keepalived.NS_INSTANCE.data;
# a stop removes them and the backup takes over. Then -s NS on
# the command line with only use_pid_dir in the file: /run/keepalived/NS/keepalived.pid.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

lan
node a 10.78.0.1/24
node b 10.78.0.2/24
NS=$PREFIX-a
DIR=/run/keepalived/$NS
trap 'cleanup; rm -rf "$DIR"; rmdir /run/keepalived 2>/dev/null || true' EXIT

fail() {
    echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"
    for n in a b; do echo "--- $n log"; tail -20 "$WORKDIR/$n.log" 2>/dev/null; done
    ls -la "$DIR" 2>&1
    exit 1
}
inst() {   # inst STATE PRIO
    cat <<CONF
vrrp_instance VI_1 {
    interface eth0
    state $1
    virtual_router_id 78
    priority $2
    advert_int 1
    virtual_ipaddress {
        10.78.0.100/24
    }
}
CONF
}
{ echo "net_namespace $NS"; echo "instance t1"; printf 'global_defs {\n    data_use_instance\n}\n'; inst MASTER 150; } > "$WORKDIR/a.conf"
inst BACKUP 100 > "$WORKDIR/b.conf"
ip netns exec "$PREFIX-b" "$BIN" -n -l -P -f "$WORKDIR/b.conf" -p "$WORKDIR/b.pid" \
    -r "$WORKDIR/b.vpid" -c "$WORKDIR/b.cpid" > "$WORKDIR/b.log" 2>&1 &
PIDS+=($!); disown $!
# In the host's namespace, with no pid file options: the configuration places it.
TMPDIR=$WORKDIR "$BIN" -n -l -P -f "$WORKDIR/a.conf" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_addr a 10.78.0.100 10 || fail "no VIP in $NS"
[ -s "$DIR/keepalived_t1.pid" ] && [ -s "$DIR/vrrp_t1.pid" ] || fail "no pid files in $DIR"
main=$(cat "$DIR/keepalived_t1.pid"); vrrp=$(cat "$DIR/vrrp_t1.pid")
want=$(ip netns exec "$NS" readlink /proc/self/ns/net)
for p in "$main" "$vrrp"; do
    [ "$(readlink "/proc/$p/ns/net")" = "$want" ] || fail "process $p is not in $NS"
done
[ "$(readlink /proc/self/ns/net)" != "$want" ] || fail "the test itself runs in $NS"
grep -q "Changing syslog ident to Keepalived_${NS}_t1" "$WORKDIR/a.log" || fail "no ident line"
sleep 3.5   # the backup's master-down interval: it hears the adverts from $NS
has_addr b 10.78.0.100 && fail "the backup took the VIP: no adverts from $NS"
echo "ok: net_namespace $NS: VIP and adverts there, every process in it, pid files in $DIR, ident Keepalived_${NS}_t1"
kill -USR1 "$main"
end=$(( $(now_ms) + 5000 ))
until grep -q "VRRP Instance = VI_1" "$WORKDIR/keepalived.${NS}_t1.data" 2>/dev/null; do
    [ "$(now_ms)" -lt "$end" ] || fail "data_use_instance: no keepalived.${NS}_t1.data: $(ls "$WORKDIR")"
    sleep 0.05
done
echo "ok: data_use_instance: SIGUSR1 writes keepalived.${NS}_t1.data"

kill -TERM "$main"
wait_addr b 10.78.0.100 10 || fail "the backup did not take over after the stop"
end=$(( $(now_ms) + 5000 ))
while [ -e "$DIR" ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "$DIR is left after the stop: $(ls "$DIR")"
    sleep 0.05
done
echo "ok: a stop removes the pid files and $DIR; the backup takes over"

# -s on the command line, use_pid_dir in the file.
{ echo "use_pid_dir"; inst BACKUP 50; } > "$WORKDIR/a2.conf"
"$BIN" -n -l -P -s "$NS" -f "$WORKDIR/a2.conf" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
end=$(( $(now_ms) + 8000 ))
until [ -s "$DIR/keepalived.pid" ] && grep -q "Entering BACKUP STATE" "$WORKDIR/a.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "-s $NS: no $DIR/keepalived.pid or no BACKUP"
    sleep 0.05
done
[ "$(readlink "/proc/$(cat "$DIR/keepalived.pid")/ns/net")" = "$want" ] || fail "-s $NS: not in $NS"
kill -TERM "$(cat "$DIR/keepalived.pid")"
echo "ok: -s $NS with use_pid_dir: $DIR/keepalived.pid"
echo "ok: netns"
