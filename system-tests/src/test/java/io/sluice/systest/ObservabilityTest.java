package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.NetNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Watching {@code ./sluice run} from outside, as an operator does: {@code ./sluice stats} in another process, a
 * Prometheus scrape checked by {@code promtool}, and a pcap capture read back by {@code tshark}.
 */
class ObservabilityTest
{
    private static final int SOURCE_PORT = 4000;
    private static final int SOURCE_PORTS = 8;
    private static final String GEN_ADDR = "10.224.0.1";
    private static final String DUT_ADDR = "10.224.0.2";


    @TempDir
    Path dir;

    @Test
    void shouldShowTheFinalAccountingToStatsScrapesAndCaptureFromOutside() throws Exception
    {
        Privileged.require("./sluice run, stats and a scrape in network namespaces");
        final String instance = "obs-" + ProcessHandle.current().pid();
        final int frames = 20_000;
        final int captured = 100;
        final int port = 9464;
        final Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RunCommandTest.RULES);
        final Path pcap = dir.resolve("count-9.pcap");
        try (TestHosts hosts = new TestHosts("obs", "obs0", GEN_ADDR + "/24", "obs1", DUT_ADDR + "/24");
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString(), "--instance", instance, "--metrics-port", Integer.toString(port), "--capture",
                pcap.toString(), "--capture-rule", "count-9", "--capture-max", Integer.toString(captured)))
        {
            assertTrue(run.await("sluice: counters in ", 120), run::output);
            assertEquals(frames, send(hosts, frames, 20_000));
            Thread.sleep(1500);

            // a scrape, bracketed by two reads of the counters file: a series that did not move between them
            // must scrape at exactly that value, one that did (idle polls) within them
            final Map<String, Long> before = fileValues(instance);
            final String scraped = NetNamespace.call(hosts.dutNs(), () -> scrape(port));
            final Map<String, Long> after = fileValues(instance);
            final Map<String, Long> scrapedValues = parse(scraped, false);
            assertEquals(before.keySet(), scrapedValues.keySet());
            for (final Map.Entry<String, Long> entry : scrapedValues.entrySet())
            {
                final long low = before.get(entry.getKey());
                final long high = after.get(entry.getKey());
                assertTrue(low == high ? entry.getValue() == low : entry.getValue() >= Math.min(low, high) &&
                    entry.getValue() <= Math.max(low, high), entry.getKey() + " " + entry.getValue());
            }
            final Result promtool = Result.of(scraped, "promtool", "check", "metrics");
            assertEquals(0, promtool.exitCode(), promtool.toString());
            assertEquals(frames, scrapedValues.get("sluice_rule_hits_total{iface=\"obs1\",agent=\"handler-0\"," +
                "rule=\"count-9\"}") + kernelDropped(scrapedValues), scraped);

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertEquals("sluice: captured " + captured + " frames to " + pcap, run.line("sluice: captured "));

            // another process, after the stop: the counters file holds the final accounting
            try (SluiceProcess stats = SluiceProcess.start(null, "stats", "--instance", instance))
            {
                assertEquals(0, stats.waitFor(120), stats::output);
                assertTrue(stats.lines().get(0).startsWith("sluice stats: instance " + instance + ", pid "),
                    stats::output);
                assertTrue(stats.lines().get(0).contains(", stopped "), stats::output);
                final Map<String, Long> final_ = parse(String.join("\n", stats.lines().subList(1,
                    stats.lines().size())), true);
                final long received = row(run, "    received by Sluice");
                assertEquals(received, sum(final_, "sluice_pipeline_received_total"), stats::output);
                assertEquals(row(run, "      count"), sum(final_, "sluice_pipeline_count_total"));
                assertEquals(row(run, "  count-9"), sum(final_, "sluice_rule_hits_total{iface=\"obs1\"," +
                    "agent=\"handler-0\",rule=\"count-9\""));
                final long steered = sum(final_, "sluice_xdp_packets_total{iface=\"obs1\",counter=\"redirect\"");
                assertEquals(row(run, "  steered to AF_XDP"), steered);
                assertEquals(row(run, "    dropped by the kernel"), kernelDropped(final_));
                assertEquals(row(run, "  passed to the kernel"), sum(final_, "sluice_xdp_packets_total{" +
                    "iface=\"obs1\",counter=\"pass_"));
                assertEquals(row(run, "offered to XDP"), row(run, "  passed to the kernel") +
                    row(run, "  dropped in XDP") + steered);
                assertEquals(frames, received + kernelDropped(final_));
                assertEquals(captured, sum(final_, "sluice_capture_written_total"));
                assertEquals(captured, sum(final_, "sluice_capture_offered_total"));
                assertEquals(0, sum(final_, "sluice_capture_skipped_total"));
            }

            assertCaptured(pcap, captured);
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    @Test
    void shouldCaptureEveryFrameOfAMirrorRuleAndCountItsOutcome() throws Exception
    {
        Privileged.require("./sluice run with a mirror rule in network namespaces");
        final String instance = "mir-" + ProcessHandle.current().pid();
        final int frames = 300;
        final Path rules = dir.resolve("mirror.yaml");
        Files.writeString(rules, RunCommandTest.RULES.replace("action: count", "action: mirror"));
        final Path pcap = dir.resolve("mirror.pcap");
        try (TestHosts hosts = new TestHosts("mir", "mir0", GEN_ADDR + "/24", "mir1", DUT_ADDR + "/24");
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString(), "--instance", instance, "--capture", pcap.toString()))
        {
            assertTrue(run.await("sluice: counters in ", 120), run::output);
            assertEquals(frames, send(hosts, frames, 5_000));
            Thread.sleep(1000);
            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);

            final long mirrored = row(run, "      mirror");
            assertEquals(frames, mirrored + row(run, "    dropped by the kernel"), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertEquals("sluice: captured " + mirrored + " frames to " + pcap, run.line("sluice: captured "));
            assertCaptured(pcap, (int)mirrored);
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    @Test
    void shouldRefuseMirrorRulesWithoutACaptureFileInOneLine() throws Exception
    {
        Privileged.require("./sluice run");
        final Path rules = dir.resolve("mirror.yaml");
        Files.writeString(rules, RunCommandTest.RULES.replace("action: count", "action: mirror"));
        try (SluiceProcess run = SluiceProcess.start(null, "run", "--iface", "lo", "--rules", rules.toString()))
        {
            assertEquals(2, run.waitFor(120), run::output);
            assertEquals("sluice run: the rules file has mirror rules: give --capture FILE for their frames",
                run.line("sluice run: "));
        }
    }

    /**
     * tshark reads exactly the frames, each a frame the generator sent: its 5-tuple, with the source ports it
     * cycled through; and the file is stamped in nanoseconds.
     */
    private static void assertCaptured(final Path pcap, final int frames) throws Exception
    {
        final byte[] head = Files.readAllBytes(pcap);
        assertArrayEquals(new byte[] { 0x4d, 0x3c, (byte)0xb2, (byte)0xa1 }, java.util.Arrays.copyOf(head, 4),
            "libpcap's nanosecond magic, little-endian");
        final Result tshark = Result.of("", "tshark", "-r", pcap.toString(), "-T", "fields",
            "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto", "-e", "udp.srcport", "-e", "udp.dstport");
        assertEquals(0, tshark.exitCode(), tshark.toString());
        final List<String> tuples = tshark.stdout().lines().toList();
        assertEquals(frames, tuples.size(), tshark.toString());
        final Set<Integer> ports = new HashSet<>();
        for (final String tuple : tuples)
        {
            final String[] fields = tuple.split("\t");
            assertEquals(GEN_ADDR, fields[0], tuple);
            assertEquals(DUT_ADDR, fields[1], tuple);
            assertEquals("17", fields[2], tuple);
            final int sourcePort = Integer.parseInt(fields[3]);
            assertTrue(sourcePort >= SOURCE_PORT && sourcePort < SOURCE_PORT + SOURCE_PORTS, tuple);
            ports.add(sourcePort);
            assertEquals("9", fields[4], tuple);
        }
        assertEquals(Math.min(frames, SOURCE_PORTS), ports.size(), "the generator's source ports: " + ports);
    }

    private static long send(final TestHosts hosts, final long frames, final long ratePps) throws Exception
    {
        final byte[] template = hosts.udpToDut(GEN_ADDR, DUT_ADDR, SOURCE_PORT, 9, 22);
        return NetNamespace.call(hosts.genNs(), () ->
        {
            try (TrafficGenerator generator = TrafficGenerator.builder().egress(hosts.genIf()).template(template)
                .sourcePorts(SOURCE_PORT, SOURCE_PORTS).cpu(0).open())
            {
                return generator.send(frames, ratePps);
            }
        });
    }

    private static String scrape(final int port) throws Exception
    {
        final HttpURLConnection connection = (HttpURLConnection)URI.create("http://127.0.0.1:" + port + "/metrics")
            .toURL().openConnection();
        connection.setConnectTimeout((int)TimeUnit.SECONDS.toMillis(5));
        connection.setReadTimeout((int)TimeUnit.SECONDS.toMillis(5));
        assertEquals(200, connection.getResponseCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", connection.getContentType());
        try (InputStream in = connection.getInputStream())
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, Long> fileValues(final String instance)
    {
        final Map<String, Long> values = new HashMap<>();
        try (CountersView view = CountersView.open(CountersFile.fileOf(instance)))
        {
            for (final CountersView.Series series : view.series())
            {
                values.put(series.name(), series.value());
            }
        }

        return values;
    }

    /**
     * @param text   Prometheus text, or {@code stats} lines (values with thousands separators).
     * @param commas true for {@code stats} lines.
     * @return series name to value.
     */
    private static Map<String, Long> parse(final String text, final boolean commas)
    {
        final Map<String, Long> values = new HashMap<>();
        for (final String line : text.split("\n"))
        {
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            final String[] fields = line.strip().split("\\s+");
            values.put(fields[0], Long.parseLong(commas ? fields[1].replace(",", "") : fields[1]));
        }

        return values;
    }

    private static long sum(final Map<String, Long> values, final String prefix)
    {
        return values.entrySet().stream().filter((e) -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue)
            .sum();
    }

    private static long kernelDropped(final Map<String, Long> values)
    {
        return sum(values, "sluice_xdp_socket_rx_dropped_total") + sum(values, "sluice_xdp_socket_rx_ring_full_total");
    }

    private static long row(final SluiceProcess run, final String label)
    {
        return RunCommandTest.count(run, label);
    }

    /**
     * A finished tool: {@code promtool}, {@code tshark}.
     */
    private record Result(int exitCode, String stdout, String stderr)
    {
        static Result of(final String input, final String... command) throws Exception
        {
            final Process process = new ProcessBuilder(command).start();
            try (OutputStream in = process.getOutputStream())
            {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
            final java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture
                .supplyAsync(() ->
                {
                    try
                    {
                        return process.getErrorStream().readAllBytes();
                    }
                    catch (final java.io.IOException ex)
                    {
                        return new byte[0];
                    }
                });
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));

            return new Result(process.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8));
        }
    }
}
