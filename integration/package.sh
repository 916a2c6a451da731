#!/usr/bin/env bash
# The packages `make package` built. The .deb is installed by apt over Debian's own
# keepalived 2.2.7 in a Debian 12 chroot (debootstrap, cached; no daemon runs in it):
# keepalived removed and ours in its place, the operator's /etc/keepalived and
# /etc/default/keepalived untouched, keepalived's enablement carried over to
# keepalived-rs.service with keepalived.service as its alias (not masked), the keepalived
# and genhash commands running keepalived-rs; an upgrade that restarts nothing; remove and
# purge taking only what the package made. Then lintian on the .deb, and what `rpm -qp`
# shows of the .rpm (no RPM-based system can be had here).
# Env: KARS_CHROOT_CACHE (default /tmp/kars-chroot-cache).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${KARS_CHROOT_CACHE:-/tmp/kars-chroot-cache}
DEB=$(ls target/keepalived-rs_*_amd64.deb 2>/dev/null | head -1)
RPM=$(ls target/keepalived-rs-*.x86_64.rpm 2>/dev/null | head -1)
[ -n "$DEB" ] && [ -n "$RPM" ] || { echo "make package first" >&2; exit 2; }
fail() { echo "FAIL: $*"; [ -f "${LOG:-/nonexistent}" ] && tail -40 "$LOG"; exit 1; }

