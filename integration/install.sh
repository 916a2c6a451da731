#!/usr/bin/env bash
# `make install DESTDIR=…` then `make uninstall DESTDIR=…` leave the tree as it was, on a
# tree that already has files of its own (keepalived's `keepalived` command, an operator's
# defaults file, unrelated files in the same directories); what install puts there works
# (the keepalived and genhash names, the unit's and init script's paths, the man pages).
set -euo pipefail
cd "$(dirname "$0")/.."
D=$(mktemp -d /tmp/kars-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# What a tree is: every path with its type, mode, link target and content digest.
snapshot() {
    (cd "$1" && find . -printf '%y %m %p %l\n' | sort) > "$2.list"
    (cd "$1" && find . -type f -exec sha256sum {} + | sort) > "$2.sums"
    cat "$2.list" "$2.sums"
}

# ---- 1. an empty tree -------------------------------------------------------------------
mkdir "$D/empty"
before=$(snapshot "$D/empty" "$D/e0")
make -s install DESTDIR="$D/empty" > "$D/out" 2>&1 || { cat "$D/out"; fail "make install"; }
root=$D/empty/usr/local
[ -x "$root/sbin/keepalived-rs" ] || fail "no sbin/keepalived-rs"
[ "$(readlink "$root/sbin/keepalived")" = keepalived-rs ] || fail "sbin/keepalived is not a link to keepalived-rs"
[ "$(readlink "$root/bin/genhash")" = ../sbin/keepalived-rs ] || fail "bin/genhash: $(readlink "$root/bin/genhash")"
v=$("$root/sbin/keepalived" --version 2>&1 || true)
[[ "$v" == "Keepalived v2.2.7 (keepalived-rs v"* ]] || fail "keepalived --version: $v"
h=$("$root/bin/genhash" --help 2>&1 || true)
[[ "$h" == *--server* ]] || fail "genhash --help: $h"
grep -qx "ExecStart=/usr/local/sbin/keepalived-rs --dont-fork \$DAEMON_ARGS \$KEEPALIVED_OPTIONS" \
    "$root/lib/systemd/system/keepalived-rs.service" || fail "the unit's ExecStart"
grep -qx 'DAEMON=/usr/local/sbin/keepalived-rs' "$D/empty/etc/init.d/keepalived-rs" || fail "the init script's DAEMON"
for m in man8/keepalived-rs.8 man5/keepalived-rs.conf.5 man1/genhash.1; do
    [ -s "$root/share/man/$m" ] || fail "no $m"
done
[ -e "$D/empty/etc/keepalived" ] && fail "/etc/keepalived was created"
if command -v systemd-analyze >/dev/null; then
    # The man pages and ExecStart are not on this host's paths (DESTDIR): anything else is
    # a defect of the unit.
    bad=$(systemd-analyze verify "$root/lib/systemd/system/keepalived-rs.service" 2>&1 \
        | grep -v "Command 'man \|/usr/local/sbin/keepalived-rs" || true)
    [ -z "$bad" ] || fail "systemd-analyze verify: $bad"
    echo "ok: systemd-analyze verify: the unit is clean"
fi
echo "ok: make install: $(grep -c '^[fl] ' "$root/share/doc/keepalived-rs/install.manifest") files; keepalived and genhash run keepalived-rs"
make -s uninstall DESTDIR="$D/empty" > "$D/out" 2>&1 || { cat "$D/out"; fail "make uninstall"; }
after=$(snapshot "$D/empty" "$D/e1")
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "the empty tree changed"; }
echo "ok: make uninstall: the empty tree as it was"

# ---- 2. a lived-in tree: keepalived's files, an operator's defaults --------------------
t=$D/lived
mkdir -p "$t/usr/local/sbin" "$t/usr/local/bin" "$t/usr/local/share/man/man8" "$t/etc/default" "$t/etc/keepalived" "$t/etc/init.d"
printf '#!/bin/sh\necho keepalived\n' > "$t/usr/local/sbin/keepalived"; chmod 755 "$t/usr/local/sbin/keepalived"
echo other > "$t/usr/local/bin/other"
printf 'DAEMON_ARGS="-D"\n' > "$t/etc/default/keepalived"
echo 'vrrp_instance VI_1 {}' > "$t/etc/keepalived/keepalived.conf"
before=$(snapshot "$t" "$D/l0")
make -s install DESTDIR="$t" > "$D/out" 2>&1 || { cat "$D/out"; fail "make install (lived-in)"; }
grep -q "sbin/keepalived exists: left alone" "$D/out" || fail "no note that keepalived was left alone"
[ "$(cat "$t/usr/local/sbin/keepalived")" = "$(printf '#!/bin/sh\necho keepalived')" ] || fail "keepalived was replaced"
make -s install DESTDIR="$t" > "$D/out" 2>&1 && fail "a second install over the first did not refuse"
make -s uninstall DESTDIR="$t" > "$D/out" 2>&1 || { cat "$D/out"; fail "make uninstall (lived-in)"; }
after=$(snapshot "$t" "$D/l1")
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "the lived-in tree changed"; }
echo "ok: a tree with keepalived's command and an operator's files: left as it was"

# ---- 3. an edited defaults file survives uninstall -------------------------------------
make -s install DESTDIR="$t" > "$D/out" 2>&1
echo 'DAEMON_ARGS="-S 6"' >> "$t/etc/default/keepalived-rs"
make -s uninstall DESTDIR="$t" > "$D/out" 2>&1
grep -q 'DAEMON_ARGS="-S 6"' "$t/etc/default/keepalived-rs" || fail "an edited defaults file was removed"
grep -q "was edited: kept" "$D/out" || fail "no note that the edited defaults file was kept"
echo "ok: an edited /etc/default/keepalived-rs is kept by uninstall"
echo "PASS install"
