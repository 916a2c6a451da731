#!/usr/bin/env bash
# The checker child on a kernel without IPVS: real servers in namespaces (TCP and HTTP
# responders, a MISC script); stopping a server runs notify_down within
# delay_loop + retry × delay_before_retry + connect_timeout, starting it runs notify_up;
# bad answers (garbage, an error status, a dribble, a huge body) are failed checks with a
# clear log line; losing every server runs quorum_down; misc_dynamic changes the weight;
# the daemon stays up throughout and stops cleanly.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
HTTP=${HTTP:-$PWD/target/release/examples/http-responder}
SINK=${SINK:-$PWD/target/release/examples/smtp-sink}
source integration/lib.sh

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- notify.out"; cat "$WORKDIR/notify.out" 2>/dev/null; echo "--- lb.log"; tail -${LOG_LINES:-40} "$WORKDIR/lb.log"; exit 1; }
consume() { : > "$WORKDIR/notify.out"; }

serve() {   # serve NODE ADDR: the responder in NODE, its mode in $WORKDIR/NODE.mode
    ip netns exec "$PREFIX-$1" "$HTTP" "$2:80" "$WORKDIR/$1.mode" > /dev/null 2>&1 &
    eval "SRV_$1=$!"
    PIDS+=($!)
    disown $!
    sleep 0.2
}

lan
node lb 10.70.0.1/24
node r1 10.70.0.11/24
node r2 10.70.0.12/24
echo ok > "$WORKDIR/r1.mode"
echo ok > "$WORKDIR/r2.mode"
serve r1 10.70.0.11
serve r2 10.70.0.12

