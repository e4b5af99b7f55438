package io.sluice.xsk.socket;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.IfXdp;
import io.sluice.xsk.ffi.IfXdp.SockaddrXdp;
import io.sluice.xsk.ffi.IfXdp.XdpMmapOffsets;
import io.sluice.xsk.ffi.IfXdp.XdpRingOffset;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxEthtool;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.netlink.NetdevFamily;
import io.sluice.xsk.netlink.XdpFeatures;
import io.sluice.xsk.ring.CompletionRing;
import io.sluice.xsk.ring.FillRing;
import io.sluice.xsk.ring.RxRing;
import io.sluice.xsk.ring.TxRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The control-plane half of {@link XskSocket}: ring sizes, ring mappings, the bind with its zero-copy flags, EBUSY
 * retries and error hints, and the busy-poll options.
 */
final class XskSetup
{
    private static final long BIND_RETRY_PAUSE_NS = 10_000_000L;

    private XskSetup()
    {
    }

    static void setRingSize(
        final Arena call,
        final MemorySegment state,
        final int fd,
        final int option,
        final int size,
        final String ring,
        final String where)
    {
        final MemorySegment value = call.allocateFrom(JAVA_INT, size);
        NativeException.check(LibC.setsockopt(state, fd, IfXdp.SOL_XDP, option, value, 4),
            "setsockopt(" + ring + " ring of " + size + ") for " + where, state, null);
    }

    static XskSocket.Rings mapRings(
        final Arena arena,
        final MemorySegment state,
        final int fd,
        final MemorySegment offsets,
        final XskConfig config,
        final String where)
    {
        final FillRing fill = map(arena, state, fd, offsets, XdpMmapOffsets.FR, config.fillRingSize(),
            FillRing.ENTRY_BYTES, IfXdp.XDP_UMEM_PGOFF_FILL_RING, "fill", where, FillRing::new);
        final CompletionRing completion = map(arena, state, fd, offsets, XdpMmapOffsets.CR,
            config.completionRingSize(), CompletionRing.ENTRY_BYTES, IfXdp.XDP_UMEM_PGOFF_COMPLETION_RING, "completion",
            where, CompletionRing::new);
        final RxRing rx = 0 == config.rxRingSize() ? null : map(arena, state, fd, offsets, XdpMmapOffsets.RX,
            config.rxRingSize(), RxRing.ENTRY_BYTES, IfXdp.XDP_PGOFF_RX_RING, "rx", where, RxRing::new);
        final TxRing tx = 0 == config.txRingSize() ? null : map(arena, state, fd, offsets, XdpMmapOffsets.TX,
            config.txRingSize(), TxRing.ENTRY_BYTES, IfXdp.XDP_PGOFF_TX_RING, "tx", where, TxRing::new);

        return new XskSocket.Rings(fill, completion, rx, tx);
    }

    /**
     * A ring's constructor: {@code FillRing::new} and its siblings.
     */
    interface RingConstructor<R>
    {
        R create(MemorySegment memory, long producer, long consumer, long flags, long desc, int size);
    }

    /**
     * Map one ring at the kernel's offsets and build it over the mapping, which the arena unmaps.
     */
    static <R> R map(
        final Arena arena,
        final MemorySegment state,
        final int fd,
        final MemorySegment offsets,
        final long ring,
        final int size,
        final int entryBytes,
        final long pageOffset,
        final String name,
        final String where,
        final RingConstructor<R> constructor)
    {
        final long length = offsets.get(JAVA_LONG, ring + XdpRingOffset.DESC) + (long)size * entryBytes;
        final MemorySegment address = LibC.mmap(state, MemorySegment.NULL, length,
            LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd, pageOffset);
        if (LibC.MAP_FAILED == address.address())
        {
            throw new NativeException("mmap of the " + name + " ring for " + where, Ffi.errno(state), null);
        }

        final MemorySegment memory =
            address.reinterpret(length, arena, (segment) -> LibC.unmapQuietly(segment.address(), length));

        return constructor.create(memory, offsets.get(JAVA_LONG, ring + XdpRingOffset.PRODUCER),
            offsets.get(JAVA_LONG, ring + XdpRingOffset.CONSUMER), offsets.get(JAVA_LONG, ring + XdpRingOffset.FLAGS),
            offsets.get(JAVA_LONG, ring + XdpRingOffset.DESC), size);
    }

