#!/usr/bin/env bash
# Seed-config scenarios on keepalived-rs in network namespaces: dual master with two VIPs
# and the custom multicast group 224.0.0.111, VRRPv3 with advert_int 0.05, a vrrp_script
# with weight -60 (fall 2, rise 2) and notify scripts whose arguments are checked,
# nopreempt, and a flood of malformed adverts that changes nothing.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
FLOOD=${FLOOD:-$PWD/target/release/examples/vrrp-flood}
SINK=${SINK:-$PWD/target/release/examples/smtp-sink}
source integration/lib.sh

start() {   # start NODE CONF-TEXT
    printf '%s\n' "$2" > "$WORKDIR/$1.conf"
    mkdir -p "$WORKDIR/$1.tmp"
    TMPDIR="$WORKDIR/$1.tmp" ip netns exec "$PREFIX-$1" "$BIN" -n -l -P -f "$WORKDIR/$1.conf" -p "$WORKDIR/$1.pid" -r "$WORKDIR/$1.vpid" > "$WORKDIR/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
}
halt() {   # SIGKILL everything in NODE and cut its link
    ip -n "$PREFIX-$1" link set eth0 down
    ip netns pids "$PREFIX-$1" | xargs -r kill -9 2>/dev/null || true
}
revive() { ip -n "$PREFIX-$1" link set eth0 up; }
stop_all() { for n in "$@"; do ip netns pids "$PREFIX-$n" | xargs -r kill -TERM 2>/dev/null || true; done; sleep 1.5; }
fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; for f in "$WORKDIR"/*.log; do echo "--- $f"; tail -30 "$f"; done; exit 1; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

inst() {   # inst NAME VRID STATE PRIO VIP EXTRA
    printf 'vrrp_instance %s {\n    state %s\n    interface eth0\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/24\n    }\n%s\n}\n' "$1" "$3" "$2" "$4" "$5" "${6:-}"
}
GLOBAL='global_defs {
    vrrp_mcast_group4 224.0.0.111
}'

lan
node a 10.80.0.1/24
node b 10.80.0.2/24
node c 10.80.0.3/24

# --- dual master, two VIPs, custom multicast group --------------------------------------
start a "$GLOBAL
$(inst VI_1 81 MASTER 150 10.80.0.101)
$(inst VI_2 82 BACKUP 100 10.80.0.102)"
start b "$GLOBAL
$(inst VI_1 81 BACKUP 100 10.80.0.101)
$(inst VI_2 82 MASTER 150 10.80.0.102)"
wait_addr a 10.80.0.101 10 || fail "dual master: a never took VIP 1"
wait_addr b 10.80.0.102 10 || fail "dual master: b never took VIP 2"
sleep 1.5
has_addr a 10.80.0.102 && fail "dual master: a holds VIP 2 too"
has_addr b 10.80.0.101 && fail "dual master: b holds VIP 1 too"
ip netns exec "$PREFIX-c" timeout 3 tcpdump -i eth0 -nn -c 2 'dst 224.0.0.111' 2>/dev/null | grep 224.0.0.111 >/dev/null \
    || fail "dual master: no adverts to 224.0.0.111"
halt a
t0=$(date +%s%N)
wait_addr b 10.80.0.101 6 || fail "dual master: b did not take VIP 1 over"
echo "ok: dual master with two VIPs on 224.0.0.111; a killed, b holds both after $(ms_since $t0) ms"
stop_all b; revive a

# --- VRRPv3, advert_int 0.05 -------------------------------------------------------------
V3=$'    version 3\n    advert_int 0.05'
start a "$(inst VI_3 83 MASTER 150 10.80.0.103 "$V3")"
start b "$(inst VI_3 83 BACKUP 100 10.80.0.103 "$V3")"
wait_addr a 10.80.0.103 10 || fail "v3: a never became master"
sleep 1
halt a
t0=$(date +%s%N)
wait_addr b 10.80.0.103 3 || fail "v3: b did not take over"
took=$(ms_since $t0)
# master_down = 3 x 50 ms + skew 30 ms = 180 ms; allow for a loaded 2-core machine.
[ "$took" -lt 1000 ] || fail "v3: takeover took $took ms (master_down 180 ms)"
echo "ok: VRRPv3 advert_int 0.05: takeover after $took ms (master_down_interval 180 ms)"
stop_all b; revive a

# --- vrrp_script (weight -60, fall 2, rise 2) and notify arguments ------------------------
cat > "$WORKDIR/notify.sh" <<'SH'
#!/bin/sh
echo "$@" >> "$(dirname "$0")/notify.out"
SH
cat > "$WORKDIR/notify_all.sh" <<'SH'
#!/bin/sh
echo "$@" >> "$(dirname "$0")/notify_all.out"
SH
chmod 755 "$WORKDIR/notify.sh" "$WORKDIR/notify_all.sh"
touch "$WORKDIR/healthy"
SCRIPT="vrrp_script chk {
    script \"/bin/test -e $WORKDIR/healthy\"
    interval 1
    weight -60
    fall 2
    rise 2
}"
NOTIFY=$(printf '    track_script {\n        chk\n    }\n    notify_master "%s/notify.sh master"\n    notify_backup "%s/notify.sh backup"\n    notify "%s/notify_all.sh"' "$WORKDIR" "$WORKDIR" "$WORKDIR")
start a "$SCRIPT
$(inst VI_4 84 MASTER 150 10.80.0.104 "$NOTIFY")"
start b "$(inst VI_4 84 BACKUP 100 10.80.0.104)"
wait_addr a 10.80.0.104 10 || fail "script: a never became master"
rm "$WORKDIR/healthy"
wait_addr b 10.80.0.104 8 || fail "script: b did not take over when the check failed (150-60 < 100)"
touch "$WORKDIR/healthy"
wait_addr a 10.80.0.104 10 || fail "script: a did not take back over after rise 2"
sleep 0.5
grep -qx "master" "$WORKDIR/notify.out" || fail "notify_master did not get exactly 'master': $(cat "$WORKDIR/notify.out")"
grep -qx "backup" "$WORKDIR/notify.out" || fail "notify_backup did not get exactly 'backup': $(cat "$WORKDIR/notify.out")"
grep -qx "INSTANCE VI_4 MASTER 150" "$WORKDIR/notify_all.out" || fail "notify got: $(cat "$WORKDIR/notify_all.out")"
grep -qx "INSTANCE VI_4 BACKUP 90" "$WORKDIR/notify_all.out" || fail "notify (backup) got: $(cat "$WORKDIR/notify_all.out")"
echo "ok: vrrp_script weight -60 fall 2 rise 2 moves the VIP and back; notify arguments as keepalived"
stop_all a b

# --- SMTP alerts: an instance and its sync group mail a relay in namespace c ---------------
ip netns exec "$PREFIX-c" "$SINK" 10.80.0.3:2525 "$WORKDIR/mail.out" > /dev/null 2>&1 &
PIDS+=($!)
disown $!
sleep 0.3
MAILCONF="global_defs {
    router_id lb-a
    notification_email {
        ops@example.com
        noc@example.com
    }
    notification_email_from lb-a@example.com
    smtp_server 10.80.0.3 2525
    smtp_connect_timeout 5
}
vrrp_sync_group G9 {
    group {
        VI_9
    }
    smtp_alert
}"
start a "$MAILCONF
$(inst VI_9 89 MASTER 150 10.80.0.109 "    smtp_alert")"
wait_addr a 10.80.0.109 10 || fail "smtp: a never became master"
end=$(( $(date +%s%N) + 5000000000 ))
while ! grep -q "Group G9 - Entering MASTER" "$WORKDIR/mail.out" 2>/dev/null && [ "$(date +%s%N)" -lt "$end" ]; do sleep 0.05; done
grep -q "^Subject: \[lb-a\] VRRP Instance VI_9 - Entering MASTER state" "$WORKDIR/mail.out" || fail "smtp: no instance mail: $(cat "$WORKDIR/mail.out" 2>&1)"
grep -q "^Subject: \[lb-a\] VRRP Group G9 - Entering MASTER state" "$WORKDIR/mail.out" || fail "smtp: no group mail: $(cat "$WORKDIR/mail.out")"
grep -q "^RCPT TO:<noc@example.com>" "$WORKDIR/mail.out" || fail "smtp: second recipient missing"
grep -q "^MAIL FROM:<lb-a@example.com>" "$WORKDIR/mail.out" || fail "smtp: wrong sender"
grep -q "^=> VRRP Instance is now owning VRRP VIPs <=" "$WORKDIR/mail.out" || fail "smtp: instance body"
grep -q "SMTP alert successfully sent." "$WORKDIR/a.log" || fail "smtp: no success log line"
stop_all a
echo "ok: SMTP alerts for the instance and its sync group reached the relay, keepalived's headers and bodies"

# --- the master's interface goes down: FAULT, VIP removed; back up: BACKUP, then MASTER ---
start a "$(inst VI_7 87 MASTER 150 10.80.0.107)"
start b "$(inst VI_7 87 BACKUP 100 10.80.0.107)"
wait_addr a 10.80.0.107 10 || fail "link: a never became master"
sleep 1
ip -n "$PREFIX-a" link set eth0 down
t0=$(date +%s%N)
wait_addr b 10.80.0.107 6 || fail "link: b did not take over when a's link went down"
took=$(ms_since $t0)
has_addr a 10.80.0.107 && fail "link: a kept its VIP in FAULT"
grep -q "(VI_7) Entering FAULT STATE" "$WORKDIR/a.log" || fail "link: a did not enter FAULT"
ip -n "$PREFIX-a" link set eth0 up
wait_addr a 10.80.0.107 10 || fail "link: a did not come back as master"
echo "ok: the master's link down: FAULT, VIP removed, b took over after $took ms; link up: a preempts again"
stop_all a b

# --- IPv6 (VRRPv3 to ff02::12 from the link-local address; unsolicited NA) -------------------
sleep 2   # link-local addresses after the link flaps above (DAD)
start a "$(inst VI_8 88 MASTER 150 2001:db8:80::100 | sed 's|/24|/64|')"
start b "$(inst VI_8 88 BACKUP 100 2001:db8:80::100 | sed 's|/24|/64|')"
wait_addr6 a 2001:db8:80::100 10 || fail "IPv6: a never became master"
sleep 1.5
has_addr6 b 2001:db8:80::100 && fail "IPv6: b holds the VIP too"
halt a
t0=$(date +%s%N)
wait_addr6 b 2001:db8:80::100 6 || fail "IPv6: b did not take over"
echo "ok: IPv6: a killed, b took 2001:db8:80::100 over after $(ms_since $t0) ms"
stop_all b; revive a

# --- static_ipaddress, static_routes / rules, virtual_routes / rules ---------------------
start a "static_ipaddress {
    10.81.0.1/32 dev eth0
}
static_routes {
    10.82.0.0/24 via 10.80.0.3 dev eth0
    10.86.0.0/24 dev eth0 nexthop via 10.80.0.3 dev eth0 weight 2 nexthop via 10.80.0.2 dev eth0
}
static_rules {
    from 10.81.0.0/24 table 100 preference 1000
}
$(inst VI_9 89 MASTER 150 10.80.0.109 $'    virtual_routes {\n        10.83.0.0/24 via 10.80.0.3 dev eth0\n    }\n    virtual_rules {\n        to 10.84.0.0/24 fwmark 7 table 101 preference 1001\n    }')"
wait_addr a 10.80.0.109 10 || fail "routes: a never became master"
has_addr a 10.81.0.1 || fail "routes: no static address"
ip -n "$PREFIX-a" route | grep "^10.82.0.0/24 via 10.80.0.3 dev eth0 proto" >/dev/null || fail "routes: no static route: $(ip -n "$PREFIX-a" route)"
ip -n "$PREFIX-a" route | grep "^10.83.0.0/24 via 10.80.0.3 dev eth0 proto" >/dev/null || fail "routes: no virtual route: $(ip -n "$PREFIX-a" route)"
ip -n "$PREFIX-a" route | grep -A2 "^10.86.0.0/24" | grep "nexthop via 10.80.0.3 dev eth0 weight 2" >/dev/null || fail "routes: no multipath route: $(ip -n "$PREFIX-a" route)"
ip -n "$PREFIX-a" rule | grep "^1000:.*from 10.81.0.0/24 lookup 100 proto keepalived" >/dev/null || fail "rules: no static rule: $(ip -n "$PREFIX-a" rule)"
ip -n "$PREFIX-a" rule | grep "^1001:.*to 10.84.0.0/24 fwmark 0x7 lookup 101 proto keepalived" >/dev/null || fail "rules: no virtual rule: $(ip -n "$PREFIX-a" rule)"
ip netns pids "$PREFIX-a" | xargs -r kill -TERM
sleep 2
ip -n "$PREFIX-a" rule | grep "proto keepalived" >/dev/null && fail "rules: rules left after stop: $(ip -n "$PREFIX-a" rule)"
has_addr a 10.81.0.1 && fail "routes: static address left after stop"
ip -n "$PREFIX-a" route | grep "10.8[236].0.0/24" >/dev/null && fail "routes: routes left after stop: $(ip -n "$PREFIX-a" route)"
echo "ok: static_ipaddress, static_routes (multipath too), static_rules, virtual_routes and virtual_rules installed (protocol keepalived) and removed on stop"

# --- script_user: notify scripts run as that user -----------------------------------------
chmod 755 "$WORKDIR"
mkdir -m 1777 "$WORKDIR/pub"
printf '#!/bin/sh\nid -u > %s/pub/id.out\n' "$WORKDIR" > "$WORKDIR/id.sh"
chmod 755 "$WORKDIR/id.sh"
start a "global_defs {
    script_user nobody
}
$(inst VI_10 90 MASTER 150 10.80.0.110 "    notify_master $WORKDIR/id.sh")"
wait_addr a 10.80.0.110 10 || fail "script_user: a never became master"
sleep 1
[ "$(cat "$WORKDIR/pub/id.out" 2>/dev/null)" = "$(id -u nobody)" ] || fail "script_user: notify ran as uid $(cat "$WORKDIR/pub/id.out" 2>/dev/null), not nobody"
echo "ok: script_user nobody: notify_master ran as uid $(id -u nobody)"
stop_all a

# --- nopreempt ---------------------------------------------------------------------------
start b "$(inst VI_5 85 BACKUP 100 10.80.0.105)"
wait_addr b 10.80.0.105 10 || fail "nopreempt: b never became master"
start a "$(inst VI_5 85 BACKUP 150 10.80.0.105 '    nopreempt')"
sleep 6
has_addr b 10.80.0.105 || fail "nopreempt: the higher-priority node took over"
has_addr a 10.80.0.105 && fail "nopreempt: both hold the VIP"
echo "ok: nopreempt: the higher-priority node stays backup"
stop_all a b

# --- addresses removed by someone else: the master retakes its VIP, statics come back ------
start a "static_ipaddress {
    10.81.0.2/32 dev eth0
}
$(inst VI_13 94 MASTER 150 10.80.0.114)"
wait_addr a 10.80.0.114 10 || fail "removed: a never became master"
has_addr a 10.81.0.2 || fail "removed: no static address"
sleep 0.5
ip -n "$PREFIX-a" addr del 10.80.0.114/24 dev eth0
ip -n "$PREFIX-a" addr del 10.81.0.2/32 dev eth0
wait_addr a 10.81.0.2 2 || fail "removed: the static address did not come back"
wait_addr a 10.80.0.114 3 || fail "removed: the master did not retake its VIP"
grep -q "(VI_13) VIP 10.80.0.114 was removed by someone else" "$WORKDIR/a.log" || fail "removed: no log line"
stop_all a
echo "ok: a VIP removed by someone else is retaken after the skew time; a removed static address is put back"

# --- notify_fifo with notify_fifo_script: the script reads keepalived's FIFO lines -------------
printf '#!/bin/sh\nwhile read -r line; do echo "$line" >> %s/fifo.out; done < "$1"\n' "$WORKDIR" > "$WORKDIR/fifo.sh"
chmod 755 "$WORKDIR/fifo.sh"
start a "global_defs {
    notify_fifo $WORKDIR/ka.fifo
    notify_fifo_script $WORKDIR/fifo.sh
}
$(inst VI_12 92 MASTER 150 10.80.0.112)"
wait_addr a 10.80.0.112 10 || fail "fifo: a never became master"
sleep 0.5
grep -qx 'INSTANCE "VI_12" BACKUP 150' "$WORKDIR/fifo.out" 2>/dev/null || fail "fifo: no BACKUP line: $(cat "$WORKDIR/fifo.out" 2>&1)"
grep -qx 'INSTANCE "VI_12" MASTER 150' "$WORKDIR/fifo.out" || fail "fifo: no MASTER line: $(cat "$WORKDIR/fifo.out")"
[ -p "$WORKDIR/ka.fifo" ] || fail "fifo: the FIFO was not created"
stop_all a
pgrep -f "$WORKDIR/fifo.sh" >/dev/null && fail "fifo: the FIFO script outlived the daemon"
echo "ok: notify_fifo_script got the FIFO's name and read keepalived's lines; it stops with the daemon"

# --- use_vmac: the VIP on a macvlan with the virtual MAC; the client's ARP entry survives ---
VMAC_IP=10.80.0.113
start a "$(inst VI_11 93 MASTER 150 $VMAC_IP '    use_vmac group 7')"
start b "$(printf 'global_defs {\n    vmac_prefix vm\n}\n'; inst VI_11 93 BACKUP 100 $VMAC_IP '    use_vmac')"
wait_addr_on a vrrp.93 $VMAC_IP 10 || fail "vmac: a never put the VIP on vrrp.93: $(ip -n "$PREFIX-a" addr)"
ip -n "$PREFIX-a" link show vrrp.93 | grep "link/ether 00:00:5e:00:01:5d" >/dev/null || fail "vmac: vrrp.93 without the virtual MAC"
ip -n "$PREFIX-a" link show vrrp.93 | grep " group 7 " >/dev/null || fail "vmac: vrrp.93 not in group 7: $(ip -n "$PREFIX-a" link show vrrp.93)"
[ "$(ip netns exec "$PREFIX-a" cat /proc/sys/net/ipv4/conf/eth0/arp_ignore)" = 1 ] || fail "vmac: arp_ignore not set on the base interface"
ip netns exec "$PREFIX-c" ping -c 2 -W 1 $VMAC_IP >/dev/null || fail "vmac: the client cannot reach the VIP"
ip -n "$PREFIX-c" neigh show $VMAC_IP | grep "lladdr 00:00:5e:00:01:5d" >/dev/null || fail "vmac: the client resolved $(ip -n "$PREFIX-c" neigh show $VMAC_IP)"
halt a
wait_addr_on b vm.93 $VMAC_IP 6 || fail "vmac: b did not take over (on vm.93, its vmac_prefix)"
ip netns exec "$PREFIX-c" ping -c 2 -W 1 $VMAC_IP >/dev/null || fail "vmac: the client cannot reach the VIP on b"
ip -n "$PREFIX-c" neigh show $VMAC_IP | grep "lladdr 00:00:5e:00:01:5d" >/dev/null || fail "vmac: the client's entry changed: $(ip -n "$PREFIX-c" neigh show $VMAC_IP)"
ip netns pids "$PREFIX-b" | xargs -r kill -TERM; sleep 2
ip -n "$PREFIX-b" link show vm.93 >/dev/null 2>&1 && fail "vmac: vm.93 left on b after stop"
[ "$(ip netns exec "$PREFIX-b" cat /proc/sys/net/ipv4/conf/eth0/arp_ignore)" = 0 ] || fail "vmac: arp_ignore not restored on b"
revive a
ip -n "$PREFIX-a" link del vrrp.93 2>/dev/null || true
ip netns exec "$PREFIX-a" sh -c 'for p in arp_ignore arp_filter arp_announce; do echo 0 > /proc/sys/net/ipv4/conf/eth0/$p; done'
echo "ok: use_vmac: the VIP on vrrp.93 with 00:00:5e:00:01:5d (in interface group 7, use_vmac's group; b's named vm.93 by vmac_prefix); after failover the client's ARP entry is unchanged; the VMAC and arp settings go at stop"

# --- 10,000 malformed adverts a second for 10 s ---------------------------------------------
start a "$(inst VI_6 86 MASTER 150 10.80.0.106)"
start b "$(inst VI_6 86 BACKUP 100 10.80.0.106)"
wait_addr a 10.80.0.106 10 || fail "flood: a never became master"
sleep 1
ip netns exec "$PREFIX-c" "$FLOOD" eth0 86 10000 10 || fail "flood sender failed"
has_addr a 10.80.0.106 || fail "flood: the master lost the VIP"
has_addr b 10.80.0.106 && fail "flood: the backup took the VIP"
grep -q "Entering MASTER STATE" "$WORKDIR/b.log" && fail "flood: the backup changed state"
[ -n "$(ip netns pids "$PREFIX-a")" ] && [ -n "$(ip netns pids "$PREFIX-b")" ] || fail "flood: a daemon died"
drops=$(grep -c "dropping advert" "$WORKDIR/b.log" || true)
[ "$drops" -ge 5 ] && [ "$drops" -le 40 ] || fail "flood: $drops drop log lines on b (rate limit: about one a second)"
# The counters show them (SIGUSR2: keepalived.stats, in keepalived's layout).
kill -USR2 "$(cat "$WORKDIR/b.pid")"
sleep 0.5
stats="$WORKDIR/b.tmp/keepalived.stats"
[ -s "$stats" ] || fail "flood: no stats file after SIGUSR2"
grep -q "^VRRP Instance: VI_6" "$stats" || fail "flood: stats file without the instance"
total=$(grep -A30 "^VRRP Instance: VI_6" "$stats" | awk -F': ' '/Length|TTL|Invalid Type|Advertisement Interval|Address List|Type Mismatch|Failure|Checksum|Version|Other:/ {s += $2} END {print s}')
[ "$total" -ge 90000 ] || fail "flood: only $total errors counted: $(cat "$stats")"
received=$(grep -A3 "^VRRP Instance: VI_6" "$stats" | awk -F': ' '/Received/ {print $2}')
[ "$received" -ge 9 ] || fail "flood: only $received good adverts received during the flood"
echo "ok: 100,000 malformed adverts in 10 s: no crash, no state change, $total counted, $received good adverts received, $drops rate-limited log lines"

# The data dump (SIGUSR1: keepalived.data, keepalived's sections and wording).
kill -USR1 "$(cat "$WORKDIR/a.pid")"
sleep 0.5
data="$WORKDIR/a.tmp/keepalived.data"
[ -s "$data" ] || fail "data: no data file after SIGUSR1"
for want in "------< Global definitions >------" " VRRP IPv4 mcast group = 224.0.0.18" "------< VRRP Topology >------" \
    " VRRP Instance = VI_6" "   State = MASTER" "   Virtual Router ID = 86" "     10.80.0.106/24 dev eth0 scope global set"; do
    grep -qxF -- "$want" "$data" || fail "data: no line '$want' in: $(cat "$data")"
done
echo "ok: SIGUSR1 writes keepalived.data with the global definitions and the VRRP topology"
