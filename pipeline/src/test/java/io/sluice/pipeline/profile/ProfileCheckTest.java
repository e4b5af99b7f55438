package io.sluice.pipeline.profile;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfileCheckTest
{
    private static final int[] TWO_CPUS = { 0, 1 };

    private static NetDevice veth(final int mtu, final int rxQueues)
    {
        return new NetDevice("veth0", "veth", "test", mtu, rxQueues);
    }

    @Test
    void shouldPassTheShippedVethProfileOnAOneQueueVeth()
    {
        final Profile profile = ProfileFile.load(Path.of("..", "nic-profiles", "veth.yaml"));

        assertEquals(List.of(), ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS));
    }

    @Test
    void shouldRefuseMoreQueuesThanTheDeviceHasAtTheQueuesLine()
    {
        final Profile profile = ProfileFile.parse("p.yaml", "driver: veth\nqueues: 4\n");

        final List<ProfileException> problems = ProfileCheck.check(profile, veth(1500, 2), TWO_CPUS);

        assertEquals(1, problems.size());
        assertEquals("p.yaml:2: queues: 4 is more than veth0's 2 RX queues (allowed: 1..2, or all; or raise the " +
            "channels first (./sluice tune --apply, ethtool -L))", problems.get(0).getMessage());
    }

    @Test
    void shouldRefuseMoreQueuesThanTheChannelsTheProfileSets()
    {
        final Profile profile = ProfileFile.parse("p.yaml", "channels: 2\nqueues: 3\n");

        assertEquals("p.yaml:2: queues: 3 is more than the 2 channels the profile sets (allowed: 1..2, or all)",
            ProfileCheck.check(profile, veth(1500, 4), TWO_CPUS).get(0).getMessage());
    }

    @Test
    void shouldRefuseAFrameThatCannotHoldTheMtuPlusHeadroomWithMultiBufferOff()
    {
        final Profile profile = ProfileFile.parse("p.yaml",
            "queues: 1\nframe: {size: 2048, headroom: 512}\nmulti_buffer: off\n");

        final List<ProfileException> problems = ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS);

        assertEquals(List.of("p.yaml:3: multi_buffer: 2048-byte frames hold 1280 bytes of packet after the " +
            "kernel's 256 and 512 bytes of user headroom, but veth0's MTU 1500 needs 1518 (with the Ethernet header " +
            "and a VLAN tag) and multi_buffer is off (allowed: multi_buffer: auto or on (a jumbo frame then spans " +
            "several frames), a frame with room for MTU + 18, or an MTU up to 1262 (ip link set dev veth0 mtu N))"),
            problems.stream().map(Throwable::getMessage).toList());
        assertEquals(List.of(), ProfileCheck.check(profile, veth(1262, 1), TWO_CPUS), "room for exactly MTU + 18");
        assertEquals(1, ProfileCheck.check(profile, veth(1263, 1), TWO_CPUS).size());
    }

    @Test
    void shouldRefuseAJumboMtuInTwoKilobyteFramesWithoutMultiBufferAtTheMtuLine()
    {
        final Profile profile = ProfileFile.parse("p.yaml", "frame: {size: 2048}\nmtu: 9000\n" +
            "multi_buffer: off\n");

        final String message = ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS).get(0).getMessage();

        assertTrue(message.startsWith("p.yaml:3: multi_buffer: 2048-byte frames hold 1792 bytes of packet"), message);
        assertTrue(message.contains("but the profile's mtu 9000 needs 9018"), message);
        assertTrue(message.contains("multi_buffer: auto or on"), message);
    }

    @Test
    void shouldTakeJumboFramesAsChainsWhenMultiBufferIsAuto()
    {
        final Profile profile = ProfileFile.parse("p.yaml", "frame: {size: 2048}\nmtu: 9000\n");

        assertEquals(List.of(), ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS));
        assertEquals(9000, profile.effectiveMtu(1500));
        assertTrue(profile.multiBuffer(1500, profile.umemConfig()), "9018 bytes do not fit 1792: multi-buffer on");
        final Profile fits = ProfileFile.parse("q.yaml", "frame: {size: 4096}\n");
        assertTrue(!fits.multiBuffer(1500, fits.umemConfig()), "a 1500 MTU fits one 4 KiB frame: off");
        final Profile on = ProfileFile.parse("q.yaml", "multi_buffer: on\n");
        assertTrue(on.multiBuffer(1500, on.umemConfig()));
    }

    @Test
    void shouldRefuseAnMtuThatSpansMoreBuffersThanThePacketLimit()
    {
        final Profile profile = ProfileFile.parse("p.yaml", "frame: {size: 2048, headroom: 1300}\nmtu: 9000\n");

        assertEquals(List.of("p.yaml:2: mtu: the profile's mtu 9000 needs 9018 bytes, 19 frames of 492, more than " +
            "the 18 buffers a packet may span (the kernel's MAX_SKB_FRAGS + 1) (allowed: an MTU up to 8838, or " +
            "4096-byte frames)"), ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS).stream()
            .map(Throwable::getMessage).toList());
    }

    @Test
    void shouldRefuseAFlowSteeredToAQueueSluiceDoesNotReadAtTheFlowsLine()
    {
        final Profile profile = ProfileFile.parse("p.yaml", """
            queues: 2
            flow_steering:
              - {flow: udp4, dst_port: 53, queue: 1}
              - {flow: udp4, dst_port: 4789, queue: 2}
            """);

        assertEquals(List.of("p.yaml:4: flow_steering: queue 2 is not one Sluice receives from (queues 0..1) " +
            "(allowed: 0..1)"), ProfileCheck.check(profile, veth(1500, 2), TWO_CPUS).stream()
            .map(Throwable::getMessage).toList());
    }

    @Test
    void shouldRefuseCpusThatAreNotOnline()
    {
        final Profile profile = ProfileFile.parse("p.yaml", """
            threading: {mode: dedicated, cores: "1-3"}
            irq: {policy: spread, cores: [0, 7]}
            """);

        assertEquals(List.of(
            "p.yaml:1: threading.cores: CPU 2 is not online here (allowed: online CPUs 0-1)",
            "p.yaml:2: irq.cores: CPU 7 is not online here (allowed: online CPUs 0-1)"),
            ProfileCheck.check(profile, veth(1500, 1), TWO_CPUS).stream().map(Throwable::getMessage).toList());
    }

    @Test
    void shouldChooseTheProfileNamingTheDriverElseGeneric()
    {
        final ProfileCatalog catalog = ProfileCatalog.of(Path.of("..", "nic-profiles"));

        final ProfileCatalog.Choice veth = catalog.choose(veth(1500, 1));
        assertEquals("veth", ProfileCatalog.name(veth.profile()));
        assertEquals("profile " + Path.of("..", "nic-profiles", "veth.yaml") + ": veth0's driver is veth (test)",
            veth.reason());

        final ProfileCatalog.Choice mlx5 = catalog.choose(new NetDevice("enp1s0f0", "mlx5_core", "test", 1500, 8));
        assertEquals("mlx5", ProfileCatalog.name(mlx5.profile()));

        final ProfileCatalog.Choice other = catalog.choose(new NetDevice("eth9", "r8169", "test", 1500, 1));
        assertEquals(ProfileCatalog.GENERIC, ProfileCatalog.name(other.profile()));
        assertTrue(other.reason().contains("no profile names eth9's driver r8169"), other.reason());
    }
}
