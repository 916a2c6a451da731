#!/usr/bin/env bash
# HTTP_GET and SSL_GET against Debian's nginx in a namespace: two virtual hosts on port 80
# and on 443 (self-signed certificate), so a digest only matches when the checker sends
# the right Host header (virtualhost) and the right SNI (enable_sni); a status_code
# check on a 503 page. nginx stops: every check fails within delay_loop + retry x
# delay_before_retry + connect_timeout and runs notify_down; it returns: notify_up; the
# page changes under the checker: a digest failure naming it.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
source integration/lib.sh
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- notify.out"; cat "$WORKDIR/notify.out" 2>/dev/null; echo "--- lb.log"; tail -40 "$WORKDIR/lb.log"; echo "--- nginx"; tail -5 "$WORKDIR/nginx-error.log" 2>/dev/null; exit 1; }

lan
node lb 10.73.0.1/24
node web 10.73.0.11/24
W=$WORKDIR
mkdir -p "$W/default" "$W/app" "$W/tmp"
echo "the default site" > "$W/default/index.html"
echo "the application" > "$W/app/index.html"
APP=$(md5sum < "$W/app/index.html" | cut -d' ' -f1)
DEF=$(md5sum < "$W/default/index.html" | cut -d' ' -f1)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" \
    -days 2 -subj /CN=app.test 2>/dev/null
cat > "$W/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $W/tmp/body;
    proxy_temp_path $W/tmp/proxy;
    fastcgi_temp_path $W/tmp/fastcgi;
    uwsgi_temp_path $W/tmp/uwsgi;
    scgi_temp_path $W/tmp/scgi;
    ssl_certificate $W/cert.pem;
    ssl_certificate_key $W/key.pem;
    server { listen 10.73.0.11:80 default_server; root $W/default;
             location = /maint { return 503; } }
    server { listen 10.73.0.11:80; server_name app.test; root $W/app; }
    server { listen 10.73.0.11:443 ssl default_server; root $W/default; }
    server { listen 10.73.0.11:443 ssl; server_name app.test; root $W/app; }
}
CONF
nginx_up() {
    ip netns exec "$PREFIX-web" nginx -c "$W/nginx.conf" -e "$W/nginx-error.log" > /dev/null 2>&1 &
    NGINX=$!; PIDS+=($NGINX); disown $NGINX
    local end=$(( $(now_ms) + 5000 ))
    until ip netns exec "$PREFIX-web" ss -Hltn 'sport = :443' | grep -q LISTEN; do
        [ "$(now_ms)" -lt "$end" ] || fail "nginx did not start"
        sleep 0.05
    done
}
nginx_up

# The digests differ, so a pass proves the virtual host was reached.
[ "$APP" != "$DEF" ] || fail "the two sites have the same digest"
g() { ip netns exec "$PREFIX-lb" "$BIN" --genhash -s 10.73.0.11 -u /index.html "$@"; }
[ "$(g -p 80)" = "$DEF" ] || fail "genhash without -V did not reach the default site"
[ "$(g -p 80 -V app.test)" = "$APP" ] || fail "genhash -V app.test: $(g -p 80 -V app.test)"
[ "$(g -p 443 -S)" = "$DEF" ] || fail "genhash -S without SNI did not reach the default site"
[ "$(g -p 443 -S -V app.test -I app.test)" = "$APP" ] || fail "genhash -S -I app.test did not reach the application"
echo "ok: --genhash against nginx: -V selects the virtual host on HTTP, -I (SNI) on TLS"

printf '#!/bin/sh\necho "$*" >> %s/notify.out\n' "$W" > "$W/notify.sh"
chmod 755 "$W/notify.sh"
N="$W/notify.sh"
cat > "$W/lb.conf" <<CONF
global_defs {
    script_user root
    enable_script_security
}
virtual_server 10.73.0.100 80 {
    delay_loop 1
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 10.73.0.11 80 {
        notify_up "$N up http"
        notify_down "$N down http"
        HTTP_GET {
            url {
                path /index.html
                digest $APP
            }
            virtualhost app.test
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
virtual_server 10.73.0.100 81 {
    delay_loop 1
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 10.73.0.11 80 {
        notify_up "$N up maint"
        notify_down "$N down maint"
        HTTP_GET {
            url {
                path /maint
                status_code 503
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
virtual_server 10.73.0.100 443 {
    delay_loop 1
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 10.73.0.11 443 {
        notify_up "$N up https"
        notify_down "$N down https"
        SSL_GET {
            url {
                path /index.html
                digest $APP
            }
            virtualhost app.test
            enable_sni
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
CONF
"$BIN" -t -f "$W/lb.conf" > "$W/t.out" 2>&1 || { cat "$W/t.out"; fail "the configuration does not pass -t"; }
ip netns exec "$PREFIX-lb" "$BIN" -n -l -C -f "$W/lb.conf" -p "$W/ka.pid" \
    -c "$W/check.pid" -r "$W/vrrp.pid" > "$W/lb.log" 2>&1 &
KA=$!; PIDS+=($KA); disown $KA
sleep 3.5
grep 'failed' "$W/lb.log" && fail "a check failed against nginx"
[ ! -s "$W/notify.out" ] || fail "a healthy server was notified: $(cat "$W/notify.out")"
echo "ok: HTTP_GET (virtualhost, digest), HTTP_GET (status_code 503) and SSL_GET (SNI, digest) pass against nginx"

# nginx stops: bound delay_loop + retry x delay_before_retry + connect_timeout = 3 s;
# waited for with a margin for a loaded machine.
t0=$(now_ms)
kill -QUIT "$NGINX"
for c in http maint https; do wait_line "down $c" 6 >/dev/null || fail "no notify_down $c after nginx stopped"; done
took=$(( $(now_ms) - t0 ))
kill -0 "$KA" 2>/dev/null || fail "the daemon did not stay up"
echo "ok: nginx stopped: notify_down for all three in ${took} ms (bound 3000 ms), the daemon stays up"
t0=$(now_ms)
nginx_up
for c in http maint https; do wait_line "up $c" 4 >/dev/null || fail "no notify_up $c after nginx returned"; done
echo "ok: nginx returned: notify_up for all three in $(( $(now_ms) - t0 )) ms"

# The page changes: the digest no longer matches, on HTTP and on TLS alike.
: > "$W/notify.out"
echo "a new release" > "$W/app/index.html"
for c in http https; do wait_line "down $c" 6 >/dev/null || fail "a changed page passed the $c digest"; done
grep -q 'HTTP_GET on service \[10.73.0.11\]:tcp:80 failed' "$W/lb.log" || fail "no HTTP_GET failure line"
grep 'SSL_GET on service \[10.73.0.11\]:tcp:443 failed' "$W/lb.log" | grep -qi 'digest' \
    || fail "the SSL_GET failure does not name the digest: $(grep 'SSL_GET on' "$W/lb.log" | tail -1)"
grep -q "down maint" "$W/notify.out" && fail "the status_code check failed on a digest change"
echo "the application" > "$W/app/index.html"
for c in http https; do wait_line "up $c" 4 >/dev/null || fail "the $c check did not recover with the page"; done
echo "ok: a changed page fails the digest ('$(grep -o 'SSL_GET on service [^ ]* failed.*' "$W/lb.log" | tail -1)'), the old one passes again"
