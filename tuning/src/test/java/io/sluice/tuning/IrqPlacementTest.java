package io.sluice.tuning;

import io.sluice.pipeline.profile.Profile;
import io.sluice.pipeline.profile.ProfileFile;
import io.sluice.tuning.host.HostFiles;
import io.sluice.tuning.host.Irqs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IRQ placement. veth has no interrupts and this machine's only NIC is its management interface, which tests never
 * touch, so the plan and the writes run against a copy of the {@code /proc} and {@code /sys} entries of a two-queue
 * virtio NIC, laid out as the kernel lays them out.
 */
class IrqPlacementTest
{
    /**
     * {@code /proc/interrupts} lines as drivers name their vectors (from hosts running them).
     */
    private static final String INTERRUPTS = """
                   CPU0       CPU1       CPU2       CPU3
         37:          0          1          0          0  PCI-MSIX-0000:00:03.0   0-edge      virtio2-config
         38:          0       1102          0          0  PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
         39:       1029          0          0          0  PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
         40:          7          0          0          0  PCI-MSIX-0000:00:03.0   3-edge      virtio2-input.1
         41:          3          0          0          0  PCI-MSIX-0000:00:03.0   4-edge      virtio2-output.1
         90:          0          0          0          0  IR-PCI-MSIX-0000:3b:00.0    0-edge      mlx5_async0@pci:0000:3b:00.0
         91:        100          0          0          0  IR-PCI-MSIX-0000:3b:00.0    1-edge      mlx5_comp0@pci:0000:3b:00.0
         92:          0        200          0          0  IR-PCI-MSIX-0000:3b:00.0    2-edge      mlx5_comp1@pci:0000:3b:00.0
        120:          0          0          0          0  IR-PCI-MSIX-0000:5e:00.0    0-edge      ice-0000:5e:00.0:misc
        121:         50          0          0          0  IR-PCI-MSIX-0000:5e:00.0    1-edge      ice-ens1f0-TxRx-0
        122:          0         60          0          0  IR-PCI-MSIX-0000:5e:00.0    2-edge      ice-ens1f0-TxRx-1
        130:          5          0          0          0  IR-PCI-MSIX-0000:af:00.0    1-edge      i40e-ens2f0-TxRx-0
        140:          5          0          0          0  PCI-MSIX-0000:00:06.0   1-edge      eth1-Tx-Rx-0
        141:          5          0          0          0  PCI-MSIX-0000:00:06.0   0-edge      ena-mgmnt@pci:0000:00:06.0
        """;

    @TempDir
    Path root;

    @Test
    void shouldMapEachDriversQueueVectorsAndLeaveOutTheOthers()
    {
        assertEquals(Map.of(0, List.of(38, 39), 1, List.of(40, 41)),
            Irqs.parse(INTERRUPTS, Set.of(37, 38, 39, 40, 41)));
        assertEquals(Map.of(0, List.of(91), 1, List.of(92)), Irqs.parse(INTERRUPTS, Set.of(90, 91, 92)));
        assertEquals(Map.of(0, List.of(121), 1, List.of(122)), Irqs.parse(INTERRUPTS, Set.of(120, 121, 122)));
        assertEquals(Map.of(0, List.of(130)), Irqs.parse(INTERRUPTS, Set.of(130)));
        assertEquals(Map.of(0, List.of(140)), Irqs.parse(INTERRUPTS, Set.of(140, 141)));
    }

    @Test
    void shouldFindAVirtioNicsVectorsThroughItsPciParent() throws Exception
    {
        virtioNic();

        assertEquals(Map.of(0, List.of(38, 39), 1, List.of(40, 41)), Irqs.ofInterface(HostFiles.under(root), "eth9"));
        assertEquals(Map.of(), Irqs.ofInterface(HostFiles.under(root), "veth0"));
    }

