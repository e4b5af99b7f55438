#!/usr/bin/env bash
# ./sluice lab: a QEMU guest (TCG) with emulated NICs whose drivers do AF_XDP zero-copy, running a command or a
# named scenario against the host's build and bringing back its output and exit status. Run through ./sluice,
# which has made sure the build is fresh; see ./sluice lab --help and docs/zero-copy-lab.md.
set -euo pipefail

ROOT=${SLUICE_HOME:?run through ./sluice lab}
LAB=$ROOT/lab

# The guest kernel: the first Debian kernel whose virtio_net and igb both do AF_XDP zero-copy (6.12 refuses it on
# virtio_net with EOPNOTSUPP). Pinned by version; a backports upload replaces it, and the error says what to set.
KERNEL_PACKAGE=${SLUICE_LAB_KERNEL_PACKAGE:-linux-image-6.18.15+deb13-amd64}
KERNEL_VERSION=${SLUICE_LAB_KERNEL_VERSION:-6.18.15-1~bpo13+1}
KERNEL_SUITE=trixie-backports
# QEMU 10 from bookworm-backports: bookworm's own 7.2 has no igb device.
QEMU_SUITE=bookworm-backports
QEMU_PACKAGE=qemu-system-x86
QEMU_MIN_MAJOR=10
# What the guest's first stage and module loading need on the host, from bookworm itself.
HOST_PACKAGES="busybox-static cpio kmod xz-utils"
MIRROR=http://deb.debian.org/debian

CACHE=${SLUICE_LAB_CACHE:-/var/cache/sluice/lab}
INITRD_MODULES="fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay"

nic=virtio
memory_mb=3072
cpus=2
# One host thread runs every vCPU: with one per vCPU (multi), HotSpot patching a compiled method's entry while
# another vCPU runs it let that vCPU execute half-patched code, and a guest JVM died of SIGILL (docs/zero-copy-lab.md).
tcg_threads=single
boot_timeout_s=120
timeout_s=900
traffic=20000
traffic_rate=20000
scenario=""
out_dir=""
quiet=0
command=()

die() {
    echo "sluice lab: $*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
Usage: ./sluice lab [options] (--scenario NAME [-- ARGS...] | -- COMMAND [ARGS...])
       ./sluice lab prepare | scenarios

Boots a QEMU guest (software emulation, no KVM needed) on Debian's 6.18 kernel with four emulated NICs whose
drivers do AF_XDP zero-copy, and runs COMMAND (or scenario NAME) in it as root, in the project directory,
against this build. The guest sees the host's / read-only with a writable layer on top that vanishes with it.
Its output streams back; ./sluice lab exits with the command's exit status.

In the guest, eth1 and eth3 stay in the root namespace for the command (the device under test); eth0 and eth2
are in namespace "gen". eth0 and eth1 share one QEMU hub (a wire), eth2 and eth3 another:
  gen: eth0 10.77.1.1/24  <->  eth1 10.77.1.2/24      gen: eth2 10.77.2.1/24  <->  eth3 10.77.2.2/24
When COMMAND prints a line starting READY, the lab offers --traffic UDP frames from gen's eth0 to eth1 and
prints how many the wire took.

Options:
  --nic virtio|igb       the NICs: virtio-net-pci (virtio_net) or igb (Intel 82576, igb) (default virtio)
  --scenario NAME        run lab/scenarios/NAME.sh (with ARGS) instead of a command (./sluice lab scenarios)
  --out DIR              keep the run's console.log, output and exit status in DIR (default: a new directory
                         under target/lab); the guest sees DIR, writable, as $SLUICE_LAB_OUT
  --traffic N            frames to offer after READY, 0 for none (default 20000)
  --rate PPS             their rate (default 20000)
  --memory MB            guest memory (default 3072)
  --cpus N               guest CPUs (default 2); igb's NICs under test get 5 queues whatever N is
  --tcg single|multi     one host thread for all guest CPUs, or one each: multi is faster, but a guest JVM may
                         die of SIGILL when it patches code another CPU runs (default single)
  --boot-timeout S       the guest must be up within S seconds (default 120)
  --timeout S            the whole run, boot included, within S seconds, or the guest is killed (default 900)
  --quiet                print only the command's output, not the lab's own lines

  prepare                fetch and build the guest (QEMU, kernel, initramfs) without booting it
  scenarios              list the named scenarios

