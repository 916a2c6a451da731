#!/bin/sh
# The generated files the packages take (packaging/build/, not tracked): the unit with /usr/sbin, the
# man pages compressed as Debian policy wants them. Run by `make package` after `make man`.
set -eu
cd "$(dirname "$0")/.."
out=packaging/build
mkdir -p "$out"
sed 's|@sbindir@|/usr/sbin|g' packaging/systemd/keepalived-rs.service.in > "$out/keepalived-rs.service"
for p in keepalived-rs.8 keepalived-rs.conf.5 genhash.1; do
    gzip -9nc "target/man/$p" > "$out/$p.gz"
done
# The .rpm takes the binary as it is (cargo-generate-rpm does not strip): stripped here.
strip -o "$out/keepalived-rs" target/release/keepalived-rs