    static void bind(
        final Arena call,
        final MemorySegment state,
        final int fd,
        final int ifIndex,
        final int queue,
        final int sharedUmemFd,
        final XskConfig config,
        final String driver,
        final String where)
    {
        int flags;
        if (sharedUmemFd >= 0)
        {
            // the kernel refuses mode, wake-up and SG flags with XDP_SHARED_UMEM: they come from the UMEM's first socket
            flags = IfXdp.XDP_SHARED_UMEM;
        }
        else
        {
            flags = config.needWakeup() ? IfXdp.XDP_USE_NEED_WAKEUP : 0;
            flags |= config.multiBuffer() ? IfXdp.XDP_USE_SG : 0;
            flags |= switch (config.zeroCopy())
            {
                case REQUIRE -> IfXdp.XDP_ZEROCOPY;
                case COPY -> IfXdp.XDP_COPY;
                // neither flag: the kernel tries zero-copy and falls back to copy by itself
                case PREFER -> 0;
            };
        }

        final MemorySegment address = call.allocate(SockaddrXdp.LAYOUT);
        address.set(JAVA_SHORT, SockaddrXdp.SXDP_FAMILY, (short)IfXdp.AF_XDP);
        address.set(JAVA_SHORT, SockaddrXdp.SXDP_FLAGS, (short)flags);
        address.set(JAVA_INT, SockaddrXdp.SXDP_IFINDEX, ifIndex);
        address.set(JAVA_INT, SockaddrXdp.SXDP_QUEUE_ID, queue);
        address.set(JAVA_INT, SockaddrXdp.SXDP_SHARED_UMEM_FD, Math.max(sharedUmemFd, 0));

        final long deadlineNs = System.nanoTime() + config.bindRetryMs() * 1_000_000L;
        while (true)
        {
            if (0 == LibC.bind(state, fd, address, (int)SockaddrXdp.LAYOUT.byteSize()))
            {
                return;
            }
            final int errno = Ffi.errno(state);
            if (Errno.EBUSY == errno && System.nanoTime() < deadlineNs)
            {
                LockSupport.parkNanos(BIND_RETRY_PAUSE_NS);
                continue;
            }

            final String operation = "bind(AF_XDP" + (0 != (flags & IfXdp.XDP_ZEROCOPY) ? ", XDP_ZEROCOPY" : "") +
                (0 != (flags & IfXdp.XDP_COPY) ? ", XDP_COPY" : "") +
                (0 != (flags & IfXdp.XDP_USE_SG) ? ", XDP_USE_SG" : "") +
                (0 != (flags & IfXdp.XDP_SHARED_UMEM) ? ", XDP_SHARED_UMEM" : "") + ") on " + where;
            throw new NativeException(operation, errno, bindHint(errno, flags, driver, ifIndex, where, config));
        }
    }

    static String bindHint(
        final int errno,
        final int flags,
        final String driver,
        final int ifIndex,
        final String where,
        final XskConfig config)
    {
        if (0 != (flags & IfXdp.XDP_ZEROCOPY) && 0 != (flags & IfXdp.XDP_USE_SG) && Errno.EOPNOTSUPP == errno)
        {
            final XdpFeatures features = NetdevFamily.xdpFeaturesOrUnknown(ifIndex);
            if (features.known() && features.zeroCopy() && features.zcMaxSegs() <= 1)
            {
                return "driver " + driver + " has AF_XDP zero-copy but not multi-buffer in zero-copy on " + where +
                    ": the kernel reports xdp-zc-max-segs " + features.zcMaxSegs() + " (a packet must fit one " +
                    "UMEM frame); set " + ZeroCopyPolicy.PROFILE_KEY + ": prefer or copy, or an MTU that fits one " +
                    "frame and multi_buffer: off" +
                    (null == config.profileSource() ? " in the NIC profile" : " in " + config.profileSource());
            }
        }
        if (0 != (flags & IfXdp.XDP_ZEROCOPY) && (Errno.EOPNOTSUPP == errno || Errno.EINVAL == errno ||
            Errno.ENOTSUPP == errno))
        {
            return "driver " + driver + " does not support AF_XDP zero-copy on " + where + "; set " +
                ZeroCopyPolicy.PROFILE_KEY + ": prefer or " + ZeroCopyPolicy.PROFILE_KEY + ": copy" +
                (null == config.profileSource() ? " in the NIC profile" : " in " + config.profileSource()) +
                kernelSays(ifIndex);
        }

        return switch (errno)
        {
            case Errno.EBUSY -> "another AF_XDP socket is bound to " + where + " (retried for " +
                config.bindRetryMs() + " ms)";
            case Errno.EINVAL -> "check the queue exists (`ethtool -l`) and the ring sizes are powers of two";
            case Errno.ENETDOWN -> "bring the interface up first";
            case Errno.EPERM -> "binding an AF_XDP socket needs CAP_NET_RAW";
            default -> null;
        };
    }

    static void setBusyPoll(
        final Arena call, final MemorySegment state, final int fd, final BusyPoll busyPoll, final String where)
    {
        final String hint = "busy-poll options need CAP_NET_ADMIN to raise SO_BUSY_POLL and kernel 5.11 or later";
        if (busyPoll.preferBusyPoll())
        {
            NativeException.check(LibC.setsockopt(state, fd, LibC.SOL_SOCKET, LibC.SO_PREFER_BUSY_POLL,
                call.allocateFrom(JAVA_INT, 1), 4), "setsockopt(SO_PREFER_BUSY_POLL) on " + where, state, hint);
        }
        if (busyPoll.busyPollUs() > 0)
        {
            NativeException.check(LibC.setsockopt(state, fd, LibC.SOL_SOCKET, LibC.SO_BUSY_POLL,
                call.allocateFrom(JAVA_INT, busyPoll.busyPollUs()), 4), "setsockopt(SO_BUSY_POLL) on " + where, state,
                hint);
        }
        if (busyPoll.budget() > 0)
        {
            NativeException.check(LibC.setsockopt(state, fd, LibC.SOL_SOCKET, LibC.SO_BUSY_POLL_BUDGET,
                call.allocateFrom(JAVA_INT, busyPoll.budget()), 4), "setsockopt(SO_BUSY_POLL_BUDGET) on " + where, state,
                hint);
        }
    }

    /**
     * What the kernel's netdev family reports of the device's zero-copy, for the bind's error: one netlink round
     * trip on the error path only, and nothing when the kernel cannot say (before 6.3) or the query fails.
     */
    static String kernelSays(final int ifIndex)
    {
        final XdpFeatures features = NetdevFamily.xdpFeaturesOrUnknown(ifIndex);
        if (!features.known())
        {
            return "";
        }

        return "; the kernel reports " + features.summary() + (features.zeroCopy() ? ", so the driver has " +
            "zero-copy but refused it on this queue or with this UMEM (check `ethtool -l` and the frame size)" : "");
    }

    static String driverOf(final String interfaceName)
    {
        try
        {
            return LinuxEthtool.driver(interfaceName);
        }
        catch (final RuntimeException ex)
        {
            return "unknown";
        }
    }
}
