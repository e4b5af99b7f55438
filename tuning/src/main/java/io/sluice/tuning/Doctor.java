package io.sluice.tuning;

import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.Profile;
import io.sluice.tuning.host.HostFiles;
import io.sluice.xsk.ffi.Capabilities;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.IfXdp;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.util.CpuList;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a host, and an interface on it, for running Sluice with a profile: each check a {@link Finding} with its
 * fix. Nothing is changed, except one throwaway attach of the XDP program, detached at once, and only when no other
 * XDP program is on the interface.
 */
public final class Doctor
{
    /**
     * Kernel releases Sluice's features arrived in: AF_XDP sockets (4.18), the need_wakeup flag (5.4), XDP through a
     * BPF link (5.9), {@code SO_PREFER_BUSY_POLL} and {@code SO_BUSY_POLL_BUDGET} (5.11).
     */
    static final int[] AF_XDP_SINCE = { 4, 18 };
    static final int[] NEED_WAKEUP_SINCE = { 5, 4 };
    static final int[] BPF_LINK_SINCE = { 5, 9 };
    static final int[] BUSY_POLL_SINCE = { 5, 11 };

    private static final Pattern RELEASE = Pattern.compile("([0-9]+)\\.([0-9]+).*");

    private final HostFiles files;
    private final Profile profile;
    private final String iface;
    private final boolean tryAttach;
    private final List<Finding> findings = new ArrayList<>();
    private NetDevice device;

    /**
     * @param files     the host's {@code /proc} and {@code /sys}.
     * @param profile   the profile Sluice would run with.
     * @param iface     the interface, or null for the host's checks only.
     * @param tryAttach whether to try a throwaway attach of the XDP program.
     */
    public Doctor(
        final HostFiles files,
        final Profile profile,
        final String iface,
        final boolean tryAttach)
    {
        this.files = files;
        this.profile = profile;
        this.iface = iface;
        this.tryAttach = tryAttach;
    }

    /**
     * @return every check's finding, in the order run.
     */
    public List<Finding> run()
    {
        findings.clear();
        device = null;
        String missing = null;
        if (null != iface)
        {
            // read once, first: the memlock and hugepage checks size the UMEM by its queues
            try
            {
                device = NetDevice.read(iface);
            }
            catch (final RuntimeException ex)
            {
                missing = ex.getMessage();
            }
        }
        kernel();
        privileges();
        memlock();
        bpffs();
        if (null != missing)
        {
            findings.add(Finding.fail("interface", missing, "give an interface that exists here: " +
                "`ip link show` lists them"));
        }
        else if (null != device)
        {
            new InterfaceChecks(files, profile, device, tryAttach, findings).run();
        }
        host();

        return findings;
    }

    // ---------------------------------------------------------------- kernel and process

    private void kernel()
    {
        final String release = System.getProperty("os.version");
        final int[] version = release(release);
        if (null == version)
        {
            findings.add(Finding.warn("kernel", "cannot read the release '" + release + "'", "check `uname -r`"));
            return;
        }
        if (!atLeast(version, AF_XDP_SINCE))
        {
            findings.add(Finding.fail("kernel", "Linux " + release + " has no AF_XDP (since 4.18)",
                "run a kernel 5.11 or later"));
            return;
        }
        findings.add(Finding.pass("kernel", "Linux " + release));

        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final int fd = LibC.socket(state, IfXdp.AF_XDP, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                final int errno = Ffi.errno(state);
                findings.add(Errno.EPERM == errno || Errno.EACCES == errno ?
                    Finding.fail("af_xdp", "socket(AF_XDP) refused: " + Errno.describe(errno),
                        Capabilities.xdpHint()) :
                    Finding.fail("af_xdp", "socket(AF_XDP): " + Errno.describe(errno),
                        "the kernel lacks CONFIG_XDP_SOCKETS=y; use a distribution kernel (Debian, Ubuntu, RHEL " +
                            "8.3+ have it)"));
            }
            else
            {
                LibC.closeQuietly(fd);
                findings.add(Finding.pass("af_xdp", "socket(AF_XDP) opens"));
            }
        }

