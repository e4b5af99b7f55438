package io.sluice.tuning;

import io.sluice.pipeline.profile.HostTuning;
import io.sluice.pipeline.profile.IrqPolicy;
import io.sluice.pipeline.profile.MultiBufferPolicy;
import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.Profile;
import io.sluice.pipeline.profile.ProfileCheck;
import io.sluice.pipeline.profile.ProfileException;
import io.sluice.tuning.host.HostFiles;
import io.sluice.tuning.host.Irqs;
import io.sluice.xsk.netlink.NetdevFamily;
import io.sluice.xsk.netlink.XdpFeatures;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.util.CpuList;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@link Doctor}'s checks of one interface: its driver, its AF_XDP zero-copy by the profile's
 * {@code zero_copy_since} and by the kernel's netdev family, the XDP program already on it and a throwaway attach,
 * the profile's fit (queues, MTU) and where its queues' interrupts land. Each check adds a {@link Finding}.
 */
final class InterfaceChecks
{
    private final HostFiles files;
    private final Profile profile;
    private final NetDevice device;
    private final String iface;
    private final boolean tryAttach;
    private final List<Finding> findings;

    /**
     * @param files     the host's {@code /proc} and {@code /sys}.
     * @param profile   the profile Sluice would run with.
     * @param device    the interface, as read.
     * @param tryAttach whether to try a throwaway attach of the XDP program.
     * @param findings  where each check's finding goes, in the order run.
     */
    InterfaceChecks(
        final HostFiles files,
        final Profile profile,
        final NetDevice device,
        final boolean tryAttach,
        final List<Finding> findings)
    {
        this.files = files;
        this.profile = profile;
        this.device = device;
        this.iface = device.name();
        this.tryAttach = tryAttach;
        this.findings = findings;
    }

    /**
     * Run every interface check.
     */
    void run()
    {
        driver(device);
        zeroCopy(device);
        xdpFeatures(device);
        final boolean free = otherProgram();
        attach(free);
        fit(device);
        irqAffinity();
    }

    private void driver(final NetDevice device)
    {
        findings.add(Finding.pass("driver", device.name() + ": driver " + device.driver() + " (" +
            device.driverSource() + "), profile " + profile.source()));
    }

    private void zeroCopy(final NetDevice device)
    {
        final HostTuning host = profile.hostTuning();
        final ZeroCopyPolicy policy = profile.xskConfig().zeroCopy();
        final String since = host.zeroCopySince();
        final int[] kernel = Doctor.release(System.getProperty("os.version"));
        final boolean require = ZeroCopyPolicy.REQUIRE == policy;
        if (null == since)
        {
            findings.add(Finding.warn("zero_copy", "the profile does not say whether " + device.driver() +
                " has AF_XDP zero-copy (zero_copy_since); policy " + policy.label(), "add zero_copy_since to the " +
                "profile (see nic-profiles/ and the kernel's driver history)"));
        }
        else if (host.noZeroCopy())
        {
            final String detail = device.driver() + " has no AF_XDP zero-copy (zero_copy_since: none" +
                Doctor.where(profile, "zero_copy_since") + "): frames are copied into the UMEM (copy mode)";
            findings.add(require ?
                Finding.fail("zero_copy", detail + ", but zero_copy is require" + Doctor.where(profile, "zero_copy"),
                    "zero_copy: copy or prefer, or a NIC with zero-copy (mlx5, ice, i40e: nic-profiles/)") :
                Finding.warn("zero_copy", detail, "for zero-copy rates, a NIC whose driver has it (mlx5, ice, " +
                    "i40e, ixgbe: nic-profiles/); copy mode is right for tests and containers"));
        }
        else
        {
            final int[] needed = Doctor.release(since);
            if (null != kernel && null != needed && !Doctor.atLeast(kernel, needed))
            {
                final String detail = device.driver() + " has zero-copy since " + since + ", this kernel is " +
                    System.getProperty("os.version");
                findings.add(require ? Finding.fail("zero_copy", detail + "; the policy is require",
                    "a kernel " + since + " or later, or zero_copy: prefer") :
                    Finding.warn("zero_copy", detail + ": copy mode", "a kernel " + since + " or later"));
            }
            else
            {
                findings.add(Finding.pass("zero_copy", device.driver() + " has AF_XDP zero-copy since " + since +
                    "; policy " + policy.label()));
            }
        }
    }

