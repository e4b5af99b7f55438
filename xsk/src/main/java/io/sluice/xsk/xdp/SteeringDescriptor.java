package io.sluice.xsk.xdp;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Layouts and constants of the XDP program's maps, mirroring {@code bpf/src/sluice_xdp.h}; a gcc-compiled test
 * checks them against that header.
 */
public final class SteeringDescriptor
{
    static final String H = "sluice_xdp.h";

    public static final int MAX_RULES = (int)constant(H, "SLUICE_MAX_RULES", 64);
    public static final int BANKS = (int)constant(H, "SLUICE_BANKS", 2);
    public static final int PROTO_SLOTS = (int)constant(H, "SLUICE_PROTO_SLOTS", 256);
    public static final int PORT_NONE = (int)constant(H, "SLUICE_PORT_NONE", 65536);
    public static final int PORT_SLOTS = (int)constant(H, "SLUICE_PORT_SLOTS", 65537);
    public static final int RULE_PREFIXES_MAX = (int)constant(H, "SLUICE_RULE_PREFIXES_MAX", 130);
    public static final int BLOCKLIST_MAX_DEFAULT = (int)constant(H, "SLUICE_BLOCKLIST_MAX_DEFAULT", 16384);
    public static final int ALLOWLIST_MAX = (int)constant(H, "SLUICE_ALLOWLIST_MAX", 1024);
    public static final int XSKMAP_MAX_DEFAULT = (int)constant(H, "SLUICE_XSKMAP_MAX_DEFAULT", 64);
    public static final int BANK_BITS = (int)constant(H, "SLUICE_BANK_BITS", 8);
    public static final int CONFIG_BLOCKLIST_ACTIVE = (int)constant(H, "SLUICE_CONFIG_BLOCKLIST_ACTIVE", 1);
    public static final int CONFIG_STEER_ALL = (int)constant(H, "SLUICE_CONFIG_STEER_ALL", 2);
    public static final int CONFIG_ALLOWLIST_ACTIVE = (int)constant(H, "SLUICE_CONFIG_ALLOWLIST_ACTIVE", 4);
    public static final int CONFIG_STAMP = (int)constant(H, "SLUICE_CONFIG_STAMP", 8);
    public static final int OUTCOMES = (int)constant(H, "SLUICE_OUTCOMES", 8);
    public static final int COUNTERS = (int)constant(H, "SLUICE_COUNTERS", 12);

    public static final StructLayout CONFIG_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("generation"),
        JAVA_INT.withName("flags")).withName("sluice_config"));
    public static final long CONFIG_GENERATION = offset(CONFIG_LAYOUT, "generation");
    public static final long CONFIG_FLAGS = offset(CONFIG_LAYOUT, "flags");

    public static final int META_MAGIC = (int)constant(H, "SLUICE_META_MAGIC", 0x534C4345L);
    public static final StructLayout META_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("generation"),
        JAVA_INT.withName("magic")).withName("sluice_meta"));
    public static final long META_GENERATION = offset(META_LAYOUT, "generation");
    public static final long META_MAGIC_OFFSET = offset(META_LAYOUT, "magic");

    public static final StructLayout STAT_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_LONG.withName("packets"),
        JAVA_LONG.withName("bytes")).withName("sluice_stat"));
    public static final long STAT_PACKETS = offset(STAT_LAYOUT, "packets");
    public static final long STAT_BYTES = offset(STAT_LAYOUT, "bytes");

    public static final StructLayout LPM_KEY_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("prefixlen"),
        MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("addr")).withName("sluice_lpm_key"));
    public static final long LPM_KEY_PREFIXLEN = offset(LPM_KEY_LAYOUT, "prefixlen");
    public static final long LPM_KEY_ADDR = offset(LPM_KEY_LAYOUT, "addr");

    public static final StructLayout BLOCK_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_LONG.withName("expires_ns"),
        JAVA_INT.withName("slot"),
        JAVA_INT.withName("pad")).withName("sluice_block"));
    public static final long BLOCK_EXPIRES_NS = offset(BLOCK_LAYOUT, "expires_ns");
    public static final long BLOCK_SLOT = offset(BLOCK_LAYOUT, "slot");

    public static final StructLayout RULE_LPM_KEY_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("prefixlen"),
        JAVA_BYTE.withName("bank"),
        MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("addr"),
        MemoryLayout.sequenceLayout(3, JAVA_BYTE).withName("pad")).withName("sluice_rule_lpm_key"));
    public static final long RULE_LPM_KEY_PREFIXLEN = offset(RULE_LPM_KEY_LAYOUT, "prefixlen");
    public static final long RULE_LPM_KEY_BANK = offset(RULE_LPM_KEY_LAYOUT, "bank");
    public static final long RULE_LPM_KEY_ADDR = offset(RULE_LPM_KEY_LAYOUT, "addr");

    public static final StructLayout RULE_ACTION_LAYOUT = struct(H, MemoryLayout.structLayout(
        JAVA_INT.withName("action"),
        JAVA_INT.withName("rule_id"),
        JAVA_INT.withName("stat_slot"),
        JAVA_INT.withName("pad")).withName("sluice_rule_action"));
    public static final long RULE_ACTION_ACTION = offset(RULE_ACTION_LAYOUT, "action");
    public static final long RULE_ACTION_RULE_ID = offset(RULE_ACTION_LAYOUT, "rule_id");
    public static final long RULE_ACTION_STAT_SLOT = offset(RULE_ACTION_LAYOUT, "stat_slot");

    private SteeringDescriptor()
    {
    }
}
