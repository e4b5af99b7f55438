package io.sluice.xsk.netlink;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxGenetlink;
import io.sluice.xsk.ffi.LinuxGenetlink.Genlmsghdr;
import io.sluice.xsk.ffi.LinuxNetlink;
import io.sluice.xsk.ffi.LinuxNetlink.Nlmsgerr;
import io.sluice.xsk.ffi.LinuxNetlink.Nlmsghdr;
import io.sluice.xsk.ffi.LinuxNetlink.SockaddrNl;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A generic netlink socket ({@code AF_NETLINK}, {@code NETLINK_GENERIC}) for one request and its reply at a time:
 * resolve a family's id by name through the controller, then send that family a command and read back its
 * attributes. Not for dumps or notifications. The socket is in the network namespace of the thread that opens it,
 * and so is every device it asks about.
 */
public final class GenericNetlink implements AutoCloseable
{
    /**
     * Bytes read per reply. The largest reply asked for is the controller's CTRL_CMD_GETFAMILY, which lists the
     * family's operations and multicast groups: a few KiB for the largest families. The kernel sends a reply as
     * one datagram, and a longer one than this is reported, not cut short.
     */
    public static final int REPLY_BYTES_DEFAULT = 32 * 1024;
    /**
     * How long to wait for a reply. The kernel answers a request in the sender's context, before sendto returns,
     * so the wait only bounds a kernel that never answers.
     */
    public static final int REPLY_TIMEOUT_MS_DEFAULT = 1_000;

    private static final int REQUEST_BYTES = 512;
    private static final int CTRL_VERSION = 1;

    private final Arena arena;
    private final MemorySegment state;
    private final MemorySegment request;
    private final MemorySegment reply;
    private final MemorySegment kernel;
    private final MemorySegment pollfd;
    private final int fd;
    private int sequence;

    private GenericNetlink(final Arena arena, final int fd)
    {
        this.arena = arena;
        this.fd = fd;
        this.state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
        this.request = arena.allocate(REQUEST_BYTES, 8);
        this.reply = arena.allocate(REPLY_BYTES_DEFAULT, 8);
        this.kernel = arena.allocate(SockaddrNl.LAYOUT);
        this.kernel.set(JAVA_SHORT, SockaddrNl.NL_FAMILY, (short)LinuxNetlink.AF_NETLINK);
        this.pollfd = arena.allocate(LibC.Pollfd.LAYOUT);
        this.pollfd.set(JAVA_INT, LibC.Pollfd.FD, fd);
        this.pollfd.set(JAVA_SHORT, LibC.Pollfd.EVENTS, LibC.POLLIN);
        this.sequence = (int)(System.nanoTime() >>> 10);
    }