        feature(version, NEED_WAKEUP_SINCE, "need_wakeup", profile.xskConfig().needWakeup(),
            "the XDP_USE_NEED_WAKEUP bind flag", "need_wakeup: false in the profile, or a newer kernel");
        if (atLeast(version, BPF_LINK_SINCE))
        {
            findings.add(Finding.pass("bpf_link", "XDP attaches through a BPF link (since 5.9), detached when Sluice " +
                "exits however it exits"));
        }
        else
        {
            findings.add(Finding.warn("bpf_link", "Linux " + release + " attaches XDP through netlink only (links " +
                "since 5.9): a killed Sluice leaves its program attached", "a kernel 5.9 or later; until then, " +
                "`ip link set dev IF xdp off` after a crash"));
        }
        feature(version, BUSY_POLL_SINCE, "busy_poll", profile.xskConfig().busyPoll().preferBusyPoll(),
            "SO_PREFER_BUSY_POLL and SO_BUSY_POLL_BUDGET", "busy_poll: {prefer: false} in the profile, or a " +
                "kernel 5.11 or later");
    }

    private void feature(
        final int[] version,
        final int[] since,
        final String check,
        final boolean used,
        final String what,
        final String fix)
    {
        final String need = what + " (since " + since[0] + "." + since[1] + ")";
        if (atLeast(version, since))
        {
            findings.add(Finding.pass(check, "the kernel has " + need + (used ? "" : "; the profile does not use it")));
        }
        else if (used)
        {
            findings.add(Finding.fail(check, "the profile uses " + need + ", which this kernel lacks" +
                where(check.equals("busy_poll") ? "busy_poll.prefer" : "need_wakeup"), fix));
        }
        else
        {
            findings.add(Finding.pass(check, "the kernel lacks " + need + "; the profile does not use it"));
        }
    }

    private void privileges()
    {
        final long effective = Capabilities.effective();
        final List<String> missing = Capabilities.missingForXdp(effective);
        if (!Capabilities.has(effective, Capabilities.CAP_NET_RAW))
        {
            missing.add("CAP_NET_RAW");
        }
        if (missing.isEmpty())
        {
            findings.add(Finding.pass("privileges", "CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF and CAP_PERFMON (or " +
                "CAP_SYS_ADMIN) are effective"));
        }
        else
        {
            findings.add(Finding.fail("privileges", "missing " + String.join(", ", missing) + " (effective 0x" +
                Long.toHexString(Math.max(0, effective)) + ")", "run as root, or grant them: setcap " +
                "cap_net_admin,cap_net_raw,cap_bpf,cap_perfmon,cap_ipc_lock+ep on the java binary"));
        }
    }

    private void memlock()
    {
        final long umemBytes = umemBytes();
        if (Capabilities.effective(Capabilities.CAP_IPC_LOCK))
        {
            findings.add(Finding.pass("memlock", "CAP_IPC_LOCK: the " + mib(umemBytes) + " UMEM is locked without " +
                "counting against RLIMIT_MEMLOCK"));
            return;
        }
        final long limit = memlockLimit();
        if (limit < 0 || limit >= umemBytes)
        {
            findings.add(Finding.pass("memlock", "RLIMIT_MEMLOCK " + (limit < 0 ? "unlimited" : mib(limit)) +
                " holds the " + mib(umemBytes) + " UMEM"));
        }
        else
        {
            findings.add(Finding.fail("memlock", "RLIMIT_MEMLOCK " + mib(limit) + " is less than the " +
                mib(umemBytes) + " UMEM the profile needs; the UMEM registration would fail (ENOBUFS)",
                "ulimit -l unlimited before starting, LimitMEMLOCK=infinity in a systemd unit, or CAP_IPC_LOCK"));
        }
    }

    private void bpffs()
    {
        final String mounts = files.readOrNull("/proc/self/mounts");
        final boolean mounted = null != mounts && Arrays.stream(mounts.split("\n"))
            .map((line) -> line.split(" "))
            .anyMatch((f) -> f.length > 2 && "/sys/fs/bpf".equals(f[1]) && "bpf".equals(f[2]));
        if (mounted)
        {
            findings.add(Finding.pass("bpffs", "bpffs is mounted at /sys/fs/bpf: libxdp's dispatcher can share the " +
                "interface with other XDP programs"));
        }
        else
        {
            findings.add(Finding.warn("bpffs", "no bpffs at /sys/fs/bpf (`ip netns exec` remounts /sys without it): " +
                "libxdp cannot pin its dispatcher, so Sluice's program attaches alone",
                "mount -t bpf bpf /sys/fs/bpf"));
        }
    }

    // ---------------------------------------------------------------- host

    private void host()
    {
        hugepages();
        final int[] cores = profile.pipelineConfig().cores();
        isolation(cores, "isolated_cpus", "/sys/devices/system/cpu/isolated", "isolcpus=managed_irq,domain," +
            "CPUS on the kernel command line (or a cpuset partition)");
        isolation(cores, "nohz_full", "/sys/devices/system/cpu/nohz_full", "nohz_full=CPUS rcu_nocbs=CPUS on the " +
            "kernel command line");
        governor(cores);
    }

    private void hugepages()
    {
        final HugePagePolicy policy = profile.umemConfig().hugePages();
        if (HugePagePolicy.OFF == policy)
        {
            findings.add(Finding.pass("hugepages", "not used (hugepages: off" + where("hugepages") + ")"));
            return;
        }
        final String free = files.readOrNull(TunePlan.HUGEPAGES_DIR + "/free_hugepages");
        final long needed = TunePlan.pagesNeeded(profile, queues());
        final long freePages = null == free ? 0 : Long.parseLong(free);
        if (freePages >= needed)
        {
            findings.add(Finding.pass("hugepages", freePages + " free 2 MiB pages; the UMEM needs " + needed));
            return;
        }
        final String detail = freePages + " free 2 MiB pages, the UMEM needs " + needed + " (hugepages: " +
            policy.label() + where("hugepages") + ")";
        final String fix = "./sluice tune --iface IF --apply reserves them, or sysctl -w vm.nr_hugepages=N";
        findings.add(HugePagePolicy.REQUIRE == policy ? Finding.fail("hugepages", detail, fix) :
            Finding.warn("hugepages", detail + ": normal pages instead", fix));
    }

    private void isolation(final int[] cores, final String check, final String file, final String fix)
    {
        if (0 == cores.length)
        {
            findings.add(Finding.warn(check, "threading.cores pins no CPU" + where("threading.cores") +
                ": Sluice's threads move between CPUs", "name the cores in threading.cores"));
            return;
        }
        if (!files.exists(file))
        {
            findings.add(Finding.warn(check, "this kernel has no " + file, fix.replace("CPUS",
                CpuList.format(cores))));
            return;
        }
        final int[] isolated = CpuList.parseKernel(files.read(file));
        final int[] outside = Arrays.stream(cores).filter((c) -> !contains(isolated, c)).toArray();
        if (0 == outside.length)
        {
            findings.add(Finding.pass(check, "Sluice's CPUs " + CpuList.format(cores) + " are in " + file));
        }
        else
        {
            findings.add(Finding.warn(check, "CPU " + CpuList.format(outside) + " of Sluice's " +
                CpuList.format(cores) + " is not in " + file + " (" + (0 == isolated.length ? "empty" :
                CpuList.format(isolated)) + "): other tasks and ticks share it", fix.replace("CPUS",
                CpuList.format(cores))));
        }
    }

    private void governor(final int[] cores)
    {
        final int[] cpus = cores.length > 0 ? cores : CpuList.online();
        final List<String> slow = new ArrayList<>();
        int read = 0;
        for (final int cpu : cpus)
        {
            final String governor = files.readOrNull("/sys/devices/system/cpu/cpu" + cpu +
                "/cpufreq/scaling_governor");
            if (null == governor)
            {
                continue;
            }
            read++;
            if (!"performance".equals(governor))
            {
                slow.add("CPU " + cpu + " " + governor);
            }
        }
        if (0 == read)
        {
            findings.add(Finding.pass("cpu_governor", "no cpufreq on CPU " + CpuList.format(cpus) + ": the " +
                "frequency is not the kernel's to scale (a virtual machine, or fixed)"));
        }
        else if (slow.isEmpty())
        {
            findings.add(Finding.pass("cpu_governor", "performance on CPU " + CpuList.format(cpus)));
        }
        else
        {
            findings.add(Finding.warn("cpu_governor", String.join(", ", slow) + ": the clock drops when idle " +
                "and climbs after a burst starts", "cpupower frequency-set -g performance (or echo performance > " +
                "/sys/devices/system/cpu/cpuN/cpufreq/scaling_governor)"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private long umemBytes()
    {
        return TunePlan.umemFor(profile, queues()).sizeBytes();
    }

    /**
     * @return the queues Sluice would receive from: the profile's count, or for {@code all} the interface's, or one
     * when no interface is checked (or it could not be read).
     */
    private int queues()
    {
        return profile.queueCount(null == device ? 1 : device.rxQueues());
    }

    private long memlockLimit()
    {
        final String limits = files.readOrNull("/proc/self/limits");
        if (null != limits)
        {
            for (final String line : limits.split("\n"))
            {
                if (line.startsWith("Max locked memory"))
                {
                    final String soft = line.substring("Max locked memory".length()).strip().split("\\s+")[0];
                    return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
                }
            }
        }

        return -1;
    }

    private String where(final String field)
    {
        return where(profile, field);
    }

    /**
     * @param profile the profile checked.
     * @param field   a profile field, {@code zero_copy}.
     * @return {@code " at FILE:LINE"} where the profile sets the field, or "" if it takes the default.
     */
    static String where(final Profile profile, final String field)
    {
        final Profile.Location location = profile.where(field);
        return null == location ? "" : " at " + location;
    }

    /**
     * @param text a kernel release, {@code 6.18.44-amd64}.
     * @return its major and minor numbers, or null if it does not start with them.
     */
    static int[] release(final String text)
    {
        if (null == text)
        {
            return null;
        }
        final Matcher matcher = RELEASE.matcher(text);
        return matcher.matches() ?
            new int[] { Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)) } : null;
    }

    static boolean atLeast(final int[] version, final int[] since)
    {
        return version[0] > since[0] || (version[0] == since[0] && version[1] >= since[1]);
    }

    static boolean contains(final int[] values, final int value)
    {
        return Arrays.stream(values).anyMatch((v) -> v == value);
    }

    private static String mib(final long bytes)
    {
        return bytes >= (1L << 20) ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }
}
