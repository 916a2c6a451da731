#!/usr/bin/env bash
# The package on Debian 12 systems booted with systemd (two VMs on one link, QEMU; KVM when
# the host has it; integration/vm/debian-vm.sh). Both run Debian's keepalived 2.2.7,
# enabled, a as MASTER (priority 150) and b as BACKUP (100), with `ip monitor address`
# recording on both. Then, on a, as an operator would:
#   - `apt install ./keepalived-rs_*.deb` replaces keepalived; the configuration and the
#     modified /etc/default/keepalived untouched; after a reboot the service runs (its
#     enablement survived) and a is master again;
#   - `systemctl status` (active, the STATUS text), restart and reload through the old name
#     keepalived.service; the reload deletes no VIP; `journalctl -t Keepalived_vrrp`;
#   - a reload with an error leaves the daemon running (the status says why); a start with
#     an error fails with the diagnostic in the journal;
#   - with WatchdogSec set, a SIGSTOPped parent is restarted by systemd;
#   - installing a newer build on the running master: the same main PID, /proc/PID/exe the
#     new file, no VIP deletion, b never master;
#   - `apt remove`: b takes over at once (priority 0 sent), /etc untouched; `apt purge`
#     removes only what the package made.
# b stays on keepalived 2.2.7 throughout (its monitor shows whether it ever took the VIP).
# Needs `make package` first.
set -euo pipefail
cd "$(dirname "$0")/.."
DEB=$(ls target/keepalived-rs_*_amd64.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { echo "make package first" >&2; exit 2; }
source integration/vm/debian-vm.sh
vm_image
VM_DIR=$(mktemp -d /tmp/kars-systemd.XXXXXX)
cleanup() { vm_stop_all; [ -n "${KARS_KEEP:-}" ] && echo "kept $VM_DIR" || rm -rf "$VM_DIR"; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
fail() {
    echo "FAIL: $*"
    for n in a b; do
        echo "--- $n: journal"; vm "$n" 'journalctl -b --no-pager -n 40 -u keepalived-rs -u keepalived' 2>&1 | tail -40 || true
        echo "--- $n: ip monitor"; vm "$n" 'cat /root/ipmon.log' 2>&1 | tail -20 || true
    done
    exit 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
VIP=10.9.0.100
MNT='mountpoint -q /mnt/data || mount -o ro /dev/vdb /mnt/data'

# ---- what the VMs are given ------------------------------------------------------------
DATA=$VM_DIR/data
mkdir -p "$DATA"
cp "$DEB" "$DATA/ours.deb"
ver=$(dpkg-deb -f "$DEB" Version)
dpkg-deb -R "$DEB" "$VM_DIR/up"
sed -i "s/^Version: .*/Version: ${ver}+up1/" "$VM_DIR/up/DEBIAN/control"
dpkg-deb --root-owner-group -b "$VM_DIR/up" "$DATA/up.deb" >/dev/null
for n in a b; do
    case $n in a) addr=10.9.0.1 prio=150 ;; b) addr=10.9.0.2 prio=100 ;; esac
    printf '[Match]\nName=eth0\n[Network]\nAddress=%s/24\nLinkLocalAddressing=no\n' "$addr" > "$DATA/$n.network"
    cat > "$DATA/$n.conf" <<EOF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
done
# An error in a second instance: a reload with it is refused; a start runs the good one.
{ cat "$DATA/a.conf"; printf 'vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 300\n    priority 100\n    virtual_ipaddress {\n        10.9.0.200/24\n    }\n}\n'; } > "$DATA/bad.conf"

vm_start a 52:54:00:4b:52:0a "$VM_DIR/a.net" "$VM_DIR/b.net" "$DATA"
vm_start b 52:54:00:4b:52:0b "$VM_DIR/b.net" "$VM_DIR/a.net" "$DATA"
t0=$(now_ms)
vm_wait a 120 >/dev/null || fail "a did not boot"
vm_wait b 120 >/dev/null || fail "b did not boot"
echo "ok: two Debian 12 VMs booted with systemd ($(vm_accel)) in $(( $(now_ms) - t0 )) ms"

monitor() {   # monitor NODE: ip monitor address from now on, into /root/ipmon.log
    vm "$1" 'setsid sh -c "exec ip -t monitor address" >> /root/ipmon.log 2>&1 < /dev/null &'
}
has_vip() { vm "$1" "ip -4 addr show dev eth0 | grep -q 'inet $VIP/'"; }
wait_vip() {   # wait_vip NODE SECS
    local end=$(( $(now_ms) + $2 * 1000 ))
    until has_vip "$1"; do [ "$(now_ms)" -lt "$end" ] || return 1; sleep 0.2; done
}
mon_lines() { vm "$1" 'wc -l < /root/ipmon.log'; }
# vip_events NODE KIND FROM: lines of NODE's monitor after line FROM that add (KIND=add)
# or delete (KIND=del) the VIP
vip_events() {
    if [ "$2" = del ]; then vm "$1" "tail -n +$(( $3 + 1 )) /root/ipmon.log | grep -c 'Deleted.*inet $VIP/' || true"
    else vm "$1" "tail -n +$(( $3 + 1 )) /root/ipmon.log | grep -v Deleted | grep -c 'inet $VIP/' || true"; fi
}

for n in a b; do
    vm "$n" "$MNT
        cp /mnt/data/$n.network /etc/systemd/network/10-eth0.network && systemctl restart systemd-networkd
        cp /mnt/data/$n.conf /etc/keepalived/keepalived.conf
        sed -i 's/^#* *DAEMON_ARGS=.*/DAEMON_ARGS=\"-D\"/' /etc/default/keepalived
        grep -q '^DAEMON_ARGS=\"-D\"' /etc/default/keepalived || echo 'DAEMON_ARGS=\"-D\"' >> /etc/default/keepalived
        systemctl restart keepalived" || fail "$n: setting up keepalived"
    monitor "$n"
done
wait_vip a 15 || fail "a never became master under keepalived 2.2.7"
for n in a b; do
    [ "$(vm "$n" 'systemctl is-enabled keepalived; systemctl is-active keepalived' | tr '\n' ' ')" = "enabled active " ] \
        || fail "$n: keepalived is not enabled and running"
done
kv=$(vm a 'keepalived --version 2>&1 | head -1')
[[ "$kv" == "Keepalived v2.2.7"* ]] || fail "a runs $kv"
has_vip b && fail "both hold the VIP"
echo "ok: Debian's $kv enabled and running on both; a MASTER, b BACKUP"

# ---- apt install ./keepalived-rs.deb over keepalived, then a reboot ----------------------------
sums='sha256sum /etc/keepalived/keepalived.conf /etc/default/keepalived'
before=$(vm a "$sums")
vm a 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /mnt/data/ours.deb > /root/apt.log 2>&1' \
    || { vm a 'tail -20 /root/apt.log'; fail "apt install ./ours.deb"; }
[ "$(vm a "$sums")" = "$before" ] || fail "the install changed keepalived.conf or /etc/default/keepalived"
vm a 'dpkg-query -W -f "\${Status}" keepalived 2>/dev/null | grep -q " installed"' && fail "keepalived still installed"
[ "$(vm a 'systemctl is-active keepalived-rs')" = active ] || fail "keepalived-rs is not running after the install"
wait_vip a 10 || fail "a is not master under keepalived-rs"
echo "ok: apt install replaced keepalived: keepalived-rs active, a master again, configuration untouched"
boot=$(vm a 'cat /proc/sys/kernel/random/boot_id')
vm a 'systemctl reboot' >/dev/null 2>&1 || true
t0=$(now_ms)
end=$(( t0 + 120000 ))
while :; do
    [ "$(now_ms)" -lt "$end" ] || fail "a did not come back from the reboot"
    sleep 1
    b2=$(vm a 'cat /proc/sys/kernel/random/boot_id' 2>/dev/null || true)
    [ -n "$b2" ] && [ "$b2" != "$boot" ] && break
done
vm_wait a 120 || fail "a's boot did not finish"
monitor a
[ "$(vm a 'systemctl is-enabled keepalived-rs; systemctl is-active keepalived-rs' | tr '\n' ' ')" = "enabled active " ] \
    || fail "keepalived-rs not enabled and running after the reboot"
wait_vip a 15 || fail "a is not master again after the reboot"
echo "ok: after a reboot ($(( $(now_ms) - t0 )) ms) keepalived-rs runs (enabled) and a is master again"

# ---- systemctl through the old name; the journal ------------------------------------------------
# The STATUS= line follows a transition within a second.
end=$(( $(now_ms) + 5000 ))
until st=$(vm a 'systemctl status keepalived --no-pager' || true); grep -q 'Status: "VI_1 MASTER' <<< "$st"; do
    [ "$(now_ms)" -lt "$end" ] || fail "no 'VI_1 MASTER' STATUS text in systemctl status: $st"
    sleep 0.5
done
grep -q 'Active: active (running)' <<< "$st" || fail "systemctl status: $st"
echo "ok: systemctl status keepalived: active (running), $(grep -o 'Status: .*' <<< "$st")"
ma=$(mon_lines a); mb=$(mon_lines b)
pid=$(vm a 'systemctl show -p MainPID --value keepalived')
vm a 'systemctl reload keepalived' || fail "systemctl reload keepalived"
sleep 3
[ "$(vm a 'systemctl is-active keepalived')" = active ] || fail "not active after the reload"
[ "$(vip_events a del "$ma")" = 0 ] || fail "the reload deleted the VIP on a"
[ "$(vip_events b add "$mb")" = 0 ] || fail "b took the VIP during the reload"
[ "$(vm a 'systemctl show -p MainPID --value keepalived')" = "$pid" ] || fail "the reload changed the main PID"
vm a 'journalctl -b --no-pager -t Keepalived_vrrp | grep -q "(VI_1) Entering MASTER STATE"' \
    || fail "journalctl -t Keepalived_vrrp has no instance lines"
vm a 'journalctl -b --no-pager -t Keepalived | grep -q "Reload complete"' || fail "no 'Reload complete' in the journal"
echo "ok: systemctl reload keepalived: same main PID, no VIP deletion (ip monitor on a and b); journalctl -t Keepalived_vrrp has the instance's lines"
vm a 'systemctl restart keepalived' || fail "systemctl restart keepalived"
[ "$(vm a 'systemctl show -p MainPID --value keepalived')" != "$pid" ] || fail "restart kept the main PID"
wait_vip a 15 || fail "a is not master after the restart"
echo "ok: systemctl restart keepalived: a new main PID, a master again"

# ---- errors: a reload keeps running, a start fails with the reason --------------------------------
vm a "$MNT; cp /etc/keepalived/keepalived.conf /root/good.conf; cp /mnt/data/bad.conf /etc/keepalived/keepalived.conf" \
    || fail "cannot put the bad configuration in place"
ma=$(mon_lines a)
pid=$(vm a 'systemctl show -p MainPID --value keepalived-rs')
vm a 'systemctl reload keepalived-rs' || true
sleep 2
[ "$(vm a 'systemctl is-active keepalived-rs')" = active ] || fail "a reload with an error stopped the daemon"
[ "$(vm a 'systemctl show -p MainPID --value keepalived-rs')" = "$pid" ] || fail "a reload with an error replaced the daemon"
st=$(vm a 'systemctl status keepalived-rs --no-pager' || true)
grep -q 'Status: "Reload refused' <<< "$st" || fail "the status does not say the reload was refused: $st"
[ "$(vip_events a del "$ma")" = 0 ] || fail "a refused reload deleted the VIP"
echo "ok: a reload with an error: still running, $(grep -o 'Status: .*' <<< "$st" | cut -c1-90)"
vm a 'systemctl stop keepalived-rs'
wait_vip b 5 || fail "b did not take over when a stopped"
# A start with that error: as keepalived, the good instance runs; the journal names the error.
vm a 'systemctl start keepalived-rs' || fail "a start with an error in one instance failed: the good one must run"
wait_vip a 15 || fail "VI_1 did not run beside VI_2's error"
j=$(vm a 'journalctl -b --no-pager -u keepalived-rs -n 40')
grep -q 'keepalived.conf:[0-9]*:[0-9]*' <<< "$j" || fail "the journal does not name the error's file:line:column: $j"
echo "ok: a start with an error in VI_2: VI_1 master; the journal says: $(grep -m1 -o 'keepalived.conf:[0-9]*:[0-9]*.*' <<< "$j" | cut -c1-80)"
# A start that cannot succeed (its configuration file cannot be read): fails, says why.
vm a 'systemctl stop keepalived-rs; cp /etc/default/keepalived-rs /root/default.orig
    echo "DAEMON_ARGS=\"-f /etc/keepalived/none.conf\"" >> /etc/default/keepalived-rs'
vm a 'systemctl start keepalived-rs' 2>/dev/null && fail "a start without a readable configuration succeeded"
# Restart=on-failure tries again a second later; the result says how it ended. It is read
# in the guest, every 0.1 s for up to 15 s: while an attempt is starting systemd shows
# 'success' (read once from here, a slow VM can land there), between attempts and once
# the start limit is hit the last attempt's result.
r=$(vm a 'for i in $(seq 150); do r=$(systemctl show -p Result --value keepalived-rs)
    [ "$r" = exit-code ] && break; sleep 0.1; done; echo "$r"')
[ "$r" = exit-code ] || fail "the unit's result is '$r', not exit-code (for 15 s)"
j=$(vm a 'journalctl -b --no-pager -u keepalived-rs -n 20')
grep -q 'none.conf' <<< "$j" || fail "the journal does not say why the start failed: $j"
echo "ok: a start that cannot read its configuration fails; the journal says: $(grep -m1 -o '[^ ]*none.conf.*' <<< "$j" | cut -c1-80)"
vm a 'cp /root/good.conf /etc/keepalived/keepalived.conf; cp /root/default.orig /etc/default/keepalived-rs
    systemctl stop keepalived-rs; systemctl reset-failed keepalived-rs; systemctl start keepalived-rs' || fail "start with the configuration restored"
wait_vip a 15 || fail "a is not master after the start"

# ---- the watchdog: a stopped parent is restarted ------------------------------------------------
vm a 'mkdir -p /etc/systemd/system/keepalived-rs.service.d
    printf "[Service]\nWatchdogSec=3s\n" > /etc/systemd/system/keepalived-rs.service.d/watchdog.conf
    systemctl daemon-reload; systemctl restart keepalived-rs' || fail "restart with WatchdogSec"
wait_vip a 15 || fail "a is not master with WatchdogSec set"
sleep 4
pid=$(vm a 'systemctl show -p MainPID --value keepalived-rs')
n0=$(vm a 'systemctl show -p NRestarts --value keepalived-rs')
[ "$(vm a 'systemctl is-active keepalived-rs')" = active ] || fail "WatchdogSec=3s: the daemon did not keep the watchdog fed"
vm a "kill -STOP $pid"
t0=$(now_ms); end=$(( t0 + 30000 ))
while :; do
    [ "$(now_ms)" -lt "$end" ] || fail "systemd did not restart the stopped parent within 30 s"
    sleep 0.5
    p2=$(vm a 'systemctl show -p MainPID --value keepalived-rs')
    [ "$p2" != "$pid" ] && [ "$p2" != 0 ] && [ "$(vm a 'systemctl is-active keepalived-rs')" = active ] && break
done
n1=$(vm a 'systemctl show -p NRestarts --value keepalived-rs')
[ "$n1" -gt "$n0" ] || fail "NRestarts did not grow ($n0 -> $n1)"
wait_vip a 15 || fail "a is not master after the watchdog restart"
echo "ok: WatchdogSec=3s: the SIGSTOPped parent was restarted by systemd in $(( $(now_ms) - t0 )) ms (NRestarts $n0 -> $n1)"
vm a 'rm -r /etc/systemd/system/keepalived-rs.service.d; systemctl daemon-reload'
sleep 4

# ---- a newer package on the running master: upgraded in place ------------------------------------
ma=$(mon_lines a); mb=$(mon_lines b)
pid=$(vm a 'systemctl show -p MainPID --value keepalived-rs')
ino=$(vm a "stat -L -c %i /proc/$pid/exe")
vm a "$MNT; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /mnt/data/up.deb > /root/apt.log 2>&1" \
    || { vm a 'tail -20 /root/apt.log'; fail "apt install of the newer package"; }
sleep 2
[ "$(vm a 'systemctl show -p MainPID --value keepalived-rs')" = "$pid" ] || fail "the upgrade changed the main PID"
new=$(vm a "stat -L -c %i /proc/$pid/exe; stat -c %i /usr/sbin/keepalived-rs" | sort -u | wc -l)
[ "$new" = 1 ] && [ "$(vm a "stat -L -c %i /proc/$pid/exe")" != "$ino" ] || fail "/proc/$pid/exe is not the new binary"
[ "$(vip_events a del "$ma")" = 0 ] || fail "the upgrade deleted the VIP on a"
[ "$(vip_events b add "$mb")" = 0 ] || fail "b took the VIP during the upgrade"
[ "$(vm a 'systemctl is-active keepalived-rs')" = active ] || fail "not active after the upgrade"
echo "ok: apt install of ${ver}+up1 on the running master: main PID $pid kept, /proc/PID/exe the new file, no VIP deletion, b never master"

# ---- apt remove, apt purge ----------------------------------------------------------------------
# "At once": b (keepalived 2.2.7) hears priority 0 and becomes master after its skew time
# (0.6 s), not after its master-down interval (3.6 s); timed in b's own journal.
since=$(vm b 'date "+%Y-%m-%d %H:%M:%S"')
vm a "DEBIAN_FRONTEND=noninteractive apt-get remove -y keepalived-rs > /root/apt.log 2>&1" || fail "apt remove"
wait_vip b 10 || fail "b did not take over after apt remove"
j=$(vm b "journalctl --no-pager -o short-unix -t Keepalived_vrrp --since '$since'")
t_zero=$(grep -m1 'received priority 0 advertisement' <<< "$j" | cut -d' ' -f1)
t_master=$(grep 'Entering MASTER STATE' <<< "$j" | tail -1 | cut -d' ' -f1)
[ -n "$t_zero" ] && [ -n "$t_master" ] || fail "b's journal does not show priority 0 then MASTER: $j"
took=$(echo "($t_master - $t_zero) * 1000 / 1" | bc)
[ "$took" -lt 2000 ] || fail "b became master ${took} ms after the priority 0 advert (not at once)"
vm a 'pgrep -x keepalived-rs' >/dev/null && fail "a daemon still runs after apt remove"
[ "$(vm a "$sums")" = "$before" ] || fail "apt remove touched /etc/keepalived or /etc/default/keepalived"
vm a 'test -f /etc/default/keepalived-rs' || fail "apt remove took the conffile"
vm a 'DEBIAN_FRONTEND=noninteractive apt-get purge -y keepalived-rs > /root/apt.log 2>&1' || fail "apt purge"
vm a 'test -e /etc/default/keepalived-rs || test -e /etc/init.d/keepalived-rs || test -L /etc/systemd/system/keepalived.service' \
    && fail "apt purge left files the package made"
[ "$(vm a "$sums")" = "$before" ] || fail "apt purge touched /etc/keepalived or /etc/default/keepalived"
echo "ok: apt remove: the daemon sent priority 0 and stopped, b master ${took} ms after it (its skew time); /etc untouched; purge removed only the package's files"
echo "PASS systemd"
