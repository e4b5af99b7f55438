package io.sluice.tuning;

import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.profile.Profile;
import io.sluice.pipeline.profile.ProfileFile;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice tune} on a veth in a test namespace: the dry run's commands, apply, and a revert that leaves every
 * setting veth supports as it was.
 */
class TuneTest
{
    private static final String IF = "tun1";
    private static final String HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/";

    /**
     * veth and everything on top of it that veth can take (channels, a jumbo MTU, offloads, NAPI knobs) or the host holds
     * (hugepages), plus two it cannot, to be named in warnings.
     */
    private static final String PROFILE = """
        extends: veth
        channels: 2
        queues: 2
        offloads: {off: [tso, rxvlan], on: [gro]}
        busy_poll: {napi_defer_hard_irqs: 2, gro_flush_timeout: 200000}
        hugepages: prefer
        nic_rings: {rx: 1024}
        mtu: 9000
        irq: {policy: spread}
        flow_steering: [{flow: udp4, dst_port: 4789, queue: 1}]
        """;

    @TempDir
    Path dir;

    private NetNs ns;
    private Path profile;

    @BeforeEach
    void setUp() throws Exception
    {
        Privileged.require("tune on a veth in a network namespace");
        ns = NetNs.create("tune");
        ns.ip("link", "add", IF, "numrxqueues", "4", "numtxqueues", "4", "type", "veth", "peer", "name", "tun0",
            "numrxqueues", "4", "numtxqueues", "4");
        ns.ip("link", "set", IF, "up");
        ns.ip("link", "set", "tun0", "up");
        profile = dir.resolve("lab-veth.yaml");
        Files.writeString(profile, PROFILE);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (null != ns)
        {
            // a test that failed between apply and revert leaves nothing behind: hugepages are the host's
            final Path state = TuneStateFiles.defaultIn(ns.name(), IF);
            if (Files.exists(state))
            {
                System.err.println(TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--revert"));
                Files.deleteIfExists(state);
            }
            ns.close();
        }
    }

    @Test
    void shouldPrintTheExactCommandsAndWarningsOnDryRunAndChangeNothing() throws Exception
    {
        final String before = snapshot();
        final long total = Long.parseLong(Files.readString(Path.of(HUGEPAGES, "nr_hugepages")).strip());
        final long free = Long.parseLong(Files.readString(Path.of(HUGEPAGES, "free_hugepages")).strip());

        final TuningCliProcess dry = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            profile.toString(), "--dry-run");

        assertEquals(0, dry.exitCode(), dry::toString);
        final List<String> lines = dry.lines();
        assertEquals("sluice tune: " + IF + ", profile " + profile + " (--profile)", lines.get(0), dry::toString);
        assertEquals("sluice tune: dry run for " + IF + " with " + profile + ": nothing is changed", lines.get(1));
        assertEquals("  ethtool -L tun1 rx 2 tx 2    # channels: rx 4 -> 2, tx 4 -> 2", lines.get(2));
        assertEquals("  echo 9000 > /sys/class/net/tun1/mtu    # mtu: 1500 -> 9000", lines.get(3));
        assertEquals("  ethtool -K tun1 tcp-segmentation-offload off rx-vlan-offload off generic-receive-offload on" +
            "    # offloads: tcp-segmentation-offload on -> off, rx-vlan-offload on -> off, generic-receive-offload " +
            "off -> on", lines.get(4));
        assertEquals("  echo 2 > /sys/class/net/tun1/napi_defer_hard_irqs    # busy_poll.napi_defer_hard_irqs: 0 -> 2",
            lines.get(5));
        assertEquals("  echo 200000 > /sys/class/net/tun1/gro_flush_timeout    # busy_poll.gro_flush_timeout: 0 -> " +
            "200000", lines.get(6));
        final long needed = pagesFor(2);
        if (free < needed)
        {
            final long target = total + needed - free;
            assertEquals("  echo " + target + " > " + HUGEPAGES + "nr_hugepages    # hugepages: " + total + " -> " +
                target, lines.get(7));
        }
        else
        {
            assertTrue(lines.contains("  unchanged: hugepages: " + free + " free 2 MiB pages, " + needed + " needed"),
                dry::toString);
        }
        assertTrue(lines.stream().anyMatch((l) -> l.startsWith("  warning: nic_rings: tun1 has no hardware rings to " +
            "size (ethtool -g: ")), dry::toString);
        assertTrue(lines.contains("  warning: irq: tun1 has no per-queue interrupts to place (a software device, or " +
            "IRQ names Sluice does not recognise in /proc/interrupts)"), dry::toString);
        assertTrue(lines.contains("  warning: flow_steering: tun1 has no ntuple filters (ethtool -k: ntuple-filters " +
            "off [fixed]), so its 1 flow cannot be steered; RSS spreads them over the queues"), dry::toString);
        assertTrue(lines.contains("  warning: flow_steering: ntuple-filters is fixed off on tun1 (ethtool -k shows " +
            "[fixed]); the driver does not let it change"), dry::toString);
        assertEquals(before, snapshot(), "a dry run changes nothing");
    }

