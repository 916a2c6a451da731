#!/usr/bin/env bash
# The datagram and TLS checkers against real servers in namespaces: SSL_GET (openssl
# s_server with a self-signed certificate, one requiring a client certificate, then a
# plain-HTTP server on the TLS port),
# UDP_CHECK (a responder, then a closed port), DNS_CHECK (dnsmasq, then a name it does
# not know), PING_CHECK (a host whose link goes down and up). Each failure is one log
# line with its reason and notify_down; each recovery notify_up.
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/target/release/keepalived-rs}
HTTP=${HTTP:-$PWD/target/release/examples/http-responder}
UDP=${UDP:-$PWD/target/release/examples/udp-echo}
source integration/lib.sh
command -v dnsmasq >/dev/null || { apt-get install -y -qq dnsmasq-base >/dev/null; }
command -v openssl >/dev/null || { apt-get install -y -qq openssl >/dev/null; }

fail() { echo "FAIL: $* (stalled ${STALLED_MS:-0} ms)"; echo "--- notify.out"; cat "$WORKDIR/notify.out" 2>/dev/null; echo "--- lb.log"; tail -40 "$WORKDIR/lb.log"; exit 1; }
bg() {   # bg NODE CMD...: a server in NODE, killed at exit
    local n=$1; shift
    ip netns exec "$PREFIX-$n" "$@" > /dev/null 2>&1 &
    PIDS+=($!); disown $!
    LAST=$!
}

lan
node lb 10.71.0.1/24
node tls 10.71.0.11/24
node udp 10.71.0.12/24
node dns 10.71.0.13/24
node ping 10.71.0.14/24
node tcp 10.71.0.15/24
# bindto: the checker speaks from 10.72.0.1, which the TCP server reaches only by a route.
ip -n "$PREFIX-lb" addr add 10.72.0.1/32 dev eth0
ip -n "$PREFIX-tcp" route add 10.72.0.0/24 via 10.71.0.1
# bind_if: side0 is a second interface of lb with no route to the servers.
ip -n "$PREFIX-lb" link add side0 type veth peer name side1
ip -n "$PREFIX-lb" addr add 10.73.0.1/24 dev side0
ip -n "$PREFIX-lb" link set side0 up
ip -n "$PREFIX-lb" link set side1 up

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORKDIR/key.pem" -out "$WORKDIR/cert.pem" \
    -days 2 -subj /CN=rs.test 2>/dev/null
mkdir -p "$WORKDIR/www"; echo "hello over tls" > "$WORKDIR/www/index.html"
DIGEST=$(md5sum < "$WORKDIR/www/index.html" | cut -d' ' -f1)
tls_up() {
    bg tls sh -c "cd '$WORKDIR/www' && exec openssl s_server -quiet -accept 443 -cert '$WORKDIR/cert.pem' -key '$WORKDIR/key.pem' -WWW"
    TLS_PID=$LAST
}
tls_up
# A server that requires a client certificate (the global SSL { certificate key }).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORKDIR/client.key" -out "$WORKDIR/client.pem" \
    -days 2 -subj /CN=lb.test 2>/dev/null
bg tls sh -c "cd '$WORKDIR/www' && exec openssl s_server -quiet -accept 444 -cert '$WORKDIR/cert.pem' -key '$WORKDIR/key.pem' -Verify 1 -CAfile '$WORKDIR/client.pem' -WWW"
bg udp "$UDP" 10.71.0.12:5000 pong; UDP_PID=$LAST
echo ok > "$WORKDIR/tcp.mode"
bg tcp "$HTTP" 10.71.0.15:80 "$WORKDIR/tcp.mode"
bg dns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=10.71.0.13 \
    --port=53 --address=/svc.test/10.71.0.50 --pid-file=
sleep 0.5

