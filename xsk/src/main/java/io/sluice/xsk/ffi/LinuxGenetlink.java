package io.sluice.xsk.ffi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The kernel's {@code linux/genetlink.h}: generic netlink's message header, and the controller family
 * ({@code nlctrl}) that resolves a family's name to the id its messages are sent with.
 */
public final class LinuxGenetlink
{
    private static final String H = "linux/genetlink.h";

    public static final int GENL_HDRLEN = (int)constant(H, "GENL_HDRLEN", 4);
    public static final int GENL_ID_CTRL = (int)constant(H, "GENL_ID_CTRL", 0x10);
    public static final int CTRL_CMD_GETFAMILY = (int)constant(H, "CTRL_CMD_GETFAMILY", 3);
    public static final int CTRL_ATTR_FAMILY_ID = (int)constant(H, "CTRL_ATTR_FAMILY_ID", 1);
    public static final int CTRL_ATTR_FAMILY_NAME = (int)constant(H, "CTRL_ATTR_FAMILY_NAME", 2);
    public static final int CTRL_ATTR_VERSION = (int)constant(H, "CTRL_ATTR_VERSION", 3);

    private LinuxGenetlink()
    {
    }

    /**
     * {@code struct genlmsghdr}: follows the {@code nlmsghdr} of every generic netlink message.
     */
    public static final class Genlmsghdr
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_BYTE.withName("cmd"),
            JAVA_BYTE.withName("version"),
            JAVA_SHORT.withName("reserved")).withName("genlmsghdr"));

        public static final long CMD = offset(LAYOUT, "cmd");
        public static final long VERSION = offset(LAYOUT, "version");

        private Genlmsghdr()
        {
        }
    }
}
