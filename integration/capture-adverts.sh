#!/usr/bin/env bash
# Captures the adverts keepalived 2.2.7 sends for the configurations of the ka-vrrp byte
# fixtures, between two network namespaces of ours, and writes each first advert's IP packet
# as hex to crates/ka-vrrp/tests/captures/NAME.hex. Needs root, keepalived and tcpdump.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=crates/ka-vrrp/tests/captures
mkdir -p "$OUT"
A=kacap-a-$$; B=kacap-b-$$
WORK=$(mktemp -d /tmp/kacap.XXXXXX)
cleanup() {
    [ -f "$WORK/k.pid" ] && kill "$(cat "$WORK/k.pid")" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip -n "$A" link add veth0 type veth peer name veth1 netns "$B"
ip -n "$A" addr add 10.0.0.1/24 dev veth0
ip -n "$B" addr add 10.0.0.2/24 dev veth1
ip -n "$A" link set veth0 address 02:00:00:00:00:01
ip -n "$A" link set veth0 up; ip -n "$B" link set veth1 up
ip -n "$A" link set lo up; ip -n "$B" link set lo up
sleep 2   # IPv6 link-local addresses (DAD)

capture() {   # NAME CONFIG-BODY
    local name=$1 body=$2
    printf 'global_defs {\n    router_id cap\n}\n%s\n' "$body" > "$WORK/$name.conf"
    ip netns exec "$B" timeout 7 tcpdump -i veth1 -nn -xx -c 1 'ip proto 112 or ip6 proto 112 or ip proto 51' > "$WORK/$name.txt" 2>/dev/null &
    local dump=$!
    sleep 0.5
    ip netns exec "$A" keepalived -n -P -f "$WORK/$name.conf" -p "$WORK/k.pid" -r "$WORK/v.pid" -c "$WORK/c.pid" >/dev/null 2>&1 &
    local ka=$!
    wait "$dump" || true
    kill "$ka" 2>/dev/null || true; wait "$ka" 2>/dev/null || true
    # tcpdump -xx: link-layer header first (14 bytes of Ethernet), then the IP packet.
    grep -E '^\s+0x' "$WORK/$name.txt" | sed -E 's/^\s+0x[0-9a-f]+:\s+//' | tr -d ' \n' | cut -c29- > "$OUT/$name.hex"
    echo >> "$OUT/$name.hex"
    echo "$name: $(wc -c < "$OUT/$name.hex") hex chars"
}

inst() {   # extra lines for the instance
    printf 'vrrp_instance VI_1 {\n    state MASTER\n    interface veth0\n    virtual_router_id 51\n    priority 150\n%s}\n' "$1"
}
capture v2-pass "$(inst '    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.168.100.10/24
        192.168.100.11/24
    }
')"
capture v2-noauth "$(inst '    advert_int 1
    virtual_ipaddress {
        192.168.100.10/24
    }
')"
capture v3-ipv4 "$(inst '    version 3
    advert_int 1
    virtual_ipaddress {
        192.168.100.10/24
        192.168.100.11/24
    }
')"
capture v3-ipv6 "$(inst '    version 3
    advert_int 1
    virtual_ipaddress {
        2001:db8::10/64
    }
')"
capture v3-unicast "$(inst '    version 3
    advert_int 1
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2
    }
    virtual_ipaddress {
        192.168.100.10/24
    }
')"
capture v2-ah "$(inst '    advert_int 1
    authentication {
        auth_type AH
        auth_pass secret
    }
    virtual_ipaddress {
        192.168.100.10/24
    }
')"
