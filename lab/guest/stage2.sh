#!/bin/bash
# The lab guest's second stage, run by lab/guest/init as PID 1 on the host's / (read-only, with a writable layer):
# the guest's own /tmp, /run and /dev/shm, bpffs, the kernel's modules, the NICs named by their MACs and wired as
# ./sluice lab --help draws them, then the command, with its exit status written to the out directory the host
# shares. The host reads "sluice-lab: " lines on the console; the rest is the command's.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8

arg() {
    sed -n "s/.* sluice\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}

# From the initramfs-free tmpfs: once the guest powers off, the 9p root and every binary on it are gone.
power_off() {
    sync
    exec /run/lab/busybox poweroff -f
}

fail() {
    echo "sluice-lab: BOOT FAILED: $*"
    power_off
}

ROOT=$(arg root)
OUT=$(arg out)
MODULES=$(arg modules)
NIC=$(arg nic)

# The guest's /tmp is its own; a project under the host's /tmp (a CI clone) is carried over it.
case $ROOT/ in
    /tmp/*)
        mkdir -p /run/project
        mount --bind "$ROOT" /run/project || fail "bind mount of $ROOT"
        mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "tmpfs on /tmp"
        mkdir -p "$ROOT"
        mount --move /run/project "$ROOT" || fail "moving $ROOT back over /tmp"
        ;;
    *)
        mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "tmpfs on /tmp"
        ;;
esac
mount -t tmpfs tmpfs /run || fail "tmpfs on /run"
mkdir -p /run/lab && cp /usr/bin/busybox /run/lab/busybox || fail "no /usr/bin/busybox (busybox-static) on the host"
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm || fail "tmpfs on /dev/shm"
mount -t devpts devpts /dev/pts || fail "devpts"
mount -t bpf bpf /sys/fs/bpf || fail "bpffs on /sys/fs/bpf"
mkdir -p "$OUT"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out "$OUT" \
    || fail "9p mount of the out directory $OUT (QEMU -virtfs mount_tag=out)"
release=$(uname -r)
mkdir -p "/lib/modules/$release"
mount --bind "$MODULES" "/lib/modules/$release" || fail "the kernel's modules from $MODULES"
hostname sluice-lab
ip link set lo up

case $NIC in
    virtio) driver=virtio_net ;;
    igb) driver=igb ;;
    *) fail "unknown NIC kind '$NIC'" ;;
esac
modprobe "$driver" || fail "modprobe $driver"
modprobe veth || fail "modprobe veth"

# Name the NICs by their MACs (52:54:00:5c:00:0N is ethN), whatever order the kernel probed them in.
for i in $(seq 1 100); do
    [ "$(ls /sys/class/net | grep -c -v -E '^(lo|sit0)$')" -ge 4 ] && break
    sleep 0.1
done
for dev in /sys/class/net/*; do
    name=${dev##*/}
    mac=$(cat "$dev/address")
    case $mac in
        52:54:00:5c:00:0[0-3]) ip link set "$name" name "lab${mac: -1}" || fail "renaming $name" ;;
    esac
done
for i in 0 1 2 3; do
    ip link set "lab$i" name "eth$i" 2>/dev/null || fail "no NIC with MAC 52:54:00:5c:00:0$i ($driver did not probe it)"
done

# IPv6 off everywhere, so nothing but what a test sends crosses the wires (no router or neighbour solicitations).
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for i in 0 1 2 3; do
    sysctl -qw "net.ipv6.conf.eth$i.disable_ipv6=1"
