# keepalived-rs: build, test, bench, fuzz.
CARGO ?= cargo

.PHONY: all build test test-systemd quick integration lint bench fuzz mutants demo man install uninstall package clean

all: build

build:
	$(CARGO) build --release

# Everything CI runs: formatting, lints, unit, golden, property and CLI tests, and the
# parity check against Debian's keepalived 2.2.7 (required: .ci/run installs it).
test:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	python3 tools/module_cycles.py
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps -q
	KA_REQUIRE_KEEPALIVED=1 $(CARGO) test --workspace --all-targets
	$(MAKE) integration

# The package on two Debian 12 VMs booted with systemd (integration/systemd.sh): install over
# keepalived, reboot, systemctl through the old name, errors, the watchdog, an upgrade in
# place, remove and purge. About 5 minutes where QEMU has no KVM (this machine: TCG), plus
# about 2 the first time to build the VM image (cached under /tmp). CI runs it after
# `make test`, which it would push past 20 minutes.
test-systemd: package
	bash integration/timed.sh bash integration/systemd.sh

# For iterating: formatting, lints and every unit, golden and CLI test (a few minutes; no
# root, no namespaces).
quick:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	python3 tools/module_cycles.py
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps -q
	$(CARGO) test --workspace --all-targets -q

# Network-namespace scenarios (root): the demo's failover and preemption, the watchdog,
# every signal keepalived survives (and SIGJSON beside keepalived 2.2.7's), reload,
# failover deadlines seen by a client, the seed scenarios, dual network with and
# without sync groups, interop with Debian's keepalived 2.2.7 in both roles, the checker
# child on this kernel (no IPVS), every checker kind, HTTP_GET / SSL_GET against Debian's
# nginx, the packages in a chroot, and IPVS for real inside a small VM (integration/vm/):
# the checker's table through failures, restarts and reloads, and the seed configurations
# giving the same table as keepalived 2.2.7. integration/all.sh runs them in two lanes.
integration:
	$(CARGO) build --release -q -p keepalived-rs
	$(CARGO) build --release -q -p ka-net --example vrrp-flood
	$(CARGO) build --release -q -p keepalived-rs --example smtp-sink --example http-responder --example udp-echo --example tcp-sink
	bash integration/all.sh

# Mutation testing of the pure crates' rules (cargo-mutants, installed if missing; not
# part of `make test`): every mutant of ka-vrrp and ka-check is built and tested, and the
# ones no test catches are listed in mutants.out/missed.txt. About 80 minutes on 2 cores
# (each mutant rebuilds the crate's test binaries: no debug info, and mold when installed).
mutants:
	command -v cargo-mutants >/dev/null || $(CARGO) install cargo-mutants --locked
	CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0 \
	RUSTFLAGS="$$(command -v mold >/dev/null && echo -Clink-arg=-fuse-ld=mold)" \
	$(CARGO) mutants -p ka-vrrp -p ka-check -j 2

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Side by side with keepalived 2.2.7 in the same run; needs root (network namespace).
# bench/checker.sh: 10,000 TCP_CHECKs a second (keepalived's checker cannot run here: no IPVS);
# bench/vm-checker.sh: the same beside keepalived 2.2.7 inside the IPVS VM, with ratios;
# bench/vm-reload.sh: reloads at 2,000 real servers beside keepalived 2.2.7 in the VM.
# Then the VRRP hot path and a simulated second of 1,000 instances (criterion).
bench:
	bash bench/parse.sh
	bash bench/daemon.sh
	bash bench/checker.sh
	bash bench/vm-checker.sh
	bash bench/status.sh
	bash bench/reload.sh
	bash bench/vm-reload.sh
	$(CARGO) bench -p ka-vrrp --bench hot_path

# Fuzz targets (stable toolchain: no sanitizer), FUZZ_SECONDS each (600 by default):
# the config parser, then the VRRP packet decoder and state machine.
FUZZ_SECONDS ?= 600
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	mkdir -p crates/ka-config/fuzz/corpus/parse crates/ka-vrrp/fuzz/corpus/decode
	cp crates/ka-config/tests/fixtures/*/*.conf crates/ka-config/fuzz/corpus/parse/
	for f in crates/ka-vrrp/tests/captures/*.hex; do xxd -r -p $$f > crates/ka-vrrp/fuzz/corpus/decode/$$(basename $$f .hex).bin; done
	cd crates/ka-config/fuzz && $(CARGO) fuzz run -s none parse -- -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=2048 -max_len=4096
	cd crates/ka-vrrp/fuzz && $(CARGO) fuzz run -s none decode -- -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=2048

# Two keepalived-rs nodes and a client in network namespaces: failover and preemption
# while the client pings the VIP. Needs root; installs iproute2 and ping if missing.
demo:
	command -v ping >/dev/null || (apt-get update -qq && apt-get install -y -qq iputils-ping iproute2 >/dev/null)
	@echo "== building keepalived-rs (about 3 minutes the first time on 2 cores)"
	$(CARGO) build --release -p keepalived-rs
	bash integration/demo.sh

# The man pages into target/man/: keepalived-rs(8) (its options from the command line's
# definition), keepalived-rs.conf(5) (from docs/COMPATIBILITY.md), genhash(1).
man: build
	mkdir -p target/man
	./target/release/keepalived-rs --man-page > target/man/keepalived-rs.8
	./target/release/keepalived-rs --man-page conf > target/man/keepalived-rs.conf.5
	cp docs/man/genhash.1 target/man/genhash.1
	for p in target/man/*.[158]; do groff -ww -z -man $$p; done

# A source install (root for the default PREFIX; DESTDIR for staging). Never touches
# /etc/keepalived/; `make uninstall` removes exactly what `make install` made.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
INSTALL_VARS = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)"
install: man
	$(INSTALL_VARS) sh packaging/install.sh install

uninstall:
	$(INSTALL_VARS) sh packaging/install.sh uninstall

# The .deb and the .rpm into target/ (cargo-deb and cargo-generate-rpm, pinned, installed
# from crates.io when missing: about 4 minutes the first time).
CARGO_DEB_VERSION = 3.8.0
CARGO_GENERATE_RPM_VERSION = 0.21.1
package: man
	cargo deb --version 2>/dev/null | grep -qx 'cargo-deb $(CARGO_DEB_VERSION)' \
		|| $(CARGO) install --locked cargo-deb --version $(CARGO_DEB_VERSION)
	cargo generate-rpm --version 2>/dev/null | grep -qx 'cargo-generate-rpm $(CARGO_GENERATE_RPM_VERSION)' \
		|| $(CARGO) install --locked cargo-generate-rpm --version $(CARGO_GENERATE_RPM_VERSION)
	sh packaging/stage.sh
	cargo deb -p keepalived-rs --no-build --strip -o target/
	cargo generate-rpm -p crates/keepalived-rs -o target/
	@ls target/*.deb target/*.rpm

clean:
	$(CARGO) clean
