package io.sluice.tuning;

import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.profile.FlowSteering;
import io.sluice.pipeline.profile.HostTuning;
import io.sluice.pipeline.profile.IrqPolicy;
import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.Profile;
import io.sluice.tuning.host.Ethtool;
import io.sluice.tuning.host.HostFiles;
import io.sluice.tuning.host.Irqs;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What applying a profile to an interface would change, worked out from the host as it is now: each
 * {@link Setting} with its current and wanted values, what already has the wanted value, and a warning for each
 * setting the interface does not support. Nothing is changed here.
 * <p>
 * The settings, in the order {@link Tuner} applies them:
 * <ul>
 *     <li>{@code channels}: {@code ethtool -L}, combined channels where the driver has them (mlx5, ice, i40e,
 *     virtio_net), else RX and TX (veth). Setting them to {@code queues} makes RSS spread over exactly the queues
 *     Sluice reads.</li>
 *     <li>{@code nic_rings}: {@code ethtool -G}.</li>
 *     <li>{@code mtu}: the interface's sysfs {@code mtu} ({@code ip link set dev IF mtu N} does the same), so a
 *     jumbo MTU in the profile is the one the interface runs at. The driver may refuse it, e.g. igb with an XDP
 *     program attached; {@code ./sluice doctor} says beforehand whether the frames and the driver can carry it.</li>
 *     <li>{@code offloads}: {@code ethtool -K}; {@code ntuple} is turned on too when {@code flow_steering} has
 *     rules.</li>
 *     <li>{@code flow_steering}: {@code ethtool -N}, one rule per flow.</li>
 *     <li>{@code busy_poll.napi_defer_hard_irqs}, {@code busy_poll.gro_flush_timeout}: the interface's sysfs files;
 *     {@code busy_poll.sysctl_busy_poll}, {@code sysctl_busy_read}: {@code net.core.busy_poll} and
 *     {@code busy_read}.</li>
 *     <li>{@code irq}: each used queue's IRQs' {@code smp_affinity_list}.</li>
 *     <li>{@code hugepages} ({@code prefer} or {@code require}): enough free 2 MiB pages for the UMEM Sluice would
 *     map, raising {@code nr_hugepages} by what is missing.</li>
 * </ul>
 */
public final class TunePlan
{
    /**
     * Where the kernel keeps the 2 MiB hugepage pool, whatever the default hugepage size; Sluice maps its UMEM with
     * {@code MAP_HUGE_2MB}.
     */
    public static final String HUGEPAGES_DIR = "/sys/kernel/mm/hugepages/hugepages-2048kB";

    private final String iface;
    private final Profile profile;
    private final List<Setting> settings = new ArrayList<>();
    private final List<String> unchanged = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final int queues;

    private TunePlan(final String iface, final Profile profile)
    {
        this.iface = iface;
        this.profile = profile;
        this.queues = Profile.ALL_QUEUES == profile.queues() ? sysfsQueues() : profile.queues();
    }

    /**
     * Work out the plan.
     *
     * @param profile    the profile to apply.
     * @param iface      the interface, in the current network namespace.
     * @param files      the host's {@code /proc} and {@code /sys}.
     * @param onlineCpus the host's online CPUs.
     * @param withQueues false to leave out the channels, as when they were just applied and the rest is worked out
     *                   again against the queues they made.
     * @return the plan.
     */
    public static TunePlan build(
        final Profile profile,
        final String iface,
        final HostFiles files,
        final int[] onlineCpus,
        final boolean withQueues)
    {
        final TunePlan plan = new TunePlan(iface, profile);
        final Ethtool ethtool = new Ethtool(iface);
        if (withQueues)
        {
            plan.channels(ethtool);
        }
        plan.rings(ethtool);
        plan.mtu(files);
        // read once for both: flows need the ntuple feature that offloads turns on for them
        final HostTuning host = profile.hostTuning();
        final Map<String, Ethtool.Feature> features =
            host.offloadsOff().isEmpty() && host.offloadsOn().isEmpty() && host.flows().isEmpty() ?
            null : ethtool.features();
        plan.offloads(ethtool, features);
        plan.flows(features);
        plan.napi(files);
        plan.irqs(files, onlineCpus);
        plan.hugepages(files);

        return plan;
    }

    /**
     * @return the interface.
     */
    public String iface()
    {
        return iface;
    }

