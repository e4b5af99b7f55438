package io.sluice.xsk.counters;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersFileTest
{
    private static final CountersFile.Metric FRAMES =
        CountersFile.Metric.counter("sluice_test_frames_total", "frames seen");
    private static final CountersFile.Metric DEPTH = CountersFile.Metric.gauge("sluice_test_depth", "ring depth");

    @TempDir
    Path dir;

    private String saved;

    @BeforeEach
    void setUp()
    {
        saved = System.getProperty(CountersFile.DIRECTORY_PROP_NAME);
        System.setProperty(CountersFile.DIRECTORY_PROP_NAME, dir.toString());
    }

    @AfterEach
    void tearDown()
    {
        if (null == saved)
        {
            System.clearProperty(CountersFile.DIRECTORY_PROP_NAME);
        }
        else
        {
            System.setProperty(CountersFile.DIRECTORY_PROP_NAME, saved);
        }
    }

    @Test
    void shouldShowAnotherReaderEveryAddWithItsMetricAndLabels()
    {
        try (CountersFile file = CountersFile.create("veth1", 64))
        {
            final CounterSet queue0 = file.allocate("iface=\"veth1\",queue=\"0\"", FRAMES, DEPTH);
            final CounterSet queue1 = file.allocate("iface=\"veth1\",queue=\"1\"", FRAMES);
            queue0.add(0, 41);
            queue0.increment(0);
            queue0.set(1, 7);
            queue1.add(0, 5);

            try (CountersView view = CountersView.open(dir.resolve("veth1").resolve("counters.dat")))
            {
                assertEquals("veth1", view.instance());
                assertEquals(ProcessHandle.current().pid(), view.pid());
                assertTrue(view.running());
                assertEquals(List.of(
                    "sluice_test_frames_total{iface=\"veth1\",queue=\"0\"}=42",
                    "sluice_test_depth{iface=\"veth1\",queue=\"0\"}=7",
                    "sluice_test_frames_total{iface=\"veth1\",queue=\"1\"}=5"),
                    view.series().stream().map((s) -> s.name() + "=" + s.value()).toList());
                assertEquals("""
                    # HELP sluice_test_frames_total frames seen
                    # TYPE sluice_test_frames_total counter
                    sluice_test_frames_total{iface="veth1",queue="0"} 42
                    sluice_test_frames_total{iface="veth1",queue="1"} 5
                    # HELP sluice_test_depth ring depth
                    # TYPE sluice_test_depth gauge
                    sluice_test_depth{iface="veth1",queue="0"} 7
                    """, view.prometheus());
                assertEquals(47L, view.sums().get("sluice_test_frames_total"));

                queue1.increment(0);
                assertEquals(6, view.series().get(2).value(), "a live view: the next read sees the add");
            }
        }
    }

    @Test
    void shouldShowASeriesThatTookAFreedSlotBelowItsMetricsFirstOne()
    {
        try (CountersFile file = CountersFile.create("veth1", 64))
        {
            final CounterSet first = file.allocate("rule=\"a\"", FRAMES);
            final CounterSet second = file.allocate("queue=\"0\"", DEPTH);
            file.allocate("queue=\"1\"", DEPTH).set(0, 9);
            file.free(second);
            file.free(first);
            // a new metric: its family record takes the slot freed first, its series the one below
            final CountersFile.Metric later = CountersFile.Metric.counter("sluice_test_later_total", "later");
            file.allocate("rule=\"b\"", later).add(0, 3);

            try (CountersView view = CountersView.open(dir.resolve("veth1").resolve("counters.dat")))
            {
                assertEquals(List.of("sluice_test_later_total{rule=\"b\"}=3", "sluice_test_depth{queue=\"1\"}=9"),
                    view.series().stream().map((s) -> s.name() + "=" + s.value()).toList());
            }
        }
    }

    @Test
    void shouldKeepTheFileMarkedStoppedAfterCloseForLaterReaders() throws Exception
    {
        final long beforeMs = System.currentTimeMillis();
        try (CountersFile file = CountersFile.create("lab", 16))
        {
            file.allocate("", FRAMES).add(0, 3);
        }

        try (CountersView view = CountersView.open(CountersFile.fileOf("lab")))
        {
            assertFalse(view.running());
            assertTrue(view.stopMs() >= beforeMs);
            assertEquals(3, view.series().get(0).value());
            assertEquals(List.of("lab"), CountersView.instances());
        }
    }

    @Test
    void shouldRefuseASecondRunningInstanceOfTheSameNameAndReplaceAStoppedOne()
    {
        try (CountersFile running = CountersFile.create("eth1", 16))
        {
            running.allocate("", FRAMES).add(0, 9);
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> CountersFile.create("eth1", 16));
            assertEquals("instance eth1 is running (pid " + ProcessHandle.current().pid() + ", " +
                CountersFile.fileOf("eth1") + "); name another with --instance NAME", ex.getMessage());
        }
        try (CountersFile again = CountersFile.create("eth1", 16);
            CountersView view = CountersView.open(CountersFile.fileOf("eth1")))
        {
            assertTrue(view.series().isEmpty(), "a fresh file");
            assertTrue(view.running());
        }
    }

    @Test
    void shouldRefuseABadInstanceNameAndAFileThatIsNotACountersFile() throws Exception
    {
        assertThrows(IllegalArgumentException.class, () -> CountersFile.create("../etc", 16));
        final Path junk = dir.resolve("junk.dat");
        Files.write(junk, new byte[8192]);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CountersView.open(junk));
        assertEquals(junk + ": not a Sluice counters file (no magic; still being made?)", ex.getMessage());
    }

    @Test
    void shouldSayWhichInstanceFillsUp()
    {
        try (CountersFile file = CountersFile.inMemory(4))
        {
            file.allocate("", FRAMES, FRAMES, FRAMES);
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> file.allocate("", FRAMES, FRAMES));
            assertTrue(ex.getMessage().startsWith("the counters of instance in-memory are full (4 counters): "),
                ex.getMessage());
        }
    }
}
