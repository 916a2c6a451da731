#!/bin/sh
# The files of a source install, for `make install` and `make uninstall`:
#   packaging/install.sh install|uninstall
# Variables (make passes them): DESTDIR, PREFIX (/usr/local), SBINDIR, BINDIR, MANDIR,
# DOCDIR, UNITDIR, SYSCONFDIR (/etc), BIN (the built binary), MANPAGES (the directory
# holding keepalived-rs.8, keepalived-rs.conf.5 and genhash.1).
#
# install records every file and directory it creates in DOCDIR/install.manifest;
# uninstall removes exactly those (a directory only when empty), so the tree is left as
# it was. Never installed or removed: /etc/keepalived/ (the operator's configuration; a
# sample goes to DOCDIR). Left alone when present: a `keepalived` command that is not
# ours (keepalived's own package), and a defaults file the operator has (it is also
# kept by uninstall when it was edited).
set -eu
cd "$(dirname "$0")/.."

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
BINDIR=${BINDIR:-$PREFIX/bin}
MANDIR=${MANDIR:-$PREFIX/share/man}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/keepalived-rs}
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
SYSCONFDIR=${SYSCONFDIR:-/etc}
BIN=${BIN:-target/release/keepalived-rs}
MANPAGES=${MANPAGES:-target/man}
MANIFEST=$DESTDIR$DOCDIR/install.manifest

made=
note() { made="$made$1
"; }

# mkdirs DIR: creates DIR and its missing parents, recording each one made.
mkdirs() {
    [ -d "$DESTDIR$1" ] && return 0
    if [ "$1" = / ]; then mkdir -p "$DESTDIR"; return 0; fi
    mkdirs "$(dirname "$1")"
    mkdir "$DESTDIR$1"
    note "d $1"
}

# put MODE SOURCE DEST [-s]: a file (-s: stripped of its debugging information).
put() {
    mkdirs "$(dirname "$3")"
    # shellcheck disable=SC2086 # an option or nothing
    install -m "$1" ${4:-} "$2" "$DESTDIR$3"
    note "f $3"
}

# link TARGET DEST: a relative symbolic link DEST -> TARGET (both installed paths).
link() {
    mkdirs "$(dirname "$2")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$2")" "$1")" "$DESTDIR$2"
    note "l $2"
}

install_all() {
    [ -x "$BIN" ] || { echo "install.sh: $BIN is missing: make build first" >&2; exit 1; }
    for p in keepalived-rs.8 keepalived-rs.conf.5 genhash.1; do
        [ -f "$MANPAGES/$p" ] || { echo "install.sh: $MANPAGES/$p is missing: make man first" >&2; exit 1; }
    done
    if [ -f "$MANIFEST" ]; then
        echo "install.sh: already installed here ($MANIFEST): make uninstall first" >&2
        exit 1
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    put 755 "$BIN" "$SBINDIR/keepalived-rs" -s
    # keepalived's command names: exporters run `keepalived --version`, scripts genhash.
    if [ -e "$DESTDIR$SBINDIR/keepalived" ] || [ -L "$DESTDIR$SBINDIR/keepalived" ]; then
        echo "install.sh: $SBINDIR/keepalived exists: left alone (keepalived's own?)" >&2
    else
        link "$SBINDIR/keepalived-rs" "$SBINDIR/keepalived"
    fi
    if [ -e "$DESTDIR$BINDIR/genhash" ] || [ -L "$DESTDIR$BINDIR/genhash" ]; then
        echo "install.sh: $BINDIR/genhash exists: left alone" >&2
    else
        link "$SBINDIR/keepalived-rs" "$BINDIR/genhash"
    fi
    sed "s|@sbindir@|$SBINDIR|g" packaging/systemd/keepalived-rs.service.in > "$tmp/unit"
    put 644 "$tmp/unit" "$UNITDIR/keepalived-rs.service"
    sed "s|^DAEMON=/usr/sbin/keepalived-rs|DAEMON=$SBINDIR/keepalived-rs|" packaging/init.d/keepalived-rs > "$tmp/init"
    put 755 "$tmp/init" "$SYSCONFDIR/init.d/keepalived-rs"
    if [ -e "$DESTDIR$SYSCONFDIR/default/keepalived-rs" ]; then
        echo "install.sh: $SYSCONFDIR/default/keepalived-rs exists: kept" >&2
    else
        put 644 packaging/default/keepalived-rs "$SYSCONFDIR/default/keepalived-rs"
    fi
    put 644 "$MANPAGES/keepalived-rs.8" "$MANDIR/man8/keepalived-rs.8"
    put 644 "$MANPAGES/keepalived-rs.conf.5" "$MANDIR/man5/keepalived-rs.conf.5"
    put 644 "$MANPAGES/genhash.1" "$MANDIR/man1/genhash.1"
    put 644 packaging/keepalived.conf.sample "$DOCDIR/keepalived.conf.sample"
    for d in README.md docs/COMPATIBILITY.md docs/STATUS.md; do
        put 644 "$d" "$DOCDIR/$(basename "$d")"
    done
    mkdirs "$DOCDIR"
    printf '%s' "$made" > "$MANIFEST"
    echo "installed under ${DESTDIR:-/}: $(grep -c '^[fl] ' "$MANIFEST") files (list: $DOCDIR/install.manifest)"
    if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        echo "systemd: systemctl enable --now keepalived-rs (reads /etc/keepalived/keepalived.conf)"
    fi
}

uninstall_all() {
    if [ ! -f "$MANIFEST" ]; then
        echo "install.sh: nothing installed here ($MANIFEST is missing)" >&2
        exit 1
    fi
    list=$(tac "$MANIFEST")
    rm -f "$MANIFEST"
    # Files first, then the directories install made, deepest first, each if empty.
    echo "$list" | while read -r kind path; do
        case $kind in
            f)
                if [ "$path" = "$SYSCONFDIR/default/keepalived-rs" ] \
                    && ! cmp -s "$DESTDIR$path" packaging/default/keepalived-rs; then
                    echo "install.sh: $path was edited: kept" >&2
                    continue
                fi
                rm -f "$DESTDIR$path" ;;
            l) if [ -L "$DESTDIR$path" ]; then rm -f "$DESTDIR$path"; fi ;;
        esac
    done
    echo "$list" | while read -r kind path; do
        if [ "$kind" = d ]; then rmdir "$DESTDIR$path" 2>/dev/null || true; fi
    done
    echo "uninstalled from ${DESTDIR:-/}"
}

case "${1:-}" in
    install) install_all ;;
    uninstall) uninstall_all ;;
    *) echo "usage: packaging/install.sh install|uninstall" >&2; exit 2 ;;
esac