    /**
     * @return the profile.
     */
    public Profile profile()
    {
        return profile;
    }

    /**
     * @return the settings that change something, in the order to apply them.
     */
    public List<Setting> settings()
    {
        return settings;
    }

    /**
     * @return the settings that already have the profile's value, e.g. {@code napi_defer_hard_irqs: already 2}.
     */
    public List<String> unchanged()
    {
        return unchanged;
    }

    /**
     * @return one line per setting the interface or host does not support, naming it.
     */
    public List<String> warnings()
    {
        return warnings;
    }

    /**
     * @return the queues Sluice would use: the profile's count, or all the interface has.
     */
    public int queues()
    {
        return queues;
    }

    // ---------------------------------------------------------------- settings

    private void channels(final Ethtool ethtool)
    {
        if (HostTuning.LEAVE == profile.hostTuning().channels())
        {
            return;
        }
        final Ethtool.Pair channels = ethtool.channels();
        if (null == channels)
        {
            warnings.add("channels: " + iface + " has no channels to set (ethtool -l: " + ethtool.lastError() + ")");
            return;
        }
        final long queues = profile.hostTuning().channels();
        final Map<String, String> after = new LinkedHashMap<>();
        final List<String> kinds = channels.max("combined") > 0 ? List.of("combined") : List.of("rx", "tx");
        for (final String kind : kinds)
        {
            final long max = channels.max(kind);
            if (max <= 0)
            {
                continue;
            }
            if (queues > max)
            {
                warnings.add("channels: " + queues + " is more than " + iface + "'s " + max + " " + kind +
                    " channels (ethtool -l); left at " + channels.current(kind));
                return;
            }
            after.put(kind, Long.toString(queues));
        }
        final Map<String, String> before = new LinkedHashMap<>();
        for (final String kind : List.of("rx", "tx", "other", "combined"))
        {
            if (channels.current(kind) >= 0)
            {
                before.put(kind, Long.toString(channels.current(kind)));
            }
        }
        add(new Setting(Setting.Kind.CHANNELS, iface, "channels", before, after),
            "channels: " + iface + " already has " + queues + " " + String.join("/", kinds) + " channels");
    }

    private void rings(final Ethtool ethtool)
    {
        final HostTuning host = profile.hostTuning();
        if (HostTuning.LEAVE == host.nicRxRing() && HostTuning.LEAVE == host.nicTxRing())
        {
            return;
        }
        final Ethtool.Pair rings = ethtool.rings();
        if (null == rings)
        {
            warnings.add("nic_rings: " + iface + " has no hardware rings to size (ethtool -g: " +
                ethtool.lastError() + ")");
            return;
        }
        final Map<String, String> before = new LinkedHashMap<>();
        final Map<String, String> after = new LinkedHashMap<>();
        ring(rings, "rx", host.nicRxRing(), before, after);
        ring(rings, "tx", host.nicTxRing(), before, after);
        if (!after.isEmpty())
        {
            add(new Setting(Setting.Kind.RINGS, iface, "nic_rings", before, after),
                "nic_rings: " + iface + " already has " + after);
        }
    }

    private void ring(
        final Ethtool.Pair rings,
        final String kind,
        final long wanted,
        final Map<String, String> before,
        final Map<String, String> after)
    {
        if (HostTuning.LEAVE == wanted)
        {
            return;
        }
        if (rings.max(kind) > 0 && wanted > rings.max(kind))
        {
            warnings.add("nic_rings." + kind + ": " + wanted + " is more than " + iface + "'s maximum " +
                rings.max(kind) + " (ethtool -g); left at " + rings.current(kind));
            return;
        }
        before.put(kind, Long.toString(rings.current(kind)));
        after.put(kind, Long.toString(wanted));
    }

