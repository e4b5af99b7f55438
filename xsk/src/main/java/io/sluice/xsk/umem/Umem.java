package io.sluice.xsk.umem;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.IfXdp;
import io.sluice.xsk.ffi.IfXdp.XdpUmemReg;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A UMEM: anonymous memory from {@code mmap}, populated and locked, optionally on 2 MiB hugepages, split into
 * equal frames. The first socket opened on it registers it with the kernel ({@code setsockopt(XDP_UMEM_REG)}) on its
 * own descriptor, created in its interface's network namespace; later ones share the UMEM with
 * {@code XDP_SHARED_UMEM}.
 * <p>
 * Owns the memory, the registration and the {@link FramePool}. Close it after the sockets using it; closing it
 * closes any still open. The {@link #memory()} segment is invalid once closed, so a stray access throws rather
 * than reading unmapped memory.
 */
public final class Umem implements AutoCloseable
{
    public static final long HUGE_PAGE_SIZE = 2L << 20;
    private static final int MAP_HUGE_2MB = 21 << LibC.MAP_HUGE_SHIFT;
    private static final System.Logger LOGGER = System.getLogger(Umem.class.getName());

    private final UmemConfig config;
    private final Arena arena;
    private final MemorySegment memory;
    private final long mappedBytes;
    private final boolean hugePages;
    private final FrameTracker tracker;
    private final FramePool pool;
    private final List<FrameHolder> holders = new ArrayList<>();
    private final List<AutoCloseable> users = new ArrayList<>();
    private int fd;
    private volatile boolean multiBuffer;
    private boolean primaryClaimed;
    private long retiredFill;
    private long retiredTx;
    private long retiredApplication;
    private boolean closed;

    private Umem(
        final UmemConfig config,
        final Arena arena,
        final MemorySegment memory,
        final long mappedBytes,
        final boolean hugePages)
    {
        this.config = config;
        this.arena = arena;
        this.memory = memory;
        this.mappedBytes = mappedBytes;
        this.hugePages = hugePages;
        this.fd = -1;
        tracker = config.trackFrames() ? new FrameTracker(config.frameCount(), config.frameSizeBytes()) : null;
        pool = new FramePool(config.frameCount(), config.frameSizeBytes(), tracker);
    }

    /**
     * Map, lock and register a UMEM.
     *
     * @param config its layout.
     * @return the UMEM, every frame in the pool.
     * @throws NativeException naming what is missing (hugepages, memlock limit, AF_XDP support) and how to fix it.
     */
    public static Umem create(final UmemConfig config)
    {
        final long sizeBytes = config.sizeBytes();
        boolean huge = false;
        long mappedBytes = sizeBytes;
        MemorySegment address = MemorySegment.NULL;
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final int flags = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_POPULATE;
            final int prot = LibC.PROT_READ | LibC.PROT_WRITE;
            if (HugePagePolicy.OFF != config.hugePages())
            {
                final long hugeBytes = (sizeBytes + HUGE_PAGE_SIZE - 1) & -HUGE_PAGE_SIZE;
                final MemorySegment mapped = LibC.mmap(
                    state, MemorySegment.NULL, hugeBytes, prot, flags | LibC.MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
                if (LibC.MAP_FAILED != mapped.address())
                {
                    address = mapped;
                    mappedBytes = hugeBytes;
                    huge = true;
                }
                else
                {
                    final int errno = Ffi.errno(state);
                    final String why = "no " + (hugeBytes / HUGE_PAGE_SIZE) + " free 2 MiB hugepages for a UMEM of " +
                        sizeBytes + " bytes (mmap MAP_HUGETLB: " + Errno.describe(errno) + "; " + hugePageStatus() +
                        ")";
                    if (HugePagePolicy.REQUIRE == config.hugePages())
                    {
                        throw new NativeException(why + "; reserve them with `sysctl -w vm.nr_hugepages=N` or " +
                            "set hugepages: prefer" + UmemConfig.where(config.profileSource()));
                    }
                    LOGGER.log(System.Logger.Level.WARNING, why + "; using 4 KiB pages");
                }
            }
            if (!huge)
            {
                address = LibC.mmap(state, MemorySegment.NULL, sizeBytes, prot, flags, -1, 0);
                if (LibC.MAP_FAILED == address.address())
                {
                    throw new NativeException("mmap of a " + sizeBytes + "-byte UMEM", Ffi.errno(state), null);
                }
            }

            final Arena arena = Arena.ofShared();
            final long length = mappedBytes;
            final MemorySegment memory = address.reinterpret(length, arena, (segment) -> LibC.unmapQuietly(segment.address(), length));
            if (0 != LibC.mlock(state, memory, length))
            {
                final int errno = Ffi.errno(state);
                arena.close();
                throw new NativeException("mlock of a " + length + "-byte UMEM", errno,
                    "raise RLIMIT_MEMLOCK (`ulimit -l`, LimitMEMLOCK= in a systemd unit) or grant " +
                    "CAP_IPC_LOCK; currently " + memlockLimit());
            }

            return new Umem(config, arena, memory, mappedBytes, huge);
        }
    }

    /**
     * @return the layout it was created with.
     */
    public UmemConfig config()
    {
        return config;
    }

    /**
     * @return the whole UMEM; frame {@code i} starts at {@code i * frameSizeBytes()}.
     */
    public MemorySegment memory()
    {
        return memory;
    }

    public int frameSizeBytes()
    {
        return config.frameSizeBytes();
    }

    public int frameCount()
    {
        return config.frameCount();
    }

    /**
     * @return true if backed by 2 MiB hugepages.
     */
    public boolean hugePages()
    {
        return hugePages;
    }

    /**
     * @return bytes mapped, the UMEM rounded up to whole hugepages when on hugepages.
     */
    public long mappedBytes()
    {
        return mappedBytes;
    }

    /**
     * @return the free frames.
     */
    public FramePool pool()
    {
        return pool;
    }

    /**
     * @return the per-frame ownership check, or null when {@link UmemConfig#trackFrames()} is off.
     */
    public FrameTracker tracker()
    {
        return tracker;
    }

    /**
     * @return the descriptor of the socket the UMEM is registered on, or -1 before the first socket registers it
     * and after that socket closes.
     */
    public synchronized int fd()
    {
        return fd;
    }

    /**
     * Claim the registration for the first socket: it registers the UMEM on its own descriptor, created in the
     * network namespace of its interface; later sockets share the UMEM through that descriptor.
     *
     * @return true the first time, and again after the claimant gave the claim back.
     */
    public synchronized boolean claimPrimary()
    {
        ensureOpen();
        final boolean first = !primaryClaimed;
        primaryClaimed = true;

        return first;
    }

    /**
     * Register the UMEM with the kernel on the claimant's AF_XDP socket: {@code setsockopt(XDP_UMEM_REG)}.
     *
     * @param socketFd an unbound AF_XDP socket; it becomes {@link #fd()}.
     * @throws NativeException naming the layout, with the memlock hint when the kernel refuses to pin the pages.
     */
    public synchronized void register(final int socketFd)
    {
        ensureOpen();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final MemorySegment reg = call.allocate(XdpUmemReg.LAYOUT);
            reg.set(JAVA_LONG, XdpUmemReg.ADDR, memory.address());
            reg.set(JAVA_LONG, XdpUmemReg.LEN, config.sizeBytes());
            reg.set(JAVA_INT, XdpUmemReg.CHUNK_SIZE, config.frameSizeBytes());
            reg.set(JAVA_INT, XdpUmemReg.HEADROOM, config.headroomBytes());
            reg.set(JAVA_INT, XdpUmemReg.FLAGS, 0);
            if (0 != LibC.setsockopt(state, socketFd, IfXdp.SOL_XDP, IfXdp.XDP_UMEM_REG, reg,
                (int)XdpUmemReg.LAYOUT.byteSize()))
            {
                final int errno = Ffi.errno(state);
                throw new NativeException("setsockopt(XDP_UMEM_REG) of " + config.frameCount() + " frames of " +
                    config.frameSizeBytes() + " bytes, headroom " + config.headroomBytes(), errno,
                    Errno.ENOBUFS == errno || Errno.ENOMEM == errno || Errno.EPERM == errno ?
                    "the kernel pins UMEM pages against RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK; " +
                    "currently " + memlockLimit() : null);
            }
        }
        fd = socketFd;
    }

    /**
     * The first socket bound with {@code XDP_USE_SG}: the kernel keeps it as the UMEM's, and every socket that
     * shares the UMEM receives and sends multi-buffer packets.
     *
     * @param on what the first socket bound with.
     */
    public void multiBuffer(final boolean on)
    {
        multiBuffer = on;
    }

    /**
     * @return true if the UMEM's sockets take multi-buffer packets ({@code XDP_USE_SG} on its first socket).
     */
    public boolean multiBuffer()
    {
        return multiBuffer;
    }

    /**
     * Give the claim back after the claimant failed to bind (it closes its descriptor, which drops the
     * registration), so the next socket registers afresh.
     */
    public synchronized void unclaimPrimary()
    {
        primaryClaimed = false;
        fd = -1;
    }

    /**
     * The UMEM's first socket closed its descriptor, and with it the registration: no new socket can join.
     */
    public synchronized void primaryClosed()
    {
        fd = -1;
    }

    /**
     * Count a socket's frames in {@link #ownership()}, and close it if the UMEM closes first.
     *
     * @param holder the socket.
     * @param user   what to close with the UMEM.
     */
    public synchronized void attach(final FrameHolder holder, final AutoCloseable user)
    {
        ensureOpen();
        holders.add(holder);
        users.add(user);
    }

    /**
     * Stop counting a closed socket's frames separately. Frames it had given the kernel are not recovered: they stay
     * counted as fill or tx until the UMEM closes, and what it had handed the application stays counted there.
     *
     * @param holder the socket, closed.
     * @param user   as passed to {@link #attach}.
     */
    public synchronized void detach(final FrameHolder holder, final AutoCloseable user)
    {
        if (holders.remove(holder))
        {
            retiredFill += holder.fillFrames();
            retiredTx += holder.txFrames();
            retiredApplication += holder.applicationFrames();
        }
        users.remove(user);
    }

    /**
     * Where every frame is, from the pool's and sockets' counters.
     *
     * @return the counts; {@link FrameOwnership#verify()} checks they add up.
     */
    public synchronized FrameOwnership ownership()
    {
        long fill = retiredFill;
        long tx = retiredTx;
        long application = retiredApplication + pool.applicationFrames();
        for (final FrameHolder holder : holders)
        {
            fill += holder.fillFrames();
            tx += holder.txFrames();
            application += holder.applicationFrames();
        }

        return new FrameOwnership(pool.available(), fill, application, tx, config.frameCount());
    }

    /**
     * Close any sockets still using the UMEM, deregister it and unmap it.
     */
    @Override
    public void close()
    {
        final List<AutoCloseable> open;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            open = new ArrayList<>(users);
        }
        for (final AutoCloseable user : open)
        {
            try
            {
                user.close();
            }
            catch (final Exception ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "closing a socket with its UMEM: " + ex.getMessage());
            }
        }
        arena.close();
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("UMEM is closed");
        }
    }

    static String hugePageStatus()
    {
        try
        {
            final StringBuilder status = new StringBuilder();
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo")))
            {
                if (line.startsWith("HugePages_Total") || line.startsWith("HugePages_Free"))
                {
                    status.append(status.isEmpty() ? "" : ", ").append(line.replaceAll("\\s+", " "));
                }
            }

            return status.toString();
        }
        catch (final IOException ex)
        {
            return "/proc/meminfo unreadable";
        }
    }

    static String memlockLimit()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/limits")))
            {
                if (line.startsWith("Max locked memory"))
                {
                    return line.replaceAll("\\s{2,}", " ").trim();
                }
            }
        }
        catch (final IOException ignore)
        {
            // fall through
        }

        return "RLIMIT_MEMLOCK unknown";
    }
}
