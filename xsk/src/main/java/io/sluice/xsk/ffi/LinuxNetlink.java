package io.sluice.xsk.ffi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The kernel's {@code linux/netlink.h}: netlink's socket address, message and attribute headers, and the
 * {@code AF_NETLINK} options a request/reply client needs.
 */
public final class LinuxNetlink
{
    private static final String H = "linux/netlink.h";

    public static final int AF_NETLINK = (int)constant("sys/socket.h", "AF_NETLINK", 16);
    public static final int SOL_NETLINK = (int)constant("sys/socket.h", "SOL_NETLINK", 270);

    public static final int NETLINK_GENERIC = (int)constant(H, "NETLINK_GENERIC", 16);
    public static final int NETLINK_CAP_ACK = (int)constant(H, "NETLINK_CAP_ACK", 10);
    public static final int NETLINK_EXT_ACK = (int)constant(H, "NETLINK_EXT_ACK", 11);

    public static final int NLM_F_REQUEST = (int)constant(H, "NLM_F_REQUEST", 0x01);
    public static final int NLM_F_ACK = (int)constant(H, "NLM_F_ACK", 0x04);
    public static final int NLM_F_CAPPED = (int)constant(H, "NLM_F_CAPPED", 0x100);
    public static final int NLM_F_ACK_TLVS = (int)constant(H, "NLM_F_ACK_TLVS", 0x200);

    public static final int NLMSG_ALIGNTO = (int)constant(H, "NLMSG_ALIGNTO", 4);
    public static final int NLMSG_HDRLEN = (int)constant(H, "NLMSG_HDRLEN", 16);
    public static final int NLMSG_ERROR = (int)constant(H, "NLMSG_ERROR", 0x2);
    public static final int NLMSG_DONE = (int)constant(H, "NLMSG_DONE", 0x3);
    public static final int NLMSGERR_ATTR_MSG = (int)constant(H, "NLMSGERR_ATTR_MSG", 1);

    public static final int NLA_ALIGNTO = (int)constant(H, "NLA_ALIGNTO", 4);
    public static final int NLA_HDRLEN = (int)constant(H, "NLA_HDRLEN", 4);
    public static final int NLA_F_NESTED = (int)constant(H, "NLA_F_NESTED", 1 << 15);
    public static final int NLA_F_NET_BYTEORDER = (int)constant(H, "NLA_F_NET_BYTEORDER", 1 << 14);
    public static final int NLA_TYPE_MASK = (int)constant(H, "NLA_TYPE_MASK", ~((1 << 15) | (1 << 14)));

    private LinuxNetlink()
    {
    }

    /**
     * {@code NLMSG_ALIGN} and {@code NLA_ALIGN}: both round up to four bytes.
     *
     * @param length a message or attribute length.
     * @return it rounded up to the next multiple of four.
     */
    public static int align(final int length)
    {
        return (length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
    }

    /**
     * {@code struct sockaddr_nl}.
     */
    public static final class SockaddrNl
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_SHORT.withName("nl_family"),
            JAVA_SHORT.withName("nl_pad"),
            JAVA_INT.withName("nl_pid"),
            JAVA_INT.withName("nl_groups")).withName("sockaddr_nl"));

        public static final long NL_FAMILY = offset(LAYOUT, "nl_family");
        public static final long NL_PID = offset(LAYOUT, "nl_pid");
        public static final long NL_GROUPS = offset(LAYOUT, "nl_groups");

        private SockaddrNl()
        {
        }
    }

    /**
     * {@code struct nlmsghdr}: every netlink message starts with one.
     */
    public static final class Nlmsghdr
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("nlmsg_len"),
            JAVA_SHORT.withName("nlmsg_type"),
            JAVA_SHORT.withName("nlmsg_flags"),
            JAVA_INT.withName("nlmsg_seq"),
            JAVA_INT.withName("nlmsg_pid")).withName("nlmsghdr"));

        public static final long NLMSG_LEN = offset(LAYOUT, "nlmsg_len");
        public static final long NLMSG_TYPE = offset(LAYOUT, "nlmsg_type");
        public static final long NLMSG_FLAGS = offset(LAYOUT, "nlmsg_flags");
        public static final long NLMSG_SEQ = offset(LAYOUT, "nlmsg_seq");
        public static final long NLMSG_PID = offset(LAYOUT, "nlmsg_pid");

        private Nlmsghdr()
        {
        }
    }

    /**
     * {@code struct nlmsgerr}: the payload of an {@code NLMSG_ERROR} message, a negative errno (0 for an ACK) and
     * the header of the request it answers.
     */
    public static final class Nlmsgerr
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("error"),
            Nlmsghdr.LAYOUT.withName("msg")).withName("nlmsgerr"));

        public static final long ERROR = offset(LAYOUT, "error");
        public static final long MSG = offset(LAYOUT, "msg");

        private Nlmsgerr()
        {
        }
    }

    /**
     * {@code struct nlattr}: a type-length-value attribute, its payload padded to {@link #NLA_ALIGNTO}.
     */
    public static final class Nlattr
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_SHORT.withName("nla_len"),
            JAVA_SHORT.withName("nla_type")).withName("nlattr"));

        public static final long NLA_LEN = offset(LAYOUT, "nla_len");
        public static final long NLA_TYPE = offset(LAYOUT, "nla_type");

        private Nlattr()
        {
        }
    }
}
