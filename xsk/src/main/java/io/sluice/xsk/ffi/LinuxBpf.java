package io.sluice.xsk.ffi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The kernel's {@code linux/bpf.h} and {@code linux/if_link.h}: uapi structs and constants.
 */
public final class LinuxBpf
{
    private static final String H = "linux/bpf.h";
    private static final String IF_LINK_H = "linux/if_link.h";

    public static final int BPF_ANY = (int)constant(H, "BPF_ANY", 0);
    public static final int BPF_NOEXIST = (int)constant(H, "BPF_NOEXIST", 1);
    public static final int BPF_XDP = (int)constant(H, "BPF_XDP", 37);
    public static final int BPF_OBJ_NAME_LEN = (int)constant(H, "BPF_OBJ_NAME_LEN", 16);
    public static final int XDP_ABORTED = (int)constant(H, "XDP_ABORTED", 0);
    public static final int XDP_DROP = (int)constant(H, "XDP_DROP", 1);
    public static final int XDP_PASS = (int)constant(H, "XDP_PASS", 2);
    public static final int XDP_TX = (int)constant(H, "XDP_TX", 3);
    public static final int XDP_REDIRECT = (int)constant(H, "XDP_REDIRECT", 4);
    public static final int BPF_PROG_TYPE_XDP = (int)constant(H, "BPF_PROG_TYPE_XDP", 6);
    public static final int BPF_FUNC_XDP_ADJUST_META = (int)constant(H, "BPF_FUNC_xdp_adjust_meta", 54);
    public static final int BPF_F_TEST_XDP_LIVE_FRAMES = (int)constant(H, "BPF_F_TEST_XDP_LIVE_FRAMES", 2);

    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = (int)constant(IF_LINK_H, "XDP_FLAGS_UPDATE_IF_NOEXIST", 1);
    public static final int XDP_FLAGS_SKB_MODE = (int)constant(IF_LINK_H, "XDP_FLAGS_SKB_MODE", 2);
    public static final int XDP_FLAGS_DRV_MODE = (int)constant(IF_LINK_H, "XDP_FLAGS_DRV_MODE", 4);
    public static final int XDP_FLAGS_REPLACE = (int)constant(IF_LINK_H, "XDP_FLAGS_REPLACE", 16);
    public static final int XDP_ATTACHED_NONE = (int)constant(IF_LINK_H, "XDP_ATTACHED_NONE", 0);
    public static final int XDP_ATTACHED_DRV = (int)constant(IF_LINK_H, "XDP_ATTACHED_DRV", 1);
    public static final int XDP_ATTACHED_SKB = (int)constant(IF_LINK_H, "XDP_ATTACHED_SKB", 2);
    public static final int XDP_ATTACHED_HW = (int)constant(IF_LINK_H, "XDP_ATTACHED_HW", 3);
    public static final int XDP_ATTACHED_MULTI = (int)constant(IF_LINK_H, "XDP_ATTACHED_MULTI", 4);

    private LinuxBpf()
    {
    }

    /**
     * {@code struct xdp_md}: the context BPF_PROG_TEST_RUN takes for an XDP program.
     */
    public static final class XdpMd
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("data"),
            JAVA_INT.withName("data_end"),
            JAVA_INT.withName("data_meta"),
            JAVA_INT.withName("ingress_ifindex"),
            JAVA_INT.withName("rx_queue_index"),
            JAVA_INT.withName("egress_ifindex")).withName("xdp_md"));

        public static final long DATA = offset(LAYOUT, "data");
        public static final long DATA_END = offset(LAYOUT, "data_end");
        public static final long DATA_META = offset(LAYOUT, "data_meta");
        public static final long INGRESS_IFINDEX = offset(LAYOUT, "ingress_ifindex");
        public static final long RX_QUEUE_INDEX = offset(LAYOUT, "rx_queue_index");

        private XdpMd()
        {
        }
    }

    /**
     * {@code struct bpf_prog_info}: how a program found on an interface is identified by name.
     */
    public static final class BpfProgInfo
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("id"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("tag"),
            JAVA_INT.withName("jited_prog_len"),
            JAVA_INT.withName("xlated_prog_len"),
            JAVA_LONG.withName("jited_prog_insns"),
            JAVA_LONG.withName("xlated_prog_insns"),
            JAVA_LONG.withName("load_time"),
            JAVA_INT.withName("created_by_uid"),
            JAVA_INT.withName("nr_map_ids"),
            JAVA_LONG.withName("map_ids"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("name"),
            JAVA_INT.withName("ifindex"),
            JAVA_INT, // gpl_compatible:1 and 31 bits of padding; a bit-field has no offsetof
            JAVA_LONG.withName("netns_dev"),
            JAVA_LONG.withName("netns_ino"),
            JAVA_INT.withName("nr_jited_ksyms"),
            JAVA_INT.withName("nr_jited_func_lens"),
            JAVA_LONG.withName("jited_ksyms"),
            JAVA_LONG.withName("jited_func_lens"),
            JAVA_INT.withName("btf_id"),
            JAVA_INT.withName("func_info_rec_size"),
            JAVA_LONG.withName("func_info"),
            JAVA_INT.withName("nr_func_info"),
            JAVA_INT.withName("nr_line_info"),
            JAVA_LONG.withName("line_info"),
            JAVA_LONG.withName("jited_line_info"),
            JAVA_INT.withName("nr_jited_line_info"),
            JAVA_INT.withName("line_info_rec_size"),
            JAVA_INT.withName("jited_line_info_rec_size"),
            JAVA_INT.withName("nr_prog_tags"),
            JAVA_LONG.withName("prog_tags"),
            JAVA_LONG.withName("run_time_ns"),
            JAVA_LONG.withName("run_cnt"),
            JAVA_LONG.withName("recursion_misses"),
            JAVA_INT.withName("verified_insns"),
            JAVA_INT.withName("attach_btf_obj_id"),
            JAVA_INT.withName("attach_btf_id"),
            MemoryLayout.paddingLayout(4)).withName("bpf_prog_info"));

        public static final long ID = offset(LAYOUT, "id");
        public static final long NAME = offset(LAYOUT, "name");

        private BpfProgInfo()
        {
        }
    }
}