Environment: SLUICE_LAB_CACHE (default /var/cache/sluice/lab), SLUICE_LAB_KERNEL_PACKAGE and
SLUICE_LAB_KERNEL_VERSION (the pinned kernel).
EOF
}

say() {
    [ "$quiet" = 1 ] || echo "sluice lab: $*" >&2
}

positive() {
    case $2 in
        '' | *[!0-9]*) die "$1 takes a whole number, not '$2'" ;;
    esac
}

# ---------------------------------------------------------------- preparing the guest

apt_options() {
    local dir=$CACHE/apt
    echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=/dev/null" \
        "-o Dir::State::Lists=$dir/lists -o Dir::Cache::Archives=$dir/archives" \
        "-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Default-Release=bookworm" \
        "-o APT::Sandbox::User=root"
}

# The backports suites go in apt's own list under the cache: the host's sources stay as they are.
apt_lists() {
    local dir=$CACHE/apt stamp=$CACHE/apt/updated
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    cat >"$dir/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $QEMU_SUITE main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $KERNEL_SUITE main
EOF
    if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
        return 0
    fi
    say "updating apt lists for bookworm, $QEMU_SUITE and $KERNEL_SUITE (in $dir)"
    # shellcheck disable=SC2046
    if ! apt-get $(apt_options) update >"$CACHE/apt.log" 2>&1 </dev/null; then
        die "apt-get update of $QEMU_SUITE and $KERNEL_SUITE failed: $(grep -E '^(E|W):' "$CACHE/apt.log" | head -n 1) (log: $CACHE/apt.log)"
    fi
    touch "$stamp"
}

qemu_major() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 || return 0
    qemu-system-x86_64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -n 1
}