    private void offloads(final Ethtool ethtool, final Map<String, Ethtool.Feature> features)
    {
        final HostTuning host = profile.hostTuning();
        final Map<String, Boolean> wanted = new LinkedHashMap<>();
        for (final String feature : host.offloadsOff())
        {
            wanted.put(Ethtool.longName(feature), false);
        }
        for (final String feature : host.offloadsOn())
        {
            wanted.put(Ethtool.longName(feature), true);
        }
        if (!host.flows().isEmpty())
        {
            wanted.putIfAbsent(Ethtool.longName("ntuple"), true);
        }
        if (wanted.isEmpty())
        {
            return;
        }
        if (null == features)
        {
            warnings.add("offloads: cannot read " + iface + "'s features (ethtool -k: " + ethtool.lastError() + ")");
            return;
        }
        final Map<String, String> before = new LinkedHashMap<>();
        for (final Map.Entry<String, Ethtool.Feature> entry : features.entrySet())
        {
            if (!entry.getValue().fixed() && !entry.getValue().group())
            {
                before.put(entry.getKey(), onOff(entry.getValue().on()));
            }
        }
        final Map<String, String> after = new LinkedHashMap<>();
        for (final Map.Entry<String, Boolean> entry : wanted.entrySet())
        {
            final String name = entry.getKey();
            final Ethtool.Feature feature = features.get(name);
            final String field = host.offloadsOn().stream().anyMatch((f) -> Ethtool.longName(f).equals(name)) ?
                "offloads.on" : host.offloadsOff().stream().anyMatch((f) -> Ethtool.longName(f).equals(name)) ?
                "offloads.off" : "flow_steering";
            if (null == feature)
            {
                warnings.add(field + ": " + iface + " has no feature " + name + " (ethtool -k)");
            }
            else if (feature.on() == entry.getValue())
            {
                unchanged.add(field + ": " + name + " already " + onOff(feature.on()));
            }
            else if (feature.fixed())
            {
                warnings.add(field + ": " + name + " is fixed " + onOff(feature.on()) + " on " + iface +
                    " (ethtool -k shows [fixed]); the driver does not let it change");
            }
            else
            {
                after.put(name, onOff(entry.getValue()));
                if (feature.group())
                {
                    // a revert restores the group's members one by one, so they are what before must hold
                    before.put(name, onOff(feature.on()));
                }
            }
        }
        if (!after.isEmpty())
        {
            settings.add(new Setting(Setting.Kind.FEATURES, iface, "offloads", before, after));
        }
    }

    private void flows(final Map<String, Ethtool.Feature> features)
    {
        final List<FlowSteering> flows = profile.hostTuning().flows();
        if (flows.isEmpty())
        {
            return;
        }
        final Ethtool.Feature ntuple = null == features ? null : features.get(Ethtool.longName("ntuple"));
        if (null == ntuple || (ntuple.fixed() && !ntuple.on()))
        {
            warnings.add("flow_steering: " + iface + " has no ntuple filters (ethtool -k: ntuple-filters " +
                (null == ntuple ? "absent" : "off [fixed]") + "), so its " + flows.size() + " flow" +
                (1 == flows.size() ? "" : "s") + " cannot be steered; RSS spreads them over the queues");
            return;
        }
        for (final FlowSteering flow : flows)
        {
            settings.add(new Setting(Setting.Kind.NTUPLE, iface, "flow_steering", Map.of(),
                Map.of("rule", flow.ethtoolArguments())));
        }
    }

    private void mtu(final HostFiles files)
    {
        if (Profile.MTU_LEAVE != profile.mtu())
        {
            file(files, "/sys/class/net/" + iface + "/mtu", "mtu", profile.mtu());
        }
    }

    private void napi(final HostFiles files)
    {
        final HostTuning host = profile.hostTuning();
        file(files, "/sys/class/net/" + iface + "/napi_defer_hard_irqs", "busy_poll.napi_defer_hard_irqs",
            host.napiDeferHardIrqs());
        file(files, "/sys/class/net/" + iface + "/gro_flush_timeout", "busy_poll.gro_flush_timeout",
            host.groFlushTimeoutNs());
        file(files, "/proc/sys/net/core/busy_poll", "busy_poll.sysctl_busy_poll", host.sysctlBusyPollUs());
        file(files, "/proc/sys/net/core/busy_read", "busy_poll.sysctl_busy_read", host.sysctlBusyReadUs());
    }

    private void file(final HostFiles files, final String path, final String field, final long wanted)
    {
        if (HostTuning.LEAVE == wanted)
        {
            return;
        }
        final String current = files.readOrNull(path);
        if (null == current)
        {
            warnings.add(field + ": this kernel has no " + path);
            return;
        }
        add(Setting.file(path, field, current, Long.toString(wanted)), field + ": already " + current);
    }

