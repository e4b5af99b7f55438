package io.sluice.xsk.ffi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The kernel's {@code linux/if_xdp.h}: the AF_XDP socket ABI (socket options, mmap offsets, descriptors).
 */
public final class IfXdp
{
    private static final String H = "linux/if_xdp.h";

    public static final int AF_XDP = (int)constant("sys/socket.h", "AF_XDP", 44);
    public static final int SOL_XDP = (int)constant("sys/socket.h", "SOL_XDP", 283);

    public static final int XDP_SHARED_UMEM = (int)constant(H, "XDP_SHARED_UMEM", 1);
    public static final int XDP_COPY = (int)constant(H, "XDP_COPY", 2);
    public static final int XDP_ZEROCOPY = (int)constant(H, "XDP_ZEROCOPY", 4);
    public static final int XDP_USE_NEED_WAKEUP = (int)constant(H, "XDP_USE_NEED_WAKEUP", 8);
    /**
     * Bind flag (Linux 6.6): the socket takes and sends packets that span several UMEM frames, each buffer a
     * descriptor, all but the last flagged {@link #XDP_PKT_CONTD}. It is the UMEM's: sockets sharing it inherit it.
     */
    public static final int XDP_USE_SG = (int)constant(H, "XDP_USE_SG", 16);
    /**
     * {@code xdp_desc.options}: more buffers of the same packet follow this one.
     */
    public static final int XDP_PKT_CONTD = (int)constant(H, "XDP_PKT_CONTD", 1);
    public static final int XDP_RING_NEED_WAKEUP = (int)constant(H, "XDP_RING_NEED_WAKEUP", 1);
    public static final int XDP_MMAP_OFFSETS = (int)constant(H, "XDP_MMAP_OFFSETS", 1);
    public static final int XDP_RX_RING = (int)constant(H, "XDP_RX_RING", 2);
    public static final int XDP_TX_RING = (int)constant(H, "XDP_TX_RING", 3);
    public static final int XDP_UMEM_REG = (int)constant(H, "XDP_UMEM_REG", 4);
    public static final int XDP_UMEM_FILL_RING = (int)constant(H, "XDP_UMEM_FILL_RING", 5);
    public static final int XDP_UMEM_COMPLETION_RING = (int)constant(H, "XDP_UMEM_COMPLETION_RING", 6);
    public static final int XDP_STATISTICS = (int)constant(H, "XDP_STATISTICS", 7);
    public static final int XDP_OPTIONS = (int)constant(H, "XDP_OPTIONS", 8);
    public static final int XDP_OPTIONS_ZEROCOPY = (int)constant(H, "XDP_OPTIONS_ZEROCOPY", 1);
    public static final long XDP_PGOFF_RX_RING = constant(H, "XDP_PGOFF_RX_RING", 0L);
    public static final long XDP_PGOFF_TX_RING = constant(H, "XDP_PGOFF_TX_RING", 0x80000000L);
    public static final long XDP_UMEM_PGOFF_FILL_RING = constant(H, "XDP_UMEM_PGOFF_FILL_RING", 0x100000000L);
    public static final long XDP_UMEM_PGOFF_COMPLETION_RING =
        constant(H, "XDP_UMEM_PGOFF_COMPLETION_RING", 0x180000000L);

    private IfXdp()
    {
    }

    public static final class SockaddrXdp
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_SHORT.withName("sxdp_family"),
            JAVA_SHORT.withName("sxdp_flags"),
            JAVA_INT.withName("sxdp_ifindex"),
            JAVA_INT.withName("sxdp_queue_id"),
            JAVA_INT.withName("sxdp_shared_umem_fd")).withName("sockaddr_xdp"));

        public static final long SXDP_FAMILY = offset(LAYOUT, "sxdp_family");
        public static final long SXDP_FLAGS = offset(LAYOUT, "sxdp_flags");
        public static final long SXDP_IFINDEX = offset(LAYOUT, "sxdp_ifindex");
        public static final long SXDP_QUEUE_ID = offset(LAYOUT, "sxdp_queue_id");
        public static final long SXDP_SHARED_UMEM_FD = offset(LAYOUT, "sxdp_shared_umem_fd");

        private SockaddrXdp()
        {
        }
    }

    public static final class XdpRingOffset
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_LONG.withName("producer"),
            JAVA_LONG.withName("consumer"),
            JAVA_LONG.withName("desc"),
            JAVA_LONG.withName("flags")).withName("xdp_ring_offset"));

        public static final long PRODUCER = offset(LAYOUT, "producer");
        public static final long CONSUMER = offset(LAYOUT, "consumer");
        public static final long DESC = offset(LAYOUT, "desc");
        public static final long FLAGS = offset(LAYOUT, "flags");

        private XdpRingOffset()
        {
        }
    }

    public static final class XdpMmapOffsets
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            XdpRingOffset.LAYOUT.withName("rx"),
            XdpRingOffset.LAYOUT.withName("tx"),
            XdpRingOffset.LAYOUT.withName("fr"),
            XdpRingOffset.LAYOUT.withName("cr")).withName("xdp_mmap_offsets"));

        public static final long RX = offset(LAYOUT, "rx");
        public static final long TX = offset(LAYOUT, "tx");
        public static final long FR = offset(LAYOUT, "fr");
        public static final long CR = offset(LAYOUT, "cr");

        private XdpMmapOffsets()
        {
        }
    }

    public static final class XdpUmemReg
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_LONG.withName("len"),
            JAVA_INT.withName("chunk_size"),
            JAVA_INT.withName("headroom"),
            JAVA_INT.withName("flags"),
            MemoryLayout.paddingLayout(4)).withName("xdp_umem_reg"));

        public static final long ADDR = offset(LAYOUT, "addr");
        public static final long LEN = offset(LAYOUT, "len");
        public static final long CHUNK_SIZE = offset(LAYOUT, "chunk_size");
        public static final long HEADROOM = offset(LAYOUT, "headroom");
        public static final long FLAGS = offset(LAYOUT, "flags");

        private XdpUmemReg()
        {
        }
    }

    public static final class XdpStatistics
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_LONG.withName("rx_dropped"),
            JAVA_LONG.withName("rx_invalid_descs"),
            JAVA_LONG.withName("tx_invalid_descs"),
            JAVA_LONG.withName("rx_ring_full"),
            JAVA_LONG.withName("rx_fill_ring_empty_descs"),
            JAVA_LONG.withName("tx_ring_empty_descs")).withName("xdp_statistics"));

        private XdpStatistics()
        {
        }
    }

    public static final class XdpOptions
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("flags")).withName("xdp_options"));

        private XdpOptions()
        {
        }
    }

    public static final class XdpDesc
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_INT.withName("options")).withName("xdp_desc"));

        public static final long ADDR = offset(LAYOUT, "addr");
        public static final long LEN = offset(LAYOUT, "len");
        public static final long OPTIONS = offset(LAYOUT, "options");

        private XdpDesc()
        {
        }
    }
}