# ---- the chroot: Debian 12 minbase with Debian's keepalived installed (and so enabled) --
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"; flock 9
if [ ! -f "$CACHE/bookworm/.done" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
    rm -rf "$CACHE/bookworm"
    echo "package: debootstrap of Debian 12 with keepalived into $CACHE (once, about a minute)"
    debootstrap --variant=minbase --include=keepalived,init-system-helpers bookworm \
        "$CACHE/bookworm" http://deb.debian.org/debian > "$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log"; fail "debootstrap"; }
    touch "$CACHE/bookworm/.done"
fi
R=$(mktemp -d /tmp/kars-package.XXXXXX)
NS=kars$$-pkg
DAEMON=
cleanup() {
    [ -n "$DAEMON" ] && kill -9 "$DAEMON" 2>/dev/null
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    mountpoint -q "$R/root/proc" 2>/dev/null && umount -l "$R/root/proc"
    rm -rf "$R"
}
trap cleanup EXIT
cp -a "$CACHE/bookworm" "$R/root"
root=$R/root
LOG=$R/apt.log
# Nothing may start a daemon in the chroot.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
wants=$root/etc/systemd/system/multi-user.target.wants

[ -L "$wants/keepalived.service" ] || fail "keepalived is not enabled in the chroot"
# The operator's files.
mkdir -p "$root/etc/keepalived"
cat > "$root/etc/keepalived/keepalived.conf" <<'EOF'
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF
sed -i 's/^DAEMON_ARGS=.*/DAEMON_ARGS="-D"/' "$root/etc/default/keepalived"
sums() { (cd "$root" && sha256sum etc/keepalived/keepalived.conf etc/default/keepalived); }
before=$(sums)

# ---- apt install ./keepalived-rs.deb over keepalived -----------------------------------
cp "$DEB" "$root/tmp/ours.deb"
in_root apt-get install -y --no-install-recommends /tmp/ours.deb > "$LOG" 2>&1 || fail "apt install ./$(basename "$DEB")"
in_root dpkg-query -W -f '${Status}' keepalived-rs | grep -q 'install ok installed' || fail "keepalived-rs not installed"
st=$(in_root dpkg-query -W -f '${Status}' keepalived 2>/dev/null || true)
[[ "$st" != *" installed" ]] || fail "keepalived still installed: $st"
[ "$(sums)" = "$before" ] || fail "the operator's keepalived.conf or /etc/default/keepalived changed"
echo "ok: apt install replaced keepalived ($st); /etc/keepalived/keepalived.conf and /etc/default/keepalived untouched"

[ "$(readlink "$wants/keepalived-rs.service")" = /usr/lib/systemd/system/keepalived-rs.service ] \
    || [ "$(readlink "$wants/keepalived-rs.service")" = /lib/systemd/system/keepalived-rs.service ] \
    || fail "keepalived-rs.service not enabled: $(ls -l "$wants")"
[ -e "$wants/keepalived.service" ] || [ -L "$wants/keepalived.service" ] && fail "keepalived's dangling enablement left: $(ls -l "$wants")"
alias=$(readlink "$root/etc/systemd/system/keepalived.service" || true)
[ "$alias" = /usr/lib/systemd/system/keepalived-rs.service ] || [ "$alias" = /lib/systemd/system/keepalived-rs.service ] \
    || fail "keepalived.service is not an alias of ours (it points to '$alias': masked?)"
if command -v systemctl >/dev/null; then
    en=$(systemctl --root="$root" is-enabled keepalived-rs.service 2>&1 || true)
    [ "$en" = enabled ] || fail "systemctl --root is-enabled keepalived-rs: $en"
    en=$(systemctl --root="$root" is-enabled keepalived.service 2>&1 || true)
    [ "$en" = alias ] || [ "$en" = enabled ] || fail "systemctl --root is-enabled keepalived: $en"
fi
echo "ok: keepalived's enablement carried over: keepalived-rs.service enabled, keepalived.service its alias (${en:-})"

v=$(in_root keepalived --version 2>&1 || true)
[[ "$v" == "Keepalived v2.2.7 (keepalived-rs v"* ]] || fail "keepalived --version: $v"
h=$(in_root genhash --help 2>&1 || true)
[[ "$h" == *--server* ]] || fail "genhash: $h"
t=$(in_root keepalived -t --assume-interfaces eth0 2>&1; echo "rc=$?")
[[ "$t" == *rc=0 ]] || fail "keepalived -t on the operator's configuration: $t"
in_root man -w keepalived-rs.conf >/dev/null 2>&1 || [ -f "$root/usr/share/man/man5/keepalived-rs.conf.5.gz" ] || fail "no keepalived-rs.conf(5)"
echo "ok: keepalived, genhash and keepalived-rs run; keepalived -t reads the operator's file"

# ---- an upgrade while the daemon runs: replaced in place -----------------------------------
# The daemon runs from the chroot (its /usr/sbin/keepalived-rs, its /run) in a namespace
# whose eth0 is one end of a veth pair, MASTER of the operator's VI_1; the package's postinst
# finds its control socket and runs `keepalived-rs upgrade`.
ver=$(dpkg-deb -f "$DEB" Version)
up=$R/up
mkdir -p "$up"
dpkg-deb -R "$DEB" "$up/tree"
sed -i "s/^Version: .*/Version: ${ver}+up1/" "$up/tree/DEBIAN/control"
dpkg-deb --root-owner-group -b "$up/tree" "$root/tmp/up.deb" >/dev/null
mount -t proc proc "$root/proc"
ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set eth1 up
ip -n "$NS" addr add 192.0.2.1/24 dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set lo up
ip netns exec "$NS" chroot "$root" /usr/sbin/keepalived-rs -n -l -G > "$R/daemon.log" 2>&1 &
DAEMON=$!
end=$(( $(date +%s) + 10 ))
until ip -n "$NS" -4 addr show dev eth0 2>/dev/null | grep -q 'inet 192.0.2.100/'; do
    [ "$(date +%s)" -lt "$end" ] || { cat "$R/daemon.log"; fail "the daemon in the chroot never became MASTER"; }
    sleep 0.1
done
ip -n "$NS" monitor address > "$R/monitor" 2>&1 &
MON=$!
old_ino=$(stat -L -c %i "/proc/$DAEMON/exe")
in_root apt-get install -y --no-install-recommends /tmp/up.deb > "$LOG" 2>&1 || fail "the upgrade"
grep -q "keepalived-rs: upgraded in place: pid $DAEMON" "$LOG" || { cat "$R/daemon.log"; fail "the postinst did not upgrade the daemon in place"; }
kill -0 "$DAEMON" || fail "the daemon is gone after the upgrade"
new_ino=$(stat -L -c %i "/proc/$DAEMON/exe")
[ "$new_ino" = "$(stat -c %i "$root/usr/sbin/keepalived-rs")" ] && [ "$new_ino" != "$old_ino" ] \
    || fail "/proc/$DAEMON/exe is not the upgraded executable ($old_ino -> $new_ino)"
sleep 1
kill "$MON" 2>/dev/null
grep -q 'Deleted.*192.0.2.100' "$R/monitor" && fail "ip monitor: the VIP was deleted during the upgrade"
ip -n "$NS" -4 addr show dev eth0 | grep -q 'inet 192.0.2.100/' || fail "the VIP left"
grep -qi "restart" "$LOG" && fail "the upgrade restarted something"
[ -L "$wants/keepalived-rs.service" ] || fail "enablement lost on upgrade"
echo "ok: apt install of ${ver}+up1 over the running master: $(grep -o 'upgraded in place: .*' "$LOG" | cut -c1-60)…; same pid, /proc/PID/exe the new file, no VIP deletion (ip monitor), still enabled"
kill -TERM "$DAEMON"
i=0; while kill -0 "$DAEMON" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
DAEMON=
umount -l "$root/proc"

# ---- remove, then purge ----------------------------------------------------------------
in_root apt-get remove -y keepalived-rs > "$LOG" 2>&1 || fail "apt remove"
[ -e "$root/usr/sbin/keepalived-rs" ] && fail "the binary stayed after remove"
[ -f "$root/etc/default/keepalived-rs" ] || fail "remove took the defaults file (a conffile)"
[ "$(sums)" = "$before" ] || fail "remove touched the operator's files"
in_root apt-get purge -y keepalived-rs > "$LOG" 2>&1 || fail "apt purge"
[ -e "$root/etc/default/keepalived-rs" ] && fail "purge left /etc/default/keepalived-rs"
[ -e "$root/etc/init.d/keepalived-rs" ] && fail "purge left /etc/init.d/keepalived-rs"
ls "$root"/etc/rc?.d/ 2>/dev/null | grep -q keepalived-rs && fail "purge left rc.d links"
[ -e "$wants/keepalived-rs.service" ] || [ -L "$wants/keepalived-rs.service" ] && fail "purge left the enablement"
[ -L "$root/etc/systemd/system/keepalived.service" ] && fail "purge left the keepalived.service alias"
[ -L "$root/etc/systemd/system/keepalived-rs.service" ] && fail "purge left a mask"
[ "$(sums)" = "$before" ] || fail "purge touched the operator's files"
echo "ok: remove keeps /etc/default/keepalived-rs; purge removes only what the package made; /etc/keepalived untouched"

# ---- lintian, and the .rpm as rpm reads it ----------------------------------------------
if command -v lintian >/dev/null; then
    out=$(lintian --suppress-tags initial-upload-closes-no-bugs "$DEB" 2>&1 | grep -v 'running with root privileges' || true)
    [ -z "$out" ] || fail "lintian: $out"
    echo "ok: lintian: no error or warning (initial-upload-closes-no-bugs aside: there is no Debian bug to close)"
fi
if command -v rpm >/dev/null; then
    files=$(rpm -qpl "$RPM" 2>/dev/null)
    for f in /usr/sbin/keepalived-rs /usr/sbin/keepalived /usr/bin/genhash \
        /usr/lib/systemd/system/keepalived-rs.service /etc/sysconfig/keepalived-rs \
        /usr/share/man/man5/keepalived-rs.conf.5.gz; do
        grep -qx "$f" <<< "$files" || fail "the .rpm lacks $f"
    done
    grep -q '^/etc/keepalived' <<< "$files" && fail "the .rpm ships /etc/keepalived"
    [ "$(rpm -qpc "$RPM" 2>/dev/null)" = /etc/sysconfig/keepalived-rs ] || fail "rpm config files: $(rpm -qpc "$RPM")"
    rpm -qp --conflicts "$RPM" 2>/dev/null | grep -qx keepalived || fail "the .rpm does not conflict with keepalived"
    rpm -qp --provides "$RPM" 2>/dev/null | grep -qx keepalived || fail "the .rpm does not provide keepalived"
    scripts=$(rpm -qp --scripts "$RPM" 2>/dev/null)
    grep -q 'keepalived-rs upgrade' <<< "$scripts" || fail "the .rpm's %post does not upgrade in place"
    # A restart only where the operator's UPGRADE_FALLBACK asks for one.
    awk '/UPGRADE_FALLBACK" = restart/ { allowed = NR + 3 } /^ *#|^ *echo/ { next }
        /restart/ && !/UPGRADE_FALLBACK/ && NR > allowed { bad = 1 } END { exit bad }' <<< "$scripts" \
        || fail "an .rpm scriptlet restarts the daemon unasked"
    echo "ok: rpm -qp: $(wc -l <<< "$files") files, /etc/sysconfig/keepalived-rs as config, conflicts with and provides keepalived; %post upgrades in place, restarts only with UPGRADE_FALLBACK=restart"
fi
if command -v shellcheck >/dev/null; then
    shellcheck -s sh packaging/init.d/keepalived-rs packaging/install.sh packaging/stage.sh \
        packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm packaging/rpm/*.sh \
        packaging/rpm/keepalived packaging/rpm/genhash || fail "shellcheck"
    echo "ok: shellcheck: the init script, the maintainer scripts and scriptlets are clean"
fi
echo "PASS package"
