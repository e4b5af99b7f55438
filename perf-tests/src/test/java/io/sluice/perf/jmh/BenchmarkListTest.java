package io.sluice.perf.jmh;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JMH annotation processor ran over the main classes: {@code org.openjdk.jmh.Main} finds benchmarks only through
 * the {@code META-INF/BenchmarkList} it writes, and a build without it fails silently ("No matching benchmarks").
 * Runs no benchmark.
 */
class BenchmarkListTest
{
    private static final String BENCHMARK_LIST = "META-INF/BenchmarkList";

    @Test
    void shouldListEveryBenchmarkClassInTheGeneratedBenchmarkList() throws IOException
    {
        final StringBuilder lists = new StringBuilder();
        for (final URL url : Collections.list(getClass().getClassLoader().getResources(BENCHMARK_LIST)))
        {
            try (InputStream in = url.openStream())
            {
                lists.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }

        final List<String> missing = new ArrayList<>();
        for (final Class<?> benchmark : List.of(ParserBenchmark.class, FilterBenchmark.class, RingBenchmark.class,
            DetectorBenchmark.class))
        {
            if (!lists.toString().contains(benchmark.getName()))
            {
                missing.add(benchmark.getName());
            }
        }
        assertTrue(missing.isEmpty(), "not in " + BENCHMARK_LIST + ": " + missing);
    }
}