smtp() {   # an SMTP responder in r1 on port 25
    ip netns exec "$PREFIX-r1" "$SINK" 10.70.0.11:25 "$WORKDIR/smtp.out" > /dev/null 2>&1 &
    SRV_smtp=$!
    PIDS+=($!)
    disown $!
    sleep 0.2
}
smtp
printf '#!/bin/sh\necho "$*" >> %s/notify.out\n' "$WORKDIR" > "$WORKDIR/notify.sh"
printf '#!/bin/sh\nexit "$(cat %s/misc.code)"\n' "$WORKDIR" > "$WORKDIR/misc.sh"
chmod 755 "$WORKDIR/notify.sh" "$WORKDIR/misc.sh"
echo 0 > "$WORKDIR/misc.code"
N="$WORKDIR/notify.sh"
printf '#!/bin/sh\nwhile read -r line; do echo "$line" >> %s/fifo.out; done < "$1"\n' "$WORKDIR" > "$WORKDIR/fifo.sh"
chmod 755 "$WORKDIR/fifo.sh"
cat > "$WORKDIR/lb.conf" <<CONF
global_defs {
    lvs_notify_fifo $WORKDIR/lvs.fifo
    lvs_notify_fifo_script $WORKDIR/fifo.sh
}
virtual_server 10.70.0.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    quorum 1
    quorum_up "$N quorum up"
    quorum_down "$N quorum down"
    real_server 10.70.0.11 80 {
        weight 1
        notify_up "$N up r1"
        notify_down "$N down r1"
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
    real_server 10.70.0.12 80 {
        weight 1
        notify_up "$N up r2"
        notify_down "$N down r2"
        HTTP_GET {
            url {
                path /
                digest 5d41402abc4b2a76b9719d911017c592
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
virtual_server 10.70.0.102 25 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server 10.70.0.11 25 {
        weight 1
        notify_up "$N up smtp"
        notify_down "$N down smtp"
        SMTP_CHECK {
            connect_timeout 1
            retry 0
            helo_name lb.test
        }
    }
}
virtual_server 10.70.0.103 80 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    ha_suspend
    real_server 10.70.0.12 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 10.70.0.101 80 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server 10.70.0.13 80 {
        weight 1
        notify_down "$N down misc"
        notify_up "$N up misc"
        MISC_CHECK {
            misc_path "$WORKDIR/misc.sh"
            misc_timeout 2
            misc_dynamic
        }
    }
}
CONF
mkdir -p "$WORKDIR/lb.tmp"
TMPDIR="$WORKDIR/lb.tmp" ip netns exec "$PREFIX-lb" "$BIN" -n -l -f "$WORKDIR/lb.conf" -p "$WORKDIR/lb.pid" -r "$WORKDIR/lb.vpid" -c "$WORKDIR/lb.cpid" > "$WORKDIR/lb.log" 2>&1 &
PIDS+=($!)
disown $!
sleep 3
[ -s "$WORKDIR/lb.cpid" ] || fail "no checker child (pid file)"
[ -e "$WORKDIR/lb.vpid" ] && fail "a VRRP child runs without VRRP instances"
[ "$(grep -c "IPVS is not available on this kernel" "$WORKDIR/lb.log")" = 1 ] || fail "not exactly one IPVS-unavailable line at start"
[ ! -s "$WORKDIR/notify.out" ] || fail "notifies at start for healthy servers"
# The bound: delay_loop 1 + retry 1 × delay_before_retry 1 + connect_timeout 1 = 3 s; the
# margin allows for a loaded machine.
BOUND=3

# 1. TCP_CHECK: the server stops, then returns.
kill "$SRV_r1"
ms=$(wait_line "down r1" $((BOUND + 2))) || fail "r1 stopped: no notify_down"
[ "$ms" -le $((BOUND * 1000 + 1500)) ] || fail "r1 stopped: notify_down after $ms ms (bound ${BOUND} s)"
grep -q "TCP_CHECK on service \[10.70.0.11\]:tcp:80 failed" "$WORKDIR/lb.log" || fail "no TCP_CHECK failure line"
serve r1 10.70.0.11
ms2=$(wait_line "up r1" 3) || fail "r1 back: no notify_up"
sleep 0.3   # the FIFO script reads at its own pace
grep -qx "RS \[10.70.0.11\]:tcp:80 \[10.70.0.100\]:tcp:80 DOWN" "$WORKDIR/fifo.out" || fail "no LVS FIFO line: $(cat "$WORKDIR/fifo.out" 2>&1)"
grep -qx "RS \[10.70.0.11\]:tcp:80 \[10.70.0.100\]:tcp:80 UP" "$WORKDIR/fifo.out" || fail "no LVS FIFO UP line: $(cat "$WORKDIR/fifo.out" 2>&1)"
echo "ok: TCP_CHECK: notify_down $ms ms after the server stopped (bound ${BOUND} s), notify_up $ms2 ms after it returned; lvs_notify_fifo_script read the RS lines"
consume

# 2. HTTP_GET: each bad answer is a failed check with its reason; then back.
for mode in garbage 500 dribble huge close; do
    echo "$mode" > "$WORKDIR/r2.mode"
    wait_line "down r2" $((BOUND + 3)) >/dev/null || fail "HTTP $mode: no notify_down"
    echo ok > "$WORKDIR/r2.mode"
    wait_line "up r2" 4 >/dev/null || fail "HTTP $mode: no notify_up after recovery"
    consume
done
for why in "not an HTTP response" "HTTP status code 500" "timeout" "larger than" ; do
    grep "HTTP_GET on service \[10.70.0.12\]:tcp:80 failed" "$WORKDIR/lb.log" | grep -q "$why" || fail "no HTTP_GET failure line with '$why'"
done
echo "ok: HTTP_GET: garbage, a 500, a dribbling and a huge answer, a closed connection: each a failed check with its reason, then back up"
# --genhash gives the digest to put in the configuration, as keepalived's genhash.
sum=$(ip netns exec "$PREFIX-lb" "$BIN" --genhash -s 10.70.0.12 -p 80 -u /)
[ "$sum" = 5d41402abc4b2a76b9719d911017c592 ] || fail "--genhash printed '$sum'"
echo "ok: --genhash prints the digest HTTP_GET checks ($sum)"

# SMTP_CHECK: the responder stops and returns.
grep -q "^HELO lb.test" "$WORKDIR/smtp.out" 2>/dev/null || fail "SMTP_CHECK: no HELO reached the server"
kill "$SRV_smtp"
wait_line "down smtp" $((BOUND + 2)) >/dev/null || fail "SMTP_CHECK: no notify_down"
smtp
wait_line "up smtp" 4 >/dev/null || fail "SMTP_CHECK: no notify_up"
echo "ok: SMTP_CHECK: HELO lb.test, down when the server stopped, up when it returned"
consume

# 3. Both real servers down: quorum lost; one back: quorum gained.
kill "$SRV_r1"; echo 500 > "$WORKDIR/r2.mode"
wait_line "quorum down" $((BOUND + 3)) >/dev/null || fail "no quorum_down when every server is down"
grep -q "Lost quorum 1-0=1 > 0 for VS \[10.70.0.100\]:tcp:80" "$WORKDIR/lb.log" || fail "no quorum line"
echo ok > "$WORKDIR/r2.mode"
wait_line "quorum up" 4 >/dev/null || fail "no quorum_up when a server returned"
echo "ok: quorum: lost when both servers failed (quorum_down ran), gained when one returned (quorum_up ran)"

# 4. MISC_CHECK with misc_dynamic: exit 5 → weight 3; exit 1 → down.
echo 5 > "$WORKDIR/misc.code"
end=$(( $(now_ms) + 4000 ))
until grep -q "Changing weight to 3 for service \[10.70.0.13\]:tcp:80" "$WORKDIR/lb.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "misc_dynamic: no weight change"
    sleep 0.05
done
echo 1 > "$WORKDIR/misc.code"
wait_line "down misc" 4 >/dev/null || fail "MISC_CHECK exit 1: no notify_down"
echo 5 > "$WORKDIR/misc.code"
wait_line "up misc" 4 >/dev/null || fail "MISC_CHECK exit 5 again: no notify_up"
echo "ok: MISC_CHECK: misc_dynamic exit 5 set weight 3; exit 1 took the server down; exit 5 brought it back"
weights=$(grep -c "Changing weight" "$WORKDIR/lb.log")

# 5. Reload (the file's text changed, the configuration the same) and a killed checker
#    child: the successor carries the servers' states on, so
#    nothing is notified again (r1 is down, r2 up, the MISC server up at weight 3), and
#    the misc_dynamic weight is not set back to the configured one and then to 3 again.
consume
old=$(cat "$WORKDIR/lb.cpid")
retouch "$WORKDIR/lb.conf"
kill -HUP "$(cat "$WORKDIR/lb.pid")"
sleep 3
new=$(cat "$WORKDIR/lb.cpid")
[ -n "$new" ] && [ "$new" != "$old" ] || fail "reload: the checker child was not replaced ($old -> $new)"
kill -9 "$new"
sleep 3
[ "$(cat "$WORKDIR/lb.cpid")" != "$new" ] || fail "the killed checker child was not restarted"
[ ! -s "$WORKDIR/notify.out" ] || fail "notifies after a reload and a restart: $(cat "$WORKDIR/notify.out")"
[ "$(grep -c "Changing weight" "$WORKDIR/lb.log")" = "$weights" ] \
    || fail "the successor changed the misc_dynamic weight: $(grep "Changing weight" "$WORKDIR/lb.log" | tail -1)"
serve r1 10.70.0.11
wait_line "up r1" 4 >/dev/null || fail "after the restart, r1's return was not notified"
echo "ok: reload and kill -9 of the checker child: states and the misc_dynamic weight carried on, no notify until r1 really returned"

# ha_suspend: the VS address is not on this host, so its checks pause until it is.
grep -q "Suspending healthchecker for VS \[10.70.0.103\]:tcp:80" "$WORKDIR/lb.log" || fail "ha_suspend: not suspended at start"
ip -n "$PREFIX-lb" addr add 10.70.0.103/32 dev lo
end=$(( $(now_ms) + 3000 ))
until grep -q "Activating healthchecker for VS \[10.70.0.103\]:tcp:80" "$WORKDIR/lb.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "ha_suspend: not activated when the address arrived"
    sleep 0.05
done
before=$(grep -c "Suspending healthchecker for VS \[10.70.0.103\]:tcp:80" "$WORKDIR/lb.log")
ip -n "$PREFIX-lb" addr del 10.70.0.103/32 dev lo
sleep 0.5
[ "$(grep -c "Suspending healthchecker for VS \[10.70.0.103\]:tcp:80" "$WORKDIR/lb.log")" = $((before + 1)) ] || fail "ha_suspend: not suspended again when the address left"
echo "ok: ha_suspend: checks paused while the VS address is absent, resumed when it arrived, paused when it left"

# SIGUSR1: every child writes its data file; the checker child survives it.
kill -USR1 "$(cat "$WORKDIR/lb.pid")"
sleep 0.5
grep -q "RS = \[10.70.0.12\]:tcp:80, weight = 1, alive = yes" "$WORKDIR/lb.tmp/keepalived_check.data" 2>/dev/null \
    || fail "SIGUSR1: no keepalived_check.data with r2 alive: $(cat "$WORKDIR/lb.tmp/keepalived_check.data" 2>&1)"
echo "ok: SIGUSR1 writes keepalived_check.data with every server's state"

# 6. Still up, then a clean stop.
parent=$(cat "$WORKDIR/lb.pid")
kill -0 "$parent" && kill -0 "$(cat "$WORKDIR/lb.cpid")" || fail "the daemon did not stay up"
kill -TERM "$parent"
end=$(( $(now_ms) + 6000 ))
while kill -0 "$parent" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do sleep 0.05; done
kill -0 "$parent" 2>/dev/null && fail "the daemon did not stop"
[ -e "$WORKDIR/lb.cpid" ] && fail "the checker pid file is still there"
pgrep -f "$WORKDIR/misc.sh" >/dev/null && fail "a MISC script outlived the daemon"
echo "ok: the daemon stayed up without IPVS and stopped cleanly"