    @Test
    void shouldRestoreEverySettingExactlyAfterApplyingTwiceThenReverting() throws Exception
    {
        final String before = snapshot();
        final Path state = TuneStateFiles.defaultIn(ns.name(), IF);

        final TuningCliProcess apply = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            profile.toString(), "--apply");

        assertEquals(0, apply.exitCode(), apply::toString);
        assertTrue(apply.stdout().contains("applied: ethtool -L tun1 rx 2 tx 2"), apply::toString);
        assertTrue(apply.stdout().contains("warning: nic_rings: tun1 has no hardware rings"), apply::toString);
        assertTrue(Files.exists(state), "prior state saved in " + state + "\n" + apply);
        assertEquals("2", channel("RX"));
        assertEquals("2", channel("TX"));
        assertEquals("off", feature("tcp-segmentation-offload"));
        assertEquals("off", feature("tx-tcp6-segmentation"));
        assertEquals("off", feature("rx-vlan-offload"));
        assertEquals("on", feature("generic-receive-offload"));
        assertEquals("2", ns.exec("cat", "/sys/class/net/" + IF + "/napi_defer_hard_irqs").strip());
        assertEquals("200000", ns.exec("cat", "/sys/class/net/" + IF + "/gro_flush_timeout").strip());
        assertEquals("9000", ns.exec("cat", "/sys/class/net/" + IF + "/mtu").strip());
        final long free = Long.parseLong(Files.readString(Path.of(HUGEPAGES, "free_hugepages")).strip());
        assertTrue(free >= pagesFor(2), "hugepages reserved: " + free);
        final String tuned = snapshot();
        assertNotEquals(before, tuned);