    private void irqs(final HostFiles files, final int[] onlineCpus)
    {
        final HostTuning host = profile.hostTuning();
        if (IrqPolicy.LEAVE == host.irqPolicy())
        {
            return;
        }
        final Map<Integer, List<Integer>> irqs = Irqs.ofInterface(files, iface);
        if (irqs.isEmpty())
        {
            warnings.add("irq: " + iface + " has no per-queue interrupts to place (a software device, or IRQ " +
                "names Sluice does not recognise in /proc/interrupts)");
            return;
        }
        final int[] sluiceCores = profile.pipelineConfig().cores();
        final int[] pool;
        if (IrqPolicy.SAME == host.irqPolicy())
        {
            if (0 == sluiceCores.length)
            {
                warnings.add("irq.policy: same puts each queue's IRQ on the CPU receiving from it, but " +
                    "threading.cores pins no CPU; left as they are");
                return;
            }
            // the receiving thread: the one shared thread, or the receiver first in a dedicated list
            pool = new int[] { sluiceCores[0] };
        }
        else if (host.irqCores().length > 0)
        {
            pool = host.irqCores();
        }
        else
        {
            final int[] others = Arrays.stream(onlineCpus)
                .filter((cpu) -> Arrays.stream(sluiceCores).noneMatch((used) -> used == cpu)).toArray();
            pool = others.length > 0 ? others : onlineCpus;
        }
        final int queues = queues();
        for (final Map.Entry<Integer, List<Integer>> entry : irqs.entrySet())
        {
            final int queue = entry.getKey();
            if (queue >= queues)
            {
                continue;
            }
            final String cpu = Integer.toString(pool[queue % pool.length]);
            for (final int irq : entry.getValue())
            {
                final String path = Irqs.affinityFile(irq);
                final String current = files.readOrNull(path);
                if (null == current)
                {
                    warnings.add("irq: cannot read " + path);
                    continue;
                }
                add(Setting.file(path, "irq (queue " + queue + ")", CpuList.format(CpuList.parseKernel(current)),
                    cpu), "irq: queue " + queue + "'s IRQ " + irq + " already on CPU " + cpu);
            }
        }
    }

    private void hugepages(final HostFiles files)
    {
        if (HugePagePolicy.OFF == profile.umemConfig().hugePages())
        {
            return;
        }
        final String totalPath = HUGEPAGES_DIR + "/nr_hugepages";
        final String total = files.readOrNull(totalPath);
        final String free = files.readOrNull(HUGEPAGES_DIR + "/free_hugepages");
        if (null == total || null == free)
        {
            warnings.add("hugepages: this kernel has no 2 MiB hugepage pool (" + HUGEPAGES_DIR + ")");
            return;
        }
        final long needed = pagesNeeded(profile, queues());
        final long missing = needed - Long.parseLong(free);
        if (missing <= 0)
        {
            unchanged.add("hugepages: " + free + " free 2 MiB pages, " + needed + " needed");
            return;
        }
        settings.add(Setting.file(totalPath, "hugepages", total, Long.toString(Long.parseLong(total) + missing)));
    }

    /**
     * @param profile the profile.
     * @param queues  the queues Sluice would receive from.
     * @return the UMEM Sluice would map: as {@link SluiceContext#conclude()} sizes it for the profile's rings and queues.
     */
    public static UmemConfig umemFor(final Profile profile, final int queues)
    {
        return SluiceContext.umemFor(profile.umemConfig(), queues, profile.xskConfig(),
            PipelineConfig.RING_SIZE_DEFAULT);
    }

    /**
     * @param profile the profile.
     * @param queues  the queues Sluice would receive from.
     * @return 2 MiB pages {@link #umemFor} needs.
     */
    public static long pagesNeeded(final Profile profile, final int queues)
    {
        return (umemFor(profile, queues).sizeBytes() + Umem.HUGE_PAGE_SIZE - 1) / Umem.HUGE_PAGE_SIZE;
    }

    private void add(final Setting setting, final String already)
    {
        if (setting.changes())
        {
            settings.add(setting);
        }
        else
        {
            unchanged.add(already);
        }
    }

    private int sysfsQueues()
    {
        try
        {
            return NetDevice.read(iface).rxQueues();
        }
        catch (final IllegalArgumentException ex)
        {
            return 1;
        }
    }

    private static String onOff(final boolean on)
    {
        return on ? "on" : "off";
    }
}
