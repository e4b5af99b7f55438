package io.sluice.xsk.counters;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static io.sluice.xsk.counters.CountersFileDescriptor.COUNTER_FAMILY_TYPE_ID;
import static io.sluice.xsk.counters.CountersFileDescriptor.GAUGE_FAMILY_TYPE_ID;
import static io.sluice.xsk.counters.CountersFileDescriptor.HEADER_LENGTH;
import static io.sluice.xsk.counters.CountersFileDescriptor.SERIES_TYPE_ID;

/**
 * The counters of one Sluice instance, in a memory-mapped file another process reads while Sluice runs and after
 * it stops: {@value #DIRECTORY_DEFAULT}{@code /INSTANCE/}{@value CountersFileDescriptor#FILE_NAME}, laid out as
 * {@link CountersFileDescriptor} says. Each counter is a Prometheus series: a metric (name, counter or gauge, help)
 * and labels. Allocation is for the control plane and synchronised; the data path only adds, through
 * {@link CounterSet}s.
 * <p>
 * The file stays after the instance stops, marked stopped, so its final counts can be read; the next instance of
 * the same name replaces it, unless the process that wrote it still runs.
 */
public final class CountersFile implements AutoCloseable
{
    /**
     * System property naming the folder of instance folders.
     */
    public static final String DIRECTORY_PROP_NAME = "sluice.counters.dir";

    /**
     * Under {@code /dev/shm}: memory, not disk, so a counter store never waits on I/O; readable from every network
     * namespace ({@code ip netns exec} keeps {@code /dev/shm}); cleared at boot.
     */
    public static final String DIRECTORY_DEFAULT = "/dev/shm/sluice";

    /**
     * Counters a file holds unless told otherwise: far more than one instance on a 64-queue NIC uses (about 60 per
     * queue and 50 per agent), for 4 MiB of metadata and 1 MiB of values.
     */
    public static final int CAPACITY_DEFAULT = 8192;

    private boolean closed;
    private final Path file;
    private final MappedByteBuffer mapped;
    private final AtomicBuffer header;
    private final AtomicBuffer values;
    private final CountersManager manager;
    private final Map<String, Integer> families = new HashMap<>();
    private final String instance;
    private final int capacity;

