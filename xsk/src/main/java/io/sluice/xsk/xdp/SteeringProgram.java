package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.BpfObject;
import io.sluice.xsk.ffi.Capabilities;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LibBpf.BpfTestRunOpts;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.ffi.NativeLog;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The XDP steering program: loaded from the jar, attached to one interface, and controlled through its maps.
 * <p>
 * Attaching first offers the program to libxdp's multi-program dispatcher, so it can share the interface with
 * other XDP programs, and otherwise attaches it alone through a BPF link, which the kernel detaches if the process
 * dies; a {@code sluice_xdp} left on the interface by a killed process is replaced, any other program is left
 * alone and reported ({@code XdpAttacher} does the attaching).
 * Closing detaches; so does SIGINT or SIGTERM, through a shutdown hook.
 */
public final class SteeringProgram implements AutoCloseable
{
    /**
     * The program's name in the kernel, by which an earlier instance is recognised.
     */
    public static final String PROGRAM_NAME = "sluice_xdp";

    /**
     * The program's ELF section: {@code xdp.frags}, so libbpf loads it with {@code BPF_F_XDP_HAS_FRAGS} and
     * multi-buffer packets reach it.
     */
    public static final String SECTION = "xdp.frags";
    /**
     * The name of libxdp's multi-program dispatcher in the kernel.
     */
    public static final String DISPATCHER_NAME = "xdp_dispatcher";
    private static final System.Logger LOGGER = System.getLogger(SteeringProgram.class.getName());
    private static final int ETH_HLEN = 14;

    /**
     * How the program is attached.
     */
    public enum Attachment
    {
        /**
         * Loaded, not attached to any interface (rules and BPF_PROG_TEST_RUN work).
         */
        NONE,
        /**
         * Attached alone through a BPF link, released by the kernel when the process exits.
         */
        LINK,
        /**
         * One program of libxdp's dispatcher.
         */
        DISPATCHER
    }

    private final Arena arena = Arena.ofShared();
    private final StampPlacement stampPlacement = StampPlacement.detect();
    private MemorySegment object;
    private final int numCpus;
    private final int xskMapEntries;
    private final int blocklistCapacity;
    private final XdpAttacher attacher = new XdpAttacher(this);
    private SteeringTables tables;
    private SourceBlocklist blocklist;
    private PerCpuStats stats;
    private int progFd = -1;
    private int countersFd = -1;
    private int xsksFd = -1;
    private Thread shutdownHook;
    private boolean closed;

