# keepalived-rs %postun: systemd told the unit is gone (or changed); no restart.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
