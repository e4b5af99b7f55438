package io.sluice.pipeline.cli;

import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice stats} over counters files this test writes, as a running instance would.
 */
class StatsCommandTest
{
    private static final CountersFile.Metric FRAMES =
        CountersFile.Metric.counter("sluice_pipeline_received_total", "frames read from the RX rings");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void setUp()
    {
        System.setProperty(CountersFile.DIRECTORY_PROP_NAME, dir.toString());
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown()
    {
        System.setOut(savedOut);
        System.setErr(savedErr);
        System.clearProperty(CountersFile.DIRECTORY_PROP_NAME);
    }

    @Test
    void shouldPrintEverySeriesWithItsLabelsOnce()
    {
        try (CountersFile file = CountersFile.create("veth1", 32))
        {
            file.allocate("iface=\"veth1\",agent=\"rx\"", FRAMES).add(0, 1_234_567);

            assertEquals(0, SluiceCli.execute("stats"));
        }

        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), out::toString);
        assertTrue(lines.get(0).startsWith("sluice stats: instance veth1, pid " + ProcessHandle.current().pid() +
            ", started "), lines.get(0));
        assertTrue(lines.get(0).endsWith(", running (" + CountersFile.fileOf("veth1") + ")"), lines.get(0));
        assertEquals("sluice_pipeline_received_total{iface=\"veth1\",agent=\"rx\"}            1,234,567", lines.get(1));
    }

    @Test
    void shouldWatchWithRatesUntilTheInstanceStops() throws Exception
    {
        final CountersFile file = CountersFile.create("eth1", 32);
        final CounterSet frames = file.allocate("iface=\"eth1\"", FRAMES);
        final CompletableFuture<Integer> watching = CompletableFuture.supplyAsync(
            () -> SluiceCli.execute("stats", "--instance", "eth1", "--watch", "--interval", "0.2"));
        for (int i = 0; i < 8; i++)
        {
            frames.add(0, 1000);
            Thread.sleep(100);
        }
        file.close();

        assertEquals(0, watching.get(10, TimeUnit.SECONDS));
        final String text = out.toString(StandardCharsets.UTF_8);
        final List<String> headers = text.lines().filter((l) -> l.startsWith("sluice stats: ")).toList();
        assertTrue(headers.size() >= 3, text);
        assertTrue(headers.get(headers.size() - 1).contains(", stopped "), text);
        final String series = "sluice_pipeline_received_total\\{iface=\"eth1\"}";
        assertTrue(text.lines().anyMatch((l) -> l.matches(series + " +[0-9,]+ +[0-9,]+/s")), text);
        assertTrue(text.lines().anyMatch((l) -> l.matches(series + " +8,000( .*)?")), text);
    }

    @Test
    void shouldNameTheInstancesWhenNoneOrSeveralAreThere()
    {
        assertEquals(2, SluiceCli.execute("stats"));
        assertEquals("sluice stats: no instances in " + dir + ": start one with ./sluice run (its --instance, the " +
            "interface's name by default)", err.toString(StandardCharsets.UTF_8).strip());

        err.reset();
        try (CountersFile a = CountersFile.create("a0", 8);
            CountersFile b = CountersFile.create("b0", 8))
        {
            assertEquals(2, SluiceCli.execute("stats"));
        }
        assertEquals("sluice stats: several instances in " + dir + ": a0, b0; name one with --instance NAME",
            err.toString(StandardCharsets.UTF_8).strip());

        err.reset();
        assertEquals(2, SluiceCli.execute("stats", "--instance", "nosuch"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("sluice stats: " +
            CountersFile.fileOf("nosuch") + ": cannot read: "), err::toString);
    }
}
