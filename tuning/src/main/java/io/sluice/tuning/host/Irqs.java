package io.sluice.tuning.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The interrupts of an interface's queues. The IRQs are the device's MSI-X vectors ({@code msi_irqs} in its sysfs
 * folder, or its PCI parent's for a virtio device); the queue of each comes from the name the driver gave it in
 * {@code /proc/interrupts}: {@code ice-eth0-TxRx-3}, {@code i40e-eth0-TxRx-3}, {@code eth0-TxRx-3} (ixgbe, igb, igc,
 * bnxt), {@code eth0-Tx-Rx-3} (ena), {@code mlx5_comp3@pci:0000:3b:00.0}, {@code virtio2-input.3} and
 * {@code virtio2-output.3}. Vectors without a queue number (admin, async events, config) are left out.
 */
public final class Irqs
{
    private static final Pattern QUEUE_NAME = Pattern.compile(
        "(?i).*?(?:txrx|tx-rx|comp|input|output|rx|tx|queue)[-._]?([0-9]+)(?:@.*)?");

    private Irqs()
    {
    }

    /**
     * @param files  the host's files.
     * @param iface  the interface, as named in {@code /sys/class/net}.
     * @return queue to its IRQs, ascending; empty for a device without per-queue interrupts (veth, loopback).
     */
    public static Map<Integer, List<Integer>> ofInterface(final HostFiles files, final String iface)
    {
        final Set<Integer> vectors = vectors(files, iface);
        if (vectors.isEmpty())
        {
            return Map.of();
        }
        final String interrupts = files.readOrNull("/proc/interrupts");

        return null == interrupts ? Map.of() : parse(interrupts, vectors);
    }

    /**
     * @param interrupts {@code /proc/interrupts}.
     * @param vectors    the device's IRQ numbers.
     * @return queue to its IRQs, ascending.
     */
    public static Map<Integer, List<Integer>> parse(final String interrupts, final Set<Integer> vectors)
    {
        final Map<Integer, List<Integer>> queues = new TreeMap<>();
        for (final String line : interrupts.split("\n"))
        {
            final String stripped = line.strip();
            final int colon = stripped.indexOf(':');
            if (colon <= 0 || !stripped.substring(0, colon).matches("[0-9]+"))
            {
                continue;
            }
            final int irq = Integer.parseInt(stripped.substring(0, colon));
            if (!vectors.contains(irq))
            {
                continue;
            }
            final String[] fields = stripped.split("\\s+");
            final Matcher name = QUEUE_NAME.matcher(fields[fields.length - 1]);
            if (name.matches())
            {
                queues.computeIfAbsent(Integer.parseInt(name.group(1)), (q) -> new ArrayList<>()).add(irq);
            }
        }

        return queues;
    }

    /**
     * @param irq an IRQ.
     * @return its affinity file.
     */
    public static String affinityFile(final int irq)
    {
        return "/proc/irq/" + irq + "/smp_affinity_list";
    }

    private static Set<Integer> vectors(final HostFiles files, final String iface)
    {
        final Path device = files.path("/sys/class/net/" + iface + "/device");
        if (!Files.exists(device))
        {
            return Set.of();
        }
        try
        {
            Path dir = device.toRealPath();
            for (int up = 0; up < 2 && null != dir; up++, dir = dir.getParent())
            {
                final Path msi = dir.resolve("msi_irqs");
                if (Files.isDirectory(msi))
                {
                    try (Stream<Path> entries = Files.list(msi))
                    {
                        final Set<Integer> irqs = new TreeSet<>();
                        entries.map((p) -> p.getFileName().toString()).filter((n) -> n.matches("[0-9]+"))
                            .forEach((n) -> irqs.add(Integer.parseInt(n)));
                        return irqs;
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            return Set.of();
        }

        return Set.of();
    }
}