    /**
     * What the kernel's netdev family reports of the driver's zero-copy, against the profile's policy and its
     * {@code zero_copy_since} table: the table says what the driver gained in which release, the kernel what this
     * device has now.
     */
    private void xdpFeatures(final NetDevice device)
    {
        final String dev = device.name() + " (driver " + device.driver() + ")";
        final XdpFeatures features;
        try
        {
            features = NetdevFamily.xdpFeatures(device.name());
        }
        catch (final RuntimeException ex)
        {
            findings.add(Finding.warn("xdp_features", "cannot ask the kernel's netdev family about " + dev + ": " +
                ex.getMessage(), "check `ip link show dev " + device.name() + "`"));
            return;
        }
        if (!features.known())
        {
            findings.add(Finding.pass("xdp_features", features.unknownReason() + "; zero_copy above goes by the " +
                "profile alone for " + dev));
            return;
        }

        final ZeroCopyPolicy policy = profile.xskConfig().zeroCopy();
        multiBuffer(device, features, policy);
        final Boolean profileHasIt = profileHasZeroCopy();
        if (features.zeroCopy())
        {
            final int segs = features.zcMaxSegs();
            findings.add(Finding.pass("xdp_features", "the kernel reports xsk-zerocopy for " + dev + ": " +
                features.xdpFeatureNames() + (segs > 0 ? "; zc max segs " + segs + (segs > 1 ?
                " (a zero-copy frame may span " + segs + " buffers)" : " (one buffer per zero-copy frame)") : "") +
                "; rx-sg " + (features.rxSg() ? "set" : "not set") + "; policy " + policy.label() +
                (Boolean.FALSE.equals(profileHasIt) ? "; the profile disagrees: " + profileZeroCopySays() +
                    ", while this device has it (correct zero_copy_since)" : "")));
            return;
        }

        final String detail = "the kernel reports no xsk-zerocopy for " + dev + ": xdp-features " +
            features.xdpFeatureNames() + (Boolean.TRUE.equals(profileHasIt) ? "; the profile disagrees: " +
            profileZeroCopySays() + " (a driver build or device without it, or a wrong zero_copy_since)" : "");
        final String inProfile = " in " + profile.source();
        switch (policy)
        {
            case REQUIRE -> findings.add(Finding.fail("xdp_features", detail + "; zero_copy is require" +
                Doctor.where(profile, "zero_copy") + ", so the bind fails",
                "set zero_copy: prefer or copy" + inProfile));
            case PREFER -> findings.add(Finding.warn("xdp_features", detail + "; zero_copy: prefer binds in " +
                "copy mode", "for zero-copy rates, a NIC whose driver has it (nic-profiles/); zero_copy: copy" +
                inProfile + " says so outright"));
            case COPY -> findings.add(Boolean.TRUE.equals(profileHasIt) ?
                Finding.warn("xdp_features", detail + "; zero_copy: copy does not use it", "correct " +
                    "zero_copy_since" + inProfile) :
                Finding.pass("xdp_features", detail + "; zero_copy: copy, as the profile says"));
        }
    }

    /**
     * Whether the profile's {@code multi_buffer}, for this MTU, can work on the device: the driver must build
     * multi-buffer packets ({@code rx-sg}), and in zero-copy take more than one buffer per packet
     * ({@code xdp-zc-max-segs}).
     */
    private void multiBuffer(final NetDevice device, final XdpFeatures features, final ZeroCopyPolicy policy)
    {
        final int room = profile.umemConfig().packetRoomBytes();
        final int mtu = profile.effectiveMtu(device.mtu());
        final int needed = mtu + ProfileCheck.L2_OVERHEAD_BYTES;
        if (!profile.multiBuffer(device.mtu(), profile.umemConfig()))
        {
            findings.add(Finding.pass("multi_buffer", "off (" + profile.multiBuffer().label() + "): MTU " + mtu +
                " fits one " + profile.umemConfig().frameSizeBytes() + "-byte frame"));
            return;
        }
        final int buffers = (needed + room - 1) / room;
        final String dev = device.name() + " (driver " + device.driver() + ")";
        final String where = " (" + profile.multiBuffer().label() + Doctor.where(profile, MultiBufferPolicy.PROFILE_KEY) +
            ")";
        if (!features.rxSg())
        {
            findings.add(Finding.fail("multi_buffer", "on" + where + " for MTU " + mtu + " (" + buffers +
                " frames of " + room + " bytes), but the kernel reports no rx-sg for " + dev + ": the driver " +
                "cannot hand XDP a packet of several buffers", "an MTU up to " +
                (room - ProfileCheck.L2_OVERHEAD_BYTES) + " (ip link set dev " + device.name() + " mtu N), or a " +
                "driver with XDP multi-buffer"));
            return;
        }
        if (ZeroCopyPolicy.REQUIRE == policy && features.zeroCopy() && features.zcMaxSegs() <= 1)
        {
            findings.add(Finding.fail("multi_buffer", "on" + where + " for MTU " + mtu + " with zero_copy: " +
                "require, but the kernel reports xdp-zc-max-segs " + features.zcMaxSegs() + " for " + dev +
                ": its zero-copy takes one buffer per packet, so the bind (XDP_USE_SG) fails",
                "zero_copy: prefer or copy in " + profile.source() + ", or an MTU up to " +
                (room - ProfileCheck.L2_OVERHEAD_BYTES) + " and multi_buffer: off"));
            return;
        }
        findings.add(Finding.pass("multi_buffer", "on" + where + ": MTU " + mtu + " spans up to " + buffers +
            " frames of " + room + " bytes; rx-sg set for " + dev +
            (features.zeroCopy() ? "; xdp-zc-max-segs " + features.zcMaxSegs() : "")));
    }

