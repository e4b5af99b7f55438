package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.BpfObject;
import io.sluice.xsk.ffi.Capabilities;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LibBpf.BpfLinkCreateOpts;
import io.sluice.xsk.ffi.LibBpf.BpfTestRunOpts;
import io.sluice.xsk.ffi.LibBpf.BpfXdpAttachOpts;
import io.sluice.xsk.ffi.LibBpf.BpfXdpQueryOpts;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LibXdp;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.LinuxBpf.BpfProgInfo;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.ffi.NativeLog;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The XDP steering program: loaded from the jar, attached to one interface, and controlled through its maps.
 * <p>
 * Attaching first offers the program to libxdp's multi-program dispatcher, so it can share the interface with
 * other XDP programs. Where the dispatcher cannot load (on kernels that refuse its {@code freplace} extension
 * programs libxdp falls back to a plain netlink attach), Sluice says so once and attaches the program alone
 * through a BPF link instead, so that the kernel detaches it if the process dies. A {@code sluice_xdp} left on
 * the interface by a killed process is found and replaced; any other program is left alone and reported.
 * Closing detaches; so does SIGINT or SIGTERM, through a shutdown hook.
 */
public final class SteeringProgram implements AutoCloseable
{
    /**
     * The program's name in the kernel, by which an earlier instance is recognised.
     */
    public static final String PROGRAM_NAME = "sluice_xdp";
    /**
     * The name of libxdp's multi-program dispatcher in the kernel.
     */
    public static final String DISPATCHER_NAME = "xdp_dispatcher";
    private static final String OBJECT_RESOURCE = "/io/sluice/bpf/sluice_xdp.o";
    private static final System.Logger LOGGER = System.getLogger(SteeringProgram.class.getName());
    private static final AtomicBoolean DISPATCHER_FALLBACK_REPORTED = new AtomicBoolean();
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
    private MemorySegment object;
    private final int numCpus;
    private final int xskMapEntries;
    private final int blocklistCapacity;
    private MemorySegment libxdpProgram = MemorySegment.NULL;
    private SteeringTables tables;
    private int progFd = -1;
    private int linkFd = -1;
    private int ifindex;
    private String ifname;
    private XdpMode mode;
    private Attachment attachment = Attachment.NONE;
    private Thread shutdownHook;
    private boolean closed;

    private SteeringProgram(final int xskMapEntries, final int blocklistCapacity)
    {
        this.xskMapEntries = xskMapEntries;
        this.blocklistCapacity = blocklistCapacity;
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
        if (Attachment.NONE != attachment)
        {
            throw new IllegalStateException(PROGRAM_NAME + " is already attached to " + ifname);
        }

        final int index = LibC.ifIndex(interfaceName);
        replaceLeftovers(interfaceName, index);

        if (progFd < 0 && dispatcherDetachable() && tryDispatcher(interfaceName, index, xdpMode))
        {
            attachment = Attachment.DISPATCHER;
        }
        else
        {
            if (progFd < 0)
            {
                load();
            }
            linkFd = createLink(interfaceName, index, xdpMode);
            attachment = Attachment.LINK;
        }

        ifindex = index;
        ifname = interfaceName;
        mode = xdpMode;
        shutdownHook = new Thread(() ->
        {
            close();
            // logging may already be shut down by its own hook, which runs concurrently: say it directly
            System.err.println(PROGRAM_NAME + " detached from " + interfaceName + " on shutdown");
        },
            "sluice-xdp-detach-" + interfaceName);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        LOGGER.log(System.Logger.Level.INFO, "{0} attached to {1} ({2} mode, {3})",
            PROGRAM_NAME, interfaceName, xdpMode.name().toLowerCase(), attachment.name().toLowerCase());

        return this;
    }

    /**
     * @return how the program is attached now.
     */
    public synchronized Attachment attachment()
    {
        return attachment;
    }