printf '#!/bin/sh\necho "$*" >> %s/notify.out\n' "$WORKDIR" > "$WORKDIR/notify.sh"
chmod 755 "$WORKDIR/notify.sh"
# MISC scripts that misbehave: one hangs ignoring SIGTERM, one floods its output.
printf '#!/bin/sh\ntrap "" TERM\nexec sleep 1000\n' > "$WORKDIR/hang.sh"
printf '#!/bin/sh\nexec yes keepalived-rs-flood\n' > "$WORKDIR/flood.sh"
chmod 755 "$WORKDIR/hang.sh" "$WORKDIR/flood.sh"
N="$WORKDIR/notify.sh"
conf() {   # conf DNS_NAME
cat > "$WORKDIR/lb.conf" <<CONF
SSL {
    certificate $WORKDIR/client.pem
    key $WORKDIR/client.key
}
track_file tf_gate {
    file $WORKDIR/tf/gate
    weight 0
    init_file 0
}
track_file tf_weight {
    file $WORKDIR/tf/weight
}
virtual_server 10.71.0.100 83 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.15 83 {
        weight 2
        notify_up "$N up file"
        notify_down "$N down file"
        FILE_CHECK {
            track_file tf_gate
        }
    }
    real_server 10.71.0.15 84 {
        weight 2
        FILE_CHECK {
            track_file tf_weight
            weight 3
        }
    }
}
virtual_server 10.71.0.100 443 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.11 443 {
        notify_up "$N up tls"
        notify_down "$N down tls"
        SSL_GET {
            url {
                path /index.html
                digest $DIGEST
            }
            connect_timeout 2
            retry 0
        }
    }
}
virtual_server 10.71.0.100 444 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.11 444 {
        notify_up "$N up tls-client"
        notify_down "$N down tls-client"
        SSL_GET {
            url {
                path /index.html
                digest $DIGEST
            }
            connect_timeout 2
            retry 0
        }
    }
}
virtual_server 10.71.0.100 5000 {
    delay_loop 1
    protocol UDP
    real_server 10.71.0.12 5000 {
        notify_up "$N up udp"
        notify_down "$N down udp"
        UDP_CHECK {
            payload 70696e67
            require_reply 706f6e67
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.71.0.100 53 {
    delay_loop 1
    protocol UDP
    real_server 10.71.0.13 53 {
        notify_up "$N up dns"
        notify_down "$N down dns"
        DNS_CHECK {
            type A
            name $1
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.71.0.100 7 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.14 7 {
        notify_up "$N up ping"
        notify_down "$N down ping"
        PING_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.71.0.100 81 {
    delay_loop 2
    protocol TCP
    real_server 10.71.0.15 81 {
        notify_down "$N down hang"
        MISC_CHECK {
            misc_path "$WORKDIR/hang.sh"
            misc_timeout 1
        }
    }
    real_server 10.71.0.15 82 {
        notify_down "$N down flood"
        MISC_CHECK {
            misc_path "$WORKDIR/flood.sh"
            misc_timeout 1
        }
    }
}
virtual_server 10.71.0.100 80 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.15 80 {
        notify_up "$N up bindto"
        notify_down "$N down bindto"
        TCP_CHECK {
            bindto 10.72.0.1
            bind_port 40123
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.71.0.101 80 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.15 80 {
        TCP_CHECK {
            bind_if eth0
            connect_timeout 1
        }
    }
}
virtual_server 10.71.0.102 80 {
    delay_loop 1
    protocol TCP
    real_server 10.71.0.15 80 {
        TCP_CHECK {
            bind_if side0
            connect_timeout 1
        }
    }
}
CONF
}
mkdir -p "$WORKDIR/tf"
conf svc.test
ip netns exec "$PREFIX-lb" "$BIN" -n -l -C -f "$WORKDIR/lb.conf" -p "$WORKDIR/ka.pid" \
    -c "$WORKDIR/check.pid" -r "$WORKDIR/vrrp.pid" > "$WORKDIR/lb.log" 2>&1 &
KA=$!; PIDS+=($KA); disown $KA
# The misbehaving MISC scripts fail (timed out) and are killed, SIGTERM or not; the
# other checks go on meanwhile.
wait_line "down hang" 6 >/dev/null || fail "a hanging MISC script did not fail"
wait_line "down flood" 6 >/dev/null || fail "a flooding MISC script did not fail"
grep -q 'MISC_CHECK on service \[10.71.0.15\]:tcp:81 failed (timed out)' "$WORKDIR/lb.log" || fail "no timed out line"
# They are started again every delay_loop: none may live past misc_timeout + 2 s (SIGKILL).
sleep 5
old=$(ps -eo etimes=,args= | grep -E 'keepalived-rs-flood|sleep 1000' | grep -v grep | awk '$1 > 4' || true)
[ -z "$old" ] || fail "MISC scripts outlived misc_timeout + 2 s: $old"
echo "ok: MISC_CHECK: a script that hangs (ignoring SIGTERM) and one that floods its output each fail 'timed out' and are killed"
grep -v 'down hang\|down flood' "$WORKDIR/notify.out" > "$WORKDIR/rest" || true
[ ! -s "$WORKDIR/rest" ] || fail "a healthy server was notified: $(cat "$WORKDIR/rest")"
# (The probe bound to side0 fails by design; the bindto one is still routed here.)
grep 'failed' "$WORKDIR/lb.log" | grep -v 'MISC_CHECK' | grep -qv 'service \[10.71.0.15\]:tcp:80 failed' && fail "a check failed against a healthy server"
: > "$WORKDIR/notify.out"
echo "ok: SSL_GET (self-signed certificate, digest, client certificate), UDP_CHECK, DNS_CHECK and PING_CHECK pass against healthy servers"

got=$(ip netns exec "$PREFIX-lb" "$BIN" --genhash -S -s 10.71.0.11 -p 443 -u /index.html)
[ "$got" = "$DIGEST" ] || fail "genhash -S printed '$got', not $DIGEST"
echo "ok: --genhash -S prints the digest SSL_GET checks"
ip netns exec "$PREFIX-lb" "$BIN" --genhash -S -s 10.71.0.11 -p 444 -u /index.html > /dev/null 2>&1 \
    && fail "the server on 444 answered without a client certificate"
echo "ok: SSL_GET presents the client certificate of SSL { certificate key } to a server that requires one"

# SSL_GET: the server stops; then a plain HTTP server on the TLS port; then TLS again.
kill "$TLS_PID"
wait_line "down tls" 5 >/dev/null || fail "SSL_GET: no notify_down after the server stopped"
echo ok > "$WORKDIR/plain.mode"
bg tls "$HTTP" 10.71.0.11:443 "$WORKDIR/plain.mode"; PLAIN=$LAST
sleep 3
kill "$PLAIN"; sleep 0.3
tls_up
wait_line "up tls" 5 >/dev/null || fail "SSL_GET: no notify_up when TLS returned"
echo "ok: SSL_GET: down when the server stopped, up when it returned"

# A plain-HTTP answer on the TLS port is a failed check naming TLS.
: > "$WORKDIR/notify.out"
kill "$TLS_PID"; sleep 0.3
bg tls "$HTTP" 10.71.0.11:443 "$WORKDIR/plain.mode"; PLAIN=$LAST
wait_line "down tls" 5 >/dev/null || fail "SSL_GET: plain HTTP on the TLS port passed"
grep -E 'SSL_GET on service \[10.71.0.11\]:tcp:443 failed \(TLS: ' "$WORKDIR/lb.log" > /dev/null \
    || fail "SSL_GET: the failure does not name TLS"
echo "ok: SSL_GET: a server that does not speak TLS fails with '$(grep -o 'TLS: [^)]*' "$WORKDIR/lb.log" | tail -1)'"
kill "$PLAIN"

# UDP_CHECK: the responder stops (ICMP port unreachable), then returns with a wrong reply,
# then the right one.
kill "$UDP_PID"
wait_line "down udp" 5 >/dev/null || fail "UDP_CHECK: no notify_down after the port closed"
bg udp "$UDP" 10.71.0.12:5000 nope; UDP_PID=$LAST
sleep 2.5
grep -qx "up udp" "$WORKDIR/notify.out" && fail "UDP_CHECK: a wrong reply passed"
kill "$UDP_PID"; sleep 0.2
bg udp "$UDP" 10.71.0.12:5000 pong; UDP_PID=$LAST
wait_line "up udp" 5 >/dev/null || fail "UDP_CHECK: no notify_up"
grep -q 'UDP_CHECK on service .* failed (Connection refused' "$WORKDIR/lb.log" || fail "UDP_CHECK: refused not logged"
echo "ok: UDP_CHECK: down on ICMP port unreachable, a wrong reply stays down, the right one brings it up"

# DNS_CHECK: a reload asks for a name dnsmasq does not know (NXDOMAIN), then back.
conf nothing.invalid
kill -HUP "$KA"
wait_line "down dns" 6 >/dev/null || fail "DNS_CHECK: NXDOMAIN passed"
grep -q 'DNS_CHECK on service .* failed (DNS rcode' "$WORKDIR/lb.log" || fail "DNS_CHECK: rcode not logged"
conf svc.test
kill -HUP "$KA"
wait_line "up dns" 6 >/dev/null || fail "DNS_CHECK: no notify_up after the reload"
echo "ok: DNS_CHECK: NXDOMAIN is a failed check with its rcode, the known name passes"

# PING_CHECK: the host's link goes down, then up.
ip -n "$PREFIX-ping" link set eth0 down
wait_line "down ping" 5 >/dev/null || fail "PING_CHECK: no notify_down"
ip -n "$PREFIX-ping" link set eth0 up
wait_line "up ping" 5 >/dev/null || fail "PING_CHECK: no notify_up"
echo "ok: PING_CHECK: down when the host went away, up when it returned"

# FILE_CHECK: the gate file (weight 0) takes its server down with any value but 0; the
# weight file (weight 3) changes its server's weight by 3 × its value, at once (inotify).
[ "$(cat "$WORKDIR/tf/gate")" = 0 ] || fail "init_file did not write the gate file"
echo 1 > "$WORKDIR/tf/gate"
wait_line "down file" 3 >/dev/null || fail "FILE_CHECK: a fault value did not take the server down"
echo 0 > "$WORKDIR/tf/gate"
wait_line "up file" 3 >/dev/null || fail "FILE_CHECK: 0 did not bring the server back"
echo 4 > "$WORKDIR/tf/weight.new" && mv "$WORKDIR/tf/weight.new" "$WORKDIR/tf/weight"
end=$(( $(now_ms) + 3000 ))
until grep -q 'Changing weight to 14 for service \[10.71.0.15\]:tcp:84' "$WORKDIR/lb.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "FILE_CHECK: weight 2 + 3 x 4 not applied"
    sleep 0.05
done
rm "$WORKDIR/tf/weight"
end=$(( $(now_ms) + 3000 ))
until grep -q 'Changing weight to 2 for service \[10.71.0.15\]:tcp:84' "$WORKDIR/lb.log"; do
    [ "$(now_ms)" -lt "$end" ] || fail "FILE_CHECK: a removed file did not read as 0"
    sleep 0.05
done
echo "ok: FILE_CHECK: a fault value takes the server down and 0 brings it back; a weight file (written or moved in, then removed) changes the weight at once"

# bindto: without its route back to 10.72.0.1 the server cannot answer the probe.
ip -n "$PREFIX-tcp" route del 10.72.0.0/24
wait_line "down bindto" 5 >/dev/null || fail "TCP_CHECK bindto: the probe did not come from 10.72.0.1"
ip -n "$PREFIX-tcp" route add 10.72.0.0/24 via 10.71.0.1
wait_line "up bindto" 5 >/dev/null || fail "TCP_CHECK bindto: no notify_up"
echo "ok: TCP_CHECK bindto / bind_port: the probe comes from the configured address"

# bind_if: the probe bound to eth0 reaches the server; bound to side0 it cannot.
# (The log says which server was taken out of which virtual server.)
grep -q 'Removing service \[10.71.0.15\]:tcp:80 from VS \[10.71.0.102\]:tcp:80' "$WORKDIR/lb.log" \
    || fail "TCP_CHECK bind_if side0: the probe got through another interface"
grep -q 'Removing service \[10.71.0.15\]:tcp:80 from VS \[10.71.0.101\]:tcp:80' "$WORKDIR/lb.log" \
    && fail "TCP_CHECK bind_if eth0: the probe failed"
echo "ok: TCP_CHECK bind_if: a probe bound to eth0 passes, one bound to side0 (no route there) never does"

kill -0 "$KA" || fail "the daemon died"
kill -TERM "$KA"
for _ in $(seq 100); do kill -0 "$KA" 2>/dev/null || break; sleep 0.05; done
kill -0 "$KA" 2>/dev/null && fail "no clean stop"
echo "ok: all checkers: clean stop"
