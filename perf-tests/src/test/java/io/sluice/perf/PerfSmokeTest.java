package io.sluice.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short run of {@code ./sluice perf}, as a user runs it: one run of each scenario, a few seconds each. It checks
 * the table and {@code results.json} have every system with a figure, and asserts no speed.
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
        try (SluiceProcess process = SluiceProcess.start(null, "perf", "rxdrop", "l2fwd", "txonly", "--runs", "1",
            "--duration", "4", "--warmup", "1", "--out", out.toString()))
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
            assertTrue(!TestHosts.run("ip", "netns", "list").contains("sluice-perf-" + process.pid()),
                "test hosts torn down");
        }
    }
}