    /**
     * @return whether the profile's {@code zero_copy_since} gives the driver zero-copy on this kernel, or null if
     * it does not say (or the releases cannot be read).
     */
    private Boolean profileHasZeroCopy()
    {
        final HostTuning host = profile.hostTuning();
        if (null == host.zeroCopySince())
        {
            return null;
        }
        if (host.noZeroCopy())
        {
            return Boolean.FALSE;
        }
        final int[] kernel = Doctor.release(System.getProperty("os.version"));
        final int[] needed = Doctor.release(host.zeroCopySince());

        return null == kernel || null == needed ? null : Doctor.atLeast(kernel, needed);
    }

    /**
     * @return what the profile's {@code zero_copy_since} says of this kernel, when the kernel disagrees.
     */
    private String profileZeroCopySays()
    {
        final HostTuning host = profile.hostTuning();
        final String since = "zero_copy_since: " + host.zeroCopySince() + Doctor.where(profile, "zero_copy_since");
        if (host.noZeroCopy())
        {
            return since + " says the driver has no zero-copy";
        }

        return since + " says the driver has it " + (Boolean.TRUE.equals(profileHasZeroCopy()) ? "on" : "only " +
            "after") + " Linux " + System.getProperty("os.version");
    }

    /**
     * @return true if no XDP program is on the interface.
     */
    private boolean otherProgram()
    {
        final String name;
        try
        {
            name = SteeringProgram.attachedProgramName(iface);
        }
        catch (final RuntimeException ex)
        {
            findings.add(Finding.warn("xdp_program", "cannot ask which XDP program is on " + iface + ": " +
                ex.getMessage(), "check with `ip link show dev " + iface + "`"));
            return false;
        }
        if (null == name)
        {
            findings.add(Finding.pass("xdp_program", "no XDP program on " + iface));
            return true;
        }
        if (SteeringProgram.PROGRAM_NAME.equals(name))
        {
            findings.add(Finding.warn("xdp_program", "Sluice's " + name + " is on " + iface + ": another Sluice " +
                "runs there, or one was killed before links (kernel < 5.9)", "stop the other instance, or " +
                "`ip link set dev " + iface + " xdp off` if none runs"));
        }
        else if (SteeringProgram.DISPATCHER_NAME.equals(name))
        {
            findings.add(Finding.pass("xdp_program", "libxdp's dispatcher is on " + iface + ": Sluice's program " +
                "joins it"));
        }
        else
        {
            findings.add(Finding.fail("xdp_program", "XDP program " + name + " is on " + iface + ", outside " +
                "libxdp's dispatcher: Sluice cannot attach beside it", "detach it (`ip link set dev " + iface +
                " xdp off`) or load it through libxdp (xdp-loader) so both share the interface"));
        }

        return false;
    }

    private void attach(final boolean free)
    {
        final XdpMode mode = profile.xdpMode();
        if (!tryAttach)
        {
            findings.add(Finding.warn("xdp_attach", "not tried (--no-attach)", "run without --no-attach on a " +
                "quiet interface"));
            return;
        }
        if (!free)
        {
            findings.add(Finding.warn("xdp_attach", "not tried: a program is on " + iface + " already (above), " +
                "and a test attach would disturb it", "check on a quiet interface"));
            return;
        }
        // the program logs its attach and detach for operators of a running Sluice; here they would repeat this report
        final java.util.logging.Logger log = java.util.logging.Logger.getLogger(SteeringProgram.class.getName());
        final java.util.logging.Level level = log.getLevel();
        log.setLevel(java.util.logging.Level.SEVERE);
        try (SteeringProgram program = SteeringProgram.open())
        {
            program.attach(iface, mode);
            final String how = program.attachment().name().toLowerCase(java.util.Locale.ROOT);
            program.detach();
            findings.add(Finding.pass("xdp_attach", mode.label() + " XDP attached to " + iface + " (" + how +
                ") and detached"));
        }
        catch (final RuntimeException ex)
        {
            findings.add(Finding.fail("xdp_attach", mode.label() + " XDP cannot attach to " + iface + ": " +
                ex.getMessage(), XdpMode.NATIVE == mode ? "xdp_mode: generic in the profile (slower), or a " +
                "driver with native XDP" : "check the kernel log (dmesg)"));
        }
        finally
        {
            log.setLevel(level);
        }
    }

