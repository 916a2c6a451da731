# keepalived-rs %post ($1: 1 on install, 2 on upgrade): the unit known to systemd, enabled
# on a first install as the presets say. On an upgrade the running daemon replaces itself
# with the new executable in place (`keepalived-rs upgrade`: same PID, no failover); if it
# cannot, it runs on, and UPGRADE_FALLBACK in /etc/sysconfig/keepalived-rs (none or
# restart) says what then.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -eq 1 ]; then
    systemctl --no-reload preset keepalived-rs.service >/dev/null 2>&1 || :
elif [ -S /run/keepalived-rs/control.sock ]; then
    UPGRADE_FALLBACK=none
    # shellcheck source=/dev/null
    [ -r /etc/sysconfig/keepalived-rs ] && . /etc/sysconfig/keepalived-rs
    if /usr/sbin/keepalived-rs upgrade; then
        :
    elif [ "$UPGRADE_FALLBACK" = restart ]; then
        echo "keepalived-rs: the daemon could not take the new version in place: restarting it (UPGRADE_FALLBACK=restart)."
        systemctl try-restart keepalived-rs.service >/dev/null 2>&1 || :
    else
        echo "keepalived-rs: the daemon could not take the new version in place; it runs on as it was (UPGRADE_FALLBACK=none)."
    fi
fi