done
ip netns add gen || fail "ip netns add gen"
ip -n gen link set lo up
ip netns exec gen sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for pair in 1 2; do
    g=$((2 * pair - 2))
    d=$((2 * pair - 1))
    # The generator's NICs get one queue: QEMU's igb drops a frame for a queue whose ring is full, uncounted,
    # while another queue has room, and holds it back (the sender waits) only when no queue has.
    # The DUT's NICs get 5 queues: then igb pairs each queue's RX and TX on one interrupt vector and NAPI (it does
    # for more than half of its 8), as its AF_XDP zero-copy assumes. With 4 or fewer, RX and TX have vectors of
    # their own, and igb_xsk_wakeup kicks the TX one: an RX stalled on an empty fill ring or a full RX ring never
    # comes back however often it is woken (Linux 6.18; docs/zero-copy-lab.md). ZeroCopyWakeupTest shows both.
    # The generator's igb NICs get igb's largest RX ring, 4096 (the driver's default is 256). QEMU's igb also drops,
    # uncounted, what it holds back for a full ring: a refill (an RDT write) delivers the whole backlog at once, and
    # what the new buffers cannot take is lost, one queue or five. With 256 descriptors a NAPI late by 26 ms at
    # 10,000 pps filled the ring under TCG, and 1 to 176 of 20,000 frames went missing between the DUT's tx_packets
    # and the generator's rx_packets; with 4096 it must be late by 400 ms (docs/zero-copy-lab.md). The DUT's NICs
    # keep 256: in zero-copy their ring holds what the fill ring gives it, and with 4096 a guest hung in the suite
    # (a java thread holding a lock the kernel's workers waited on, eth1's TX queue timed out).
    if [ "$driver" = igb ]; then
        ethtool -L "eth$g" combined 1 || fail "ethtool -L eth$g combined 1"
        ethtool -L "eth$d" combined 5 || fail "ethtool -L eth$d combined 5"
        ethtool -G "eth$g" rx 4096 || fail "ethtool -G eth$g rx 4096"
    fi
    ip link set "eth$g" netns gen
    ip -n gen addr add "10.77.$pair.1/24" dev "eth$g"
    ip addr add "10.77.$pair.2/24" dev "eth$d"
    ip -n gen link set "eth$g" up
    ip link set "eth$d" up
    ip -n gen neigh replace "10.77.$pair.2" lladdr "52:54:00:5c:00:0$d" dev "eth$g" nud permanent
    ip neigh replace "10.77.$pair.1" lladdr "52:54:00:5c:00:0$g" dev "eth$d" nud permanent
done
for i in $(seq 1 100); do
    [ "$(cat /sys/class/net/eth1/operstate)" = up ] && [ "$(cat /sys/class/net/eth3/operstate)" = up ] &&
        [ "$(ip netns exec gen cat /sys/class/net/eth0/operstate /sys/class/net/eth2/operstate)" = "up
up" ] && break
    sleep 0.1
done

export SLUICE_LAB=1 SLUICE_LAB_NIC=$NIC SLUICE_LAB_DRIVER=$driver SLUICE_LAB_OUT=$OUT SLUICE_LAB_GEN_NS=gen
# A build made on the host is used as it is; the guest never starts Maven (under TCG it would take an hour).
export SLUICE_NO_BUILD=1 SLUICE_HOME=$ROOT
# shellcheck disable=SC1091
set -a
. "$OUT/env"
set +a
echo "sluice-lab: guest up $release $NIC ($driver), $(nproc) CPUs, at $(cut -d' ' -f1 /proc/uptime) s"

cd "$SLUICE_LAB_CWD" 2>/dev/null || cd "$ROOT"
: >"$OUT/output"
if [ "$SLUICE_LAB_TRAFFIC" -gt 0 ]; then
    (
        for i in $(seq 1 6000); do
            grep -q '^READY' "$OUT/output" 2>/dev/null && break
            sleep 0.1
        done
        if grep -q '^READY' "$OUT/output" 2>/dev/null; then
            ip netns exec gen /usr/bin/python3 "$ROOT/lab/guest/offer.py" eth0 52:54:00:5c:00:01 10.77.1.1 10.77.1.2 \
                "$SLUICE_LAB_TRAFFIC" "$SLUICE_LAB_RATE" 2>&1 | sed 's/^/sluice-lab: /'
        fi
    ) &
    offer=$!
fi
bash "$OUT/cmd" </dev/null 2>&1 | tee -a "$OUT/output"
rc=${PIPESTATUS[0]}
[ -n "${offer:-}" ] && { kill "$offer" 2>/dev/null; wait "$offer" 2>/dev/null; }
echo "$rc" >"$OUT/rc.tmp" && mv "$OUT/rc.tmp" "$OUT/rc"
echo "sluice-lab: done rc=$rc"
power_off