    private SteeringProgram(final int xskMapEntries, final int blocklistCapacity)
    {
        this.xskMapEntries = xskMapEntries;
        this.blocklistCapacity = blocklistCapacity;
        NativeLog.install();
        try
        {
            object = BpfObject.open(arena, stampPlacement.objectResource());
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        numCpus = LibBpf.libbpf_num_possible_cpus();
        try
        {
            setMaxEntries("sluice_xsks", xskMapEntries);
            setMaxEntries("sluice_blocklist", blocklistCapacity);
            setMaxEntries("sluice_block_stats", blocklistCapacity);
        }
        catch (final RuntimeException ex)
        {
            closeObject();
            throw ex;
        }
    }

    /**
     * Open the program from the jar. It is loaded into the kernel by {@link #attach} or {@link #load}.
     *
     * @param xskMapEntries     receive queues that may carry an AF_XDP socket (XSKMAP size).
     * @param blocklistCapacity most source prefixes the blocklist holds.
     * @return the program, owned by the caller.
     */
    public static SteeringProgram open(final int xskMapEntries, final int blocklistCapacity)
    {
        if (xskMapEntries < 1 || blocklistCapacity < 1)
        {
            throw new IllegalArgumentException("xskMapEntries and blocklistCapacity must be >= 1");
        }

        return new SteeringProgram(xskMapEntries, blocklistCapacity);
    }

    /**
     * Open with the defaults: 64 queues, 16,384 blocklist prefixes.
     *
     * @return the program, owned by the caller.
     */
    public static SteeringProgram open()
    {
        return open(SteeringDescriptor.XSKMAP_MAX_DEFAULT, SteeringDescriptor.BLOCKLIST_MAX_DEFAULT);
    }

    /**
     * Load the program into the kernel without attaching it, e.g. for {@link #testRun(byte[])}.
     *
     * @return this.
     */
    public synchronized SteeringProgram load()
    {
        ensureOpen();
        if (progFd < 0)
        {
            final int result = LibBpf.bpf_object__load(object);
            if (result < 0)
            {
                final int errno = -result;
                throw new NativeException("loading XDP program " + PROGRAM_NAME, errno,
                    Errno.EPERM == errno ? Capabilities.xdpHint() :
                    Errno.EACCES == errno &&
                        Capabilities.missingForXdp(Capabilities.effective()).contains("CAP_PERFMON") ?
                        Capabilities.perfmonHint() :
                    "the verifier's log is above, at WARNING level");
            }
            onLoaded();
        }

        return this;
    }

    /**
     * Attach to an interface in the calling thread's network namespace.
     *
     * @param interfaceName interface, e.g. {@code eth1}.
     * @param xdpMode       native (driver) or generic.
     * @return this.
     * @throws NativeException naming the interface, the cause and a hint.
     */
    public synchronized SteeringProgram attach(final String interfaceName, final XdpMode xdpMode)
    {
        ensureOpen();
        attacher.attach(interfaceName, xdpMode);

        shutdownHook = new Thread(() ->
        {
            close();
            // logging may already be shut down by its own hook, which runs concurrently: say it directly
            System.err.println(PROGRAM_NAME + " detached from " + interfaceName + " on shutdown");
        },
            "sluice-xdp-detach-" + interfaceName);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        LOGGER.log(System.Logger.Level.INFO, "{0} attached to {1} ({2} mode, {3})",
            PROGRAM_NAME, interfaceName, xdpMode.name().toLowerCase(), attacher.attachment().name().toLowerCase());

        return this;
    }

    /**
     * @return how the program is attached now.
     */
    public synchronized Attachment attachment()
    {
        return attacher.attachment();
    }

    /**
     * @return where the frames this program steers carry their stamp, once {@link SteeringTables#stamp(boolean)}
     * asks for one.
     */
    public StampPlacement stampPlacement()
    {
        return stampPlacement;
    }

    /**
     * @return the rule classifier.
     */
    public synchronized SteeringTables tables()
    {
        ensureLoaded();
        return tables;
    }

    /**
     * @return the source blocklist and allowlist, consulted before any rule.
     */
    public synchronized SourceBlocklist blocklist()
    {
        ensureLoaded();
        return blocklist;
    }

    /**
     * Run the program once on a frame with BPF_PROG_TEST_RUN, as if received on queue 0.
     *
     * @param frame the frame, from its Ethernet header.
     * @return the XDP verdict ({@link LinuxBpf#XDP_PASS} etc.).
     * @throws NativeException with EINVAL for frames shorter than an Ethernet header, which the kernel refuses
     *                         to hand to any XDP program.
     */
    public int testRun(final byte[] frame)
    {
        return testRun(frame, 1).verdict();
    }

    /**
     * Run the program on a frame {@code repeat} times in the kernel with BPF_PROG_TEST_RUN; every run is counted.
     *
     * @param frame  the frame, from its Ethernet header.
     * @param repeat how many runs.
     * @return the verdict and the kernel's mean time per run.
     */
    public TestRun testRun(final byte[] frame, final int repeat)
    {
        ensureLoaded();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment data = call.allocate(Math.max(1, frame.length));
            MemorySegment.copy(frame, 0, data, JAVA_BYTE, 0, frame.length);

            final MemorySegment opts = call.allocate(BpfTestRunOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfTestRunOpts.SZ, BpfTestRunOpts.LAYOUT.byteSize());
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_IN, data);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_IN, frame.length);
            opts.set(JAVA_INT, BpfTestRunOpts.REPEAT, repeat);
            final int result = LibBpf.bpf_prog_test_run_opts(progFd, opts);
            if (result < 0)
            {
                throw new NativeException("BPF_PROG_TEST_RUN of " + PROGRAM_NAME + " on a " + frame.length +
                    "-byte frame", -result, frame.length < ETH_HLEN ?
                    "the kernel hands no XDP program a frame shorter than its 14-byte Ethernet header" : null);
            }

