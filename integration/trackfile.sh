#!/usr/bin/env bash
# track_file in a VRRP instance: the file written by init_file, followed with inotify; a
# value other than 0 (weight 0) puts the instance in FAULT at once, 0 brings it back.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- notify"; cat "$WORKDIR/notify.out" 2>/dev/null; echo "--- log"; tail -30 "$WORKDIR/a.log"; exit 1; }
lan
node a 10.73.0.1/24
printf '#!/bin/sh\necho "$*" >> %s/notify.out\n' "$WORKDIR" > "$WORKDIR/notify.sh"
chmod 755 "$WORKDIR/notify.sh"
cat > "$WORKDIR/a.conf" <<CONF
track_file tf_gate {
    file $WORKDIR/gate
    weight 0
    init_file 0 overwrite
}
vrrp_instance VI_F {
    state BACKUP
    interface eth0
    virtual_router_id 73
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.73.0.100/24
    }
    track_file {
        tf_gate
    }
    notify $WORKDIR/notify.sh
}
CONF
echo 1 > "$WORKDIR/gate"
ip netns exec "$PREFIX-a" "$BIN" -n -l -P -f "$WORKDIR/a.conf" -p "$WORKDIR/a.pid" \
    -r "$WORKDIR/a.vpid" -c "$WORKDIR/a.cpid" > "$WORKDIR/a.log" 2>&1 &
PIDS+=($!); disown $!
wait_line "INSTANCE VI_F MASTER 100" 8 >/dev/null || fail "no MASTER (init_file 0 overwrite should have cleared the gate)"
[ "$(cat "$WORKDIR/gate")" = 0 ] || fail "init_file did not write 0"
echo "ok: init_file overwrote the file; the instance became MASTER"
echo 1 > "$WORKDIR/gate"
wait_line "INSTANCE VI_F FAULT 100" 3 >/dev/null || fail "a value of 1 did not put VI_F in FAULT"
has_addr a 10.73.0.100 && fail "the VIP stayed in FAULT"
echo 0 > "$WORKDIR/gate"
: > "$WORKDIR/notify.out"
wait_line "INSTANCE VI_F MASTER 100" 8 >/dev/null || fail "0 did not bring VI_F back to MASTER"
echo "ok: track_file: 1 puts the instance in FAULT (VIP removed), 0 brings it back to MASTER"