    private CountersFile(final Path file, final MappedByteBuffer mapped, final ByteBuffer buffer,
        final String instance, final int capacity)
    {
        this.file = file;
        this.mapped = mapped;
        this.instance = instance;
        this.capacity = capacity;
        final int valuesLength = capacity * CountersReader.COUNTER_LENGTH;
        final int metadataLength = capacity * CountersReader.METADATA_LENGTH;
        header = new UnsafeBuffer(buffer, 0, HEADER_LENGTH);
        final UnsafeBuffer metadata = new UnsafeBuffer(buffer, HEADER_LENGTH, metadataLength);
        values = new UnsafeBuffer(buffer, HEADER_LENGTH + metadataLength, valuesLength);
        final byte[] name = instance.getBytes(StandardCharsets.UTF_8);
        header.putInt(CountersFileDescriptor.VERSION_OFFSET, CountersFileDescriptor.VERSION);
        header.putInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET, valuesLength);
        header.putLong(CountersFileDescriptor.PID_OFFSET, ProcessHandle.current().pid());
        header.putLong(CountersFileDescriptor.START_MS_OFFSET, System.currentTimeMillis());
        header.putLong(CountersFileDescriptor.STOP_MS_OFFSET, 0);
        header.putInt(CountersFileDescriptor.INSTANCE_LENGTH_OFFSET, name.length);
        header.putBytes(CountersFileDescriptor.INSTANCE_OFFSET, name);
        manager = new CountersManager(metadata, values, StandardCharsets.UTF_8);
        // the magic last: a reader that sees it sees a whole header (putLongRelease pairs with its getLongAcquire)
        header.putLongRelease(CountersFileDescriptor.MAGIC_OFFSET, CountersFileDescriptor.MAGIC);
    }

    /**
     * @return the folder of instance folders: {@value #DIRECTORY_PROP_NAME}, else {@value #DIRECTORY_DEFAULT}.
     */
    public static Path directory()
    {
        final String property = System.getProperty(DIRECTORY_PROP_NAME);
        return Path.of(null == property || property.isBlank() ? DIRECTORY_DEFAULT : property);
    }

    /**
     * @param instance an instance name.
     * @return its counters file.
     */
    public static Path fileOf(final String instance)
    {
        return directory().resolve(instance).resolve(CountersFileDescriptor.FILE_NAME);
    }

    /**
     * Create an instance's counters file, replacing one left by an instance that has stopped.
     *
     * @param instance the name: letters, digits, {@code _ - .}, as an interface name is.
     * @param capacity counters it can hold.
     * @return the file, mapped.
     * @throws IllegalArgumentException for a bad name.
     * @throws IllegalStateException naming the process if a running instance has the name.
     */
    public static CountersFile create(final String instance, final int capacity)
    {
        checkName(instance);
        final Path file = fileOf(instance);
        if (Files.exists(file))
        {
            try (CountersView old = CountersView.open(file))
            {
                if (old.running())
                {
                    throw new IllegalStateException("instance " + instance + " is running (pid " + old.pid() +
                        ", " + file + "); name another with --instance NAME");
                }
            }
            catch (final IllegalArgumentException ex)
            {
                // not a counters file we can read: replaced below
            }
        }
        try
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot make " + file + ": " + ex.getMessage());
        }
        final long length = (long)HEADER_LENGTH +
            (long)capacity * (CountersReader.METADATA_LENGTH + CountersReader.COUNTER_LENGTH);
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file.toFile(), length, true);

        return new CountersFile(file, mapped, mapped, instance, capacity);
    }

    /**
     * @param instance an instance name.
     * @throws IllegalArgumentException unless it is 1-100 letters, digits, {@code _ . @ -}, starting with a letter
     *                                  or digit: a name that cannot leave the counters folder.
     */
    public static void checkName(final String instance)
    {
        if (!instance.matches("[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}"))
        {
            throw new IllegalArgumentException("instance name '" + instance + "': 1-100 letters, digits, '_', '.', " +
                "'@' or '-', starting with a letter or digit");
        }
    }

    /**
     * Remove an instance's counters file, anything else in its folder, and the folder, which stay after it stops.
     *
     * @param instance an instance name.
     * @throws IllegalStateException naming the file if it cannot be removed.
     */
    public static void remove(final String instance)
    {
        final Path file = fileOf(instance);
        try
        {
            Files.deleteIfExists(file);
            // and what else an instance keeps beside its counters (its control socket, if it was killed)
            try (Stream<Path> others = Files.list(file.getParent()))
            {
                for (final Path other : (Iterable<Path>)others::iterator)
                {
                    Files.deleteIfExists(other);
                }
            }
            catch (final NoSuchFileException ex)
            {
                return;
            }
            Files.deleteIfExists(file.getParent());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot remove " + file + ": " + ex.getMessage());
        }
    }

    /**
     * Counters in memory only, laid out as in a file: for sockets and tests outside a named instance.
     *
     * @param capacity counters it can hold.
     * @return the counters.
     */
    public static CountersFile inMemory(final int capacity)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(
            HEADER_LENGTH + capacity * (CountersReader.METADATA_LENGTH + CountersReader.COUNTER_LENGTH));

        return new CountersFile(null, null, buffer, "in-memory", capacity);
    }

    /**
     * @return the instance name.
     */
    public String instance()
    {
        return instance;
    }

    /**
     * @return the file, or null in memory.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Allocate one series per metric, all with the same labels, as a set with one writer.
     *
     * @param labels  Prometheus labels without braces, {@code iface="veth1",queue="0"}, or empty.
     * @param metrics the metrics, in the order the set indexes them.
     * @return the set.
     * @throws IllegalStateException when the file is full.
     */
    public CounterSet allocate(final String labels, final Metric... metrics)
    {
        final String[] each = new String[metrics.length];
        java.util.Arrays.fill(each, labels);
        return allocate(metrics, each);
    }

    /**
     * Allocate one series per metric, each with its own labels, as a set with one writer.
     *
     * @param metrics the metrics, in the order the set indexes them.
     * @param labels  each series' Prometheus labels without braces.
     * @return the set.
     * @throws IllegalStateException when the file is full.
     */
    public synchronized CounterSet allocate(final Metric[] metrics, final String[] labels)
    {
        final int[] offsets = new int[metrics.length];
        try
        {
            for (int i = 0; i < metrics.length; i++)
            {
                final int family = family(metrics[i]);
                final byte[] label = labels[i].getBytes(StandardCharsets.UTF_8);
                final int id = manager.allocate(SERIES_TYPE_ID, keyOf(family), 0, Integer.BYTES,
                    new UnsafeBuffer(label), 0, label.length);
                // Agrona zeroes the value, a freed slot's too
                offsets[i] = CountersReader.counterOffset(id);
            }
        }
        catch (final IllegalStateException ex)
        {
            throw new IllegalStateException("the counters of instance " + instance + " are full (" + capacity +
                " counters): " + ex.getMessage());
        }

        return new CounterSet(values, offsets);
    }

    /**
     * Free a set's counters: readers no longer see them, and their slots go to later allocations. For series that
     * come and go, such as a block's; the set must not be written after.
     *
     * @param set a set this file allocated.
     */
    public synchronized void free(final CounterSet set)
    {
        for (int i = 0; i < set.size(); i++)
        {
            manager.free(set.offset(i) / CountersReader.COUNTER_LENGTH);
        }
    }

    /**
     * @return a view of these counters in this process, as another process sees them through the file.
     */
    public CountersView view()
    {
        return new CountersView(file, header, manager);
    }

    /**
     * Mark the instance stopped: readers report its counts as final.
     */
    public void markStopped()
    {
        // pairs with the reader's getLongAcquire: every count stored before is visible with it
        header.putLongRelease(CountersFileDescriptor.STOP_MS_OFFSET, System.currentTimeMillis());
    }

    /**
     * Mark stopped and unmap; the file stays for readers. Idempotent: the mapping is gone after the first.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (0 == header.getLongAcquire(CountersFileDescriptor.STOP_MS_OFFSET))
        {
            markStopped();
        }
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
        }
    }

    private int family(final Metric metric)
    {
        final Integer known = families.get(metric.name());
        if (null != known)
        {
            return known;
        }
        final int id = manager.allocate(metric.name() + " " + metric.help(),
            metric.gauge() ? GAUGE_FAMILY_TYPE_ID : COUNTER_FAMILY_TYPE_ID);
        families.put(metric.name(), id);

        return id;
    }

    private static UnsafeBuffer keyOf(final int family)
    {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[Integer.BYTES]);
        key.putInt(0, family);
        return key;
    }

    /**
     * A Prometheus metric.
     *
     * @param name  {@code sluice_rx_frames_total}: snake case, {@code _total} for counters, units in the name.
     * @param gauge true for a value that goes up and down; false for a counter.
     * @param help  one line.
     */
    public record Metric(String name, boolean gauge, String help)
    {
        /**
         * @param name a counter's name.
         * @param help one line.
         * @return the metric.
         */
        public static Metric counter(final String name, final String help)
        {
            return new Metric(name, false, help);
        }

        /**
         * @param name a gauge's name.
         * @param help one line.
         * @return the metric.
         */
        public static Metric gauge(final String name, final String help)
        {
            return new Metric(name, true, help);
        }
    }
}
