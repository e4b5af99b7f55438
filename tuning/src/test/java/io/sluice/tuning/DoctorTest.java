package io.sluice.tuning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.CpuList;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice doctor} on this machine, against a veth in a test namespace.
 */
class DoctorTest
{
    private static final String IF = "doc1";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * What the kernel's netdev family reports for a veth whose peer has no XDP program (NetdevFamilyTest).
     */
    private static final String VETH_XDP_FEATURES = "basic,redirect,rx-sg";

    @TempDir
    Path dir;

    private NetNs ns;

    @BeforeEach
    void setUp()
    {
        Privileged.require("doctor on a veth in a network namespace");
        ns = NetNs.create("doctor");
        ns.ip("link", "add", IF, "type", "veth", "peer", "name", "doc0");
        ns.ip("link", "set", IF, "up");
        ns.ip("link", "set", "doc0", "up");
    }

    @AfterEach
    void tearDown()
    {
        if (null != ns)
        {
            ns.close();
        }
    }

    @Test
    void shouldPassOnThisMachineWithTheExpectedWarnForZeroCopyOnVeth() throws Exception
    {
        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--json");

        assertEquals(0, doctor.exitCode(), doctor::toString);
        final JsonNode report = JSON.readTree(doctor.stdout());
        assertEquals(TuningCliProcess.PROFILES.resolve("veth.yaml").toString(), report.get("profile").asText());
        assertTrue(report.get("profile_reason").asText().contains(IF + "'s driver is veth (ETHTOOL_GDRVINFO"),
            doctor::toString);

        final Map<String, String> expected = new LinkedHashMap<>();
        for (final String check : new String[] { "kernel", "af_xdp", "need_wakeup", "bpf_link", "busy_poll",
            "privileges", "memlock", "driver", "xdp_features", "xdp_program", "xdp_attach", "queues", "mtu", "irq_affinity",
            "hugepages", "multi_buffer" })
        {
            expected.put(check, "pass");
        }
        // ip netns exec remounts /sys, without bpffs
        expected.put("bpffs", "warn");
        expected.put("zero_copy", "warn");
        // what this host's kernel command line made of CPU 1, the veth profile's core
        expected.put("isolated_cpus", isolated("/sys/devices/system/cpu/isolated") ? "pass" : "warn");
        expected.put("nohz_full", isolated("/sys/devices/system/cpu/nohz_full") ? "pass" : "warn");
        expected.put("cpu_governor", governorOk() ? "pass" : "warn");
        assertEquals(expected, statuses(report), doctor::toString);

        final JsonNode zeroCopy = check(report, "zero_copy");
        final java.util.List<String> vethLines = java.nio.file.Files.readAllLines(
            TuningCliProcess.PROFILES.resolve("veth.yaml"));
        final int zeroCopySinceLine = 1 + java.util.stream.IntStream.range(0, vethLines.size())
            .filter((i) -> vethLines.get(i).startsWith("zero_copy_since:")).findFirst().orElseThrow();
        assertEquals("veth has no AF_XDP zero-copy (zero_copy_since: none at " +
            TuningCliProcess.PROFILES.resolve("veth.yaml") + ":" + zeroCopySinceLine +
            "): frames are copied into the UMEM (copy mode)",
            zeroCopy.get("detail").asText());
        assertTrue(zeroCopy.get("fix").asText().startsWith("for zero-copy rates, a NIC whose driver has it"));
        // the kernel agrees with the profile, and the policy copies
        assertEquals("the kernel reports no xsk-zerocopy for doc1 (driver veth): xdp-features " + VETH_XDP_FEATURES +
            "; zero_copy: copy, as the profile says", check(report, "xdp_features").get("detail").asText());
        assertEquals("native XDP attached to doc1 (link) and detached", check(report, "xdp_attach").get("detail")
            .asText());
        assertTrue(ns.ip("link", "show", IF).indexOf("xdp") < 0, "the throwaway attach is gone");
        assertEquals(report.get("summary").get("warn").asInt(),
            expected.values().stream().filter("warn"::equals).count());
    }

    @Test
    void shouldFailAndExitNonZeroWhenTheProfileDoesNotFitTheInterface() throws Exception
    {
        final Path profile = dir.resolve("wide.yaml");
        Files.writeString(profile, "extends: veth\nqueues: 4\nframe: {size: 2048}\nmulti_buffer: off\n");
        ns.ip("link", "set", IF, "mtu", "4000");

        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--profile",
            profile.toString());