    /**
     * @return the rule classifier and source blocklist.
     */
    public synchronized SteeringTables tables()
    {
        ensureLoaded();
        return tables;
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
        return tables.readStat(tables.countersFd(), counter.id());
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
            NativeException.check(LibBpf.bpf_map_update_elem(tables.xsksFd(), call.allocateFrom(JAVA_INT, queue),
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
            final int result = LibBpf.bpf_map_delete_elem(tables.xsksFd(), call.allocateFrom(JAVA_INT, queue));
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
        if (Attachment.NONE == attachment)
        {
            return Presence.DETACHED;
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            if (ifindex != LibC.if_nametoindex(state, call.allocateFrom(ifname)))
            {
                return Presence.INTERFACE_GONE;
            }
            final MemorySegment opts = call.allocate(BpfXdpQueryOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfXdpQueryOpts.SZ, BpfXdpQueryOpts.LAYOUT.byteSize());
            if (LibBpf.bpf_xdp_query(ifindex, 0, opts) < 0)
            {
                return Presence.INTERFACE_GONE;
            }
            final int attached = opts.get(JAVA_INT, XdpMode.NATIVE == mode ?
                BpfXdpQueryOpts.DRV_PROG_ID : BpfXdpQueryOpts.SKB_PROG_ID);
            if (Attachment.DISPATCHER == attachment)
            {
                // the dispatcher's id is libxdp's to know; a program there is taken to be it
                return 0 == attached ? Presence.REPLACED : Presence.ATTACHED;
            }

            return attached == programId(call) ? Presence.ATTACHED : Presence.REPLACED;
        }
    }

    private int programId(final Arena call)
    {
        final MemorySegment info = call.allocate(BpfProgInfo.LAYOUT);
        final MemorySegment length = call.allocateFrom(JAVA_INT, (int)BpfProgInfo.LAYOUT.byteSize());
        NativeException.check(LibBpf.bpf_obj_get_info_by_fd(progFd, info, length), "bpf_obj_get_info_by_fd");

        return info.get(JAVA_INT, BpfProgInfo.ID);
    }

    /**
     * The program attached to an interface, in the calling thread's network namespace.
     *
     * @param interfaceName interface.
     * @return the program's name, or null if none is attached.
     */
    public static String attachedProgramName(final String interfaceName)
    {
        final int index = LibC.ifIndex(interfaceName);
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = queryXdp(call, interfaceName, index);
            final int progId = opts.get(JAVA_INT, BpfXdpQueryOpts.PROG_ID);
            if (0 == progId)
            {
                return 0 == opts.get(JAVA_BYTE, BpfXdpQueryOpts.ATTACH_MODE) ? null : "(several)";
            }
            final int fd = LibBpf.bpf_prog_get_fd_by_id(progId);
            if (fd < 0)
            {
                return null;
            }
            try
            {
                return programName(call, fd);
            }
            finally
            {
                LibC.closeQuietly(fd);
            }
        }
    }

    /**
     * Detach from the interface, keeping the program and its maps, so that its counters can be read once no packet
     * changes them any more. Idempotent; {@link #close()} detaches too.
     */
    public synchronized void detach()
    {
        final Attachment was = attachment;
        attachment = Attachment.NONE;
        if (Attachment.LINK == was)
        {
            // closing the only reference to the link detaches the program
            LibC.closeQuietly(linkFd);
            linkFd = -1;
        }
        else if (Attachment.DISPATCHER == was)
        {
            final int result = LibXdp.xdp_program__detach(libxdpProgram, ifindex, mode.libxdpMode(), 0);
            if (result < 0)
            {
                LOGGER.log(System.Logger.Level.WARNING, "detaching {0} from {1}: {2}",
                    PROGRAM_NAME, ifname, Errno.describe(-result));
            }
        }
        if (Attachment.NONE != was)
        {
            LOGGER.log(System.Logger.Level.INFO, "{0} detached from {1}", PROGRAM_NAME, ifname);
        }
    }

    private boolean tryDispatcher(final String interfaceName, final int index, final XdpMode xdpMode)
    {
        final List<String> messages = new ArrayList<>();
        final int[] result = new int[1];
        final boolean[] legacy = new boolean[1];
        NativeLog.capture(messages, () ->
        {
            try (Arena call = Arena.ofConfined())
            {
                libxdpProgram = LibXdp.xdp_program__from_bpf_obj(object, call.allocateFrom("xdp"));
                final long error = LibXdp.libxdp_get_error(libxdpProgram);
                if (0 != error)
                {
                    libxdpProgram = MemorySegment.NULL;
                    result[0] = (int)error;
                    return;
                }
                result[0] = LibXdp.xdp_program__attach(libxdpProgram, index, xdpMode.libxdpMode(), 0);
                if (0 == result[0])
                {
                    final MemorySegment multiprog = LibXdp.xdp_multiprog__get_from_ifindex(index);
                    legacy[0] = 0 == LibXdp.libxdp_get_error(multiprog) &&
                        LibXdp.xdp_multiprog__is_legacy(multiprog);
                    LibXdp.xdp_multiprog__close(multiprog);
                }
            }
        });

        if (progFd < 0 && LibBpf.bpf_program__fd(findProgram()) >= 0)
        {
            onLoaded();
        }
        if (0 == result[0] && !legacy[0])
        {
            return true;
        }

        if (0 == result[0])
        {
            // libxdp fell back to a netlink attach, which outlives the process; move it to a BPF link
            detachNetlink(interfaceName, index, xdpMode.linkFlags(), progFd);
        }
        if (progFd < 0)
        {
            // libxdp may have tried to load the object and failed (without CAP_SYS_ADMIN, say); libbpf loads an
            // object once, so load a fresh one, whose failure, if any, then reports the verifier's own words
            reopen();
        }
        if (DISPATCHER_FALLBACK_REPORTED.compareAndSet(false, true))
        {
            LOGGER.log(System.Logger.Level.WARNING,
                "libxdp''s multi-program dispatcher is unavailable on this kernel ({0}); attaching {1} alone " +
                "through a BPF link, so no other XDP program can share {2}",
                dispatcherFailure(messages, result[0]), PROGRAM_NAME, interfaceName);
        }
        for (final String message : messages)
        {
            LOGGER.log(System.Logger.Level.DEBUG, "libxdp: {0}", message);
        }

        return false;
    }

    /**
     * libxdp finds its dispatcher again, to detach from it, by program id ({@code bpf_prog_get_fd_by_id}), which the
     * kernel allows only with CAP_SYS_ADMIN; and the dispatcher is attached through netlink, so it outlives the
     * process. Without CAP_SYS_ADMIN Sluice would leave it attached: it attaches alone through a BPF link instead.
     */
    private static boolean dispatcherDetachable()
    {
        if (Capabilities.effective(Capabilities.CAP_SYS_ADMIN))
        {
            return true;
        }
        if (DISPATCHER_FALLBACK_REPORTED.compareAndSet(false, true))
        {
            LOGGER.log(System.Logger.Level.INFO, "without CAP_SYS_ADMIN libxdp could not detach its multi-program " +
                "dispatcher again; attaching {0} alone through a BPF link", PROGRAM_NAME);
        }

        return false;
    }

    private static String dispatcherFailure(final List<String> messages, final int result)
    {
        // libxdp's last word on the dispatcher is its verdict; earlier lines are libbpf's details
        for (int i = messages.size() - 1; i >= 0; i--)
        {
            final String message = messages.get(i);
            if (message.contains("dispatcher") && message.contains("failed"))
            {
                return message;
            }
        }
        for (final String message : messages)
        {
            // without a bpffs libxdp does not even try: name what is missing and how to get it
            if (message.contains("No bpffs"))
            {
                return message + "; mount one with: mount -t bpf bpf /sys/fs/bpf";
            }
        }

        return result < 0 ? Errno.describe(-result) : "libxdp fell back to a single program";
    }

    private int createLink(final String interfaceName, final int index, final XdpMode xdpMode)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = call.allocate(BpfLinkCreateOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfLinkCreateOpts.SZ, BpfLinkCreateOpts.LAYOUT.byteSize());
            opts.set(JAVA_INT, BpfLinkCreateOpts.FLAGS, xdpMode.linkFlags());
            final int fd = LibBpf.bpf_link_create(progFd, index, LinuxBpf.BPF_XDP, opts);
            if (fd < 0)
            {
                final int errno = -fd;
                throw new NativeException("attaching " + PROGRAM_NAME + " to " + interfaceName + " (" +
                    xdpMode.name().toLowerCase() + " mode, BPF link)", errno, attachHint(errno, interfaceName, xdpMode));
            }

            return fd;
        }
    }

    private static String attachHint(final int errno, final String interfaceName, final XdpMode xdpMode)
    {
        return switch (errno)
        {
            case Errno.EPERM, Errno.EACCES -> Capabilities.xdpHint();
            case Errno.EBUSY, Errno.EEXIST ->
                "another XDP program is attached to " + interfaceName + "; see `ip link show dev " + interfaceName + "`";
            case Errno.EOPNOTSUPP, Errno.ENOTSUPP, Errno.EINVAL -> XdpMode.NATIVE == xdpMode ?
                "the driver of " + interfaceName + " may lack native XDP; try generic mode" : null;
            default -> null;
        };
    }

    private static MemorySegment queryXdp(final Arena call, final String interfaceName, final int index)
    {
        final MemorySegment opts = call.allocate(BpfXdpQueryOpts.LAYOUT);
        opts.set(JAVA_LONG, BpfXdpQueryOpts.SZ, BpfXdpQueryOpts.LAYOUT.byteSize());
        NativeException.check(LibBpf.bpf_xdp_query(index, 0, opts), "querying XDP programs on " + interfaceName);

        return opts;
    }

    private void replaceLeftovers(final String interfaceName, final int index)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = queryXdp(call, interfaceName, index);
            final int[] ids = {
                opts.get(JAVA_INT, BpfXdpQueryOpts.DRV_PROG_ID),
                opts.get(JAVA_INT, BpfXdpQueryOpts.SKB_PROG_ID) };
            final int[] flags = { LinuxBpf.XDP_FLAGS_DRV_MODE, LinuxBpf.XDP_FLAGS_SKB_MODE };
            for (int i = 0; i < ids.length; i++)
            {
                if (0 != ids[i])
                {
                    replaceLeftover(call, interfaceName, index, ids[i], flags[i]);
                }
            }
        }
    }

    private static void replaceLeftover(
        final Arena call, final String interfaceName, final int index, final int progId, final int modeFlags)
    {
        final int fd = LibBpf.bpf_prog_get_fd_by_id(progId);
        if (fd < 0)
        {
            return; // gone since the query
        }
        try
        {
            final String name = programName(call, fd);
            if (PROGRAM_NAME.equals(name))
            {
                detachNetlink(interfaceName, index, modeFlags, fd);
                LOGGER.log(System.Logger.Level.WARNING,
                    "replaced a {0} (program id {1}) left attached to {2} by an earlier process",
                    PROGRAM_NAME, progId, interfaceName);
            }
            else if (DISPATCHER_NAME.equals(name))
            {
                removeFromDispatcher(interfaceName, index, progId);
            }
            else
            {
                throw new NativeException("attaching " + PROGRAM_NAME + " to " + interfaceName +
                    ": another XDP program is attached (" + name + ", program id " + progId + "); Sluice does not " +
                    "replace programs it did not load: detach it (ip link set dev " + interfaceName + " xdp off) " +
                    "or load it through libxdp so they can share the interface");
            }
        }
        finally
        {
            LibC.closeQuietly(fd);
        }
    }

    private static void removeFromDispatcher(final String interfaceName, final int index, final int dispatcherId)
    {
        final MemorySegment multiprog = LibXdp.xdp_multiprog__get_from_ifindex(index);
        if (0 != LibXdp.libxdp_get_error(multiprog) || MemorySegment.NULL.equals(multiprog))
        {
            return;
        }
        try
        {
            final int libxdpMode = LibXdp.xdp_multiprog__attach_mode(multiprog);
            MemorySegment prog = LibXdp.xdp_multiprog__next_prog(MemorySegment.NULL, multiprog);
            while (!MemorySegment.NULL.equals(prog))
            {
                final MemorySegment next = LibXdp.xdp_multiprog__next_prog(prog, multiprog);
                final String name = LibXdp.xdp_program__name(prog).getString(0);
                if (PROGRAM_NAME.equals(name))
                {
                    NativeException.check(LibXdp.xdp_program__detach(prog, index, libxdpMode, 0),
                        "removing a stale " + PROGRAM_NAME + " from the dispatcher (program id " + dispatcherId +
                        ") on " + interfaceName);
                    LOGGER.log(System.Logger.Level.WARNING,
                        "replaced a {0} left in libxdp''s dispatcher on {1} by an earlier process",
                        PROGRAM_NAME, interfaceName);
                }
                prog = next;
            }
        }
        finally
        {
            LibXdp.xdp_multiprog__close(multiprog);
        }
    }

    private static void detachNetlink(
        final String interfaceName, final int index, final int modeFlags, final int expectedProgFd)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = call.allocate(BpfXdpAttachOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfXdpAttachOpts.SZ, BpfXdpAttachOpts.LAYOUT.byteSize());
            opts.set(JAVA_INT, BpfXdpAttachOpts.OLD_PROG_FD, expectedProgFd);
            final int result = LibBpf.bpf_xdp_detach(index, modeFlags, opts);
            if (result < 0)
            {
                final int errno = -result;
                throw new NativeException("detaching an earlier " + PROGRAM_NAME + " from " + interfaceName, errno,
                    Errno.EBUSY == errno ?
                    "it is held by a BPF link of a running process: stop the other Sluice on " + interfaceName :
                    null);
            }
        }
    }

    private static String programName(final Arena call, final int progFd)
    {
        final MemorySegment info = call.allocate(BpfProgInfo.LAYOUT);
        final MemorySegment length = call.allocateFrom(JAVA_INT, (int)BpfProgInfo.LAYOUT.byteSize());
        NativeException.check(LibBpf.bpf_obj_get_info_by_fd(progFd, info, length), "bpf_obj_get_info_by_fd");

        return info.asSlice(BpfProgInfo.NAME, LinuxBpf.BPF_OBJ_NAME_LEN).getString(0);
    }

    private void onLoaded()
    {
        progFd = LibBpf.bpf_program__fd(findProgram());
        tables = new SteeringTables(this, numCpus, blocklistCapacity);
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
                throw new IllegalStateException("map " + name + " missing from " + OBJECT_RESOURCE);
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

    private void reopen()
    {
        if (!MemorySegment.NULL.equals(libxdpProgram))
        {
            LibXdp.xdp_program__close(libxdpProgram);
            libxdpProgram = MemorySegment.NULL;
        }
        LibBpf.bpf_object__close(object);
        object = BpfObject.open(arena, OBJECT_RESOURCE);
        setMaxEntries("sluice_xsks", xskMapEntries);
        setMaxEntries("sluice_blocklist", blocklistCapacity);
        setMaxEntries("sluice_block_stats", blocklistCapacity);
    }

    private void closeObject()
    {
        if (!MemorySegment.NULL.equals(libxdpProgram))
        {
            LibXdp.xdp_program__close(libxdpProgram);
            libxdpProgram = MemorySegment.NULL;
        }
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