    /**
     * Open a generic netlink socket in the calling thread's network namespace.
     *
     * @return the socket; close it.
     * @throws NativeException if the socket cannot be created.
     */
    public static GenericNetlink open()
    {
        final Arena arena = Arena.ofConfined();
        try
        {
            final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
            final int fd = NativeException.check(LibC.socket(state, LinuxNetlink.AF_NETLINK,
                LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LinuxNetlink.NETLINK_GENERIC),
                "socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC)", state, null);
            final MemorySegment one = arena.allocateFrom(JAVA_INT, 1);
            // best effort: errors then carry the kernel's text, and do not echo the request back
            LibC.setsockopt(state, fd, LinuxNetlink.SOL_NETLINK, LinuxNetlink.NETLINK_EXT_ACK, one, 4);
            LibC.setsockopt(state, fd, LinuxNetlink.SOL_NETLINK, LinuxNetlink.NETLINK_CAP_ACK, one, 4);

            return new GenericNetlink(arena, fd);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    /**
     * Resolve a generic netlink family's id with the controller's {@code CTRL_CMD_GETFAMILY}.
     *
     * @param name the family, e.g. {@code netdev}.
     * @return its id, the {@code nlmsg_type} of its messages.
     * @throws NativeException with {@link Errno#ENOENT} if this kernel has no such family.
     */
    public int familyId(final String name)
    {
        final NetlinkAttributes attributes = request("CTRL_CMD_GETFAMILY " + name, LinuxGenetlink.GENL_ID_CTRL,
            LinuxGenetlink.CTRL_CMD_GETFAMILY, CTRL_VERSION,
            NetlinkAttributes.string(LinuxGenetlink.CTRL_ATTR_FAMILY_NAME, name));
        if (!attributes.has(LinuxGenetlink.CTRL_ATTR_FAMILY_ID))
        {
            throw new NativeException("CTRL_CMD_GETFAMILY " + name + ": the reply has no CTRL_ATTR_FAMILY_ID");
        }

        return attributes.u16(LinuxGenetlink.CTRL_ATTR_FAMILY_ID);
    }

    /**
     * Send a family one command and read its reply.
     *
     * @param operation  what is asked, for an error's message, e.g. "NETDEV_CMD_DEV_GET ifindex 3".
     * @param family     the family's id ({@link #familyId(String)}).
     * @param command    the {@code genlmsghdr} command.
     * @param version    the family's version.
     * @param attributes the request's attributes, each from {@link NetlinkAttributes#u32} or
     *                   {@link NetlinkAttributes#string}.
     * @return the reply's top-level attributes.
     * @throws NativeException with the kernel's errno, and its extended-ack text when it gave one.
     */
    public NetlinkAttributes request(
        final String operation,
        final int family,
        final int command,
        final int version,
        final byte[]... attributes)
    {
        final int seq = ++sequence;
        int length = LinuxNetlink.NLMSG_HDRLEN + LinuxGenetlink.GENL_HDRLEN;
        request.fill((byte)0);
        for (final byte[] attribute : attributes)
        {
            if (length + attribute.length > REQUEST_BYTES)
            {
                throw new IllegalArgumentException(operation + ": request longer than " + REQUEST_BYTES + " bytes");
            }
            MemorySegment.copy(attribute, 0, request, JAVA_BYTE, length, attribute.length);
            length += LinuxNetlink.align(attribute.length);
        }
        request.set(JAVA_INT, Nlmsghdr.NLMSG_LEN, length);
        request.set(JAVA_SHORT, Nlmsghdr.NLMSG_TYPE, (short)family);
        request.set(JAVA_SHORT, Nlmsghdr.NLMSG_FLAGS, (short)LinuxNetlink.NLM_F_REQUEST);
        request.set(JAVA_INT, Nlmsghdr.NLMSG_SEQ, seq);
        request.set(JAVA_BYTE, LinuxNetlink.NLMSG_HDRLEN + Genlmsghdr.CMD, (byte)command);
        request.set(JAVA_BYTE, LinuxNetlink.NLMSG_HDRLEN + Genlmsghdr.VERSION, (byte)version);

        final long sent = LibC.sendto(state, fd, request, length, 0, kernel, (int)SockaddrNl.LAYOUT.byteSize());
        if (sent < 0)
        {
            throw new NativeException("sendto(NETLINK_GENERIC) for " + operation, Ffi.errno(state), null);
        }

        while (true)
        {
            final int received = receive(operation);
            int at = 0;
            while (at + LinuxNetlink.NLMSG_HDRLEN <= received)
            {
                final int messageLength = reply.get(JAVA_INT, at + Nlmsghdr.NLMSG_LEN);
                if (messageLength < LinuxNetlink.NLMSG_HDRLEN || at + messageLength > received)
                {
                    throw new NativeException(operation + ": malformed netlink reply (nlmsg_len " + messageLength +
                        " at " + at + " of " + received + " bytes)");
                }
                final int type = Short.toUnsignedInt(reply.get(JAVA_SHORT, at + Nlmsghdr.NLMSG_TYPE));
                if (reply.get(JAVA_INT, at + Nlmsghdr.NLMSG_SEQ) == seq)
                {
                    if (LinuxNetlink.NLMSG_ERROR == type)
                    {
                        final int error = reply.get(JAVA_INT, at + LinuxNetlink.NLMSG_HDRLEN + Nlmsgerr.ERROR);
                        if (error < 0)
                        {
                            throw new NativeException(operation, -error, extAckMessage(at, messageLength));
                        }
                    }
                    else if (family == type)
                    {
                        final int payload = LinuxNetlink.NLMSG_HDRLEN + LinuxGenetlink.GENL_HDRLEN;
                        return NetlinkAttributes.parse(reply.asSlice(at + payload, messageLength - payload));
                    }
                }
                // another sequence's message, or an ACK: a reply of ours still follows
                at += LinuxNetlink.align(messageLength);
            }
        }
    }

    public void close()
    {
        LibC.closeQuietly(fd);
        arena.close();
    }

    private int receive(final String operation)
    {
        final int ready = LibC.poll(state, pollfd, 1, REPLY_TIMEOUT_MS_DEFAULT);
        if (ready < 0)
        {
            throw new NativeException("poll(NETLINK_GENERIC) for " + operation, Ffi.errno(state), null);
        }
        if (0 == ready)
        {
            throw new NativeException(operation + ": no reply from the kernel within " + REPLY_TIMEOUT_MS_DEFAULT +
                " ms", Errno.ETIMEDOUT, null);
        }
        // MSG_TRUNC: a netlink socket returns the datagram's full length, so a reply too long is seen, not cut
        final long received = LibC.recvfrom(state, fd, reply, reply.byteSize(), LibC.MSG_TRUNC, MemorySegment.NULL,
            MemorySegment.NULL);
        if (received < 0)
        {
            throw new NativeException("recvfrom(NETLINK_GENERIC) for " + operation, Ffi.errno(state), null);
        }
        if (received > reply.byteSize())
        {
            throw new NativeException(operation + ": a " + received + "-byte reply does not fit the " +
                reply.byteSize() + "-byte buffer");
        }

        return (int)received;
    }

    /**
     * The {@code NLMSGERR_ATTR_MSG} an {@code NLMSG_ERROR} carries when the socket asked for extended ACKs.
     */
    private String extAckMessage(final int at, final int messageLength)
    {
        final int flags = Short.toUnsignedInt(reply.get(JAVA_SHORT, at + Nlmsghdr.NLMSG_FLAGS));
        if (0 == (flags & LinuxNetlink.NLM_F_ACK_TLVS))
        {
            return null;
        }
        int tlvs = LinuxNetlink.NLMSG_HDRLEN + (int)Nlmsgerr.LAYOUT.byteSize();
        if (0 == (flags & LinuxNetlink.NLM_F_CAPPED))
        {
            // the request's payload is echoed after its header
            tlvs += reply.get(JAVA_INT, at + LinuxNetlink.NLMSG_HDRLEN + Nlmsgerr.MSG + Nlmsghdr.NLMSG_LEN) -
                LinuxNetlink.NLMSG_HDRLEN;
        }
        if (tlvs >= messageLength)
        {
            return null;
        }
        final NetlinkAttributes attributes = NetlinkAttributes.parse(
            reply.asSlice(at + tlvs, messageLength - tlvs));

        return attributes.has(LinuxNetlink.NLMSGERR_ATTR_MSG) ?
            "the kernel says: " + attributes.string(LinuxNetlink.NLMSGERR_ATTR_MSG) : null;
    }
}