        assertEquals(1, doctor.exitCode(), doctor::toString);
        assertTrue(doctor.lines().contains("fail  queues        " + profile + ":2: queues: 4 is more than doc1's 1 RX " +
            "queue (allowed: 1..1, or all; or raise the channels first (./sluice tune --apply, ethtool -L))"),
            doctor::toString);
        assertTrue(doctor.lines().stream().anyMatch((l) -> l.startsWith("fail  mtu           " + profile +
            ":4: multi_buffer: 2048-byte frames hold 1792 bytes of packet")), doctor::toString);
        assertTrue(doctor.lines().stream().anyMatch((l) -> l.contains("fix: ./sluice tune --iface doc1 --apply")),
            doctor::toString);
        assertTrue(doctor.stdout().strip().endsWith(" warn, 2 fail"), doctor::toString);
    }

    @Test
    void shouldPassAJumboMtuAsMultiBufferOnVethAndSayHowManyFramesItSpans() throws Exception
    {
        final Path profile = dir.resolve("jumbo.yaml");
        Files.writeString(profile, "extends: veth\nframe: {size: 2048}\nmtu: 9000\n");
        ns.ip("link", "set", IF, "mtu", "9000");

        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--profile",
            profile.toString(), "--json");

        final JsonNode report = JSON.readTree(doctor.stdout());
        assertEquals("pass", check(report, "mtu").get("status").asText(), doctor::toString);
        assertEquals("on (auto): MTU 9000 spans up to 6 frames of 1792 bytes; rx-sg set for doc1 (driver veth)",
            check(report, "multi_buffer").get("detail").asText(), doctor::toString);
        assertEquals("pass", check(report, "multi_buffer").get("status").asText(), doctor::toString);
    }

    @Test
    void shouldFailXdpFeaturesWhenZeroCopyIsRequiredAndTheKernelReportsNone() throws Exception
    {
        final Path profile = dir.resolve("require.yaml");
        Files.writeString(profile, "extends: veth\nzero_copy: require\n");

        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--profile",
            profile.toString(), "--json");

        assertEquals(1, doctor.exitCode(), doctor::toString);
        final JsonNode report = JSON.readTree(doctor.stdout());
        final JsonNode features = check(report, "xdp_features");
        assertEquals("fail", features.get("status").asText(), doctor::toString);
        assertEquals("the kernel reports no xsk-zerocopy for doc1 (driver veth): xdp-features " + VETH_XDP_FEATURES +
            "; zero_copy is require at " + profile + ":2, so the bind fails", features.get("detail").asText());
        assertEquals("set zero_copy: prefer or copy in " + profile, features.get("fix").asText());
        assertEquals("fail", check(report, "zero_copy").get("status").asText(), "the profile's table says so too");
    }

    @Test
    void shouldWarnWhenZeroCopyIsPreferredAndSayTheProfilesTableDisagreesWithTheKernel() throws Exception
    {
        final Path profile = dir.resolve("prefer.yaml");
        Files.writeString(profile, "extends: veth\nzero_copy: prefer\nzero_copy_since: \"5.3\"\n");

        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--profile",
            profile.toString(), "--json");

        assertEquals(0, doctor.exitCode(), doctor::toString);
        final JsonNode report = JSON.readTree(doctor.stdout());
        final JsonNode features = check(report, "xdp_features");
        assertEquals("warn", features.get("status").asText(), doctor::toString);
        assertEquals("the kernel reports no xsk-zerocopy for doc1 (driver veth): xdp-features " + VETH_XDP_FEATURES +
            "; the profile disagrees: zero_copy_since: 5.3 at " + profile + ":3 says the driver has it on Linux " +
            System.getProperty("os.version") + " (a driver build or device without it, or a wrong zero_copy_since)" +
            "; zero_copy: prefer binds in copy mode", features.get("detail").asText());
        assertEquals("for zero-copy rates, a NIC whose driver has it (nic-profiles/); zero_copy: copy in " + profile +
            " says so outright", features.get("fix").asText());
        // the table alone would have passed it
        assertEquals("pass", check(report, "zero_copy").get("status").asText(), doctor::toString);
    }

    @Test
    void shouldLeaveAnAttachedProgramAloneAndSayWhatIsThere() throws Exception
    {
        try (SteeringProgram program = ns.call(() -> SteeringProgram.open().attach(IF, XdpMode.NATIVE)))
        {
            final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--iface", IF, "--json");

            final JsonNode report = JSON.readTree(doctor.stdout());
            assertEquals("warn", check(report, "xdp_program").get("status").asText(), doctor::toString);
            assertTrue(check(report, "xdp_program").get("detail").asText().startsWith("Sluice's sluice_xdp is on doc1"));
            assertEquals("warn", check(report, "xdp_attach").get("status").asText());
            assertTrue(check(report, "xdp_attach").get("detail").asText().startsWith("not tried"));
            assertEquals(SteeringProgram.PROGRAM_NAME, ns.call(() -> SteeringProgram.attachedProgramName(IF)),
                "still attached");
        }
    }

    @Test
    void shouldCheckTheHostAloneWithoutAnInterface() throws Exception
    {
        final TuningCliProcess doctor = TuningCliProcess.run(ns.name(), "doctor", "--json");

        final JsonNode report = JSON.readTree(doctor.stdout());
        assertTrue(report.get("profile").asText().endsWith("generic.yaml"), doctor::toString);
        assertEquals("[kernel, af_xdp, need_wakeup, bpf_link, busy_poll, privileges, memlock, bpffs, hugepages, " +
            "isolated_cpus, nohz_full, cpu_governor]", statuses(report).keySet().toString());
        assertEquals(0, doctor.exitCode(), doctor::toString);
    }

    private static Map<String, String> statuses(final JsonNode report)
    {
        final Map<String, String> statuses = new LinkedHashMap<>();
        for (final JsonNode check : report.get("checks"))
        {
            statuses.put(check.get("check").asText(), check.get("status").asText());
        }

        return statuses;
    }

    private static JsonNode check(final JsonNode report, final String name)
    {
        for (final JsonNode check : report.get("checks"))
        {
            if (name.equals(check.get("check").asText()))
            {
                return check;
            }
        }

        throw new AssertionError("no check " + name + " in " + report);
    }

    private static boolean isolated(final String file)
    {
        return Arrays.stream(CpuList.read(Path.of(file))).anyMatch((cpu) -> 1 == cpu);
    }

    private static boolean governorOk() throws Exception
    {
        final Path governor = Path.of("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor");
        return !Files.exists(governor) || "performance".equals(Files.readString(governor).strip());
    }
}
