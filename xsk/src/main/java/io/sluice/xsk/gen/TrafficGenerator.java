package io.sluice.xsk.gen;

import io.sluice.xsk.ffi.BpfObject;
import io.sluice.xsk.ffi.Capabilities;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LibBpf.BpfTestRunOpts;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.ffi.NativeLog;
import io.sluice.xsk.ffi.ProbeProgram;
import io.sluice.xsk.util.CpuAffinity;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Sluice's traffic generator: BPF_PROG_RUN in live-frame mode ({@code BPF_F_TEST_XDP_LIVE_FRAMES}) runs the XDP
 * program {@code bpf/src/sluice_gen.c} over a template UDP frame, and each run stamps a copy and redirects it out
 * of the egress interface, where it leaves like any XDP-redirected frame. A copy carries:
 * <ul>
 *     <li>a sequence number, a {@code u64} little-endian in the UDP payload, from one counter shared by every
 *     thread that sends through this generator, so numbers never repeat or skip;</li>
 *     <li>a timestamp, a {@code u64} little-endian from {@code bpf_ktime_get_ns()}: CLOCK_MONOTONIC, the clock of
 *     {@link System#nanoTime()} on Linux, so a receiver on the same host can subtract;</li>
 *     <li>UDP source port {@code base + seq % count};</li>
 *     <li>source address: the template's, with {@code (seq / port count) % address count} added to its last 32
 *     bits, so every port meets every address;</li>
 *     <li>IPv4 header and UDP checksums kept right (a UDP checksum of 0 in an IPv4 template stays 0).</li>
 * </ul>
 * <b>Namespaces.</b> The egress is resolved by name in the network namespace of the thread that calls
 * {@link TrafficGeneratorBuilder#open()}, and the kernel redirects to its ifindex in the namespace of the thread
 * that issues BPF_PROG_RUN: so send from a thread in that same namespace. {@code send} and {@code run} check, and throw
 * {@link IllegalStateException} when called from another one.
 * <p>
 * <b>Queues.</b> veth hands an XDP-redirected frame to receive queue {@code sending CPU % rx queues} of its peer;
 * other drivers pick their transmit queue by the sending CPU too. {@link TrafficGeneratorBuilder#cpu(int)} pins
 * the sending thread for the duration of each call, which chooses the queue.
 * <p>
 * <b>Engines.</b> Some kernels refuse live-frame mode (BPF_PROG_RUN answers EPERM whatever the privileges);
 * {@link Engine#detect()} finds out once, with a program that drops its one frame. There the generator runs the
 * same stamping as the tc program {@code sluice_gen_tc} in BPF_PROG_RUN's plain mode over one skb holding the
 * template, and each run sends a clone of it out of the egress with {@code bpf_clone_redirect()}
 * ({@link Engine#TC_CLONE}): the frames are the same, sequence numbers, timestamps, ports and checksums alike,
 * and the receive queue is chosen by the sending CPU as before; it is slower (an skb per frame) and leaves
 * through the egress's transmit path rather than as an XDP frame.
 * <p>
 * <b>Counts.</b> The program counts every run it makes ({@link GeneratorCounter}); {@link #sent()} is the frames
 * it handed to the egress. A device can still refuse a redirected live frame (a full ring, a frame over its MTU, a
 * peer without XDP); the kernel does not report that back, and veth counts it as
 * {@code tx_queue_N_xdp_xmit_errors} in {@code ethtool -S} of the egress. A clone veth refuses fails the
 * program's {@code bpf_clone_redirect()}, so the generator counts it ({@link GeneratorCounter#DROP_CLONE}), not
 * sent, and veth as a transmit drop ({@code tx_dropped}).
 * <p>
 * Kernel constraints, checked before anything is sent: the frame is at most {@link #LIVE_FRAME_MAX_BYTES} and at
 * least an Ethernet header; a batch is 1 to {@link #BATCH_SIZE_MAX} frames; a call repeats at most
 * {@code 2^32 - 1} times, and blocks until done, so long sends go in chunks of
 * {@link TrafficGeneratorBuilder#chunkFrames(int)}.
 * Each call that repeats more than once adds the program to the kernel's XDP dispatcher and removes it after,
 * two RCU grace periods that cost ~26 ms on a 2-core machine whatever the count; a single-frame call skips that
 * and costs ~10 us. Chunks and pacing are sized around those two figures.
 */
public final class TrafficGenerator implements AutoCloseable
{
    /**
     * How the generator sends.
     */
    public enum Engine
    {
        /**
         * BPF_PROG_RUN with {@code BPF_F_TEST_XDP_LIVE_FRAMES}: the XDP program {@code sluice_gen} redirects each
         * stamped copy out of the egress as an XDP frame.
         */
        LIVE_FRAMES,

        /**
         * BPF_PROG_RUN's plain mode on the tc program {@code sluice_gen_tc}: each run stamps the skb and sends a
         * clone out of the egress ({@code bpf_clone_redirect}), for kernels that refuse live-frame mode.
         */
        TC_CLONE;

        private static volatile Engine detected;

        /**
         * Found once: {@link #LIVE_FRAMES} if the kernel runs an XDP program (one that drops its frame, so nothing
         * is sent) in live-frame mode, {@link #TC_CLONE} if it answers EPERM. Any other answer is taken for
         * {@link #LIVE_FRAMES}, without remembering it, and the first send reports it.
         *
         * @return the engine this kernel allows.
         */
        public static Engine detect()
        {
            Engine engine = detected;
            if (null == engine)
            {
                final int result = probeLiveFrames();
                engine = Errno.EPERM == -result ? TC_CLONE : LIVE_FRAMES;
                if (0 == result || Errno.EPERM == -result)
                {
                    detected = engine;
                }
                if (TC_CLONE == engine)
                {
                    System.getLogger(TrafficGenerator.class.getName()).log(System.Logger.Level.INFO,
                        "this kernel refuses BPF_PROG_RUN's live-frame mode (EPERM): the generator sends clones " +
                        "of an skb with bpf_clone_redirect (sluice_gen_tc)");
                }
            }

            return engine;
        }

        private static int probeLiveFrames()
        {
            try (Arena call = Arena.ofConfined())
            {
                final int fd = ProbeProgram.loadXdp(call,
                    ProbeProgram.insn(ProbeProgram.MOV_IMM, 0, LinuxBpf.XDP_DROP),
                    ProbeProgram.insn(ProbeProgram.EXIT, 0, 0));
                if (fd < 0)
                {
                    return fd;
                }
                try
                {
                    final MemorySegment frame = call.allocate(64, 8);
                    frame.set(JAVA_SHORT, 12, (short)0x0008); // IPv4, as stored
                    final MemorySegment opts = call.allocate(BpfTestRunOpts.LAYOUT);
                    opts.set(JAVA_LONG, BpfTestRunOpts.SZ, BpfTestRunOpts.LAYOUT.byteSize());
                    opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_IN, frame);
                    opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_IN, 64);
                    opts.set(JAVA_INT, BpfTestRunOpts.FLAGS, LinuxBpf.BPF_F_TEST_XDP_LIVE_FRAMES);
                    opts.set(JAVA_INT, BpfTestRunOpts.REPEAT, 1);

                    return Math.min(0, LibBpf.bpf_prog_test_run_opts(fd, opts));
                }
                finally
                {
                    ProbeProgram.close(call, fd);
                }
            }
        }
    }

    /**
     * The tc program's name in the kernel.
     */
    public static final String TC_PROGRAM_NAME = "sluice_gen_tc";

    /**
     * The program's name in the kernel.
     */
    public static final String PROGRAM_NAME = "sluice_gen";

    /**
     * Longest frame live-frame mode takes: a 4 KiB page less the 256-byte XDP headroom, the kernel's 112-byte
     * {@code struct xdp_page_head} and the 320-byte {@code skb_shared_info} (x86-64, kernel 6.x, 17 fragments).
     * Longer frames make BPF_PROG_RUN fail with EINVAL ("disallow live data mode for jumbo frames").
     */
    public static final int LIVE_FRAME_MAX_BYTES = 3408;

    /**
     * Frames the kernel runs between two transmit flushes; its own default (NAPI_POLL_WEIGHT), the batch a driver
     * receives in one NAPI poll.
     */
    public static final int BATCH_SIZE_DEFAULT = 64;
    public static final String BATCH_SIZE_PROP_NAME = "sluice.gen.batch.size";

    /**
     * Most frames per batch the kernel accepts (TEST_XDP_MAX_BATCH); more fail with E2BIG.
     */
    public static final int BATCH_SIZE_MAX = 256;

    /**
     * Most frames per BPF_PROG_RUN call: about 0.9 s at 4.8 Mpps. A call that repeats more than once costs a fixed
     * ~26 ms on a 2-core machine (the kernel adds the program to the XDP dispatcher and takes it out again, each
     * waiting for an RCU grace period), which this spreads to about 3%; timed runs size their calls to the time
     * left, so they do not overrun by a whole chunk.
     */
    public static final int CHUNK_FRAMES_DEFAULT = 1 << 22;
    public static final String CHUNK_FRAMES_PROP_NAME = "sluice.gen.chunk.frames";

    /**
     * Highest rate {@code send} and {@code run} pace to; far beyond one core, and it keeps the pacing arithmetic
     * within a long.
     */
    public static final long RATE_MAX_PPS = 1_000_000_000L;

    /**
     * First call of a timed run at full speed, before the rate has been seen: about 14 ms at 4.8 Mpps.
     */
    static final int TIMED_PROBE_FRAMES = 65_536;

    /**
     * Waits shorter than this spin; longer ones park first, since a park may oversleep by about as much.
     */
    static final long SPIN_THRESHOLD_NS = 60_000L;

    private static final String OBJECT_RESOURCE = "/io/sluice/bpf/sluice_gen.o";
    private static final String NETNS_LINK = "/proc/thread-self/ns/net";
    private static final ValueLayout.OfShort NETWORK_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long NS_PER_S = 1_000_000_000L;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment object;
    private final MemorySegment templateSegment;
    private final TemplateFrame template;
    private final String egress;
    private final int egressIfindex;
    private final String egressNetns;
    private final int cpu;
    private final int batchSize;
    private final int chunkFrames;
    private final int numCpus;
    private final int progFd;
    private final Engine engine = Engine.detect();
    private final int sendProgFd;
    private final int seqFd;
    private final int statsFd;
    private final AtomicLong stampedOnce = new AtomicLong();
    private boolean closed;

    TrafficGenerator(final TrafficGeneratorBuilder builder, final TemplateFrame template)
    {
        this.template = template;
        this.egress = builder.egress;
        this.cpu = builder.cpu;
        this.batchSize = builder.batchSize;
        this.chunkFrames = builder.chunkFrames;
        this.egressIfindex = LibC.ifIndex(builder.egress);
        this.egressNetns = currentNetns();

        NativeLog.install();
        try
        {
            object = BpfObject.open(arena, OBJECT_RESOURCE);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        try
        {
            final int result = LibBpf.bpf_object__load(object);
            if (result < 0)
            {
                final int errno = -result;
                throw new NativeException("loading the generator's programs " + PROGRAM_NAME + " and " +
                    TC_PROGRAM_NAME, errno,
                    Errno.EPERM == errno ? Capabilities.xdpHint() : "the verifier's log is above, at WARNING level");
            }
            try (Arena call = Arena.ofConfined())
            {
                progFd = NativeException.check(LibBpf.bpf_program__fd(
                    LibBpf.bpf_object__find_program_by_name(object, call.allocateFrom(PROGRAM_NAME))),
                    "bpf_program__fd(" + PROGRAM_NAME + ")");
                // live frames run the XDP program itself; clones the tc program
                sendProgFd = Engine.LIVE_FRAMES == engine ? progFd : NativeException.check(LibBpf.bpf_program__fd(
                    LibBpf.bpf_object__find_program_by_name(object, call.allocateFrom(TC_PROGRAM_NAME))),
                    "bpf_program__fd(" + TC_PROGRAM_NAME + ")");
            }
            seqFd = mapFd("sluice_gen_seq");
            statsFd = mapFd("sluice_gen_stats");
            numCpus = LibBpf.libbpf_num_possible_cpus();
            writeConfig(mapFd("sluice_gen_cfg"), builder);
            resetSequence(builder.sequenceStart);

            templateSegment = arena.allocate(template.frame.length, 8);
            MemorySegment.copy(template.frame, 0, templateSegment, JAVA_BYTE, 0, template.frame.length);
        }
        catch (final RuntimeException ex)
        {
            LibBpf.bpf_object__close(object);
            arena.close();
            throw ex;
        }
    }

    /**
     * @return a builder; {@link TrafficGeneratorBuilder#egress(String)} and
     * {@link TrafficGeneratorBuilder#template(byte[])} are required.
     */
    public static TrafficGeneratorBuilder builder()
    {
        return new TrafficGeneratorBuilder();
    }

    /**
     * Send exactly {@code count} frames as fast as the kernel runs them.
     *
     * @param count frames, &gt;= 0.
     * @return frames the program redirected during the call (all of them, unless another thread sends through
     * this generator at the same time and is counted too).
     */
    public long send(final long count)
    {
        return send(count, 0);
    }

    /**
     * Send exactly {@code count} frames, paced to a rate on {@link System#nanoTime()}: each call sends the frames
     * due by its end, then the thread waits (parks, then spins) for the next. Up to about 100 kpps here that is
     * one frame per call, evenly spaced; above, calls repeat the program and pay the kernel's ~26 ms dispatcher
     * update each, so frames leave in bursts of about {@code rate x 26 ms} at full speed, and the rate holds
     * from one burst to the next.
     *
     * @param count   frames, &gt;= 0.
     * @param ratePps frames per second, 0 for as fast as possible.
     * @return frames the program redirected during the call.
     */
    public long send(final long count, final long ratePps)
    {
        if (count < 0)
        {
            throw new IllegalArgumentException("count must be >= 0: " + count);
        }

        return pump(count, ratePps, false, 0);
    }

    /**
     * Send for a time, paced to a rate. Calls are sized to the time left from the rate seen so far, so the last one
     * ends close to the deadline; as fast as possible, within a few percent of the duration plus one ~26 ms call.
     *
     * @param duration how long.
     * @param ratePps  frames per second, 0 for as fast as possible.
     * @return frames the program redirected during the call.
     */
    public long run(final Duration duration, final long ratePps)
    {
        if (duration.isNegative())
        {
            throw new IllegalArgumentException("duration must not be negative: " + duration);
        }

        return pump(Long.MAX_VALUE, ratePps, true, System.nanoTime() + duration.toNanos());
    }

    /**
     * Run the program once on the template in BPF_PROG_RUN's plain mode, where nothing is sent, and return the
     * frame it would have sent. It takes a sequence number; it is not counted in {@link #sent()}.
     *
     * @return the stamped frame.
     */
    public byte[] stampOnce()
    {
        ensureOpen();
        final int length = template.frame.length;
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment out = call.allocate(length);
            final MemorySegment opts = call.allocate(BpfTestRunOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfTestRunOpts.SZ, BpfTestRunOpts.LAYOUT.byteSize());
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_IN, templateSegment);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_IN, length);
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_OUT, out);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_OUT, length);
            opts.set(JAVA_INT, BpfTestRunOpts.REPEAT, 1);
            NativeException.check(LibBpf.bpf_prog_test_run_opts(progFd, opts),
                "BPF_PROG_TEST_RUN of " + PROGRAM_NAME + " on its " + length + "-byte template");
            if (LinuxBpf.XDP_REDIRECT == opts.get(JAVA_INT, BpfTestRunOpts.RETVAL))
            {
                stampedOnce.incrementAndGet();
            }

            return out.toArray(JAVA_BYTE);
        }
    }

    /**
     * @return frames the program stamped and redirected to the egress, over the generator's life.
     */
    public long sent()
    {
        return counter(GeneratorCounter.REDIRECTED) - stampedOnce.get();
    }

    /**
     * @return runs the program dropped instead of sending, over the generator's life (0 for a valid template).
     */
    public long failures()
    {
        long failures = 0;
        for (final GeneratorCounter counter : GeneratorCounter.values())
        {
            failures += counter.isFailure() ? counter(counter) : 0;
        }

        return failures;
    }

    /**
     * One of the program's counters, summed over CPUs.
     *
     * @param counter which.
     * @return runs counted there, {@link #stampOnce()} runs included.
     */
    public long counter(final GeneratorCounter counter)
    {
        ensureOpen();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment values = call.allocate((long)Long.BYTES * numCpus, Long.BYTES);
            NativeException.check(LibBpf.bpf_map_lookup_elem(statsFd, call.allocateFrom(JAVA_INT, counter.id()),
                values), "reading generator counter " + counter.name());
            long sum = 0;
            for (int i = 0; i < numCpus; i++)
            {
                sum += values.getAtIndex(JAVA_LONG, i);
            }

            return sum;
        }
    }

    /**
     * @return the sequence number the next frame will carry.
     */
    public long nextSequence()
    {
        ensureOpen();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment value = call.allocate(JAVA_LONG);
            NativeException.check(LibBpf.bpf_map_lookup_elem(seqFd, call.allocateFrom(JAVA_INT, 0), value),
                "reading the generator's sequence counter");

            return value.get(JAVA_LONG, 0);
        }
    }

    /**
     * Set the sequence number the next frame carries. Not atomic with a send running on another thread.
     *
     * @param start any value; the counter wraps at 2^64.
     */
    public void resetSequence(final long start)
    {
        ensureOpen();
        try (Arena call = Arena.ofConfined())
        {
            NativeException.check(LibBpf.bpf_map_update_elem(seqFd, call.allocateFrom(JAVA_INT, 0),
                call.allocateFrom(JAVA_LONG, start), LinuxBpf.BPF_ANY), "setting the generator's sequence counter");
        }
    }

    /**
     * @return how this generator sends.
     */
    public Engine engine()
    {
        return engine;
    }

    /**
     * @return the egress interface's name.
     */
    public String egress()
    {
        return egress;
    }

    /**
     * @return the egress interface's index, in the namespace it was resolved in.
     */
    public int egressIfindex()
    {
        return egressIfindex;
    }

    /**
     * @return bytes of each frame sent.
     */
    public int frameBytes()
    {
        return template.frame.length;
    }

    /**
     * @return the template as sent before stamping: fields zeroed, base port, checksums for those bytes.
     */
    public byte[] preparedTemplate()
    {
        return template.frame.clone();
    }

    /**
     * @return frame offset of the sequence number.
     */
    public int sequenceFrameOffset()
    {
        return template.seqOffset;
    }

    /**
     * @return frame offset of the timestamp.
     */
    public int timestampFrameOffset()
    {
        return template.tsOffset;
    }

    /**
     * Unload the program and free its maps. Call it after every send has returned. Idempotent.
     */
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            LibBpf.bpf_object__close(object);
            arena.close();
        }
    }

    private long pump(final long count, final long ratePps, final boolean timed, final long deadlineNs)
    {
        if (ratePps < 0 || ratePps > RATE_MAX_PPS)
        {
            throw new IllegalArgumentException("ratePps must be in [0, " + RATE_MAX_PPS + "]: " + ratePps);
        }
        ensureOpen();
        ensureNamespace();

        final long sentBefore = sent();
        final int[] previousCpus = cpu >= 0 ? CpuAffinity.pinCurrentThread(cpu) : null;
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = call.allocate(BpfTestRunOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfTestRunOpts.SZ, BpfTestRunOpts.LAYOUT.byteSize());
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_IN, templateSegment);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_IN, template.frame.length);
            if (Engine.LIVE_FRAMES == engine)
            {
                opts.set(JAVA_INT, BpfTestRunOpts.FLAGS, LinuxBpf.BPF_F_TEST_XDP_LIVE_FRAMES);
                opts.set(JAVA_INT, BpfTestRunOpts.BATCH_SIZE, batchSize);
            }
            sendFrames(opts, count, ratePps, timed, deadlineNs);
        }
        finally
        {
            if (null != previousCpus)
            {
                CpuAffinity.pinCurrentThread(previousCpus);
            }
        }

        return sent() - sentBefore;
    }

    /**
     * Send in calls of what is due. Paced, a call sends the frames due by the time it ends, taking it to last as
     * long as the one before: at low rates that is one frame per call, which skips the kernel's dispatcher update
     * and costs about 10 us, so frames leave evenly; at rates one-frame calls cannot reach, calls grow until each
     * carries the frames due over its own duration, so the rate holds, in bursts of about rate x 26 ms.
     */
    private void sendFrames(
        final MemorySegment opts, final long count, final long ratePps, final boolean timed, final long deadlineNs)
    {
        final long runsBefore = runs();
        final long startNs = System.nanoTime();
        long done = 0;
        long lastCallNs = 0;
        while (done < count)
        {
            final long nowNs = System.nanoTime();
            if (timed && nowNs - deadlineNs >= 0)
            {
                break;
            }

            long frames = Math.min(count - done, chunkFrames);
            if (0 != ratePps)
            {
                frames = Math.min(frames, framesFor(nowNs - startNs + lastCallNs, ratePps) - done);
                if (frames <= 0)
                {
                    final long nextDueNs = startNs + nanosFor(done + 1, ratePps) - lastCallNs;
                    awaitNs(timed && deadlineNs - nextDueNs < 0 ? deadlineNs : nextDueNs);
                    continue;
                }
            }
            else if (timed)
            {
                // the rate seen so far, over the time left
                final long elapsedNs = Math.max(1, nowNs - startNs);
                frames = Math.min(frames, 0 == done ?
                    TIMED_PROBE_FRAMES : 1 + (long)((double)done * (deadlineNs - nowNs) / elapsedNs));
            }

            runChunk(opts, (int)frames, runsBefore + done);
            lastCallNs = System.nanoTime() - nowNs;
            done += frames;
        }
    }

    /**
     * One BPF_PROG_RUN call. A signal makes the kernel stop early with EINTR; the frames that ran then are read
     * back from the program's counters (exact unless another thread sends through this generator meanwhile) and
     * the rest is run again.
     */
    private int runChunk(final MemorySegment opts, final int frames, final long runsBefore)
    {
        int remaining = frames;
        long expectedRuns = runsBefore;
        while (remaining > 0)
        {
            opts.set(JAVA_INT, BpfTestRunOpts.REPEAT, remaining);
            final int result = LibBpf.bpf_prog_test_run_opts(sendProgFd, opts);
            if (result >= 0)
            {
                return frames;
            }
            if (Errno.EINTR != -result)
            {
                throw new NativeException(Engine.LIVE_FRAMES == engine ?
                    "BPF_PROG_RUN of " + PROGRAM_NAME + " in live-frame mode (" + remaining + " frames of " +
                    template.frame.length + " bytes, batch " + batchSize + ", out of " + egress + ")" :
                    "BPF_PROG_RUN of " + TC_PROGRAM_NAME + " (" + remaining + " frames of " + template.frame.length +
                    " bytes, cloned out of " + egress + ")", -result, runHint(-result));
            }
            final long ran = runs() - expectedRuns;
            expectedRuns += ran;
            remaining -= (int)Math.min(remaining, Math.max(0, ran));
        }

        return frames;
    }

    private String runHint(final int errno)
    {
        return switch (errno)
        {
            case Errno.EPERM, Errno.EACCES -> Capabilities.xdpHint();
            case Errno.EINVAL -> "live-frame mode needs a frame of " + TemplateFrame.ETH_HLEN + " to " +
                LIVE_FRAME_MAX_BYTES + " bytes, a repeat count, no data_out or ctx_out, and an XDP program that " +
                "is not a devmap or cpumap program";
            case Errno.E2BIG -> "batches hold at most " + BATCH_SIZE_MAX + " frames";
            default -> null;
        };
    }

    private long runs()
    {
        long runs = 0;
        for (final GeneratorCounter counter : GeneratorCounter.values())
        {
            runs += counter(counter);
        }

        return runs;
    }

    static long nanosFor(final long frames, final long ratePps)
    {
        // split so that neither product overflows for rates up to RATE_MAX_PPS
        return (frames / ratePps) * NS_PER_S + (frames % ratePps) * NS_PER_S / ratePps;
    }

    static long framesFor(final long durationNs, final long ratePps)
    {
        return (durationNs / NS_PER_S) * ratePps + (durationNs % NS_PER_S) * ratePps / NS_PER_S;
    }

    private static void awaitNs(final long untilNs)
    {
        long remainingNs;
        while ((remainingNs = untilNs - System.nanoTime()) > 0)
        {
            if (remainingNs > SPIN_THRESHOLD_NS)
            {
                LockSupport.parkNanos(remainingNs - SPIN_THRESHOLD_NS);
            }
            else
            {
                Thread.onSpinWait();
            }
        }
    }

    private void writeConfig(final int configFd, final TrafficGeneratorBuilder builder)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment config = call.allocate(GeneratorDescriptor.CONFIG_LAYOUT);
            config.set(JAVA_INT, GeneratorDescriptor.CONFIG_EGRESS_IFINDEX, egressIfindex);
            config.set(JAVA_INT, GeneratorDescriptor.CONFIG_FLAGS,
                (template.ipv6 ? GeneratorDescriptor.FLAG_IPV6 : 0) |
                (template.udpChecksum ? GeneratorDescriptor.FLAG_UDP_CSUM : 0));
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_L3_OFFSET, (short)template.l3Offset);
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_L4_OFFSET, (short)template.l4Offset);
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_SEQ_OFFSET, (short)template.seqOffset);
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_TS_OFFSET, (short)template.tsOffset);
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_SRC_PORT_BASE, (short)builder.srcPortBase);
            config.set(JAVA_SHORT, GeneratorDescriptor.CONFIG_SRC_PORT_COUNT, (short)builder.srcPortCount);
            // checksums go in as they lie in the frame; the program sums memory words and never converts them
            config.set(NETWORK_SHORT, GeneratorDescriptor.CONFIG_IP_CHECK, (short)template.ipCheck);
            config.set(NETWORK_SHORT, GeneratorDescriptor.CONFIG_UDP_CHECK, (short)template.udpCheck);
            config.set(JAVA_INT, GeneratorDescriptor.CONFIG_SRC_ADDR_LOW, template.srcAddrLow);
            config.set(JAVA_INT, GeneratorDescriptor.CONFIG_SRC_ADDR_COUNT, builder.srcAddrCount);
            NativeException.check(LibBpf.bpf_map_update_elem(configFd, call.allocateFrom(JAVA_INT, 0), config,
                LinuxBpf.BPF_ANY), "writing the generator's configuration");
        }
    }

    private int mapFd(final String name)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment map = LibBpf.bpf_object__find_map_by_name(object, call.allocateFrom(name));
            if (MemorySegment.NULL.equals(map))
            {
                throw new IllegalStateException("map " + name + " missing from " + OBJECT_RESOURCE);
            }

            return NativeException.check(LibBpf.bpf_map__fd(map), "bpf_map__fd(" + name + ")");
        }
    }

    private void ensureNamespace()
    {
        final String netns = currentNetns();
        if (!egressNetns.equals(netns))
        {
            throw new IllegalStateException("sending from a thread in network namespace " + netns + ", but " +
                egress + " (ifindex " + egressIfindex + ") was resolved in " + egressNetns + ": the kernel " +
                "redirects by ifindex in the sending thread's namespace, so send from a thread in " + egress +
                "'s namespace");
        }
    }

    private synchronized void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(PROGRAM_NAME + " on " + egress + " is closed");
        }
    }

    private static String currentNetns()
    {
        try
        {
            return Files.readSymbolicLink(Path.of(NETNS_LINK)).toString();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("reading " + NETNS_LINK, ex);
        }
    }
}