        // a second apply changes nothing more and keeps the first one's prior values
        final TuningCliProcess again = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            profile.toString(), "--apply");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.stdout().contains("sluice tune: tun1 already as " + profile + " says; nothing changed, and " +
            "the prior state saved earlier stays in " + state), again::toString);
        assertFalse(again.stdout().contains("applied:"), again::toString);
        assertEquals(tuned, snapshot());

        // a third apply with a different profile changes one more setting, and still keeps the first prior values
        final Path more = dir.resolve("more.yaml");
        Files.writeString(more, PROFILE.replace("napi_defer_hard_irqs: 2", "napi_defer_hard_irqs: 5"));
        final TuningCliProcess third = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            more.toString(), "--apply");
        assertEquals(0, third.exitCode(), third::toString);
        assertTrue(third.stdout().contains("was tuned before"), third::toString);
        assertTrue(third.stdout().contains("applied: echo 5 > /sys/class/net/tun1/napi_defer_hard_irqs    # " +
            "busy_poll.napi_defer_hard_irqs: 2 -> 5"), third::toString);
        assertEquals("5", ns.exec("cat", "/sys/class/net/" + IF + "/napi_defer_hard_irqs").strip());

        final TuningCliProcess revert = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--revert");

        assertEquals(0, revert.exitCode(), revert::toString);
        assertEquals(before, snapshot(), "every setting as it was:\n" + revert);
        assertFalse(Files.exists(state), "the state file goes once everything is restored");
        assertTrue(revert.stdout().contains("restored: ethtool -L tun1 rx 4 tx 4"), revert::toString);
        assertEquals("1500", ns.exec("cat", "/sys/class/net/" + IF + "/mtu").strip(), revert::toString);
    }

    @Test
    void shouldNotRestoreAStateSavedForAnInterfaceSinceDeletedAndMadeAgain() throws Exception
    {
        final Path napi = dir.resolve("napi.yaml");
        Files.writeString(napi, "extends: veth\nbusy_poll: {napi_defer_hard_irqs: 3}\n");
        final Path state = dir.resolve("napi.json");
        final TuningCliProcess apply = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            napi.toString(), "--apply", "--state", state.toString());
        assertEquals(0, apply.exitCode(), apply::toString);
        ns.ip("link", "del", IF);
        ns.ip("link", "add", IF, "type", "veth", "peer", "name", "tun0");

        final TuningCliProcess revert = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--revert", "--state",
            state.toString());

        assertEquals(2, revert.exitCode(), revert::toString);
        assertTrue(revert.stderr().startsWith("sluice tune: " + state + " is for tun1 with address "), revert::toString);
        assertTrue(revert.stderr().strip().endsWith("(the interface was deleted and made again): nothing to restore " +
            "here; delete the file"), revert::toString);
        assertEquals("0", ns.exec("cat", "/sys/class/net/" + IF + "/napi_defer_hard_irqs").strip());

        final TuningCliProcess again = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            napi.toString(), "--apply", "--state", state.toString());
        assertTrue(again.stdout().contains("gone since"), again::toString);
        assertEquals(0, TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--revert", "--state",
            state.toString()).exitCode());
        assertEquals("0", ns.exec("cat", "/sys/class/net/" + IF + "/napi_defer_hard_irqs").strip());
    }

    @Test
    void shouldRefuseARevertWithNothingSavedInOneLine() throws Exception
    {
        final TuningCliProcess revert = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--revert",
            "--state", dir.resolve("none.json").toString());

        assertEquals(2, revert.exitCode(), revert::toString);
        assertEquals("sluice tune: nothing to revert: no saved state " + dir.resolve("none.json") + " (was the " +
            "interface tuned with --apply, in this network namespace?)", revert.stderr().strip());
    }

    @Test
    void shouldNameAMissingInterfaceAndAMissingActionInOneLine() throws Exception
    {
        final TuningCliProcess missing = TuningCliProcess.run(ns.name(), "tune", "--iface", "nosuch0", "--dry-run");
        assertEquals(2, missing.exitCode(), missing::toString);
        assertEquals("sluice tune: no interface nosuch0 in this network namespace (/sys/class/net/nosuch0 is " +
            "missing; `ip link show` lists them)", missing.stderr().strip());

        final TuningCliProcess noAction = TuningCliProcess.run(ns.name(), "tune", "--iface", IF);
        assertEquals(2, noAction.exitCode(), noAction::toString);
        assertEquals(1, noAction.stderr().strip().lines().count(), noAction::toString);
        assertTrue(noAction.stderr().startsWith("sluice tune: Error: Missing required argument"), noAction::toString);
    }

    @Test
    void shouldStopOnAProfileThatDoesNotFitTheInterfaceBeforeChangingAnything() throws Exception
    {
        final String before = snapshot();
        ns.ip("link", "set", IF, "mtu", "9000");
        final String mtu9000 = snapshot();
        final Path jumbo = dir.resolve("jumbo.yaml");
        Files.writeString(jumbo, "extends: veth\nchannels: 2\nframe: {size: 2048}\nmulti_buffer: off\n");

        final TuningCliProcess apply = TuningCliProcess.run(ns.name(), "tune", "--iface", IF, "--profile",
            jumbo.toString(), "--apply", "--state", dir.resolve("s.json").toString());

        assertEquals(2, apply.exitCode(), apply::toString);
        assertTrue(apply.stderr().startsWith("sluice tune: " + jumbo + ":4: multi_buffer: 2048-byte frames hold " +
            "1792 bytes of packet"), apply::toString);
        assertEquals(mtu9000, snapshot());
        assertFalse(Files.exists(dir.resolve("s.json")));
        assertNotEquals(before, mtu9000);
    }

    private long pagesFor(final int queues)
    {
        // the veth profile's rings and frames, which the test's profile extends
        final Profile veth =
            ProfileFile.load(TuningCliProcess.PROFILES.resolve("veth.yaml"));
        final UmemConfig umem = SluiceContext.umemFor(veth.umemConfig(), queues, veth.xskConfig(),
            PipelineConfig.RING_SIZE_DEFAULT);
        return (umem.sizeBytes() + Umem.HUGE_PAGE_SIZE - 1) / Umem.HUGE_PAGE_SIZE;
    }

    /**
     * Every setting of the interface veth supports, and the host's hugepage pool.
     */
    private String snapshot() throws Exception
    {
        return ns.exec("ethtool", "-l", IF) + ns.exec("ethtool", "-k", IF) +
            "napi_defer_hard_irqs " + ns.exec("cat", "/sys/class/net/" + IF + "/napi_defer_hard_irqs") +
            "gro_flush_timeout " + ns.exec("cat", "/sys/class/net/" + IF + "/gro_flush_timeout") +
            "threaded " + ns.exec("cat", "/sys/class/net/" + IF + "/threaded") +
            "mtu " + ns.exec("cat", "/sys/class/net/" + IF + "/mtu") +
            "nr_hugepages " + Files.readString(Path.of(HUGEPAGES, "nr_hugepages"));
    }

    private String channel(final String kind)
    {
        final String out = ns.exec("ethtool", "-l", IF);
        final Matcher current = Pattern.compile("(?s)Current hardware settings:.*?" + kind + ":\\s+(\\S+)")
            .matcher(out);
        assertTrue(current.find(), out);
        return current.group(1);
    }

    private String feature(final String name)
    {
        final Matcher matcher = Pattern.compile("(?m)^\\s*" + Pattern.quote(name) + ": (on|off)")
            .matcher(ns.exec("ethtool", "-k", IF));
        assertTrue(matcher.find(), name);
        return matcher.group(1);
    }

    /**
     * The default state file for an interface in a namespace, as {@link TuneState#defaultFile} names it there.
     */
    static final class TuneStateFiles
    {
        static Path defaultIn(final String netns, final String iface) throws Exception
        {
            final String link = NetNs.run("ip", "netns", "exec", netns, "readlink", "/proc/self/ns/net").strip();
            return Path.of(TuneState.DIRECTORY_DEFAULT, iface + "@" + link.replaceAll("[^0-9]", "") + ".json");
        }
    }
}
