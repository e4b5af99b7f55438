package io.sluice.pipeline;

import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Packet capture off the data path, as DPDK's pdump does it: a handler hands each frame to capture to a bounded
 * ring by copying its bytes there ({@link Producer#offer}), and a capture thread, {@value #THREAD_NAME}, writes them
 * to a pcap file (libpcap format, nanosecond timestamps, Ethernet) that tcpdump, tshark and Wireshark read. The
 * frame itself goes on to its action at once; when the ring is full the frame is not captured and
 * {@code sluice_capture_skipped_total} counts it. At most {@code maxFrames} are captured.
 * <p>
 * The writer keeps a thread of its own rather than being a duty of the {@link Conductor}: a write to the file can
 * block on the disk for milliseconds or more (page cache writeback, a slow or full device), and the conductor's
 * duty cycle must not wait on that, as block expiry, the watchdog and operators' commands are due every few
 * milliseconds.
 */
public final class FrameCapture implements AutoCloseable
{
    /**
     * Name of the thread that writes the file.
     */
    public static final String THREAD_NAME = "sluice-capture";

    /**
     * Bytes of the hand-off ring: a few thousand full-size frames, a burst's worth at the rates a capture is for.
     */
    public static final int RING_BYTES = 4 << 20;

    /**
     * Longest frame kept whole (pcap's snap length); a longer one is cut, its original length recorded.
     */
    public static final int SNAP_LENGTH = 65535;

    /**
     * libpcap's magic for microsecond-stamped files, but with nanoseconds: {@code 0xa1b23c4d}.
     */
    static final int PCAP_NANOSECOND_MAGIC = 0xa1b23c4d;
    static final int LINKTYPE_ETHERNET = 1;

    private static final int FRAME_TYPE = 1;
    private static final int TIMESTAMP_BYTES = Long.BYTES;
    private static final CountersFile.Metric[] PRODUCER_METRICS = {
        CountersFile.Metric.counter("sluice_capture_offered_total", "capture: frames handed to the capture thread"),
        CountersFile.Metric.counter("sluice_capture_skipped_total",
            "capture: frames not captured because the capture ring was full"),
    };

    private final Path file;
    private final ManyToOneRingBuffer ring;
    private final UnsafeBuffer umem;
    private final AtomicLong remaining;
    private final long epochOffsetNs;
    private final CountersFile counters;
    private final String labels;
    private final CounterSet written;
    private final FileChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final org.agrona.concurrent.MessageHandler writer = this::write;
    private final Thread thread;
    private volatile boolean running = true;
    private IOException failure;

    private FrameCapture(
        final Path file,
        final long maxFrames,
        final MemorySegment umemMemory,
        final CountersFile counters,
        final String labels,
        final FileChannel channel)
    {
        this.file = file;
        this.counters = counters;
        this.labels = labels;
        this.channel = channel;
        ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        if (umemMemory.byteSize() > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("capture: a UMEM over 2 GiB (" + umemMemory.byteSize() + " bytes)");
        }
        umem = new UnsafeBuffer(umemMemory.address(), (int)umemMemory.byteSize());
        remaining = new AtomicLong(maxFrames);
        // CLOCK_REALTIME in nanoseconds without a call per frame: the wall clock's offset from nanoTime, once
        epochOffsetNs = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - System.nanoTime();
        written = counters.allocate(labels, CountersFile.Metric.counter("sluice_capture_written_total",
            "capture: frames written to the pcap file"));
        thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
    }

    /**
     * Open the file, write its pcap header, and start the capture thread.
     *
     * @param file       the pcap file, replaced if it exists.
     * @param maxFrames  most frames to capture.
     * @param umemMemory the UMEM the frames are in.
     * @param counters   the instance's counters.
     * @param labels     labels of the capture's series, {@code iface="veth1"}.
     * @return the running capture.
     * @throws IllegalArgumentException naming the file if it cannot be written.
     */
    public static FrameCapture start(
        final Path file,
        final long maxFrames,
        final MemorySegment umemMemory,
        final CountersFile counters,
        final String labels)
    {
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("--capture " + file + ": cannot write: " + ex.getMessage());
        }
        final FrameCapture capture = new FrameCapture(file, maxFrames, umemMemory, counters, labels, channel);
        capture.out.putInt(PCAP_NANOSECOND_MAGIC).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(SNAP_LENGTH).putInt(LINKTYPE_ETHERNET);
        capture.thread.start();

        return capture;
    }

    /**
     * @param agent the handler's name, for its counters' labels.
     * @return what one handler thread offers frames through; its counters have that thread as their only writer.
     */
    public Producer producer(final String agent)
    {
        return new Producer(counters.allocate(Labels.and(labels, "agent", agent),
            PRODUCER_METRICS));
    }

    /**
     * @return the pcap file.
     */
    public Path file()
    {
        return file;
    }

    /**
     * @return frames written to the file so far.
     */
    public long written()
    {
        return written.get(0);
    }

    /**
     * Write what the ring still holds, then close the file. Call once the handlers have stopped.
     *
     * @throws IllegalStateException naming the file if writing it failed.
     */
    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            failure = null == failure ? ex : failure;
        }
        if (null != failure)
        {
            throw new IllegalStateException("--capture " + file + ": " + failure.getMessage());
        }
    }

    private void run()
    {
        try
        {
            while (running || ring.size() > 0)
            {
                if (0 == ring.read(writer, 256))
                {
                    flush();
                    Thread.sleep(1);
                }
            }
            flush();
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void write(final int type, final org.agrona.MutableDirectBuffer buffer, final int index, final int length)
    {
        try
        {
            final int frameBytes = length - TIMESTAMP_BYTES;
            final int kept = Math.min(frameBytes, SNAP_LENGTH);
            if (out.remaining() < 16 + kept)
            {
                flush();
            }
            final long stampNs = buffer.getLong(index);
            out.putInt((int)(stampNs / 1_000_000_000L)).putInt((int)(stampNs % 1_000_000_000L))
                .putInt(kept).putInt(frameBytes);
            buffer.getBytes(index + TIMESTAMP_BYTES, out, out.position(), kept);
            out.position(out.position() + kept);
            written.increment(0);
        }
        catch (final IOException ex)
        {
            failure = ex;
            running = false;
        }
    }

    private void flush() throws IOException
    {
        out.flip();
        while (out.hasRemaining())
        {
            channel.write(out);
        }
        out.clear();
    }

    /**
     * One handler's way into the capture.
     */
    public final class Producer
    {
        private final CounterSet counts;

        private Producer(final CounterSet counts)
        {
            this.counts = counts;
        }

        /**
         * Copy a frame into the capture ring, unless the capture has its {@code maxFrames} or the ring is full
         * (counted). Allocates nothing.
         *
         * @param address the frame's offset in the UMEM.
         * @param length  its length.
         */
        public void offer(final long address, final int length)
        {
            offer(address, length, null, null, 1, length);
        }

        /**
         * Copy a packet into the capture ring whole, every buffer of a multi-buffer one in order, as
         * {@link #offer(long, int)} does.
         *
         * @param event the packet.
         */
        public void offer(final FrameEvent event)
        {
            offer(event.address, event.length, event.bufferAddresses, event.bufferLengths, event.buffers,
                event.packetLength());
        }

        private void offer(
            final long address,
            final int length,
            final long[] addresses,
            final int[] lengths,
            final int buffers,
            final int total)
        {
            if (remaining.get() <= 0 || remaining.decrementAndGet() < 0)
            {
                return;
            }
            final int index = ring.tryClaim(FRAME_TYPE, TIMESTAMP_BYTES + total);
            if (index < 0)
            {
                // not captured: give the place back to a later frame
                remaining.incrementAndGet();
                counts.increment(1);
                return;
            }
            final org.agrona.concurrent.AtomicBuffer buffer = ring.buffer();
            buffer.putLong(index, epochOffsetNs + System.nanoTime());
            if (1 == buffers)
            {
                buffer.putBytes(index + TIMESTAMP_BYTES, umem, (int)address, length);
            }
            else
            {
                int at = index + TIMESTAMP_BYTES;
                for (int b = 0; b < buffers; b++)
                {
                    buffer.putBytes(at, umem, (int)addresses[b], lengths[b]);
                    at += lengths[b];
                }
            }
            ring.commit(index);
            counts.increment(0);
        }
    }
}
