# keepalived-rs %preun ($1: 0 on erase, 1 on upgrade): stopped and disabled on erase (a
# master sends priority 0 first, so its backup takes over at once).
if [ "$1" -eq 0 ]; then
    systemctl --no-reload disable --now keepalived-rs.service >/dev/null 2>&1 || :
fi
