package io.sluice.pipeline.profile;

import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.yaml.ConfigFileException;
import io.sluice.xsk.socket.BusyPoll;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ProfileFileTest
{
    /**
     * ProfileFile's documented example, line for line.
     */
    static final String EXAMPLE = """
        # veth: virtual Ethernet pairs (tests, containers). Copy mode only: veth has no AF_XDP zero-copy.
        driver: veth                 # the driver name this profile is for (as /sys/class/net/IF/device/driver or ethtool -i shows)
        queues: 1                    # queues to use: a count, or "all"
        rings: {rx: 2048, tx: 2048, fill: 4096, completion: 2048}
        frame: {size: 4096, headroom: 0}
        zero_copy: copy              # require | prefer | copy
        zero_copy_since: none        # the kernel release the driver gained AF_XDP zero-copy in, or none
        xdp_mode: native             # native | generic
        need_wakeup: true
        busy_poll: {prefer: false, usecs: 0, budget: 0}
        hugepages: off               # off | prefer | require
        threading:
          mode: shared               # shared | dedicated
          cores: [1]                 # shared: one CPU; dedicated: rx, handler..., tx ("0-3" also accepted)
          handlers: 1                # dedicated only
          idle: backoff              # spin | yield | backoff
        irq: {policy: leave}         # leave | spread | same
        """;

    /**
     * The fields {@link #EXAMPLE} sets.
     */
    private static final List<String> EXAMPLE_FIELDS = List.of("driver", "queues", "rings", "rings.rx", "rings.tx",
        "rings.fill", "rings.completion", "frame", "frame.size", "frame.headroom", "zero_copy", "zero_copy_since",
        "xdp_mode", "need_wakeup", "busy_poll", "busy_poll.prefer", "busy_poll.usecs", "busy_poll.budget",
        "hugepages", "threading", "threading.mode", "threading.cores", "threading.handlers", "threading.idle", "irq",
        "irq.policy");

    private static final String TOP_KEYS = "extends, driver, queues, channels, rings, frame, zero_copy, " +
        "zero_copy_since, xdp_mode, need_wakeup, busy_poll, hugepages, threading, nic_rings, irq, offloads, " +
        "flow_steering, mtu, multi_buffer";
    private static final String RINGS = "(allowed: powers of two 64..16384)";
    private static final String CORES = "(allowed: CPUs 0..4095, each once, as a list [1, 2] or \"0-3\")";
    private static final String STAGE_CORES =
        "(allowed: CPUs 0..4095 in stage order, stages may share one, as a list [1, 2] or \"0-3\")";

    @Test
    void shouldLoadTheDocumentedExampleWithEveryFieldAsWritten()
    {
        final Profile profile = ProfileFile.parse("veth.yaml", EXAMPLE);

        assertExample(profile, "veth.yaml", 2048, 4096);
        for (final String field : Profile.FIELDS)
        {
            assertEquals(EXAMPLE_FIELDS.contains(field), profile.has(field), field);
        }
        assertEquals(new Profile.Location("veth.yaml", 4), profile.where("rings.rx"));
        assertEquals(new Profile.Location("veth.yaml", 13), profile.where("threading.mode"));
        assertNull(profile.where("offloads"));
    }

    @Test
    void shouldLoadTheVethProfileShippedInNicProfiles()
    {
        final Path file = Path.of("..", "nic-profiles", "veth.yaml");

        final Profile profile = ProfileFile.load(file);

        // the example's rings but RX and fill: deep enough for a cold pipeline's first bursts (WarmUpLossTest)
        assertExample(profile, file.toString(), 8192, 8192);
        assertTrue(profile.has("busy_poll.usecs"));
    }

    @Test
    void shouldNameTheFileInTheConfigsItBuilds()
    {
        final Profile profile = ProfileFile.parse("veth.yaml", "queues: 1\n");

        assertEquals("veth.yaml", profile.source());
        assertEquals("veth.yaml", profile.xskConfig().profileSource());
        assertEquals("veth.yaml", profile.umemConfig().profileSource());
    }

    @ParameterizedTest
    @ValueSource(strings = { "{}\n", "# nothing set\n{}\n", "rings:\nframe: {}\nbusy_poll:\nthreading: {}\n" })
    void shouldUseTheBuiltInDefaultsForEveryKeyLeftOut(final String yaml)
    {
        final Profile profile = ProfileFile.parse("empty.yaml", yaml);
        final Profile defaults = Profile.defaults();

        assertNull(profile.driver());
        assertEquals(Profile.QUEUES_DEFAULT, profile.queues());
        assertEquals(XdpMode.NATIVE, profile.xdpMode());
        assertEquals(XskConfig.defaults().withProfileSource("empty.yaml"), profile.xskConfig());
        assertEquals(UmemConfig.defaults().withProfileSource("empty.yaml"), profile.umemConfig());
        assertEquals(PipelineConfig.defaults().describe(), profile.pipelineConfig().describe());
        assertEquals(defaults.pipelineConfig().ringSize(), profile.pipelineConfig().ringSize());
        assertEquals(defaults.toString().replace(Profile.DEFAULTS_SOURCE, "empty.yaml"), profile.toString());
        for (final String field : Profile.FIELDS)
        {
            assertFalse(profile.has(field), field);
        }
    }

    @Test
    void shouldKeepTheDefaultOfEachKeyLeftOutOfAMapping()
    {
        final Profile profile = ProfileFile.parse("p.yaml", """
            rings:
              rx: 4096
            threading:
              idle: spin
            """);

        final XskConfig xsk = profile.xskConfig();
        assertEquals(4096, xsk.rxRingSize());
        assertEquals(XskConfig.TX_RING_SIZE_DEFAULT, xsk.txRingSize());
        assertEquals(XskConfig.FILL_RING_SIZE_DEFAULT, xsk.fillRingSize());
        assertEquals(XskConfig.COMPLETION_RING_SIZE_DEFAULT, xsk.completionRingSize());
        assertEquals(IdleMode.SPIN, profile.pipelineConfig().idle());
        assertEquals(ThreadingMode.SHARED, profile.pipelineConfig().mode());

        assertTrue(profile.has("rings"));
        assertTrue(profile.has("rings.rx"));
        assertFalse(profile.has("rings.fill"));
        assertTrue(profile.has("threading"));
        assertTrue(profile.has("threading.idle"));
        assertFalse(profile.has("threading.cores"));
        assertFalse(profile.has("queues"));
    }

    @Test
    void shouldReadQueuesAll()
    {
        assertEquals(Profile.ALL_QUEUES, ProfileFile.parse("p.yaml", "queues: all\n").queues());
        assertEquals(Profile.ALL_QUEUES, ProfileFile.parse("p.yaml", "queues: \"ALL\"\n").queues());
        assertEquals(4, ProfileFile.parse("p.yaml", "queues: 4\n").queues());
        assertTrue(ProfileFile.parse("p.yaml", "queues: all\n").toString().contains(", queues all,"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "off", "\"off\"", "'off'", "Off", "OFF" })
    void shouldReadHugepagesOffWhetherYamlCallsItABooleanOrAString(final String value)
    {
        final Profile profile = ProfileFile.parse("p.yaml", "hugepages: " + value + "\n");

        assertEquals(HugePagePolicy.OFF, profile.umemConfig().hugePages());
        assertTrue(profile.has("hugepages"));
    }

    @Test
    void shouldReadEveryOtherChoice()
    {
        final Profile profile = ProfileFile.parse("mlx5.yaml", """
            driver: mlx5_core
            queues: 8
            rings: {rx: 0x1000, tx: 1024, fill: 8192, completion: 1024}
            frame: {size: 2048, headroom: 1728}
            zero_copy: require
            xdp_mode: generic
            need_wakeup: FALSE
            busy_poll: {prefer: true, usecs: 20, budget: 64}
            hugepages: require
            threading: {mode: dedicated, cores: "2-5", handlers: 2, idle: yield}
            """);

        assertEquals("mlx5_core", profile.driver());
        assertEquals(8, profile.queues());
        assertEquals(4096, profile.xskConfig().rxRingSize());
        assertEquals(1024, profile.xskConfig().txRingSize());
        assertEquals(8192, profile.xskConfig().fillRingSize());
        assertEquals(2048, profile.umemConfig().frameSizeBytes());
        assertEquals(1728, profile.umemConfig().headroomBytes());
        assertEquals(ZeroCopyPolicy.REQUIRE, profile.xskConfig().zeroCopy());
        assertEquals(XdpMode.GENERIC, profile.xdpMode());
        assertFalse(profile.xskConfig().needWakeup());
        assertEquals(new BusyPoll(true, 20, 64), profile.xskConfig().busyPoll());
        assertEquals(HugePagePolicy.REQUIRE, profile.umemConfig().hugePages());
        assertEquals("dedicated rx=2 handlers=[3, 4] tx=5 idle=yield", profile.pipelineConfig().describe());
    }

    @Test
    void shouldReadTheHostTuningFields()
    {
        final Profile profile = ProfileFile.parse("ice.yaml", """
            driver: ice
            channels: 4
            queues: 4
            zero_copy_since: "5.5"
            nic_rings: {rx: 4096, tx: 2048}
            busy_poll: {prefer: true, usecs: 20, budget: 64, napi_defer_hard_irqs: 2, gro_flush_timeout: 200000,
                        sysctl_busy_poll: 50, sysctl_busy_read: 0}
            irq: {policy: spread, cores: "0-1"}
            offloads: {off: [LRO, rx-vlan-offload], on: [ntuple]}
            flow_steering:
              - {flow: udp4, dst_ip: 10.0.0.2, dst_port: 4789, queue: 1}
              - {flow: tcp6, src_ip: "fd00::1", src_port: 179, queue: 0}
            """);

        final HostTuning host = profile.hostTuning();
        assertEquals("5.5", host.zeroCopySince());
        assertFalse(host.noZeroCopy());
        assertEquals(4, host.channels());
        assertEquals(4096, host.nicRxRing());
        assertEquals(2048, host.nicTxRing());
        assertEquals(2, host.napiDeferHardIrqs());
        assertEquals(200_000, host.groFlushTimeoutNs());
        assertEquals(50, host.sysctlBusyPollUs());
        assertEquals(0, host.sysctlBusyReadUs());
        assertEquals(new BusyPoll(true, 20, 64), profile.xskConfig().busyPoll());
        assertEquals(IrqPolicy.SPREAD, host.irqPolicy());
        assertArrayEquals(new int[] { 0, 1 }, host.irqCores());
        assertEquals(List.of("lro", "rx-vlan-offload"), host.offloadsOff());
        assertEquals(List.of("ntuple"), host.offloadsOn());
        assertEquals(2, host.flows().size());
        assertEquals("flow-type udp4 dst-ip 10.0.0.2 dst-port 4789 action 1", host.flows().get(0).ethtoolArguments());
        assertEquals(11, host.flows().get(0).line());
        assertEquals("flow-type tcp6 src-ip fd00::1 src-port 179 action 0", host.flows().get(1).ethtoolArguments());
        assertEquals(new Profile.Location("ice.yaml", 7), profile.where("busy_poll.sysctl_busy_poll"));
    }

    @Test
    void shouldLeaveEveryHostSettingAloneWhenTheProfileDoesNotSayOtherwise()
    {
        final HostTuning host = ProfileFile.parse("p.yaml", "queues: 2\n").hostTuning();

        assertNull(host.zeroCopySince());
        for (final long value : new long[] { host.channels(), host.nicRxRing(), host.nicTxRing(),
            host.napiDeferHardIrqs(), host.groFlushTimeoutNs(), host.sysctlBusyPollUs(), host.sysctlBusyReadUs() })
        {
            assertEquals(HostTuning.LEAVE, value);
        }
        assertEquals(IrqPolicy.LEAVE, host.irqPolicy());
        assertTrue(host.offloadsOff().isEmpty() && host.offloadsOn().isEmpty() && host.flows().isEmpty());
    }

    @Test
    void shouldExtendAProfileKeyByKeyAndSayWhichFileSetEachField(@TempDir final Path dir) throws Exception
    {
        Files.writeString(dir.resolve("base.yaml"), """
            driver: mlx5_core
            queues: 4
            rings: {rx: 4096, fill: 8192}
            offloads: {off: [lro]}
            busy_poll: {prefer: true, usecs: 20, napi_defer_hard_irqs: 2}
            """);
        final Path site = dir.resolve("site.yaml");
        Files.writeString(site, """
            # our hosts: bigger RX ring, spin
            extends: base
            rings: {rx: 8192}
            busy_poll: {usecs: 50}
            threading: {idle: spin}
            """);

        final Profile profile = ProfileFile.load(site, null);

        assertEquals("mlx5_core", profile.driver());
        assertEquals(4, profile.queues());
        assertEquals(8192, profile.xskConfig().rxRingSize());
        assertEquals(8192, profile.xskConfig().fillRingSize());
        assertEquals(new BusyPoll(true, 50, 0), profile.xskConfig().busyPoll());
        assertEquals(2, profile.hostTuning().napiDeferHardIrqs());
        assertEquals(List.of("lro"), profile.hostTuning().offloadsOff());
        assertEquals(IdleMode.SPIN, profile.pipelineConfig().idle());
        assertEquals(site.toString(), profile.source());
        assertEquals(site.toString(), profile.xskConfig().profileSource());
        assertEquals(new Profile.Location(site.toString(), 3), profile.where("rings.rx"));
        assertEquals(new Profile.Location(dir.resolve("base.yaml").toString(), 3), profile.where("rings.fill"));
        assertEquals(new Profile.Location(dir.resolve("base.yaml").toString(), 2), profile.where("queues"));
        assertFalse(profile.has("extends"));
    }

    @Test
    void shouldExtendAShippedProfileByName(@TempDir final Path dir) throws Exception
    {
        final Path site = dir.resolve("lab-veth.yaml");
        Files.writeString(site, "extends: veth\nqueues: 2\nchannels: 2\n");

        final Profile profile = ProfileFile.load(site, Path.of("..", "nic-profiles"));

        assertEquals("veth", profile.driver());
        assertEquals(2, profile.queues());
        assertEquals(2, profile.hostTuning().channels());
        assertEquals(ZeroCopyPolicy.COPY, profile.xskConfig().zeroCopy());
        assertTrue(profile.hostTuning().noZeroCopy());
        assertEquals(Path.of("..", "nic-profiles", "veth.yaml").toString(), profile.where("zero_copy").source());
    }

    @Test
    void shouldNameAMissingBaseAndACycleAtTheExtendsLine(@TempDir final Path dir) throws Exception
    {
        final Path missing = dir.resolve("a.yaml");
        Files.writeString(missing, "queues: 1\nextends: nosuch\n");
        final ProfileException none = assertThrows(ProfileException.class, () -> ProfileFile.load(missing, null));
        assertEquals(missing + ":2: extends: no profile 'nosuch' (looked for " + dir.resolve("nosuch.yaml") +
            ") (allowed: a shipped profile's name (mlx5), or a path to a profile file)", none.getMessage());

        Files.writeString(dir.resolve("b.yaml"), "extends: c\n");
        Files.writeString(dir.resolve("c.yaml"), "queues: 2\nextends: b.yaml\n");
        final ProfileException cycle = assertThrows(ProfileException.class,
            () -> ProfileFile.load(dir.resolve("b.yaml"), null));
        assertTrue(cycle.getMessage().startsWith(dir.resolve("c.yaml") + ":2: extends: 'b.yaml' extends itself, " +
            "through "), cycle.getMessage());

        Files.writeString(dir.resolve("d.yaml"), "extends: e\n");
        Files.writeString(dir.resolve("e.yaml"), "rings: {rx: 3000}\n");
        final ProfileException inBase = assertThrows(ProfileException.class,
            () -> ProfileFile.load(dir.resolve("d.yaml"), null));
        assertEquals(dir.resolve("e.yaml") + ":1: rings.rx: 3000 is not a power of two (allowed: powers of two " +
            "64..16384)", inBase.getMessage());
    }

    @Test
    void shouldReadCoresAsAListWithRangesOrAsACpuList()
    {
        final String dedicated = "threading:\n  mode: dedicated\n  handlers: 3\n  cores: ";

        assertArrayEquals(new int[] { 0, 1, 2, 3, 4 },
            ProfileFile.parse("p.yaml", dedicated + "[0, 1-3, 4]\n").pipelineConfig().cores());
        assertArrayEquals(new int[] { 7, 0, 2, 3, 5 },
            ProfileFile.parse("p.yaml", dedicated + "\"7,0,2-3, 5\"\n").pipelineConfig().cores());
        assertArrayEquals(new int[] { 0, 1, 2, 3, 4 },
            ProfileFile.parse("p.yaml", dedicated + "\n    - 0\n    - 1-4\n").pipelineConfig().cores());
        assertArrayEquals(new int[] { 3 }, ProfileFile.parse("p.yaml", "threading: {cores: 3}\n")
            .pipelineConfig().cores());
        assertArrayEquals(new int[0], ProfileFile.parse("p.yaml", "threading: {cores: []}\n")
            .pipelineConfig().cores());
    }

    @Test
    void shouldLetStagesShareACpuButSpreadInterruptsOverEachCpuOnce()
    {
        final String dedicated = "threading:\n  mode: dedicated\n  handlers: 3\n  cores: ";

        assertArrayEquals(new int[] { 1, 0, 0, 0, 1 },
            ProfileFile.parse("p.yaml", dedicated + "[1, 0, 0, 0, 1]\n").pipelineConfig().cores(),
            "a dedicated pipeline on a 2-core host");
        assertArrayEquals(new int[] { 0, 2, 1, 2, 3 },
            ProfileFile.parse("p.yaml", dedicated + "[0, 2, 1-2, 3]\n").pipelineConfig().cores());
        assertArrayEquals(new int[] { 1, 0, 1 }, ProfileFile.parse("p.yaml",
            "threading: {mode: dedicated, cores: \"1,0,1\"}\n").pipelineConfig().cores());
        assertEquals("p.yaml:1: irq.cores: 1 is listed twice " + CORES, assertThrows(ProfileException.class,
            () -> ProfileFile.parse("p.yaml", "irq: {policy: spread, cores: \"0-3,1\"}\n")).getMessage());
    }

    @Test
    void shouldRefuseAFieldProfilesDoNotHave()
    {
        final Profile profile = ProfileFile.parse("p.yaml", EXAMPLE);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> profile.has("threading.core"));
        assertEquals("profiles have no field 'threading.core'; fields are extends, driver, queues, channels, rings, " +
            "rings.rx, rings.tx, rings.fill, rings.completion, frame, frame.size, frame.headroom, zero_copy, " +
            "zero_copy_since, xdp_mode, need_wakeup, busy_poll, busy_poll.prefer, busy_poll.usecs, " +
            "busy_poll.budget, busy_poll.napi_defer_hard_irqs, busy_poll.gro_flush_timeout, " +
            "busy_poll.sysctl_busy_poll, busy_poll.sysctl_busy_read, hugepages, threading, threading.mode, " +
            "threading.cores, threading.handlers, threading.idle, nic_rings, nic_rings.rx, nic_rings.tx, irq, " +
            "irq.policy, irq.cores, offloads, offloads.off, offloads.on, flow_steering, mtu, multi_buffer",
            ex.getMessage());
    }

    @Test
    void shouldReportTheBriefsExampleMessage()
    {
        final ProfileException ex = assertThrows(ProfileException.class, () -> ProfileFile.parse("veth.yaml",
            EXAMPLE.replace("rings: {rx: 2048,", "rings: {rx: 3000,")));

        assertEquals("veth.yaml:4: rings.rx: 3000 is not a power of two (allowed: powers of two 64..16384)",
            ex.getMessage());
        assertEquals("veth.yaml", ex.source());
        assertEquals(4, ex.line());
        assertEquals("rings.rx: 3000 is not a power of two (allowed: powers of two 64..16384)", ex.problem());
        assertInstanceOf(ConfigFileException.class, ex);
    }

    @Test
    void shouldReportBadCoresForTheModeAtTheThreadingKey()
    {
        final ProfileException shared = assertThrows(ProfileException.class, () -> ProfileFile.parse("veth.yaml",
            EXAMPLE.replace("cores: [1] ", "cores: [0, 1]")));
        assertEquals("veth.yaml:12: threading: shared mode needs 1 core(s) (one for all), not [0, 1]",
            shared.getMessage());

        final ProfileException dedicated = assertThrows(ProfileException.class, () -> ProfileFile.parse("p.yaml", """
            queues: 1
            threading:
              mode: dedicated
              handlers: 2
              cores: 0-2
            """));
        assertEquals("p.yaml:2: threading: dedicated mode with 2 handler(s) needs 4 core(s) (receiver, " +
            "handlers..., transmitter), not [0, 1, 2]", dedicated.getMessage());

        final ProfileException handlers = assertThrows(ProfileException.class,
            () -> ProfileFile.parse("p.yaml", "threading: {mode: shared, handlers: 2}\n"));
        assertEquals("p.yaml:1: threading: shared mode runs one handler in the receiver's thread, not 2",
            handlers.getMessage());
    }

    @Test
    void shouldReportAMissingFile(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("missing.yaml");

        final ProfileException ex = assertThrows(ProfileException.class, () -> ProfileFile.load(missing));

        assertEquals(missing + ": cannot read: no such file", ex.getMessage());
        assertEquals(0, ex.line());
    }

    @Test
    void shouldNameTheLoadedPathInMessages(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("ice.yaml");
        Files.writeString(file, "driver: ice\nzero_copy: always\n");

        final ProfileException ex = assertThrows(ProfileException.class, () -> ProfileFile.load(file));

        assertEquals(file + ":2: zero_copy: unknown value 'always' (allowed: require, prefer, copy)", ex.getMessage());
    }

    static Stream<Arguments> invalidFiles()
    {
        return Stream.of(
            arguments("empty file", "# nothing\n",
                "p.yaml:1: the file is empty; expected a mapping with keys " + TOP_KEYS),
            arguments("top level a list", "- driver: veth\n",
                "p.yaml:1: the top level must be a mapping with keys " + TOP_KEYS + ", not a list"),
            arguments("unknown top-level key", "driver: veth\nring: {rx: 2048}\n",
                "p.yaml:2: unknown key 'ring'; allowed keys are " + TOP_KEYS),
            arguments("unknown ring", "rings:\n  rx: 2048\n  rx_size: 4096\n",
                "p.yaml:3: rings: unknown key 'rx_size'; allowed keys are rx, tx, fill, completion"),
            arguments("unknown threading key", "threading: {mode: shared, core: 1}\n",
                "p.yaml:1: threading: unknown key 'core'; allowed keys are mode, cores, handlers, idle"),
            arguments("duplicate key", "queues: 1\nxdp_mode: native\nqueues: 2\n",
                "p.yaml:3: key queues appears twice (first at line 1)"),
            arguments("ring not a power of two", "rings:\n  tx: 0\n",
                "p.yaml:2: rings.tx: 0 is not a power of two " + RINGS),
            arguments("ring too large", "rings: {fill: 32768}\n",
                "p.yaml:1: rings.fill: 32768 is out of range " + RINGS),
            arguments("ring too small", "rings: {completion: 32}\n",
                "p.yaml:1: rings.completion: 32 is out of range " + RINGS),
            arguments("ring beyond an int", "rings: {rx: 99999999999}\n",
                "p.yaml:1: rings.rx: 99999999999 is out of range " + RINGS),
            arguments("ring not a number", "rings: {rx: big}\n",
                "p.yaml:1: rings.rx: 'big' is not a number " + RINGS),
            arguments("ring a list", "rings:\n  rx: [2048]\n",
                "p.yaml:2: rings.rx: expected one value, not a list " + RINGS),
            arguments("rings a scalar", "rings: 2048\n",
                "p.yaml:1: rings: expected a mapping, not '2048' (allowed: keys rx, tx, fill, completion)"),
            arguments("queues without a value", "driver: veth\nqueues:\n",
                "p.yaml:2: queues: no value (allowed: a count 1..4096, or all)"),
            arguments("queues zero", "queues: 0\n",
                "p.yaml:1: queues: 0 is out of range (allowed: a count 1..4096, or all)"),
            arguments("queues a word", "queues: every\n",
                "p.yaml:1: queues: 'every' is not a number (allowed: a count 1..4096, or all)"),
            arguments("driver with a space", "driver: mlx5 core\n",
                "p.yaml:1: driver: 'mlx5 core' is not a driver name (allowed: 1-31 letters, digits, '_', '-' or " +
                "'.', as ethtool -i shows)"),
            arguments("frame size", "frame: {size: 1500}\n",
                "p.yaml:1: frame.size: 1500 is not a frame size (allowed: 2048, 4096)"),
            arguments("headroom too large", "frame:\n  size: 4096\n  headroom: 3800\n",
                "p.yaml:3: frame.headroom: 3800 is out of range (allowed: 0..3776 with 4096-byte frames)"),
            arguments("headroom checked against the size given after it", "frame: {headroom: 2000, size: 2048}\n",
                "p.yaml:1: frame.headroom: 2000 is out of range (allowed: 0..1728 with 2048-byte frames)"),
            arguments("headroom negative", "frame: {headroom: -1}\n",
                "p.yaml:1: frame.headroom: -1 is out of range (allowed: 0..3776 with 4096-byte frames)"),
            arguments("zero_copy", "zero_copy: always\n",
                "p.yaml:1: zero_copy: unknown value 'always' (allowed: require, prefer, copy)"),
            arguments("zero_copy read as a tag", "zero_copy: !copy\n",
                "p.yaml:1: zero_copy: YAML reads '!copy' as a tag; put the value in quotes (allowed: require, " +
                "prefer, copy)"),
            arguments("xdp_mode", "xdp_mode: skb\n",
                "p.yaml:1: xdp_mode: unknown value 'skb' (allowed: native, generic)"),
            arguments("hugepages on", "hugepages: on\n",
                "p.yaml:1: hugepages: unknown value 'on' (allowed: off, prefer, require)"),
            arguments("need_wakeup yes", "need_wakeup: yes\n",
                "p.yaml:1: need_wakeup: unknown value 'yes' (allowed: true, false)"),
            arguments("busy poll prefer", "busy_poll:\n  prefer: 1\n",
                "p.yaml:2: busy_poll.prefer: unknown value '1' (allowed: true, false)"),
            arguments("busy poll usecs", "busy_poll: {usecs: 2000000}\n",
                "p.yaml:1: busy_poll.usecs: 2000000 is out of range (allowed: 0..1000000)"),
            arguments("busy poll budget", "busy_poll: {budget: 70000}\n",
                "p.yaml:1: busy_poll.budget: 70000 is out of range (allowed: 0..65535)"),
            arguments("busy poll a scalar", "busy_poll: off\n",
                "p.yaml:1: busy_poll: expected a mapping, not 'off' (allowed: keys prefer, usecs, budget, " +
                "napi_defer_hard_irqs, gro_flush_timeout, sysctl_busy_poll, sysctl_busy_read)"),
            arguments("napi_defer_hard_irqs negative", "busy_poll: {napi_defer_hard_irqs: -2}\n",
                "p.yaml:1: busy_poll.napi_defer_hard_irqs: -2 is out of range (allowed: 0..2147483647)"),
            arguments("gro_flush_timeout in the wrong unit", "busy_poll:\n  gro_flush_timeout: 5000000000\n",
                "p.yaml:2: busy_poll.gro_flush_timeout: 5000000000 is out of range (allowed: 0..1000000000 " +
                "nanoseconds)"),
            arguments("busy-poll sysctl", "busy_poll: {sysctl_busy_read: x}\n",
                "p.yaml:1: busy_poll.sysctl_busy_read: 'x' is not a number (allowed: 0..1000000 microseconds)"),
            arguments("channels zero", "channels: 0\n",
                "p.yaml:1: channels: 0 is out of range (allowed: a count 1..4096, or leave)"),
            arguments("zero_copy_since not a release", "zero_copy_since: soon\n",
                "p.yaml:1: zero_copy_since: 'soon' is not a kernel release (allowed: a kernel release such as 5.3, " +
                "or none)"),
            arguments("nic ring too large", "nic_rings: {rx: 100000}\n",
                "p.yaml:1: nic_rings.rx: 100000 is out of range (allowed: 1..65536 descriptors, as ethtool -G " +
                "takes them)"),
            arguments("nic rings unknown key", "nic_rings: {rx_jumbo: 1024}\n",
                "p.yaml:1: nic_rings: unknown key 'rx_jumbo'; allowed keys are rx, tx"),
            arguments("irq policy", "irq:\n  policy: balance\n",
                "p.yaml:2: irq.policy: unknown value 'balance' (allowed: leave, spread, same)"),
            arguments("irq cores without spread", "irq: {policy: same, cores: [0]}\n",
                "p.yaml:1: irq.cores: only the spread policy takes cores, not same (allowed: cores with policy: " +
                "spread; none with leave or same)"),
            arguments("offload not a list", "offloads: {off: gro}\n",
                "p.yaml:1: offloads.off must be a list of features, not 'gro'"),
            arguments("offload not a name", "offloads:\n  off: [gro, \"Large Receive\"]\n",
                "p.yaml:2: offloads.off: 'large receive' is not a feature name (allowed: ethtool -k feature names " +
                "or ethtool -K's short names, such as gro, lro, rx-vlan-offload, each once)"),
            arguments("offload both off and on", "offloads: {off: [lro, gro], on: [gro]}\n",
                "p.yaml:1: offloads: feature gro is both off and on (allowed: each feature in one list)"),
            arguments("flow without a queue", "flow_steering:\n  - {flow: udp4, dst_port: 4789}\n",
                "p.yaml:2: flow_steering: a flow needs flow and queue (allowed: keys flow, src_ip, dst_ip, src_port, " +
                "dst_port, queue)"),
            arguments("flow type", "flow_steering:\n  - {flow: sctp4, dst_port: 9, queue: 0}\n",
                "p.yaml:2: flow_steering.flow: unknown value 'sctp4' (allowed: udp4, tcp4, udp6, tcp6)"),
            arguments("flow port", "flow_steering:\n  - {flow: udp4, dst_port: 70000, queue: 0}\n",
                "p.yaml:2: flow_steering.dst_port: 70000 is out of range (allowed: 0..65535)"),
            arguments("flow address of the wrong family", "flow_steering:\n  - {flow: udp6, dst_ip: 10.0.0.1, queue: 0}\n",
                "p.yaml:2: flow_steering.dst_ip: '10.0.0.1' is not an IPv6 address (allowed: an IPv6 address)"),
            arguments("flow matching everything", "flow_steering:\n  - {flow: tcp4, queue: 1}\n",
                "p.yaml:2: flow_steering: the flow matches every tcp4 packet (allowed: at least one of src_ip, " +
                "dst_ip, src_port, dst_port)"),
            arguments("flow_steering a mapping", "flow_steering: {flow: udp4}\n",
                "p.yaml:1: flow_steering must be a list of flows, not a mapping"),
            arguments("extends a bad name", "extends: \"a b\"\n",
                "p.yaml:1: extends: 'a b' is not a profile name or path (allowed: a shipped profile's name (mlx5), " +
                "or a path to a profile file)"),
            arguments("threading mode", "threading:\n  mode: pinned\n",
                "p.yaml:2: threading.mode: unknown value 'pinned' (allowed: dedicated, shared)"),
            arguments("idle", "threading:\n  idle: sleep\n",
                "p.yaml:2: threading.idle: unknown value 'sleep' (allowed: spin, yield, backoff)"),
            arguments("handlers zero", "threading:\n  mode: dedicated\n  handlers: 0\n",
                "p.yaml:3: threading.handlers: 0 is out of range (allowed: 1..4094)"),
            arguments("core out of range", "threading:\n  cores: [4096]\n",
                "p.yaml:2: threading.cores: 4096 is not within 0-4095 " + STAGE_CORES),
            arguments("core not a number, at its item's line",
                "threading:\n  mode: dedicated\n  cores:\n    - 0\n    - x\n    - 2\n",
                "p.yaml:5: threading.cores: 'x' is not a number or range like 0,2-3 " + STAGE_CORES),
            arguments("core range backwards", "threading: {cores: \"3-1\"}\n",
                "p.yaml:1: threading.cores: range 3-1 runs backwards " + STAGE_CORES),
            arguments("irq core named twice", "irq: {policy: spread, cores: [2, 2]}\n",
                "p.yaml:1: irq.cores: 2 is listed twice " + CORES),
            arguments("core in hex: CPU lists are decimal", "threading: {cores: [0x2]}\n",
                "p.yaml:1: threading.cores: '0x2' is not a number or range like 0,2-3 " + STAGE_CORES),
            arguments("core negative", "threading: {cores: [-1]}\n",
                "p.yaml:1: threading.cores: -1 is not within 0-4095 " + STAGE_CORES));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void shouldRejectAnInvalidFileWithOneLineNamingFileLineFieldAndAllowedValues(
        final String description, final String yaml, final String expected)
    {
        final ProfileException ex = assertThrows(ProfileException.class, () -> ProfileFile.parse("p.yaml", yaml));

        assertEquals(expected, ex.getMessage());
        assertEquals("p.yaml", ex.source());
        assertTrue(ex.getMessage().startsWith("p.yaml:" + ex.line() + ": "), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
    }

    @Test
    void shouldReportAYamlSyntaxErrorAtItsLine()
    {
        final ProfileException ex = assertThrows(ProfileException.class,
            () -> ProfileFile.parse("p.yaml", "driver: veth\nthreading:\n  mode: shared\n     idle: spin\n"));

        assertEquals("p.yaml:4: YAML: mapping values are not allowed here", ex.getMessage());
        assertEquals(4, ex.line());
    }

    @Test
    void shouldReportAnUnclosedFlowMappingAsYaml()
    {
        final ProfileException ex = assertThrows(ProfileException.class,
            () -> ProfileFile.parse("p.yaml", "rings: {rx: 2048\nframe: {size: 4096}\n"));

        assertEquals("p.yaml:2: YAML: expected ',' or '}', but got : (while parsing a flow mapping at line 1)",
            ex.getMessage());
    }

    private static void assertExample(final Profile profile, final String source, final int rx, final int fill)
    {
        assertEquals(source, profile.source());
        assertEquals("veth", profile.driver());
        assertEquals(1, profile.queues());

        final XskConfig xsk = profile.xskConfig();
        assertEquals(rx, xsk.rxRingSize());
        assertEquals(2048, xsk.txRingSize());
        assertEquals(fill, xsk.fillRingSize());
        assertEquals(2048, xsk.completionRingSize());
        assertEquals(ZeroCopyPolicy.COPY, xsk.zeroCopy());
        assertTrue(xsk.needWakeup());
        assertEquals(BusyPoll.OFF, xsk.busyPoll());
        assertEquals(source, xsk.profileSource());
        assertEquals(XdpMode.NATIVE, profile.xdpMode());

        final UmemConfig umem = profile.umemConfig();
        assertEquals(4096, umem.frameSizeBytes());
        assertEquals(0, umem.headroomBytes());
        assertEquals(HugePagePolicy.OFF, umem.hugePages());
        assertEquals(source, umem.profileSource());

        final PipelineConfig pipeline = profile.pipelineConfig();
        assertEquals(ThreadingMode.SHARED, pipeline.mode());
        assertArrayEquals(new int[] { 1 }, pipeline.cores());
        assertEquals(1, pipeline.handlers());
        assertEquals(IdleMode.BACKOFF, pipeline.idle());
        assertEquals(PipelineConfig.RING_SIZE_DEFAULT, pipeline.ringSize());

        assertEquals(source + ": driver veth, queues 1, rings rx " + rx + " tx 2048 fill " + fill + " completion 2048, frame 4096 " +
            "headroom 0, zero_copy copy, xdp_mode native, need_wakeup true, busy_poll off, hugepages off, " +
            "threading shared core=1 idle=backoff, mtu leave, multi_buffer auto", profile.toString());
    }
}
