package io.sluice.xsk.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Layouts and constants of the generator program's maps, mirroring {@code bpf/src/sluice_gen.h}; a gcc-compiled
 * test checks them against that header.
 */
public final class GeneratorDescriptor
{
    static final String H = "sluice_gen.h";

    public static final int FLAG_IPV6 = (int)constant(H, "SLUICE_GEN_IPV6", 1);
    public static final int FLAG_UDP_CSUM = (int)constant(H, "SLUICE_GEN_UDP_CSUM", 2);
    public static final int OFFSET_MASK = (int)constant(H, "SLUICE_GEN_OFFSET_MASK", 0xFFF);
    public static final int COUNTERS = (int)constant(H, "SLUICE_GEN_COUNTERS", 4);

    public static final StructLayout CONFIG_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("egress_ifindex"),
        JAVA_INT.withName("flags"),
        JAVA_SHORT.withName("l3_offset"),
        JAVA_SHORT.withName("l4_offset"),
        JAVA_SHORT.withName("seq_offset"),
        JAVA_SHORT.withName("ts_offset"),
        JAVA_SHORT.withName("src_port_base"),
        JAVA_SHORT.withName("src_port_count"),
        JAVA_SHORT.withName("ip_check"),
        JAVA_SHORT.withName("udp_check"),
        JAVA_INT.withName("src_addr_low"),
        JAVA_INT.withName("src_addr_count")).withName("sluice_gen_config"));
    public static final long CONFIG_EGRESS_IFINDEX = offset(CONFIG_LAYOUT, "egress_ifindex");
    public static final long CONFIG_FLAGS = offset(CONFIG_LAYOUT, "flags");
    public static final long CONFIG_L3_OFFSET = offset(CONFIG_LAYOUT, "l3_offset");
    public static final long CONFIG_L4_OFFSET = offset(CONFIG_LAYOUT, "l4_offset");
    public static final long CONFIG_SEQ_OFFSET = offset(CONFIG_LAYOUT, "seq_offset");
    public static final long CONFIG_TS_OFFSET = offset(CONFIG_LAYOUT, "ts_offset");
    public static final long CONFIG_SRC_PORT_BASE = offset(CONFIG_LAYOUT, "src_port_base");
    public static final long CONFIG_SRC_PORT_COUNT = offset(CONFIG_LAYOUT, "src_port_count");
    public static final long CONFIG_IP_CHECK = offset(CONFIG_LAYOUT, "ip_check");
    public static final long CONFIG_UDP_CHECK = offset(CONFIG_LAYOUT, "udp_check");
    public static final long CONFIG_SRC_ADDR_LOW = offset(CONFIG_LAYOUT, "src_addr_low");
    public static final long CONFIG_SRC_ADDR_COUNT = offset(CONFIG_LAYOUT, "src_addr_count");

    private GeneratorDescriptor()
    {
    }
}