    @Test
    void shouldSpreadQueuesOverTheIrqCoresThenRevertEachAffinity() throws Exception
    {
        virtioNic();
        final HostFiles files = HostFiles.under(root);
        final Profile profile = ProfileFile.parse("p.yaml", "queues: 2\nirq: {policy: spread, cores: [2, 3]}\n");

        final TunePlan plan = TunePlan.build(profile, "eth9", files, new int[] { 0, 1, 2, 3 }, true);

        assertEquals(List.of(
            "echo 2 > /proc/irq/38/smp_affinity_list",
            "echo 2 > /proc/irq/39/smp_affinity_list",
            "echo 3 > /proc/irq/40/smp_affinity_list",
            "echo 3 > /proc/irq/41/smp_affinity_list"), plan.settings().stream().map(Setting::command).toList());
        assertEquals("irq (queue 0): 0-3 -> 2", plan.settings().get(0).change());

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Tuner tuner = new Tuner(files, new PrintStream(out, true, StandardCharsets.UTF_8));
        final Path state = root.resolve("state.json");
        assertEquals(0, tuner.apply(plan, state, new int[] { 0, 1, 2, 3 }));
        assertEquals("2", affinity(38));
        assertEquals("3", affinity(41));
        assertEquals(4, TuneState.read(state).settings().size());

        assertEquals(0, tuner.revert(state));
        for (final int irq : new int[] { 38, 39, 40, 41 })
        {
            assertEquals("0-3", affinity(irq), out::toString);
        }
        assertEquals("0-3", affinity(37), "the config vector is no queue's, so never touched");
        assertFalse(Files.exists(state));
    }

    @Test
    void shouldPutEachQueueOnTheReceivingCoreForBusyPollAndAwayFromSluiceOtherwise() throws Exception
    {
        virtioNic();
        final HostFiles files = HostFiles.under(root);
        final int[] online = { 0, 1, 2, 3 };

        final TunePlan same = TunePlan.build(ProfileFile.parse("p.yaml", """
            queues: 1
            irq: {policy: same}
            threading: {mode: dedicated, cores: [2, 3, 1]}
            """), "eth9", files, online, true);
        assertEquals(List.of("echo 2 > /proc/irq/38/smp_affinity_list", "echo 2 > /proc/irq/39/smp_affinity_list"),
            same.settings().stream().map(Setting::command).toList());

        final TunePlan away = TunePlan.build(ProfileFile.parse("p.yaml", """
            queues: 2
            irq: {policy: spread}
            threading: {mode: shared, cores: [0]}
            """), "eth9", files, online, true);
        assertEquals(List.of("echo 1 > /proc/irq/38/smp_affinity_list", "echo 1 > /proc/irq/39/smp_affinity_list",
            "echo 2 > /proc/irq/40/smp_affinity_list", "echo 2 > /proc/irq/41/smp_affinity_list"),
            away.settings().stream().map(Setting::command).toList());

        final TunePlan unpinned = TunePlan.build(ProfileFile.parse("p.yaml", "irq: {policy: same}\n"), "eth9", files,
            online, true);
        assertTrue(unpinned.settings().isEmpty());
        assertEquals(List.of("irq.policy: same puts each queue's IRQ on the CPU receiving from it, but " +
            "threading.cores pins no CPU; left as they are"), unpinned.warnings());
    }

    private String affinity(final int irq) throws Exception
    {
        return Files.readString(root.resolve("proc/irq/" + irq + "/smp_affinity_list")).strip();
    }

    /**
     * eth9: a virtio NIC whose vectors belong to its PCI parent, as on this machine's management interface.
     */
    private void virtioNic() throws Exception
    {
        final Path pci = Files.createDirectories(root.resolve("sys/devices/pci0000:00/0000:00:03.0"));
        Files.createDirectories(pci.resolve("virtio2"));
        for (final int irq : new int[] { 37, 38, 39, 40, 41 })
        {
            Files.createDirectories(pci.resolve("msi_irqs"));
            Files.writeString(pci.resolve("msi_irqs/" + irq), "msix\n");
            Files.createDirectories(root.resolve("proc/irq/" + irq));
            Files.writeString(root.resolve("proc/irq/" + irq + "/smp_affinity_list"), "0-3\n");
        }
        Files.createDirectories(root.resolve("sys/class/net/eth9"));
        Files.createSymbolicLink(root.resolve("sys/class/net/eth9/device"), pci.resolve("virtio2"));
        Files.createDirectories(root.resolve("sys/class/net/veth0"));
        Files.writeString(root.resolve("proc/interrupts"), INTERRUPTS);
    }
}
