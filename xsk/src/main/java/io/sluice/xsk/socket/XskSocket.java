package io.sluice.xsk.socket;

import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.IfXdp;
import io.sluice.xsk.ffi.IfXdp.XdpMmapOffsets;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.netlink.NetdevFamily;
import io.sluice.xsk.ring.CompletionRing;
import io.sluice.xsk.ring.FillRing;
import io.sluice.xsk.ring.RxRing;
import io.sluice.xsk.ring.TxRing;
import io.sluice.xsk.umem.FrameHolder;
import io.sluice.xsk.umem.FramePool;
import io.sluice.xsk.umem.FrameTracker;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.SteeringProgram;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An AF_XDP socket bound to one (interface, queue), with its four rings mapped and its UMEM's frames counted.
 * <p>
 * The data-path methods ({@link #receive}, {@link #fill}, {@link #transmit}, {@link #complete} and their variants)
 * move batches of frames between rings and the caller's primitive arrays, allocate nothing, never throw, and make no
 * system call except the wake-ups the kernel asks for through the rings' need_wakeup flags; every outcome is
 * counted in {@link XskCounter}s. They must be called from one thread at a time, the socket's owner.
 * <p>
 * Frame ownership (see {@link io.sluice.xsk.umem}): {@link #receive} moves frames from the kernel to the
 * application, {@link #fill} from the application to the kernel's fill side, {@link #transmit} from the
 * application to the kernel's TX side, {@link #complete} from the TX side back to the application, and
 * {@link #completeToFill} from the TX side straight to the fill side.
 */
public final class XskSocket implements FrameHolder, AutoCloseable
{
    private static final System.Logger LOGGER = System.getLogger(XskSocket.class.getName());
    private static final int KICK_ERRNO_MASK = 0xFF;
    private static final int TX_KICK_ERRORS_ID = XskCounter.TX_KICK_ERRORS.id();
    /**
     * The counter of each TX wake-up errno (Linux's are all below 256): EAGAIN, EBUSY, ENOBUFS, ENETDOWN their own,
     * any other {@link XskCounter#TX_KICK_ERRORS}.
     */
    private static final int[] KICK_ERRNO_COUNTERS = kickErrnoCounters();

    private final Umem umem;
    private final String interfaceName;
    private final int ifIndex;
    private final int queue;
    private final XskConfig config;
    private final int fd;
    private final boolean sharedUmem;
    private final boolean zeroCopy;
    private final String driver;
    private final Arena arena;
    private final FillRing fillRing;
    private final CompletionRing completionRing;
    private final RxRing rxRing;
    private final TxRing txRing;
    private final FramePool pool;
    private final FrameTracker tracker;
    private final long frameMask;
    private final MemorySegment callState;
    private final CounterSet counters;
    private final boolean wakeRxAlways;
    private final boolean wakeTxAlways;
    private final boolean multiBuffer;
    private final int maxBuffers;
    private long fillSubmitted;
    private long rxTaken;
    private long txSubmitted;
    private long completionsTaken;
    private long toApplication;
    private long fromApplication;
    private int lastKickErrno;
    private boolean closed;

    private XskSocket(
        final Umem umem,
        final String interfaceName,
        final int ifIndex,
        final int queue,
        final XskConfig config,
        final int fd,
        final boolean sharedUmem,
        final boolean zeroCopy,
        final String driver,
        final Arena arena,
        final Rings rings,
        final CounterSet counters)
    {
        this.counters = counters;
        this.umem = umem;
        this.interfaceName = interfaceName;
        this.ifIndex = ifIndex;
        this.queue = queue;
        this.config = config;
        this.fd = fd;
        this.sharedUmem = sharedUmem;
        this.zeroCopy = zeroCopy;
        this.driver = driver;
        this.arena = arena;
        this.fillRing = rings.fill;
        this.completionRing = rings.completion;
        this.rxRing = rings.rx;
        this.txRing = rings.tx;
        this.pool = umem.pool();
        this.tracker = umem.tracker();
        this.frameMask = ~(umem.frameSizeBytes() - 1L);
        this.callState = arena.allocate(Ffi.CALL_STATE_LAYOUT);
        this.wakeRxAlways = config.busyPoll().enabled();
        // bound without XDP_USE_NEED_WAKEUP, the kernel never flags the TX ring, yet sends only when kicked
        this.wakeTxAlways = !config.needWakeup();
        this.multiBuffer = umem.multiBuffer();
        this.maxBuffers = multiBuffer ? maxBuffers(umem, zeroCopy, ifIndex) : 1;
    }

    /**
     * The most buffers (descriptors) one packet may span on this socket: in zero-copy what the driver reports
     * ({@code xdp-zc-max-segs}); in copy mode as many frames as the largest packet the kernel builds takes, a
     * linear page and {@link #MAX_SKB_FRAGS} more, and never fewer than the {@link #MAX_SKB_FRAGS} + 1 the copy-mode
     * TX path accepts.
     */
    private static int maxBuffers(final Umem umem, final boolean zeroCopy, final int ifIndex)
    {
        if (zeroCopy)
        {
            final int segs = NetdevFamily.xdpFeaturesOrUnknown(ifIndex).zcMaxSegs();
            return segs > 0 ? segs : 1;
        }
        final int frameData = umem.config().packetRoomBytes();

        return Math.max(MAX_SKB_FRAGS + 1, ((MAX_SKB_FRAGS + 1) * PAGE_BYTES + frameData - 1) / frameData);
    }


    /**
     * The kernel's {@code MAX_SKB_FRAGS} (its default build): a copy-mode packet is a linear part and at most this
     * many fragments, so a TX chain is at most this plus one descriptors.
     */
    public static final int MAX_SKB_FRAGS = 17;

    /**
     * {@link #receivePackets}: or'ed into a packet's buffer count when its chain was cut short, longer than
     * {@link #maxBuffers()} without an end (the zero-copy receive path leaves the part it wrote when the RX ring
     * fills mid-packet); its frames are the application's as any other and the packet must be dropped.
     */
    public static final int CHAIN_CUT = 1 << 30;

    /**
     * {@link #receivePackets}: masks a packet's buffer count out of its entry.
     */
    public static final int BUFFERS_MASK = CHAIN_CUT - 1;

    private static final int PAGE_BYTES = 4096;

    record Rings(FillRing fill, CompletionRing completion, RxRing rx, TxRing tx)
    {
    }

    /**
     * Create, configure and bind a socket, then fill its fill ring from the UMEM's pool (unless
     * {@link XskConfig#prefill()} is off). The first socket of a UMEM uses its registration; later ones share it
     * with {@code XDP_SHARED_UMEM}, each with its own fill and completion rings, on any queue of any interface;
     * they inherit the first socket's zero-copy mode and need_wakeup setting, as the kernel decides.
     *
     * @param umem          the frames.
     * @param interfaceName interface in the calling thread's network namespace.
     * @param queue         its queue (RX queue for receiving, TX queue for sending).
     * @param config        ring sizes, zero-copy policy, wake-up and busy-poll settings.
     * @return the bound socket.
     * @throws NativeException naming the interface, queue and failure, with the fix when one is known.
     */
    public static XskSocket open(
        final Umem umem, final String interfaceName, final int queue, final XskConfig config)
    {
        return open(umem, interfaceName, queue, config, null, "");
    }

    /**
     * As {@link #open(Umem, String, int, XskConfig)}, with the socket's {@link XskCounter}s in a counters file.
     *
     * @param umem          the frames.
     * @param interfaceName interface in the calling thread's network namespace.
     * @param queue         its queue.
     * @param config        ring sizes, zero-copy policy, wake-up and busy-poll settings.
     * @param counterFile   where the counters go, or null for memory only.
     * @param counterLabels their labels, {@code iface="veth1",queue="0"}.
     * @return the bound socket.
     */
    public static XskSocket open(
        final Umem umem,
        final String interfaceName,
        final int queue,
        final XskConfig config,
        final CountersFile counterFile,
        final String counterLabels)
    {
        final int ifIndex = LibC.ifIndex(interfaceName);
        final String where = interfaceName + " queue " + queue;
        if (config.prefill() && umem.pool().available() < config.fillRingSize())
        {
            throw new IllegalStateException(where + ": the UMEM has " + umem.pool().available() +
                " free frames but the fill ring needs " + config.fillRingSize() + "; raise the UMEM's frame count " +
                "or lower fill_ring_size" + XskConfig.where(config.profileSource()));
        }
        final boolean primary = umem.claimPrimary();
        if (!primary && umem.fd() < 0)
        {
            throw new IllegalStateException(where + ": the UMEM's first socket is closed, so no socket can join " +
                "it; create a new UMEM");
        }
        final Arena arena = Arena.ofShared();
        int fd = -1;
        long[] stocked = null;
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            // created on this thread, so in the namespace of the interface: bind looks the index up there
            fd = LibC.socket(state, IfXdp.AF_XDP, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                final int errno = Ffi.errno(state);
                throw new NativeException("socket(AF_XDP) for " + where, errno, Errno.EAFNOSUPPORT == errno ?
                    "the kernel was built without CONFIG_XDP_SOCKETS" : Errno.EPERM == errno ?
                    "creating an AF_XDP socket needs CAP_NET_RAW" : null);
            }
            if (primary)
            {
                umem.register(fd);
            }

            XskSetup.setRingSize(call, state, fd, IfXdp.XDP_UMEM_FILL_RING, config.fillRingSize(), "fill", where);
            XskSetup.setRingSize(call, state, fd, IfXdp.XDP_UMEM_COMPLETION_RING, config.completionRingSize(), "completion",
                where);
            if (config.rxRingSize() > 0)
            {
                XskSetup.setRingSize(call, state, fd, IfXdp.XDP_RX_RING, config.rxRingSize(), "rx", where);
            }
            if (config.txRingSize() > 0)
            {
                XskSetup.setRingSize(call, state, fd, IfXdp.XDP_TX_RING, config.txRingSize(), "tx", where);
            }

            final MemorySegment offsets = call.allocate(XdpMmapOffsets.LAYOUT);
            final MemorySegment length = call.allocateFrom(JAVA_INT, (int)XdpMmapOffsets.LAYOUT.byteSize());
            NativeException.check(
                LibC.getsockopt(state, fd, IfXdp.SOL_XDP, IfXdp.XDP_MMAP_OFFSETS, offsets, length),
                "getsockopt(XDP_MMAP_OFFSETS) for " + where, state, null);

            final Rings rings = XskSetup.mapRings(arena, state, fd, offsets, config, where);

            // Stocked before bind: a driver that owns its RX ring in zero-copy (igb) takes its buffers from the fill
            // ring once, when bind enables the pool, and with none there it neither receives nor sets need_wakeup
            // until something else runs its NAPI. Copy mode (veth) takes them as frames arrive, which hid this.
            stocked = config.prefill() ? stock(rings.fill, umem.pool(), config.fillRingSize(), where) : null;

            final String driver = XskSetup.driverOf(interfaceName);
            XskSetup.bind(call, state, fd, ifIndex, queue, primary ? -1 : umem.fd(), config, driver, where);

            final MemorySegment options = call.allocate(IfXdp.XdpOptions.LAYOUT);
            final MemorySegment optionsLength = call.allocateFrom(JAVA_INT, (int)IfXdp.XdpOptions.LAYOUT.byteSize());
            NativeException.check(
                LibC.getsockopt(state, fd, IfXdp.SOL_XDP, IfXdp.XDP_OPTIONS, options, optionsLength),
                "getsockopt(XDP_OPTIONS) for " + where, state, null);
            final boolean zeroCopy = 0 != (options.get(JAVA_INT, 0) & IfXdp.XDP_OPTIONS_ZEROCOPY);
            if (primary)
            {
                umem.multiBuffer(config.multiBuffer());
            }
            if (!zeroCopy && ZeroCopyPolicy.PREFER == config.zeroCopy() && primary)
            {
                LOGGER.log(System.Logger.Level.WARNING, where + ": driver " + driver +
                    " gave no AF_XDP zero-copy, running in copy mode (" + ZeroCopyPolicy.PROFILE_KEY + ": prefer" +
                    XskConfig.where(config.profileSource()) + ")");
            }

            if (config.busyPoll().enabled())
            {
                XskSetup.setBusyPoll(call, state, fd, config.busyPoll(), where);
            }

            final XskSocket socket = new XskSocket(
                umem, interfaceName, ifIndex, queue, config, fd, !primary, zeroCopy, driver, arena, rings,
                null == counterFile ? CountersFile.inMemory(2 * XskCounter.values().length)
                    .allocate("", XskCounter.metrics()) : counterFile.allocate(counterLabels, XskCounter.metrics()));
            umem.attach(socket, socket);
            if (null != stocked)
            {
                socket.fillSubmitted = stocked.length;
                socket.counters.add(XskCounter.FILL_FRAMES.id(), stocked.length);
                stocked = null;
            }

            return socket;
        }
        catch (final RuntimeException ex)
        {
            if (null != stocked)
            {
                for (final long address : stocked)
                {
                    umem.pool().put(address, FrameTracker.FILL);
                }
            }
            LibC.closeQuietly(fd);
            if (primary)
            {
                umem.unclaimPrimary();
            }
            arena.close();
            throw ex;
        }
    }

    /**
     * Fill a fresh fill ring from the pool, before bind.
     *
     * @return the frames placed, every one of them now the kernel's fill side, so that a failed bind can take them
     * back.
     */
    private static long[] stock(final FillRing ring, final FramePool pool, final int wanted, final String where)
    {
        final int n = ring.reserveUpTo(wanted);
        if (n != wanted)
        {
            ring.cancel(n);
            throw new IllegalStateException(where + ": a fresh fill ring took " + n + " of " + wanted + " frames");
        }
        final long[] addresses = new long[n];
        final int first = ring.reservedIndex();
        for (int i = 0; i < n; i++)
        {
            addresses[i] = pool.take(FrameTracker.FILL);
            ring.address(first + i, addresses[i]);
        }
        ring.submit(n);

        return addresses;
    }

    // ------------------------------------------------------------------ data path

    /**
     * Read up to {@code max} received frames into the caller's arrays and hand their RX slots back. The frames
     * belong to the application until it passes them on. When nothing was received and the kernel asks for a
     * wake-up (or busy polling is on), wakes it with {@code recvfrom(MSG_DONTWAIT)}.
     *
     * @param addresses receives each frame's UMEM address (its first byte).
     * @param lengths   receives each frame's length.
     * @param offset    first index of the arrays to write.
     * @param max       most frames wanted.
     * @return frames received.
     */
    public int receive(final long[] addresses, final int[] lengths, final int offset, final int max)
    {
        final RxRing rx = rxRing;
        final int n = rx.peek(max);
        if (0 == n)
        {
            return emptyPoll();
        }

        final int first = rx.peekedIndex();
        final FrameTracker tracker = this.tracker;
        for (int i = 0; i < n; i++)
        {
            final long address = rx.address(first + i);
            addresses[offset + i] = address;
            lengths[offset + i] = rx.length(first + i);
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.FILL, FrameTracker.APPLICATION);
            }
        }
        released(n);

        return n;
    }

    /**
     * Read whole packets, each one buffer or, on a multi-buffer socket, a chain of buffers whose descriptors all
     * but the last carry {@code XDP_PKT_CONTD}, and hand their RX slots back. A chain whose end is not yet in view is
     * left on the ring for the next call; a chain longer than {@link #maxBuffers()} is cut there and reported with
     * {@link #CHAIN_CUT} (its remaining buffers come as further cut packets). The frames belong to the application.
     * Wakes the kernel as {@link #receive} does.
     *
     * @param addresses  receives each buffer's UMEM address, a packet's buffers consecutive, in order.
     * @param lengths    receives each buffer's length.
     * @param buffers    receives each packet's number of buffers, or'ed with {@link #CHAIN_CUT} for a cut one.
     * @param maxPackets most packets wanted, at most {@code buffers.length}.
     * @return packets received; they fill {@code addresses} and {@code lengths} from index 0, the sum of their
     * buffer counts.
     * @throws IllegalArgumentException if {@code addresses} holds fewer than {@link #maxBuffers()} entries.
     */
    public int receivePackets(final long[] addresses, final int[] lengths, final int[] buffers, final int maxPackets)
    {
        final int capacity = Math.min(addresses.length, lengths.length);
        if (capacity < maxBuffers)
        {
            throw new IllegalArgumentException("room for " + capacity + " buffers, a packet may span " + maxBuffers);
        }
        final RxRing rx = rxRing;
        final int n = rx.peek(capacity);
        if (0 == n)
        {
            return emptyPoll();
        }

        final int first = rx.peekedIndex();
        final int maxBuffers = this.maxBuffers;
        int packets = 0;
        int taken = 0;
        int chain = 0;
        int cut = 0;
        int multi = 0;
        int i = 0;
        for (; i < n && packets < maxPackets; i++)
        {
            addresses[i] = rx.address(first + i);
            lengths[i] = rx.length(first + i);
            chain++;
            if (0 == (rx.options(first + i) & IfXdp.XDP_PKT_CONTD))
            {
                multi += chain > 1 ? 1 : 0;
                buffers[packets++] = chain;
                taken = i + 1;
                chain = 0;
            }
            else if (chain == maxBuffers)
            {
                cut++;
                buffers[packets++] = chain | CHAIN_CUT;
                taken = i + 1;
                chain = 0;
            }
        }
        // a chain whose end is not in view yet, and whatever the packet limit left, stay on the ring
        rx.cancel(n - taken);
        if (0 == taken)
        {
            return 0;
        }

        final FrameTracker tracker = this.tracker;
        if (null != tracker)
        {
            for (int k = 0; k < taken; k++)
            {
                tracker.move(addresses[k], FrameTracker.FILL, FrameTracker.APPLICATION);
            }
        }
        released(taken);
        if (0 != multi)
        {
            counters.add(XskCounter.RX_MULTI_BUFFER_PACKETS.id(), multi);
        }
        if (0 != cut)
        {
            counters.add(XskCounter.RX_CHAINS_CUT.id(), cut);
        }

        return packets;
    }

    /**
     * Put whole packets on the TX ring, each a chain of {@code buffers[k]} frames (the descriptors of all but the
     * last flagged {@code XDP_PKT_CONTD}); a packet the ring has no room for entire waits with the ones after it.
     * Wakes the kernel as {@link #transmit} does.
     *
     * @param addresses  each buffer's UMEM address, a packet's buffers consecutive.
     * @param lengths    each buffer's length.
     * @param buffers    each packet's number of buffers, 1 to {@link #maxBuffers()}.
     * @param offset     index of the first buffer to send in {@code addresses} and {@code lengths}.
     * @param packet     index of its packet in {@code buffers}.
     * @param packets    packets offered from {@code packet} on.
     * @return packets placed; their buffers are the kernel's, the rest still the application's.
     */
    public int transmitPackets(
        final long[] addresses,
        final int[] lengths,
        final int[] buffers,
        final int offset,
        final int packet,
        final int packets)
    {
        final TxRing ring = txRing;
        int wanted = 0;
        for (int k = packet; k < packet + packets; k++)
        {
            wanted += buffers[k];
        }
        final int room = ring.reserveUpTo(wanted);
        int placed = 0;
        int used = 0;
        while (placed < packets && used + buffers[packet + placed] <= room)
        {
            used += buffers[packet + placed];
            placed++;
        }
        ring.cancel(room - used);

        final int first = ring.reservedIndex();
        final FrameTracker tracker = this.tracker;
        int slot = 0;
        for (int k = 0; k < placed; k++)
        {
            final int count = buffers[packet + k];
            for (int b = 0; b < count; b++, slot++)
            {
                final long address = addresses[offset + slot];
                ring.descriptor(first + slot, address, lengths[offset + slot],
                    b < count - 1 ? IfXdp.XDP_PKT_CONTD : 0);
                if (null != tracker)
                {
                    tracker.move(address, FrameTracker.APPLICATION, FrameTracker.TX);
                }
            }
        }
        submitted(used, placed < packets);

        return placed;
    }

    private int emptyPoll()
    {
        counters.increment(XskCounter.RX_EMPTY_POLLS.id());
        if (wakeRxAlways || fillRing.needsWakeup())
        {
            wakeRx();
        }

        return 0;
    }

    /**
     * Hand {@code n} read RX slots back and count their frames as the application's.
     */
    private void released(final int n)
    {
        rxRing.release(n);
        rxTaken += n;
        toApplication += n;
        counters.add(XskCounter.RX_FRAMES.id(), n);
    }

    /**
     * Publish {@code n} written TX slots, count them as the kernel's, and wake it if it asks.
     *
     * @param full whether some frames offered found no room.
     */
    private void submitted(final int n, final boolean full)
    {
        final TxRing ring = txRing;
        ring.submit(n);
        txSubmitted += n;
        fromApplication += n;
        counters.add(XskCounter.TX_FRAMES.id(), n);
        if (full)
        {
            counters.increment(XskCounter.TX_RING_FULL.id());
        }
        if (n > 0 && (wakeTxAlways || ring.needsWakeup()))
        {
            kickTx();
        }
    }

    /**
     * Give frames the application holds to the kernel to receive into, as many as the fill ring has room for.
     *
     * @param addresses any address inside each frame.
     * @param offset    first index to read.
     * @param length    frames offered.
     * @return frames placed, from {@code offset} on; the rest still belong to the application.
     */
    public int fill(final long[] addresses, final int offset, final int length)
    {
        final FillRing ring = fillRing;
        final int n = ring.reserveUpTo(length);
        final int first = ring.reservedIndex();
        final FrameTracker tracker = this.tracker;
        for (int i = 0; i < n; i++)
        {
            final long address = addresses[offset + i] & frameMask;
            ring.address(first + i, address);
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.APPLICATION, FrameTracker.FILL);
            }
        }
        ring.submit(n);
        fillSubmitted += n;
        fromApplication += n;
        counters.add(XskCounter.FILL_FRAMES.id(), n);
        if (n < length)
        {
            counters.increment(XskCounter.FILL_RING_FULL.id());
        }

        return n;
    }

    /**
     * Move free frames from the UMEM's pool to the fill ring.
     *
     * @param max most frames to move.
     * @return frames moved.
     */
    public int fillFromPool(final int max)
    {
        final FillRing ring = fillRing;
        final int n = ring.reserveUpTo(Math.min(max, pool.available()));
        final int first = ring.reservedIndex();
        for (int i = 0; i < n; i++)
        {
            ring.address(first + i, pool.take(FrameTracker.FILL));
        }
        ring.submit(n);
        fillSubmitted += n;
        counters.add(XskCounter.FILL_FRAMES.id(), n);

        return n;
    }

    /**
     * Put frames the application holds on the TX ring, as many as it has room for, and wake the kernel if it asks
     * (or always, on a socket bound without need_wakeup, whose TX ring the kernel never flags).
     *
     * @param addresses each frame's UMEM address (its first byte).
     * @param lengths   each frame's length.
     * @param offset    first index to read.
     * @param length    frames offered.
     * @return frames placed, from {@code offset} on; the rest still belong to the application.
     */
    public int transmit(final long[] addresses, final int[] lengths, final int offset, final int length)
    {
        final TxRing ring = txRing;
        final int n = ring.reserveUpTo(length);
        final int first = ring.reservedIndex();
        final FrameTracker tracker = this.tracker;
        for (int i = 0; i < n; i++)
        {
            final long address = addresses[offset + i];
            ring.descriptor(first + i, address, lengths[offset + i]);
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.APPLICATION, FrameTracker.TX);
            }
        }
        submitted(n, n < length);

        return n;
    }

    /**
     * Read up to {@code max} completed transmissions; their frames go back to the application.
     *
     * @param addresses receives each completed frame's UMEM address as it was sent.
     * @param offset    first index to write.
     * @param max       most completions wanted.
     * @return completions read.
     */
    public int complete(final long[] addresses, final int offset, final int max)
    {
        final CompletionRing ring = completionRing;
        final int n = ring.peek(max);
        if (0 == n)
        {
            return 0;
        }
        final int first = ring.peekedIndex();
        final FrameTracker tracker = this.tracker;
        for (int i = 0; i < n; i++)
        {
            final long address = ring.address(first + i);
            addresses[offset + i] = address;
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.TX, FrameTracker.APPLICATION);
            }
        }
        ring.release(n);
        completionsTaken += n;
        toApplication += n;
        counters.add(XskCounter.COMPLETIONS.id(), n);

        return n;
    }

    /**
     * Move completed transmissions' frames straight to the fill ring, as a forwarder that receives and transmits
     * from the same UMEM does: no copy, and the application never holds them.
     *
     * @param max most frames to move.
     * @return frames moved.
     */
    public int completeToFill(final int max)
    {
        return completeToFill(this, max);
    }

    /**
     * Move completed transmissions' frames straight to another socket's fill ring (same UMEM): how a forwarder
     * from interface A to interface B returns B's sent frames to A's receive side.
     *
     * @param target socket whose fill ring receives the frames; may be this one.
     * @param max    most frames to move.
     * @return frames moved.
     */
    public int completeToFill(final XskSocket target, final int max)
    {
        if (target.umem != umem)
        {
            throw new IllegalArgumentException(target + " does not share the UMEM of " + this);
        }
        final CompletionRing ring = completionRing;
        final int available = ring.peek(max);
        if (0 == available)
        {
            return 0;
        }
        final FillRing fill = target.fillRing;
        final int n = fill.reserveUpTo(available);
        if (n < available)
        {
            ring.cancel(available - n);
            target.counters.increment(XskCounter.FILL_RING_FULL.id());
        }
        final int from = ring.peekedIndex();
        final int to = fill.reservedIndex();
        final FrameTracker tracker = this.tracker;
        for (int i = 0; i < n; i++)
        {
            final long address = ring.address(from + i) & frameMask;
            fill.address(to + i, address);
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.TX, FrameTracker.FILL);
            }
        }
        fill.submit(n);
        ring.release(n);
        completionsTaken += n;
        counters.add(XskCounter.COMPLETIONS.id(), n);
        target.fillSubmitted += n;
        target.counters.add(XskCounter.FILL_FRAMES.id(), n);

        return n;
    }

    /**
     * Move completed transmissions' frames to the UMEM's pool, as a transmitter that builds frames from scratch
     * does.
     *
     * @param max most frames to move.
     * @return frames moved.
     */
    public int completeToPool(final int max)
    {
        final CompletionRing ring = completionRing;
        final int n = ring.peek(max);
        if (0 == n)
        {
            return 0;
        }
        final int first = ring.peekedIndex();
        for (int i = 0; i < n; i++)
        {
            pool.put(ring.address(first + i), FrameTracker.TX);
        }
        ring.release(n);
        completionsTaken += n;
        counters.add(XskCounter.COMPLETIONS.id(), n);

        return n;
    }

    /**
     * Wake the kernel if the TX ring holds frames it has not taken yet and the ring asks for a wake-up (always, on
     * a socket bound without need_wakeup): for a transmitter's loop, so that frames left on the ring by a kick that
     * was answered EAGAIN or EBUSY (copy mode sends at most 32 per wake-up) go out. Frames the kernel has taken but
     * not completed need no wake-up: a wake-up then would be a system call that sends nothing.
     *
     * @return true if a wake-up was made.
     */
    public boolean flushTx()
    {
        if (txRing.publishedEntries() > 0 && (wakeTxAlways || txRing.needsWakeup()))
        {
            kickTx();
            return true;
        }

        return false;
    }

    /**
     * Wake the kernel to send what is on the TX ring, with {@code sendto(MSG_DONTWAIT)}. EAGAIN, EBUSY, ENOBUFS and
     * ENETDOWN are normal answers and counted; the frames stay on the ring for the next kick.
     *
     * @return true if the kernel took the wake-up without error.
     */
    public boolean kickTx()
    {
        counters.increment(XskCounter.TX_KICKS.id());
        final long result = LibC.sendto(callState, fd, MemorySegment.NULL, 0, LibC.MSG_DONTWAIT, MemorySegment.NULL, 0);
        if (result >= 0)
        {
            return true;
        }
        // a table, not a switch: an answer the compiled loop has not seen yet (the first EBUSY, minutes in) would
        // otherwise deoptimise it, and the interpreted loop allocates in every capturing downcall until recompiled
        final int errno = Ffi.errno(callState);
        final int counter = KICK_ERRNO_COUNTERS[errno & KICK_ERRNO_MASK];
        counters.increment(counter);
        if (TX_KICK_ERRORS_ID == counter)
        {
            lastKickErrno = errno;
        }

        return false;
    }

    private static int[] kickErrnoCounters()
    {
        final int[] counters = new int[KICK_ERRNO_MASK + 1];
        java.util.Arrays.fill(counters, TX_KICK_ERRORS_ID);
        counters[Errno.EAGAIN] = XskCounter.TX_KICK_EAGAIN.id();
        counters[Errno.EBUSY] = XskCounter.TX_KICK_EBUSY.id();
        counters[Errno.ENOBUFS] = XskCounter.TX_KICK_ENOBUFS.id();
        counters[Errno.ENETDOWN] = XskCounter.TX_KICK_ENETDOWN.id();

        return counters;
    }

    /**
     * Wake the kernel to receive (fill ring need_wakeup, or busy poll), with {@code recvfrom(MSG_DONTWAIT)}.
     */
    public void wakeRx()
    {
        counters.increment(XskCounter.RX_WAKEUPS.id());
        final long result = LibC.recvfrom(
            callState, fd, MemorySegment.NULL, 0, LibC.MSG_DONTWAIT, MemorySegment.NULL, MemorySegment.NULL);
        if (result < 0)
        {
            final int errno = Ffi.errno(callState);
            if (Errno.EAGAIN != errno && Errno.EBUSY != errno && Errno.ENETDOWN != errno)
            {
                counters.increment(XskCounter.RX_WAKEUP_ERRORS.id());
                lastKickErrno = errno;
            }
        }
    }

    /**
     * @param counter which.
     * @return its value; exact on the owner thread, every add up to a recent one elsewhere.
     */
    public long counter(final XskCounter counter)
    {
        return counters.get(counter.id());
    }

    /**
     * @return errno of the last unexpected wake-up failure, or 0.
     */
    public int lastWakeupErrno()
    {
        return lastKickErrno;
    }

    // ------------------------------------------------------------------ ownership

    @Override
    public long fillFrames()
    {
        return fillSubmitted - rxTaken;
    }

    @Override
    public long txFrames()
    {
        return txSubmitted - completionsTaken;
    }

    @Override
    public long applicationFrames()
    {
        return toApplication - fromApplication;
    }

    /**
     * @return frames received by the kernel and waiting on the RX ring (part of {@link #fillFrames()}).
     */
    public int rxRingFrames()
    {
        return rxRing.unread();
    }

    /**
     * @return packets waiting on the RX ring: {@link #rxRingFrames()} on a single-buffer socket, on a multi-buffer
     * one the descriptors that end a packet (a chain whose end is not yet published is not counted). The owner's
     * thread, or any once it has stopped receiving.
     */
    public int rxRingPackets()
    {
        final RxRing rx = rxRing;
        final int unread = rx.unread();
        if (!multiBuffer)
        {
            return unread;
        }
        final int first = rx.consumerIndex();
        int packets = 0;
        for (int i = 0; i < unread; i++)
        {
            packets += 0 == (rx.options(first + i) & IfXdp.XDP_PKT_CONTD) ? 1 : 0;
        }

        return packets;
    }

    /**
     * @return completions waiting on the completion ring (part of {@link #txFrames()}).
     */
    public int completionRingFrames()
    {
        return completionRing.unread();
    }

    // ------------------------------------------------------------------ control plane

    /**
     * Register this socket in the steering program's XSKMAP for its queue, so steered frames arriving on the queue
     * are redirected to it.
     *
     * @param program the program attached to this socket's interface.
     * @return this.
     */
    public XskSocket registerWith(final SteeringProgram program)
    {
        program.registerSocket(queue, fd);
        return this;
    }

    /**
     * The kernel's statistics for this socket.
     *
     * @return {@code getsockopt(XDP_STATISTICS)}.
     */
    public XskStatistics statistics()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final MemorySegment stats = call.allocate(IfXdp.XdpStatistics.LAYOUT);
            final MemorySegment length = call.allocateFrom(JAVA_INT, (int)IfXdp.XdpStatistics.LAYOUT.byteSize());
            NativeException.check(LibC.getsockopt(state, fd, IfXdp.SOL_XDP, IfXdp.XDP_STATISTICS, stats, length),
                "getsockopt(XDP_STATISTICS) on " + interfaceName + " queue " + queue, state, null);

            return new XskStatistics(
                stats.get(JAVA_LONG, 0), stats.get(JAVA_LONG, 8), stats.get(JAVA_LONG, 16),
                stats.get(JAVA_LONG, 24), stats.get(JAVA_LONG, 32), stats.get(JAVA_LONG, 40));
        }
    }

    /**
     * Read an integer socket option back from the kernel, e.g. to confirm the busy-poll settings took.
     *
     * @param level e.g. {@link LibC#SOL_SOCKET}.
     * @param name  e.g. {@link LibC#SO_BUSY_POLL}.
     * @return its value.
     */
    public int intOption(final int level, final int name)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final MemorySegment value = call.allocate(JAVA_INT);
            final MemorySegment length = call.allocateFrom(JAVA_INT, 4);
            NativeException.check(LibC.getsockopt(state, fd, level, name, value, length),
                "getsockopt(" + level + ", " + name + ") on " + interfaceName + " queue " + queue, state, null);

            return value.get(JAVA_INT, 0);
        }
    }

    public int fd()
    {
        return fd;
    }

    public String interfaceName()
    {
        return interfaceName;
    }

    public int interfaceIndex()
    {
        return ifIndex;
    }

    public int queue()
    {
        return queue;
    }

    public XskConfig config()
    {
        return config;
    }

    public Umem umem()
    {
        return umem;
    }

    /**
     * @return true if the socket shares another socket's UMEM registration ({@code XDP_SHARED_UMEM}).
     */
    public boolean sharedUmem()
    {
        return sharedUmem;
    }

    /**
     * @return true if the socket takes and sends multi-buffer packets (its UMEM's first socket bound with
     * {@code XDP_USE_SG}).
     */
    public boolean multiBuffer()
    {
        return multiBuffer;
    }

    /**
     * @return the most buffers one packet spans on this socket: 1 without multi-buffer.
     */
    public int maxBuffers()
    {
        return maxBuffers;
    }

    /**
     * @return true if bound in zero-copy mode, as the kernel reports it ({@code XDP_OPTIONS_ZEROCOPY}).
     */
    public boolean zeroCopy()
    {
        return zeroCopy;
    }

    /**
     * @return "zero-copy" or "copy": the mode in effect.
     */
    public String mode()
    {
        return zeroCopy ? "zero-copy" : "copy";
    }

    /**
     * @return the interface's driver, as {@code ethtool -i} names it.
     */
    public String driver()
    {
        return driver;
    }

    public FillRing fillRing()
    {
        return fillRing;
    }

    public CompletionRing completionRing()
    {
        return completionRing;
    }

    public RxRing rxRing()
    {
        return rxRing;
    }

    public TxRing txRing()
    {
        return txRing;
    }

    /**
     * Close the socket (the kernel removes it from any XSKMAP) and unmap its rings. The frames it had given the
     * kernel stay counted as such in its UMEM's ownership until the UMEM closes. Closing a UMEM's first socket
     * closes the UMEM's registration descriptor: sockets already sharing it go on, no new one can join.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        umem.detach(this, this);
        LibC.closeQuietly(fd);
        if (!sharedUmem)
        {
            umem.primaryClosed();
        }
        arena.close();
    }

    @Override
    public String toString()
    {
        return "XskSocket{" + interfaceName + " queue " + queue + ", " + mode() + ", driver " + driver +
            (sharedUmem ? ", shared UMEM" : "") + "}";
    }
}