ensure_host_packages() {
    local pkg missing=() major qemu=
    for pkg in $HOST_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    major=$(qemu_major)
    if [ -z "$major" ] || [ "$major" -lt "$QEMU_MIN_MAJOR" ]; then
        qemu=$QEMU_PACKAGE
    fi
    [ ${#missing[@]} -eq 0 ] && [ -z "$qemu" ] && return 0

    apt_lists
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        # shellcheck disable=SC2046
        if ! DEBIAN_FRONTEND=noninteractive apt-get $(apt_options) install -y -q --no-install-recommends \
                "${missing[@]}" >>"$CACHE/apt.log" 2>&1 </dev/null; then
            die "apt-get could not install ${missing[*]}: $(grep -E '^E:' "$CACHE/apt.log" | tail -n 1) (log: $CACHE/apt.log)"
        fi
    fi
    if [ -n "$qemu" ]; then
        # The whole transaction prefers the backport: QEMU 10 needs its own qemu-system-common, qemu-system-data
        # and seabios, newer than bookworm's, and naming only $QEMU_PACKAGE/$QEMU_SUITE leaves those at bookworm's.
        say "installing $qemu from $QEMU_SUITE"
        # shellcheck disable=SC2046
        if ! DEBIAN_FRONTEND=noninteractive apt-get $(apt_options) -o APT::Default-Release="$QEMU_SUITE" \
                install -y -q --no-install-recommends "$qemu" >>"$CACHE/apt.log" 2>&1 </dev/null; then
            die "apt-get could not install $qemu from $QEMU_SUITE: $(grep -E '^E:' "$CACHE/apt.log" | tail -n 1) (log: $CACHE/apt.log)"
        fi
    fi
    major=$(qemu_major)
    if [ -z "$major" ] || [ "$major" -lt "$QEMU_MIN_MAJOR" ]; then
        die "qemu-system-x86_64 is version ${major:-none} after installing $QEMU_PACKAGE from $QEMU_SUITE; the lab needs $QEMU_MIN_MAJOR or later (igb device)"
    fi
}

# The kernel's files, unpacked (not installed) under the cache, with modules.dep made for modprobe in the guest.
ensure_kernel() {
    KERNEL_DIR=$CACHE/kernel-$KERNEL_VERSION
    if [ -f "$KERNEL_DIR/ready" ]; then
        KERNEL_RELEASE=$(cat "$KERNEL_DIR/ready")
        return 0
    fi
    apt_lists
    local deb_dir=$CACHE/debs
    mkdir -p "$deb_dir"
    say "downloading $KERNEL_PACKAGE $KERNEL_VERSION from $KERNEL_SUITE"
    # shellcheck disable=SC2046
    if ! (cd "$deb_dir" && apt-get $(apt_options) download "$KERNEL_PACKAGE=$KERNEL_VERSION") \
            >>"$CACHE/apt.log" 2>&1 </dev/null; then
        local offered
        # shellcheck disable=SC2046
        offered=$(apt-cache $(apt_options) madison "$KERNEL_PACKAGE" 2>/dev/null | awk '{print $3}' | paste -sd, -)
        die "the pinned guest kernel $KERNEL_PACKAGE $KERNEL_VERSION is not in $KERNEL_SUITE any more (offered: ${offered:-none}); set SLUICE_LAB_KERNEL_VERSION (and SLUICE_LAB_KERNEL_PACKAGE) to one that is (log: $CACHE/apt.log)"
    fi
    local deb
    deb=$(ls "$deb_dir"/"${KERNEL_PACKAGE}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "apt-get download left no $KERNEL_PACKAGE .deb in $deb_dir"
    rm -rf "$KERNEL_DIR.tmp"
    dpkg-deb -x "$deb" "$KERNEL_DIR.tmp" || die "dpkg-deb -x $deb failed"
    rm -f "$deb"
    KERNEL_RELEASE=$(ls "$KERNEL_DIR.tmp/usr/lib/modules" 2>/dev/null | head -n 1)
    [ -n "$KERNEL_RELEASE" ] && [ -f "$KERNEL_DIR.tmp/boot/vmlinuz-$KERNEL_RELEASE" ] \
        || die "$deb holds no vmlinuz and modules; is $KERNEL_PACKAGE a kernel image?"
    depmod -b "$KERNEL_DIR.tmp/usr" "$KERNEL_RELEASE" || die "depmod for $KERNEL_RELEASE failed"
    echo "$KERNEL_RELEASE" >"$KERNEL_DIR.tmp/ready"
    rm -rf "$KERNEL_DIR"
    mv "$KERNEL_DIR.tmp" "$KERNEL_DIR"
}

# The first stage: busybox, the modules that mount the host's / over 9p with an overlay, and lab/guest/init.
# Rebuilt when the init or the kernel changes.
ensure_initrd() {
    local key
    key=$( (cat "$LAB/guest/init"; echo "$KERNEL_RELEASE $INITRD_MODULES") | sha256sum | cut -c1-16)
    INITRD=$CACHE/initrd-$key.gz
    [ -f "$INITRD" ] && return 0
    local dir m modules=$KERNEL_DIR/usr/lib/modules/$KERNEL_RELEASE/kernel
    dir=$(mktemp -d "$CACHE/initrd.XXXXXX")
    mkdir -p "$dir"/{bin,dev,proc,sys,lower,upper,new,mods}
    cp /usr/bin/busybox "$dir/bin/busybox"
    for m in $INITRD_MODULES; do
        xz -dc "$modules/$m.ko.xz" >"$dir/mods/$(basename "$m").ko" || die "the kernel has no $m.ko.xz"
    done
    cp "$LAB/guest/init" "$dir/init"
    chmod 0755 "$dir/init"
    (cd "$dir" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp"
    mv "$INITRD.tmp" "$INITRD"
    rm -rf "$dir"
}

prepare_guest() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/lock"
    flock 8
    ensure_host_packages
    ensure_kernel
    ensure_initrd
    exec 8>&-
}

# ---------------------------------------------------------------- booting it

nic_device() {
    local netdev=$1 mac=$2
    case $nic in
        # XDP and zero-copy on virtio_net need the modern device behind the DMA API (ACCESS_PLATFORM) and the
        # guest offloads off; romfile= skips the iPXE ROM.
        virtio) echo "virtio-net-pci,netdev=$netdev,mac=$mac,disable-legacy=on,iommu_platform=on,csum=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off,romfile=" ;;
        # Each igb behind a root port of its own: the 82576 reserves PCI functions for its SR-IOV VFs.
        igb) echo "igb,netdev=$netdev,mac=$mac,romfile=,bus=port${netdev#n}" ;;
    esac
}

boot() {
    local out=$1 args=() i
    args+=(-machine q35 -accel "tcg,thread=$tcg_threads" -cpu max -smp "$cpus" -m "$memory_mb")
    args+=(-nodefaults -display none -no-reboot -monitor none -serial "file:$out/console.log")
    args+=(-kernel "$KERNEL_DIR/boot/vmlinuz-$KERNEL_RELEASE" -initrd "$INITRD")
    args+=(-append "console=ttyS0 quiet loglevel=4 panic=-1 sluice.root=$ROOT sluice.out=$out sluice.modules=$KERNEL_DIR/usr/lib/modules/$KERNEL_RELEASE sluice.nic=$nic")
    args+=(-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on")
    args+=(-virtfs "local,path=$out,mount_tag=out,security_model=none")
    for i in 0 1 2 3; do
        [ "$nic" = igb ] && args+=(-device "pcie-root-port,id=port$i,chassis=$((i + 1)),slot=$((i + 1))")
        args+=(-netdev "hubport,id=n$i,hubid=$((i / 2))" -device "$(nic_device "n$i" "52:54:00:5c:00:0$i")")
    done
    qemu-system-x86_64 "${args[@]}" >"$out/qemu.log" 2>&1 </dev/null &
    QEMU_PID=$!
}

# Prints the console from the marker on (the firmware's and the kernel's boot lines stay in console.log).
stream_console() {
    local log=$1
    tail -n +1 -F --pid="$QEMU_PID" "$log" 2>/dev/null | tr -d '\r' | sed -u -n '/^sluice-lab: guest up/,$p' \
        | sed -u -E '/^sluice-lab: guest up/d; /^sluice-lab: done rc=/d; /^\[ *[0-9.]+\] (sysrq: Power Off|reboot: Power down)$/d; s/^sluice-lab: /sluice lab: /'
}

run_guest() {
    local out
    if [ -n "$out_dir" ]; then
        out=$out_dir
        mkdir -p "$out" || die "cannot make --out $out"
        rm -f "$out/console.log" "$out/qemu.log" "$out/output" "$out/rc" "$out/rc.tmp" "$out/cmd" "$out/env"
    else
        mkdir -p "$ROOT/target/lab"
        out=$(mktemp -d "$ROOT/target/lab/run.XXXXXX")
    fi
    chmod 0755 "$out"
    if [ -n "$scenario" ]; then
        printf 'exec bash %q' "$LAB/scenarios/$scenario.sh" >"$out/cmd"
        [ ${#command[@]} -gt 0 ] && printf ' %q' "${command[@]}" >>"$out/cmd"
        echo >>"$out/cmd"
    else
        printf '%q ' "${command[@]}" >"$out/cmd"
        echo >>"$out/cmd"
    fi
    {
        echo "SLUICE_LAB_CWD=$(printf '%q' "$CALLER_PWD")"
        echo "SLUICE_LAB_TRAFFIC=$traffic"
        echo "SLUICE_LAB_RATE=$traffic_rate"
        echo "JAVA_HOME=$(printf '%q' "${JAVA_HOME:-}")"
    } >"$out/env"

    say "booting a $nic guest ($KERNEL_RELEASE, $cpus CPUs, ${memory_mb} MB, TCG); console: $out/console.log"
    local start_s=$SECONDS
    : >"$out/console.log"
    boot "$out"
    trap 'kill "$QEMU_PID" 2>/dev/null || true' EXIT INT TERM
    stream_console "$out/console.log" &
    local streamer=$!

    local failure="" up=0
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [ "$up" = 0 ] && grep -q '^sluice-lab: guest up' "$out/console.log" 2>/dev/null; then
            up=1
        fi
        if [ "$up" = 0 ] && [ $((SECONDS - start_s)) -ge "$boot_timeout_s" ]; then
            failure="the guest did not come up within $boot_timeout_s s: $(boot_failure "$out")"
            break
        fi
        if [ $((SECONDS - start_s)) -ge "$timeout_s" ]; then
            failure="the guest was still running after $timeout_s s (--timeout); killed it"
            break
        fi
        sleep 0.2
    done
    if [ -n "$failure" ]; then
        kill "$QEMU_PID" 2>/dev/null || true
    fi
    wait "$QEMU_PID" 2>/dev/null || true
    wait "$streamer" 2>/dev/null || true
    trap - EXIT INT TERM

    if [ -z "$failure" ] && [ ! -f "$out/rc" ]; then
        if grep -q '^sluice-lab: guest up' "$out/console.log"; then
            failure="the guest stopped before the command finished: $(last_words "$out")"
        else
            failure="the guest stopped before it came up: $(boot_failure "$out")"
        fi
    fi
    if [ -n "$failure" ]; then
        echo "sluice lab: $failure (console: $out/console.log)" >&2
        exit 125
    fi
    local rc
    rc=$(cat "$out/rc")
    say "the command exited $rc after $((SECONDS - start_s)) s"
    exit "$rc"
}

# One line on why a boot failed: the init's own complaint, a kernel panic, or QEMU's error.
boot_failure() {
    local out=$1 line
    line=$(tr -d '\r' <"$out/console.log" | grep -E '^sluice-lab: BOOT FAILED|Kernel panic' | head -n 1)
    [ -n "$line" ] && { echo "${line#sluice-lab: BOOT FAILED: }"; return; }
    line=$(grep -v '^\s*$' "$out/qemu.log" | head -n 1)
    [ -n "$line" ] && { echo "qemu: $line"; return; }
    echo "no sign of life on the console"
}

last_words() {
    local out=$1 line
    line=$(tr -d '\r' <"$out/console.log" | grep -E 'Kernel panic|Oops|BUG:' | head -n 1)
    [ -n "$line" ] && { echo "$line"; return; }
    line=$(grep -v '^\s*$' "$out/qemu.log" | tail -n 1)
    echo "${line:-it powered off without writing an exit status}"
}

list_scenarios() {
    local f
    for f in "$LAB"/scenarios/*.sh; do
        printf '  %-12s %s\n' "$(basename "$f" .sh)" "$(sed -n 's/^# scenario: //p' "$f" | head -n 1)"
    done
}

# ---------------------------------------------------------------- main

CALLER_PWD=${SLUICE_CALLER_PWD:-$PWD}
case ${1:-} in
    prepare)
        prepare_guest
        say "guest ready: $KERNEL_DIR/boot/vmlinuz-$KERNEL_RELEASE, $INITRD, $(qemu-system-x86_64 --version | head -n 1)"
        exit 0
        ;;
    scenarios)
        echo "Scenarios (./sluice lab [--nic igb] --scenario NAME):"
        list_scenarios
        exit 0
        ;;
esac

while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --nic)
            [ $# -ge 2 ] || die "--nic needs virtio or igb"
            case $2 in virtio | igb) nic=$2 ;; *) die "--nic takes virtio or igb, not '$2'" ;; esac
            shift 2 ;;
        --scenario)
            [ $# -ge 2 ] || die "--scenario needs a name (./sluice lab scenarios lists them)"
            [ -f "$LAB/scenarios/$2.sh" ] || die "no scenario '$2'; there are: $(cd "$LAB/scenarios" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | paste -sd' ' -)"
            scenario=$2
            shift 2 ;;
        --traffic) [ $# -ge 2 ] || die "--traffic needs a frame count"; positive "$1" "$2"; traffic=$2; shift 2 ;;
        --rate) [ $# -ge 2 ] || die "--rate needs frames per second"; positive "$1" "$2"; traffic_rate=$2; shift 2 ;;
        --memory) [ $# -ge 2 ] || die "--memory needs megabytes"; positive "$1" "$2"; memory_mb=$2; shift 2 ;;
        --cpus) [ $# -ge 2 ] || die "--cpus needs a count"; positive "$1" "$2"; cpus=$2; shift 2 ;;
        --tcg)
            [ $# -ge 2 ] || die "--tcg needs single or multi"
            case $2 in single | multi) tcg_threads=$2 ;; *) die "--tcg takes single or multi, not '$2'" ;; esac
            shift 2 ;;
        --boot-timeout) [ $# -ge 2 ] || die "--boot-timeout needs seconds"; positive "$1" "$2"; boot_timeout_s=$2; shift 2 ;;
        --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; positive "$1" "$2"; timeout_s=$2; shift 2 ;;
        --out)
            [ $# -ge 2 ] || die "--out needs a directory"
            case $2 in /*) out_dir=$2 ;; *) out_dir=$CALLER_PWD/$2 ;; esac
            case $out_dir in *[[:space:]]*) die "--out '$2' has white space" ;; esac
            shift 2 ;;
        --quiet) quiet=1; shift ;;
        --) shift; command=("$@"); break ;;
        *) die "unknown option '$1' (a command goes after --; ./sluice lab --help)" ;;
    esac
done

if [ -z "$scenario" ] && [ ${#command[@]} -eq 0 ]; then
    die "nothing to run: give a command after -- or --scenario NAME (./sluice lab --help)"
fi
case $ROOT in
    *[[:space:]]*) die "the project's path '$ROOT' has white space, which the guest's kernel command line cannot carry" ;;
esac
[ "$cpus" -ge 1 ] || die "--cpus must be at least 1"
[ "$memory_mb" -ge 1024 ] || die "--memory must be at least 1024 MB (the JVM in the guest)"

prepare_guest
run_guest
