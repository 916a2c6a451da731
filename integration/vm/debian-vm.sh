#!/usr/bin/env bash
# debian-vm.sh - Debian 12 systems with systemd as init, booted in QEMU (KVM when the host
# has it), for the tests of what an operator sees: the package, the unit, reboots.
#
#   debian-vm.sh image        build the cached base image (debootstrap of bookworm with its
#                             kernel, systemd, qemu-guest-agent and Debian's keepalived
#                             2.2.7 installed and enabled; about three minutes, once)
# Sourced by a test (after `image`), it gives:
#   vm_start NAME MAC NET_LOCAL NET_REMOTE DATA_DIR   boot NAME: a qcow2 overlay on the base
#                             image, one NIC on a point-to-point link to another VM (two
#                             unix datagram sockets, no host network), DATA_DIR as a
#                             read-only disk mounted at /mnt/data by the guest agent
#   vm NAME CMD               run CMD (sh -c) in NAME through the guest agent; its output;
#                             its exit status
#   vm_wait NAME SECS         until NAME's guest agent answers and its boot has finished
#   vm_stop_all               power the VMs off and remove their files
# Env: KARS_VM_CACHE (default /tmp/kars-vm-cache).
set -euo pipefail
VM_CACHE=${KARS_VM_CACHE:-/tmp/kars-vm-cache}
VM_BASE=$VM_CACHE/bookworm-systemd
VM_DIR=${VM_DIR:-}
VM_PIDS=()
VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

vm_host_packages() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    command -v qemu-img >/dev/null || need+=(qemu-utils)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
}

vm_image() {
    vm_host_packages
    mkdir -p "$VM_CACHE"
    exec 8>"$VM_CACHE/.lock"; flock 8
    local key
    key=$(declare -f vm_image | sha1sum | cut -c1-12)   # rebuilt when what builds it changes
    if [ -e "$VM_BASE/.done" ] && [ "$(cat "$VM_BASE/.key")" = "$key" ]; then
        flock -u 8; return 0
    fi
    rm -rf "$VM_BASE"; mkdir -p "$VM_BASE"
    local root=$VM_BASE/root
    echo "debian-vm: debootstrap of Debian 12 with systemd, its kernel and keepalived into $VM_BASE (once, a few minutes)" >&2
    debootstrap --variant=minbase \
        --include=systemd-sysv,udev,dbus,linux-image-amd64,qemu-guest-agent,iproute2,keepalived,init-system-helpers,procps,kmod \
        bookworm "$root" http://deb.debian.org/debian > "$VM_BASE/debootstrap.log" 2>&1 \
        || { tail -20 "$VM_BASE/debootstrap.log" >&2; return 1; }
    echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$root/etc/fstab"
    echo 'node' > "$root/etc/hostname"
    # The guest agent is how the tests run commands: started by udev when its port appears.
    mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
    ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/"
    # A getty on the console only slows the boot down.
    ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
    ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
    # The data disk the tests hand over (the packages, the configurations).
    mkdir -p "$root/mnt/data"
    echo '/dev/vdb /mnt/data ext4 ro,nofail,x-systemd.device-timeout=5s 0 0' >> "$root/etc/fstab"
    # What a test does not need only slows a boot down (under TCG, minutes): timers,
    # scrubbing, the login manager.
    for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
        fstrim.timer dpkg-db-backup.timer systemd-logind.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$u"
    done
    # An initramfs with the few modules a virtio disk needs, not "most".
    sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
    printf 'virtio_pci\nvirtio_blk\next4\n' >> "$root/etc/initramfs-tools/modules"
    chroot "$root" update-initramfs -u -k all > "$VM_BASE/initramfs.log" 2>&1 \
        || { tail -20 "$VM_BASE/initramfs.log" >&2; return 1; }
    cp "$root"/boot/initrd.img-* "$VM_BASE/initrd.img"
    # PVH boot of the bare ELF: no firmware, no decompression in the guest.
    local kz off
    kz=$(ls "$root"/boot/vmlinuz-* | head -1)
    off=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$kz" | cut -d: -f1 | sed -n 1p)
    tail -c +$((off + 1)) "$kz" | xz -dcq > "$VM_BASE/vmlinux" 2>/dev/null || true
    [ "$(head -c4 "$VM_BASE/vmlinux" 2>/dev/null)" = $'\x7fELF' ] || cp "$kz" "$VM_BASE/vmlinux"
    rm -rf "$root"/var/cache/apt/archives/*.deb
    mkfs.ext4 -q -F -L root -d "$root" "$VM_BASE/base.img" 2G >/dev/null
    rm -rf "$root"
    echo "$key" > "$VM_BASE/.key"
    touch "$VM_BASE/.done"
    flock -u 8
}

vm_accel() {
    if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then echo kvm; else echo tcg; fi
}

vm_start() {   # vm_start NAME MAC NET_LOCAL NET_REMOTE DATA_DIR
    local name=$1 mac=$2 local_sock=$3 remote_sock=$4 data=$5 accel cpu
    [ -n "$VM_DIR" ] || { echo "VM_DIR not set" >&2; return 1; }
    qemu-img create -q -f qcow2 -b "$VM_BASE/base.img" -F raw "$VM_DIR/$name.qcow2"
    mkfs.ext4 -q -F -d "$data" "$VM_DIR/$name-data.img" 64M >/dev/null
    accel=$(vm_accel); cpu=max; [ "$accel" = kvm ] && cpu=host
    qemu-system-x86_64 -name "kars-$name" -machine q35,accel="$accel" -cpu "$cpu" -m 512 -smp 1 \
        -nodefaults -no-user-config -display none \
        -kernel "$VM_BASE/vmlinux" -initrd "$VM_BASE/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 net.ifnames=0 systemd.hostname=$name panic=-1" \
        -drive file="$VM_DIR/$name.qcow2",if=virtio,format=qcow2 \
        -drive file="$VM_DIR/$name-data.img",if=virtio,format=raw,readonly=on \
        -netdev dgram,id=n0,local.type=unix,local.path="$local_sock",remote.type=unix,remote.path="$remote_sock" \
        -device virtio-net-pci,netdev=n0,mac="$mac" \
        -chardev socket,id=qga,path="$VM_DIR/$name.qga",server=on,wait=off \
        -device virtio-serial-pci -device virtserialport,chardev=qga,name=org.qemu.guest_agent.0 \
        -serial file:"$VM_DIR/$name.console" </dev/null >"$VM_DIR/$name.qemu" 2>&1 &
    VM_PIDS+=($!)
    echo $! > "$VM_DIR/$name.pid"
}

vm() {   # vm NAME CMD
    python3 "$VM_HERE/qga.py" "$VM_DIR/$1.qga" "$2"
}

vm_wait() {   # vm_wait NAME SECS: until NAME's agent answers and its boot has finished
    python3 "$VM_HERE/qga.py" --wait "$2" --timeout "$2" "$VM_DIR/$1.qga" \
        'systemctl is-system-running --wait >/dev/null; true'
}

vm_stop_all() {
    local p
    for p in "${VM_PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    for p in "${VM_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    VM_PIDS=()
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case ${1:-} in
        image) vm_image ;;
        *) sed -n '2,/^set -e/p' "$0" | grep '^#'; exit 2 ;;
    esac
fi
