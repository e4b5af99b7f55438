package io.sluice.xsk.counters;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.sluice.xsk.counters.CountersFileDescriptor.COUNTER_FAMILY_TYPE_ID;
import static io.sluice.xsk.counters.CountersFileDescriptor.GAUGE_FAMILY_TYPE_ID;
import static io.sluice.xsk.counters.CountersFileDescriptor.HEADER_LENGTH;
import static io.sluice.xsk.counters.CountersFileDescriptor.SERIES_TYPE_ID;

/**
 * A counters file read from any process, running or stopped, without touching the writer: the header, and every
 * series with its metric, labels and value.
 */
public final class CountersView implements AutoCloseable
{
    private final Path file;
    private final MappedByteBuffer mapped;
    private final AtomicBuffer header;
    private final CountersReader reader;

    CountersView(final Path file, final AtomicBuffer header, final CountersReader reader)
    {
        this.file = file;
        this.mapped = null;
        this.header = header;
        this.reader = reader;
    }

    private CountersView(final Path file, final MappedByteBuffer mapped)
    {
        this.file = file;
        this.mapped = mapped;
        header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        if (CountersFileDescriptor.MAGIC != header.getLongAcquire(CountersFileDescriptor.MAGIC_OFFSET))
        {
            throw new IllegalArgumentException(file + ": not a Sluice counters file (no magic; still being made?)");
        }
        final int version = header.getInt(CountersFileDescriptor.VERSION_OFFSET);
        if (CountersFileDescriptor.VERSION != version)
        {
            throw new IllegalArgumentException(file + ": counters file version " + version + ", this Sluice reads " +
                CountersFileDescriptor.VERSION);
        }
        final int metadataLength = header.getInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET);
        reader = new CountersReader(new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength),
            new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength), StandardCharsets.UTF_8);
    }

    /**
     * @param file a counters file.
     * @return a view of it.
     * @throws IllegalArgumentException naming the file if it is missing or not a counters file.
     */
    public static CountersView open(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            return new CountersView(file, channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()));
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(file + ": cannot read: " + ex.getMessage());
        }
    }

    /**
     * @return the names of the instances with a counters file, running or stopped, sorted.
     */
    public static List<String> instances()
    {
        try (Stream<Path> entries = Files.list(CountersFile.directory()))
        {
            return entries.filter((dir) -> Files.exists(dir.resolve(CountersFileDescriptor.FILE_NAME)))
                .map((dir) -> dir.getFileName().toString()).sorted().toList();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    /**
     * @return the file.
     */
    public Path file()
    {
        return file;
    }

    /**
     * @return the instance name.
     */
    public String instance()
    {
        final int length = header.getInt(CountersFileDescriptor.INSTANCE_LENGTH_OFFSET);
        return header.getStringWithoutLengthUtf8(CountersFileDescriptor.INSTANCE_OFFSET, length);
    }

    /**
     * @return the writing process.
     */
    public long pid()
    {
        return header.getLong(CountersFileDescriptor.PID_OFFSET);
    }

    /**
     * @return epoch milliseconds when the instance started.
     */
    public long startMs()
    {
        return header.getLong(CountersFileDescriptor.START_MS_OFFSET);
    }

    /**
     * @return epoch milliseconds when the instance stopped, or 0 while it runs.
     */
    public long stopMs()
    {
        // pairs with markStopped's putLongRelease
        return header.getLongAcquire(CountersFileDescriptor.STOP_MS_OFFSET);
    }

    /**
     * @return true if the instance has not stopped and its process is alive.
     */
    public boolean running()
    {
        return 0 == stopMs() && ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * @return every series, in the order allocated, with its value now.
     */
    public List<Series> series()
    {
        final Map<Integer, CountersFile.Metric> families = new LinkedHashMap<>();
        final List<Series> series = new ArrayList<>();
        // families first: a series may take a freed slot below its family's (a block's, a reloaded rule's)
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (COUNTER_FAMILY_TYPE_ID == typeId || GAUGE_FAMILY_TYPE_ID == typeId)
            {
                final int space = label.indexOf(' ');
                families.put(counterId, new CountersFile.Metric(label.substring(0, space),
                    GAUGE_FAMILY_TYPE_ID == typeId, label.substring(space + 1)));
            }
        });
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            final CountersFile.Metric family = families.get(keyBuffer.getInt(0));
            if (SERIES_TYPE_ID == typeId && null != family)
            {
                series.add(new Series(family, label, reader.getCounterValue(counterId)));
            }
        });

        return series;
    }

    /**
     * @return the series in Prometheus text exposition format (0.0.4): each metric's {@code # HELP} and
     * {@code # TYPE} once, then its series.
     */
    public String prometheus()
    {
        final Map<String, List<Series>> byMetric = new LinkedHashMap<>();
        for (final Series one : series())
        {
            byMetric.computeIfAbsent(one.metric().name(), (name) -> new ArrayList<>()).add(one);
        }
        final StringBuilder text = new StringBuilder();
        for (final List<Series> family : byMetric.values())
        {
            final CountersFile.Metric metric = family.get(0).metric();
            text.append("# HELP ").append(metric.name()).append(' ')
                .append(metric.help().replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
            text.append("# TYPE ").append(metric.name()).append(' ').append(metric.gauge() ? "gauge" : "counter")
                .append('\n');
            for (final Series one : family)
            {
                text.append(one.name()).append(' ').append(one.value()).append('\n');
            }
        }

        return text.toString();
    }

    /**
     * @return each metric's name to the sum of its series' values now.
     */
    public Map<String, Long> sums()
    {
        final Map<String, Long> sums = new LinkedHashMap<>();
        for (final Series one : series())
        {
            sums.merge(one.metric().name(), one.value(), Long::sum);
        }

        return sums;
    }

    @Override
    public void close()
    {
        if (null != mapped)
        {
            org.agrona.IoUtil.unmap(mapped);
        }
    }

    /**
     * One series.
     *
     * @param metric its metric.
     * @param labels its labels, {@code iface="veth1",queue="0"}, or empty.
     * @param value  its value when read.
     */
    public record Series(CountersFile.Metric metric, String labels, long value)
    {
        /**
         * @return the series as Prometheus names it: {@code sluice_rx_frames_total{iface="veth1",queue="0"}}.
         */
        public String name()
        {
            return metric.name() + (labels.isEmpty() ? "" : "{" + labels + "}");
        }
    }
}