    private void fit(final NetDevice device)
    {
        final List<ProfileException> problems = ProfileCheck.check(profile, device, CpuList.online());
        String queues = null;
        String mtu = null;
        final List<String> other = new ArrayList<>();
        for (final ProfileException problem : problems)
        {
            final String message = problem.getMessage();
            if ("queues".equals(problem.field()))
            {
                queues = message;
            }
            else if (problem.field().startsWith("frame.") || "mtu".equals(problem.field()) ||
                MultiBufferPolicy.PROFILE_KEY.equals(problem.field()))
            {
                mtu = message;
            }
            else
            {
                other.add(message);
            }
        }
        final int used = profile.queueCount(device.rxQueues());
        findings.add(null == queues ?
            Finding.pass("queues", device.name() + " has " + device.rxQueues() + " RX queue" +
                (1 == device.rxQueues() ? "" : "s") + "; Sluice uses " + used) :
            Finding.fail("queues", queues, "./sluice tune --iface " + device.name() + " --apply sets the channels, " +
                "or lower queues in the profile"));
        final int room = profile.umemConfig().packetRoomBytes();
        findings.add(null == mtu ?
            Finding.pass("mtu", "MTU " + profile.effectiveMtu(device.mtu()) + " fits " +
                profile.umemConfig().frameSizeBytes() + "-byte frames (" + room + " bytes of room" +
                (room < profile.effectiveMtu(device.mtu()) + ProfileCheck.L2_OVERHEAD_BYTES ?
                ", a packet spanning several with multi_buffer" : "") + ")") :
            Finding.fail("mtu", mtu, "multi_buffer: auto, a larger frame.size or a smaller MTU"));
        for (final String message : other)
        {
            findings.add(Finding.fail("profile", message, "fix the profile field named"));
        }
    }

    private void irqAffinity()
    {
        final Map<Integer, List<Integer>> irqs = Irqs.ofInterface(files, iface);
        if (irqs.isEmpty())
        {
            findings.add(Finding.pass("irq_affinity", iface + " has no per-queue interrupts (a software device " +
                "such as veth), so there is nothing to place"));
            return;
        }
        final int[] cores = profile.pipelineConfig().cores();
        final boolean busyPoll = profile.xskConfig().busyPoll().preferBusyPoll();
        final int queues = profile.queueCount(irqs.size());
        final List<String> wrong = new ArrayList<>();
        final StringBuilder seen = new StringBuilder();
        for (final Map.Entry<Integer, List<Integer>> entry : irqs.entrySet())
        {
            if (entry.getKey() >= queues)
            {
                continue;
            }
            for (final int irq : entry.getValue())
            {
                final String effective = files.readOrNull("/proc/irq/" + irq + "/effective_affinity_list");
                final String list = null != effective && !effective.isEmpty() ? effective :
                    files.readOrNull(Irqs.affinityFile(irq));
                if (null == list)
                {
                    continue;
                }
                final int[] cpus = CpuList.parseKernel(list);
                seen.append(seen.isEmpty() ? "" : ", ").append("queue ").append(entry.getKey()).append(" IRQ ")
                    .append(irq).append(" on CPU ").append(CpuList.format(cpus));
                final boolean onSluice = Arrays.stream(cpus).anyMatch((c) -> Doctor.contains(cores, c));
                if (IrqPolicy.SAME == profile.hostTuning().irqPolicy() && cores.length > 0 &&
                    !(1 == cpus.length && cpus[0] == cores[0]))
                {
                    wrong.add("queue " + entry.getKey() + " IRQ " + irq + " on CPU " + CpuList.format(cpus) +
                        ", not the receiving CPU " + cores[0]);
                }
                else if (IrqPolicy.SAME != profile.hostTuning().irqPolicy() && onSluice && !busyPoll)
                {
                    wrong.add("queue " + entry.getKey() + " IRQ " + irq + " on CPU " + CpuList.format(cpus) +
                        ", which Sluice's threads use without busy poll");
                }
            }
        }
        if (wrong.isEmpty())
        {
            findings.add(Finding.pass("irq_affinity", seen + " (policy " + profile.hostTuning().irqPolicy().label() +
                ", Sluice's cores " + (0 == cores.length ? "unpinned" : CpuList.format(cores)) + ")"));
        }
        else
        {
            findings.add(Finding.warn("irq_affinity", String.join("; ", wrong), "./sluice tune --iface " + iface +
                " --apply (irq.policy spread or same), or echo CPU > /proc/irq/N/smp_affinity_list; keep " +
                "irqbalance off these IRQs (IRQBALANCE_BANNED_CPULIST)"));
        }
    }
}