            return new TestRun(opts.get(JAVA_INT, BpfTestRunOpts.RETVAL),
                Integer.toUnsignedLong(opts.get(JAVA_INT, BpfTestRunOpts.DURATION)));
        }
    }

    /**
     * Run the program once on a frame with BPF_PROG_TEST_RUN and return the frame as the program left it, from its
     * XDP metadata: a steered frame, if {@link SteeringTables#stamp(boolean) stamped}, begins with the
     * {@code sluice_meta} stamp, then the frame, wherever {@link #stampPlacement()} puts it.
     *
     * @param frame the frame, from its Ethernet header.
     * @return the metadata and the frame the kernel hands back.
     */
    public byte[] testRunOutput(final byte[] frame)
    {
        ensureLoaded();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment data = call.allocate(Math.max(1, frame.length));
            MemorySegment.copy(frame, 0, data, JAVA_BYTE, 0, frame.length);
            final int room = frame.length + 256;
            final MemorySegment out = call.allocate(room);

            final MemorySegment opts = call.allocate(BpfTestRunOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfTestRunOpts.SZ, BpfTestRunOpts.LAYOUT.byteSize());
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_IN, data);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_IN, frame.length);
            opts.set(Ffi.C_POINTER, BpfTestRunOpts.DATA_OUT, out);
            opts.set(JAVA_INT, BpfTestRunOpts.DATA_SIZE_OUT, room);
            opts.set(JAVA_INT, BpfTestRunOpts.REPEAT, 1);
            final int result = LibBpf.bpf_prog_test_run_opts(progFd, opts);
            if (result < 0)
            {
                throw new NativeException("BPF_PROG_TEST_RUN of " + PROGRAM_NAME + " on a " + frame.length +
                    "-byte frame", -result, null);
            }

            return out.asSlice(0, opts.get(JAVA_INT, BpfTestRunOpts.DATA_SIZE_OUT)).toArray(JAVA_BYTE);
        }
    }

    /**
     * The outcome of {@link #testRun(byte[], int)}.
     *
     * @param verdict    the XDP verdict of the last run.
     * @param meanRunNs the kernel's mean nanoseconds per run, loop overhead included.
     */
    public record TestRun(int verdict, long meanRunNs)
    {
    }

    /**
     * Sum a counter over all CPUs.
     *
     * @param counter which.
     * @return packets and bytes.
     */
    public Stat counter(final XdpCounter counter)
    {
        ensureLoaded();
        return stats.read(countersFd, counter.id());
    }

    /**
     * Every counter, summed over all CPUs, indexed by {@link XdpCounter#ordinal()}.
     *
     * @return packets and bytes per counter.
     */
    public Stat[] counters()
    {
        final XdpCounter[] all = XdpCounter.values();
        final Stat[] stats = new Stat[all.length];
        for (final XdpCounter counter : all)
        {
            stats[counter.ordinal()] = counter(counter);
        }

        return stats;
    }

    /**
     * Put an AF_XDP socket in the XSKMAP slot of a receive queue, so steered packets from that queue reach it.
     *
     * @param queue    receive queue index.
     * @param socketFd the AF_XDP socket, bound to that queue.
     */
    public void registerSocket(final int queue, final int socketFd)
    {
        ensureLoaded();
        try (Arena call = Arena.ofConfined())
        {
            NativeException.check(LibBpf.bpf_map_update_elem(xsksFd, call.allocateFrom(JAVA_INT, queue),
                call.allocateFrom(JAVA_INT, socketFd), LinuxBpf.BPF_ANY),
                "XSKMAP update of queue " + queue + " with socket fd " + socketFd);
        }
    }

    /**
     * Take the socket of a receive queue out of the XSKMAP; steered packets from that queue then pass.
     *
     * @param queue receive queue index.
     */
    public void unregisterSocket(final int queue)
    {
        ensureLoaded();
        try (Arena call = Arena.ofConfined())
        {
            final int result = LibBpf.bpf_map_delete_elem(xsksFd, call.allocateFrom(JAVA_INT, queue));
            if (result < 0 && -result != Errno.ENOENT)
            {
                NativeException.check(result, "XSKMAP delete of queue " + queue);
            }
        }
    }

    /**
     * Detach from the interface (if attached) and release the program and its maps. Idempotent.
     */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            detach();
        }
        finally
        {
            if (null != tables)
            {
                tables.close();
            }
            closeObject();
            if (null != shutdownHook && Thread.currentThread() != shutdownHook)
            {
                try
                {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                }
                catch (final IllegalStateException ignore)
                {
                    // the JVM is already shutting down; the hook is running or has run
                }
            }
        }
    }

    /**
     * Where the program stands on the interface it was attached to, as the kernel sees it now.
     */
    public enum Presence
    {
        /**
         * Not attached by this object.
         */
        DETACHED,
        /**
         * Attached, and still the interface's program in its mode.
         */
        ATTACHED,
        /**
         * The interface has another program in this mode now, or none: another tool replaced or removed it.
         */
        REPLACED,
        /**
         * The interface is gone (deleted, or moved out of the namespace), or another one has its name.
         */
        INTERFACE_GONE
    }

    /**
     * Ask the kernel whether the program is still what the interface runs. For a watchdog off the data path; the
     * calling thread must be in the interface's network namespace.
     *
     * @return the presence.
     */
    public synchronized Presence presence()
    {
        return attacher.presence();
    }

    /**
     * The program attached to an interface, in the calling thread's network namespace.
     *
     * @param interfaceName interface.
     * @return the program's name, or null if none is attached.
     */
    public static String attachedProgramName(final String interfaceName)
    {
        return XdpAttacher.attachedProgramName(interfaceName);
    }

    /**
     * Detach from the interface, keeping the program and its maps, so that its counters can be read once no packet
     * changes them any more. Idempotent; {@link #close()} detaches too.
     */
    public synchronized void detach()
    {
        attacher.detach();
    }

    private void onLoaded()
    {
        progFd = LibBpf.bpf_program__fd(findProgram());
        final SteeringConfig config = new SteeringConfig(mapFd("sluice_config"));
        stats = new PerCpuStats(numCpus);
        countersFd = mapFd("sluice_counters");
        xsksFd = mapFd("sluice_xsks");
        tables = new SteeringTables(this, config, stats);
        blocklist = new SourceBlocklist(this, config, stats, blocklistCapacity);
    }

    /**
     * libxdp loads the object itself when it attaches the program to its dispatcher: take up the loaded program.
     */
    void adoptLoadedObject()
    {
        if (progFd < 0 && LibBpf.bpf_program__fd(findProgram()) >= 0)
        {
            onLoaded();
        }
    }

    /**
     * @return the libbpf object, opened and possibly loaded.
     */
    MemorySegment object()
    {
        return object;
    }

    /**
     * @return the loaded program's fd, or -1 before it is loaded.
     */
    int progFd()
    {
        return progFd;
    }

    private MemorySegment findProgram()
    {
        try (Arena call = Arena.ofConfined())
        {
            return LibBpf.bpf_object__find_program_by_name(object, call.allocateFrom(PROGRAM_NAME));
        }
    }

    private MemorySegment findMap(final String name)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment map = LibBpf.bpf_object__find_map_by_name(object, call.allocateFrom(name));
            if (MemorySegment.NULL.equals(map))
            {
                throw new IllegalStateException("map " + name + " missing from " + stampPlacement.objectResource());
            }

            return map;
        }
    }

    int mapFd(final String name)
    {
        return NativeException.check(LibBpf.bpf_map__fd(findMap(name)), "bpf_map__fd(" + name + ")");
    }

    private void setMaxEntries(final String name, final int entries)
    {
        NativeException.check(LibBpf.bpf_map__set_max_entries(findMap(name), entries),
            "bpf_map__set_max_entries(" + name + ", " + entries + ")");
    }

    /**
     * Close the object and open a fresh one from the jar, as libbpf loads an object once; libxdp's handle on the
     * old one, if any, must be closed first.
     */
    void reopen()
    {
        LibBpf.bpf_object__close(object);
        object = BpfObject.open(arena, stampPlacement.objectResource());
        setMaxEntries("sluice_xsks", xskMapEntries);
        setMaxEntries("sluice_blocklist", blocklistCapacity);
        setMaxEntries("sluice_block_stats", blocklistCapacity);
    }

    private void closeObject()
    {
        attacher.closeLibxdpProgram();
        LibBpf.bpf_object__close(object);
        arena.close();
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(PROGRAM_NAME + " is closed");
        }
    }

    private void ensureLoaded()
    {
        ensureOpen();
        if (progFd < 0)
        {
            throw new IllegalStateException(PROGRAM_NAME + " is not loaded: call load() or attach() first");
        }
    }
}
