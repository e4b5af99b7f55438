package io.sluice.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.xsk.testing.Privileged;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short run of {@code ./sluice perf}, as a user runs it: one run of each scenario, a few seconds each. It checks
 * the table and {@code results.json} have every system with a figure, that the latency scenario's rates come from
 * the l2fwd maximum, that its frames are accounted for exactly and its logs hold exactly the round trips reported,
 * and that the plot has a panel per rate. It asserts no speed.
 */
class PerfSmokeTest
{
    private static final Map<String, List<String>> SYSTEMS = Map.of(
        "rxdrop", List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet", "xdp-drop"),
        "l2fwd", List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet"),
        "txonly", List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet"));

    @Test
    void shouldMeasureEverySystemOfEveryScenarioAndWriteTheResults() throws Exception
    {
        Privileged.require("./sluice perf on its own test hosts");
        final Path out = Files.createTempDirectory("sluice-perf");
        try (SluiceProcess process = SluiceProcess.start(null, "perf", "--runs", "1", "--duration", "4", "--warmup",
            "1", "--reaction-trials", "10", "--out", out.toString()))
        {
            assertEquals(0, process.waitFor(600), process::output);
            final JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
            assertEquals(64, results.get("frame_size").asInt());
            for (final Map.Entry<String, List<String>> scenario : SYSTEMS.entrySet())
            {
                final JsonNode systems = results.get("scenarios").get(scenario.getKey());
                assertEquals(scenario.getValue().size(), systems.size(), systems::toString);
                for (final String name : scenario.getValue())
                {
                    final JsonNode system = systems.get(name);
                    assertTrue(system.get("median_mpps").asDouble() > 0, () -> name + ": " + system);
                    assertEquals(1, system.get("runs_mpps").size(), system::toString);
                    assertTrue(system.get("cpu_busy_percent_per_core").size() >= 2, system::toString);
                    assertTrue(system.has("ratio_to_dpdk-af_xdp"), system::toString);
                }
                assertTrue(systems.get("sluice").get("alloc_bytes_per_packet").isNumber(), systems::toString);
                assertEquals(1.0, systems.get("dpdk-af_xdp").get("ratio_to_dpdk-af_xdp").asDouble(), 1e-9);
                final String table = process.output();
                assertTrue(table.contains(scenario.getKey() + ", 64-byte frames, 1 run(s) of 4 s"), table);
            }
            checkLatency(results, out, process.output());
            checkReaction(results.get("scenarios").get("reaction"), process.output());
            assertTrue(!TestHosts.run("ip", "netns", "list").contains("sluice-perf-" + process.pid()),
                "test hosts torn down");
        }
    }

    /**
     * The reaction scenario: every trial in every component's distribution, percentiles in order, detection no
     * sooner than the flood can fill the block_if's threshold, the whole reaction no shorter than its parts.
     */
    private static void checkReaction(final JsonNode reaction, final String output)
    {
        assertEquals(10, reaction.get("trials").asInt(), reaction::toString);
        assertEquals("./sluice bench reaction --trials 10 --rate 50000 --pps 5000 --window-ms 100 --flood-ms 300",
            reaction.get("command").asText());
        final JsonNode us = reaction.get("us");
        for (final String component : List.of("reaction", "arrive", "detect", "push", "next"))
        {
            final JsonNode values = us.get(component);
            assertEquals(10, values.get("count").asInt(), component + ": " + values);
            assertTrue(values.get("p50").asDouble() <= values.get("p90").asDouble() &&
                values.get("p90").asDouble() <= values.get("p99").asDouble() &&
                values.get("p99").asDouble() <= values.get("max").asDouble(), component + ": " + values);
        }
        final double floorUs = reaction.get("fill_floor_us").asDouble();
        assertEquals(10_000.0, floorUs, 1e-9, "500 frames at 50,000 pps");
        assertTrue(us.get("detect").get("p50").asDouble() >= 0.8 * floorUs, us::toString);
        assertTrue(us.get("reaction").get("max").asDouble() >= us.get("detect").get("max").asDouble(), us::toString);
        assertTrue(output.contains("reaction      10 "), output);
    }

    /**
     * Jumbo frames: both veth ends at MTU 9000, the frames sent by {@link XskSender} as chains, Sluice's benches
     * with {@code --multi-buffer}, testpmd's net_af_packet with 16 KiB mbufs as the peer, and net_af_xdp left out
     * with the reason, since it takes no frame over 3,560 bytes. Every system left in gives a figure, Gbit/s agree
     * with Mpps at 9,000 bytes, and the ratio is to net_af_packet.
     */
    @Test
    void shouldMeasureJumboFramesNextToAfPacketAndSayWhyAfXdpIsLeftOut() throws Exception
    {
        Privileged.require("./sluice perf --frame-size 9000 on its own test hosts");
        final Path out = Files.createTempDirectory("sluice-perf-jumbo");
        try (SluiceProcess process = SluiceProcess.start(null, "perf", "rxdrop", "l2fwd", "--frame-size", "9000",
            "--runs", "1", "--duration", "3", "--warmup", "1", "--out", out.toString()))
        {
            assertEquals(0, process.waitFor(600), process::output);
            final JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
            assertEquals(9000, results.get("frame_size").asInt());
            final Map<String, List<String>> measured = Map.of(
                "rxdrop", List.of("sluice", "dpdk-af_packet", "xdp-drop"),
                "l2fwd", List.of("sluice", "dpdk-af_packet"));
            for (final Map.Entry<String, List<String>> scenario : measured.entrySet())
            {
                final JsonNode systems = results.get("scenarios").get(scenario.getKey());
                assertEquals(scenario.getValue().size() + 1, systems.size(), systems::toString);
                assertTrue(systems.get("dpdk-af_xdp").get("left_out").asText().contains("at most 3560 bytes"),
                    systems::toString);
                for (final String name : scenario.getValue())
                {
                    final JsonNode system = systems.get(name);
                    final double mpps = system.get("median_mpps").asDouble();
                    assertTrue(mpps > 0, () -> name + ": " + system);
                    // median_mpps is rounded to 0.001 Mpps, 0.072 Gbit/s at 9,000 bytes
                    assertEquals(mpps * 9000 * 8 / 1000, system.get("median_gbps").asDouble(), 0.04,
                        system::toString);
                    assertTrue(system.has("ratio_to_dpdk-af_packet"), system::toString);
                }
                assertEquals(1.0, systems.get("dpdk-af_packet").get("ratio_to_dpdk-af_packet").asDouble(), 1e-9);
                assertTrue(process.output().contains(scenario.getKey() + ", 9000-byte frames, 1 run(s) of 3 s"),
                    process::output);
            }
            for (final String scenario : measured.keySet())
            {
                final String log = Files.readString(out.resolve("logs").resolve(scenario + "-sluice-run1.log"));
                assertTrue(log.contains(" mode=copy ") && log.contains(" multi_buffer=true"), log);
            }
        }
    }

    /**
     * Two queues on each veth end and full-size frames: the generator sends from both CPUs (veth queues redirected
     * frames by the sending CPU), Sluice's benches open a socket per queue and testpmd an af_xdp port per queue.
     * Every system still gives a figure, Sluice's frames arrive on both queues and add up, every frame sent or
     * received is 1,500 bytes on the wire, and the prober hears the returns.
     */
    @Test
    void shouldServeEveryQueueWithTwoQueuesAndFullSizeFrames() throws Exception
    {
        Privileged.require("./sluice perf --queues 2 on its own test hosts");
        final Path out = Files.createTempDirectory("sluice-perf-queues");
        try (SluiceProcess process = SluiceProcess.start(null, "perf", "--queues", "2", "--frame-size", "1500",
            "--runs", "1", "--duration", "3", "--warmup", "1", "--rate", "20k", "--reaction-trials", "3", "--out",
            out.toString()))
        {
            assertEquals(0, process.waitFor(600), process::output);
            final JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
            assertEquals(2, results.get("queues").asInt());
            assertEquals(1500, results.get("frame_size").asInt());
            assertTrue(process.output().contains("l2fwd, 1500-byte frames"), process::output);
            final String sent = Files.readString(out.resolve("logs").resolve("txonly-sluice-run1.log"));
            assertTrue(sent.contains("frame_bytes=1496 "), "1,500 bytes on the wire less the FCS: " + sent);
            assertEquals("[0,1]", results.get("generator_cpus").toString());
            for (final Map.Entry<String, List<String>> scenario : SYSTEMS.entrySet())
            {
                final JsonNode systems = results.get("scenarios").get(scenario.getKey());
                for (final String name : scenario.getValue())
                {
                    assertTrue(systems.get(name).get("median_mpps").asDouble() > 0, () -> name + ": " + systems);
                }
            }
            final String rxdrop = results.get("scenarios").get("rxdrop").get("sluice").get("last_run").asText();
            final long[] perQueue = field(rxdrop, "rx_packets_per_queue");
            assertEquals(2, perQueue.length, rxdrop);
            assertTrue(perQueue[0] > 0 && perQueue[1] > 0, "both queues carried frames: " + rxdrop);
            assertEquals(field(rxdrop, "rx_packets")[0], perQueue[0] + perQueue[1], rxdrop);
            final String txonly = results.get("scenarios").get("txonly").get("sluice").get("last_run").asText();
            final long[] sentPerQueue = field(txonly, "tx_packets_per_queue");
            assertTrue(sentPerQueue[0] > 0 && sentPerQueue[1] > 0, "both queues sent: " + txonly);
            assertEquals(field(txonly, "tx_packets")[0], sentPerQueue[0] + sentPerQueue[1], txonly);

            final JsonNode latency = results.get("scenarios").get("latency");
            for (final String name : List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet"))
            {
                final JsonNode entry = latency.get(name).get("rates").get("20k");
                assertEquals(60_000, entry.get("sent").asLong(), entry::toString);
                assertEveryFrameAccounted(entry, name + " at 20k: " + entry);
            }
            assertTrue(!TestHosts.run("ip", "netns", "list").contains("sluice-perf-" + process.pid()),
                "test hosts torn down");
        }
    }

    /**
     * Every frame the prober sent came back once or is lost, and round trips were recorded.
     */
    private static void assertEveryFrameAccounted(final JsonNode entry, final String where)
    {
        assertEquals(entry.get("sent").asLong(), entry.get("received").asLong() -
            entry.get("duplicates").asLong() - entry.get("stale").asLong() + entry.get("lost").asLong(),
            "every frame sent came back once or is lost: " + where);
        assertTrue(entry.get("round_trips_recorded").asLong() > 0, where);
    }

    private static long[] field(final String line, final String name)
    {
        final Matcher m = Pattern.compile("(?:^| )" + name + "=([0-9/]+)").matcher(line);
        assertTrue(m.find(), name + " in " + line);

        return Arrays.stream(m.group(1).split("/")).mapToLong(Long::parseLong).toArray();
    }

    private static void checkLatency(final JsonNode results, final Path out, final String table) throws Exception
    {
        final JsonNode latency = results.get("latency");
        final double l2fwdMpps = results.get("scenarios").get("l2fwd").get("dpdk-af_xdp").get("median_mpps")
            .asDouble();
        assertEquals(l2fwdMpps, latency.get("l2fwd_maximum_mpps").asDouble(), 1e-9, "this run's l2fwd maximum");
        final double maximumMpps = latency.get("maximum_mpps").asDouble();
        assertEquals(Math.min(l2fwdMpps, latency.get("prober_maximum_mpps").asDouble()), maximumMpps, 0.0015,
            "shares are of the lower of l2fwd's and the prober's maximum: " + latency);
        final JsonNode ratesPps = latency.get("rates_pps");
        assertEquals(List.of("10%", "50%", "90%"), fieldNames(ratesPps));
        final JsonNode systems = results.get("scenarios").get("latency");
        assertEquals(List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet"), fieldNames(systems));
        for (final String name : fieldNames(systems))
        {
            final JsonNode rates = systems.get(name).get("rates");
            assertEquals(fieldNames(ratesPps), fieldNames(rates));
            for (final String rate : fieldNames(rates))
            {
                final JsonNode entry = rates.get(rate);
                final String where = name + " at " + rate + ": " + entry;
                final long pps = ratesPps.get(rate).asLong();
                assertEquals(pps, entry.get("rate_pps").asLong(), where);
                assertEquals(maximumMpps * 1e6 * Double.parseDouble(rate.replace("%", "")) / 100, pps,
                    0.002 * pps + 1, where);
                // the prober sends every frame on time below the maximum; near it, it may fall behind, and says so
                if (!"90%".equals(rate))
                {
                    assertEquals(pps * 4, entry.get("sent").asLong(), where);
                }
                assertEquals(pps * 4 == entry.get("sent").asLong(), entry.get("prober_kept_up").asBoolean(), where);
                assertEveryFrameAccounted(entry, where);
                double previous = 0;
                for (final String percentile : List.of("p50_us", "p90_us", "p99_us", "p99.9_us", "p99.99_us",
                    "max_us"))
                {
                    final double value = entry.get(percentile).asDouble();
                    assertTrue(value > 0 && value >= previous, percentile + " of " + where);
                    previous = value;
                }
                assertEquals(entry.get("round_trips_recorded").asLong(), logged(out.resolve(entry.get("hlog")
                    .asText())), "the log holds exactly the round trips reported: " + where);
            }
        }
        assertEquals(1.0, systems.get("dpdk-af_xdp").get("rates").get("50%").get("p99_ratio_to_dpdk-af_xdp")
            .asDouble(), 1e-9);

        final BufferedImage plot = ImageIO.read(out.resolve("latency.png").toFile());
        assertEquals(3 * LatencyPlot.PANEL_WIDTH, plot.getWidth(), "a panel per rate");
        assertTrue(table.contains("latency, 1 run(s) of 4 s per rate"), table);
    }

    private static long logged(final Path hlog) throws Exception
    {
        final HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
        long total = 0;
        EncodableHistogram interval;
        while (null != (interval = reader.nextIntervalHistogram()))
        {
            total += ((org.HdrHistogram.Histogram)interval).getTotalCount();
        }
        reader.close();

        return total;
    }

    private static List<String> fieldNames(final JsonNode node)
    {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);

        return names;
    }
}
