package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Capabilities;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LibBpf.BpfLinkCreateOpts;
import io.sluice.xsk.ffi.LibBpf.BpfXdpAttachOpts;
import io.sluice.xsk.ffi.LibBpf.BpfXdpQueryOpts;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LibXdp;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.LinuxBpf.BpfProgInfo;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.ffi.NativeLog;
import io.sluice.xsk.xdp.SteeringProgram.Attachment;
import io.sluice.xsk.xdp.SteeringProgram.Presence;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.sluice.xsk.xdp.SteeringProgram.DISPATCHER_NAME;
import static io.sluice.xsk.xdp.SteeringProgram.PROGRAM_NAME;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Attaches a {@link SteeringProgram} to an interface and detaches it again.
 * <p>
 * Attaching first offers the program to libxdp's multi-program dispatcher, so it can share the interface with
 * other XDP programs. Where the dispatcher cannot load (on kernels that refuse its {@code freplace} extension
 * programs libxdp falls back to a plain netlink attach), Sluice says so once and attaches the program alone
 * through a BPF link instead, so that the kernel detaches it if the process dies. A {@code sluice_xdp} left on
 * the interface by a killed process is found and replaced; any other program is left alone and reported.
 * <p>
 * Not thread safe: the program calls it under its own lock.
 */
final class XdpAttacher
{
    // the program's logger, so that attach messages keep the name they are configured and filtered by
    private static final System.Logger LOGGER = System.getLogger(SteeringProgram.class.getName());
    private static final AtomicBoolean DISPATCHER_FALLBACK_REPORTED = new AtomicBoolean();

    private final SteeringProgram program;
    private MemorySegment libxdpProgram = MemorySegment.NULL;
    private int linkFd = -1;
    private int ifindex;
    private String ifname;
    private XdpMode mode;
    private Attachment attachment = Attachment.NONE;
    private int programId;

    XdpAttacher(final SteeringProgram program)
    {
        this.program = program;
    }

    /**
     * Attach to an interface in the calling thread's network namespace, loading the program if need be.
     *
     * @param interfaceName interface, e.g. {@code eth1}.
     * @param xdpMode       native (driver) or generic.
     * @throws NativeException naming the interface, the cause and a hint.
     */
    void attach(final String interfaceName, final XdpMode xdpMode)
    {
        if (Attachment.NONE != attachment)
        {
            throw new IllegalStateException(PROGRAM_NAME + " is already attached to " + ifname);
        }

        final int index = LibC.ifIndex(interfaceName);
        replaceLeftovers(interfaceName, index);
        programId = 0;

        if (program.progFd() < 0 && dispatcherDetachable() && tryDispatcher(interfaceName, index, xdpMode))
        {
            attachment = Attachment.DISPATCHER;
        }
        else
        {
            if (program.progFd() < 0)
            {
                program.load();
            }
            linkFd = createLink(interfaceName, index, xdpMode);
            attachment = Attachment.LINK;
        }

        ifindex = index;
        ifname = interfaceName;
        mode = xdpMode;
    }

    /**
     * @return how the program is attached now.
     */
    Attachment attachment()
    {
        return attachment;
    }

    /**
     * Ask the kernel whether the program is still what the interface runs; the calling thread must be in the
     * interface's network namespace.
     *
     * @return the presence.
     */
    Presence presence()
    {
        if (Attachment.NONE == attachment)
        {
            return Presence.DETACHED;
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            if (ifindex != LibC.if_nametoindex(state, call.allocateFrom(ifname)))
            {
                return Presence.INTERFACE_GONE;
            }
            final MemorySegment opts = call.allocate(BpfXdpQueryOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfXdpQueryOpts.SZ, BpfXdpQueryOpts.LAYOUT.byteSize());
            if (LibBpf.bpf_xdp_query(ifindex, 0, opts) < 0)
            {
                return Presence.INTERFACE_GONE;
            }
            final int attached = opts.get(JAVA_INT, XdpMode.NATIVE == mode ?
                BpfXdpQueryOpts.DRV_PROG_ID : BpfXdpQueryOpts.SKB_PROG_ID);
            if (Attachment.DISPATCHER == attachment)
            {
                // the dispatcher's id is libxdp's to know; a program there is taken to be it
                return 0 == attached ? Presence.REPLACED : Presence.ATTACHED;
            }

            return attached == programId(call) ? Presence.ATTACHED : Presence.REPLACED;
        }
    }

    /**
     * Detach from the interface, if attached. Idempotent.
     */
    void detach()
    {
        final Attachment was = attachment;
        attachment = Attachment.NONE;
        if (Attachment.LINK == was)
        {
            // closing the only reference to the link detaches the program
            LibC.closeQuietly(linkFd);
            linkFd = -1;
        }
        else if (Attachment.DISPATCHER == was)
        {
            final int result = LibXdp.xdp_program__detach(libxdpProgram, ifindex, mode.libxdpMode(), 0);
            if (result < 0)
            {
                LOGGER.log(System.Logger.Level.WARNING, "detaching {0} from {1}: {2}",
                    PROGRAM_NAME, ifname, Errno.describe(-result));
            }
        }
        if (Attachment.NONE != was)
        {
            LOGGER.log(System.Logger.Level.INFO, "{0} detached from {1}", PROGRAM_NAME, ifname);
        }
    }

    /**
     * Release libxdp's handle on the program object, if it took one; before the object itself is closed.
     */
    void closeLibxdpProgram()
    {
        if (!MemorySegment.NULL.equals(libxdpProgram))
        {
            LibXdp.xdp_program__close(libxdpProgram);
            libxdpProgram = MemorySegment.NULL;
        }
    }

    /**
     * The program attached to an interface, in the calling thread's network namespace.
     *
     * @param interfaceName interface.
     * @return the program's name, or null if none is attached.
     */
    static String attachedProgramName(final String interfaceName)
    {
        final int index = LibC.ifIndex(interfaceName);
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = queryXdp(call, interfaceName, index);
            final int progId = opts.get(JAVA_INT, BpfXdpQueryOpts.PROG_ID);
            if (0 == progId)
            {
                return 0 == opts.get(JAVA_BYTE, BpfXdpQueryOpts.ATTACH_MODE) ? null : "(several)";
            }
            final int fd = LibBpf.bpf_prog_get_fd_by_id(progId);
            if (fd < 0)
            {
                return null;
            }
            try
            {
                return programName(call, fd);
            }
            finally
            {
                LibC.closeQuietly(fd);
            }
        }
    }

    private int programId(final Arena call)
    {
        // the program's id never changes: asked once, not on every watchdog tick
        if (0 != programId)
        {
            return programId;
        }
        final MemorySegment info = call.allocate(BpfProgInfo.LAYOUT);
        final MemorySegment length = call.allocateFrom(JAVA_INT, (int)BpfProgInfo.LAYOUT.byteSize());
        NativeException.check(
            LibBpf.bpf_obj_get_info_by_fd(program.progFd(), info, length), "bpf_obj_get_info_by_fd");

        programId = info.get(JAVA_INT, BpfProgInfo.ID);

        return programId;
    }

    private boolean tryDispatcher(final String interfaceName, final int index, final XdpMode xdpMode)
    {
        final List<String> messages = new ArrayList<>();
        final int[] result = new int[1];
        final boolean[] legacy = new boolean[1];
        NativeLog.capture(messages, () ->
        {
            try (Arena call = Arena.ofConfined())
            {
                libxdpProgram = LibXdp.xdp_program__from_bpf_obj(program.object(), call.allocateFrom(SteeringProgram.SECTION));
                final long error = LibXdp.libxdp_get_error(libxdpProgram);
                if (0 != error)
                {
                    libxdpProgram = MemorySegment.NULL;
                    result[0] = (int)error;
                    return;
                }
                result[0] = LibXdp.xdp_program__attach(libxdpProgram, index, xdpMode.libxdpMode(), 0);
                if (0 == result[0])
                {
                    final MemorySegment multiprog = LibXdp.xdp_multiprog__get_from_ifindex(index);
                    legacy[0] = 0 == LibXdp.libxdp_get_error(multiprog) &&
                        LibXdp.xdp_multiprog__is_legacy(multiprog);
                    LibXdp.xdp_multiprog__close(multiprog);
                }
            }
        });

        program.adoptLoadedObject();
        if (0 == result[0] && !legacy[0])
        {
            return true;
        }

        if (0 == result[0])
        {
            // libxdp fell back to a netlink attach, which outlives the process; move it to a BPF link
            detachNetlink(interfaceName, index, xdpMode.linkFlags(), program.progFd());
        }
        if (program.progFd() < 0)
        {
            // libxdp may have tried to load the object and failed (without CAP_SYS_ADMIN, say); libbpf loads an
            // object once, so load a fresh one, whose failure, if any, then reports the verifier's own words
            closeLibxdpProgram();
            program.reopen();
        }
        if (DISPATCHER_FALLBACK_REPORTED.compareAndSet(false, true))
        {
            LOGGER.log(System.Logger.Level.WARNING,
                "libxdp''s multi-program dispatcher is unavailable on this kernel ({0}); attaching {1} alone " +
                "through a BPF link, so no other XDP program can share {2}",
                dispatcherFailure(messages, result[0]), PROGRAM_NAME, interfaceName);
        }
        for (final String message : messages)
        {
            LOGGER.log(System.Logger.Level.DEBUG, "libxdp: {0}", message);
        }

        return false;
    }

    /**
     * libxdp finds its dispatcher again, to detach from it, by program id ({@code bpf_prog_get_fd_by_id}), which the
     * kernel allows only with CAP_SYS_ADMIN; and the dispatcher is attached through netlink, so it outlives the
     * process. Without CAP_SYS_ADMIN Sluice would leave it attached: it attaches alone through a BPF link instead.
     */
    private static boolean dispatcherDetachable()
    {
        if (Capabilities.effective(Capabilities.CAP_SYS_ADMIN))
        {
            return true;
        }
        if (DISPATCHER_FALLBACK_REPORTED.compareAndSet(false, true))
        {
            LOGGER.log(System.Logger.Level.INFO, "without CAP_SYS_ADMIN libxdp could not detach its multi-program " +
                "dispatcher again; attaching {0} alone through a BPF link", PROGRAM_NAME);
        }

        return false;
    }

    private static String dispatcherFailure(final List<String> messages, final int result)
    {
        // libxdp's last word on the dispatcher is its verdict; earlier lines are libbpf's details
        for (int i = messages.size() - 1; i >= 0; i--)
        {
            final String message = messages.get(i);
            if (message.contains("dispatcher") && message.contains("failed"))
            {
                return message;
            }
        }
        for (final String message : messages)
        {
            // without a bpffs libxdp does not even try: name what is missing and how to get it
            if (message.contains("No bpffs"))
            {
                return message + "; mount one with: mount -t bpf bpf /sys/fs/bpf";
            }
        }

        return result < 0 ? Errno.describe(-result) : "libxdp fell back to a single program";
    }

    private int createLink(final String interfaceName, final int index, final XdpMode xdpMode)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = call.allocate(BpfLinkCreateOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfLinkCreateOpts.SZ, BpfLinkCreateOpts.LAYOUT.byteSize());
            opts.set(JAVA_INT, BpfLinkCreateOpts.FLAGS, xdpMode.linkFlags());
            final int fd = LibBpf.bpf_link_create(program.progFd(), index, LinuxBpf.BPF_XDP, opts);
            if (fd < 0)
            {
                final int errno = -fd;
                throw new NativeException("attaching " + PROGRAM_NAME + " to " + interfaceName + " (" +
                    xdpMode.name().toLowerCase() + " mode, BPF link)", errno, attachHint(errno, interfaceName, xdpMode));
            }

            return fd;
        }
    }

    private static String attachHint(final int errno, final String interfaceName, final XdpMode xdpMode)
    {
        return switch (errno)
        {
            case Errno.EPERM, Errno.EACCES -> Capabilities.xdpHint();
            case Errno.EBUSY, Errno.EEXIST ->
                "another XDP program is attached to " + interfaceName + "; see `ip link show dev " + interfaceName + "`";
            case Errno.EOPNOTSUPP, Errno.ENOTSUPP, Errno.EINVAL -> XdpMode.NATIVE == xdpMode ?
                "the driver of " + interfaceName + " may lack native XDP; try generic mode" : null;
            default -> null;
        };
    }

    private static MemorySegment queryXdp(final Arena call, final String interfaceName, final int index)
    {
        final MemorySegment opts = call.allocate(BpfXdpQueryOpts.LAYOUT);
        opts.set(JAVA_LONG, BpfXdpQueryOpts.SZ, BpfXdpQueryOpts.LAYOUT.byteSize());
        NativeException.check(LibBpf.bpf_xdp_query(index, 0, opts), "querying XDP programs on " + interfaceName);

        return opts;
    }

    private static void replaceLeftovers(final String interfaceName, final int index)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = queryXdp(call, interfaceName, index);
            final int[] ids = {
                opts.get(JAVA_INT, BpfXdpQueryOpts.DRV_PROG_ID),
                opts.get(JAVA_INT, BpfXdpQueryOpts.SKB_PROG_ID) };
            final int[] flags = { LinuxBpf.XDP_FLAGS_DRV_MODE, LinuxBpf.XDP_FLAGS_SKB_MODE };
            for (int i = 0; i < ids.length; i++)
            {
                if (0 != ids[i])
                {
                    replaceLeftover(call, interfaceName, index, ids[i], flags[i]);
                }
            }
        }
    }

    private static void replaceLeftover(
        final Arena call, final String interfaceName, final int index, final int progId, final int modeFlags)
    {
        final int fd = LibBpf.bpf_prog_get_fd_by_id(progId);
        if (fd < 0)
        {
            return; // gone since the query
        }
        try
        {
            final String name = programName(call, fd);
            if (PROGRAM_NAME.equals(name))
            {
                detachNetlink(interfaceName, index, modeFlags, fd);
                LOGGER.log(System.Logger.Level.WARNING,
                    "replaced a {0} (program id {1}) left attached to {2} by an earlier process",
                    PROGRAM_NAME, progId, interfaceName);
            }
            else if (DISPATCHER_NAME.equals(name))
            {
                removeFromDispatcher(interfaceName, index, progId);
            }
            else
            {
                throw new NativeException("attaching " + PROGRAM_NAME + " to " + interfaceName +
                    ": another XDP program is attached (" + name + ", program id " + progId + "); Sluice does not " +
                    "replace programs it did not load: detach it (ip link set dev " + interfaceName + " xdp off) " +
                    "or load it through libxdp so they can share the interface");
            }
        }
        finally
        {
            LibC.closeQuietly(fd);
        }
    }

    private static void removeFromDispatcher(final String interfaceName, final int index, final int dispatcherId)
    {
        final MemorySegment multiprog = LibXdp.xdp_multiprog__get_from_ifindex(index);
        if (0 != LibXdp.libxdp_get_error(multiprog) || MemorySegment.NULL.equals(multiprog))
        {
            return;
        }
        try
        {
            final int libxdpMode = LibXdp.xdp_multiprog__attach_mode(multiprog);
            MemorySegment prog = LibXdp.xdp_multiprog__next_prog(MemorySegment.NULL, multiprog);
            while (!MemorySegment.NULL.equals(prog))
            {
                final MemorySegment next = LibXdp.xdp_multiprog__next_prog(prog, multiprog);
                final String name = LibXdp.xdp_program__name(prog).getString(0);
                if (PROGRAM_NAME.equals(name))
                {
                    NativeException.check(LibXdp.xdp_program__detach(prog, index, libxdpMode, 0),
                        "removing a stale " + PROGRAM_NAME + " from the dispatcher (program id " + dispatcherId +
                        ") on " + interfaceName);
                    LOGGER.log(System.Logger.Level.WARNING,
                        "replaced a {0} left in libxdp''s dispatcher on {1} by an earlier process",
                        PROGRAM_NAME, interfaceName);
                }
                prog = next;
            }
        }
        finally
        {
            LibXdp.xdp_multiprog__close(multiprog);
        }
    }

    private static void detachNetlink(
        final String interfaceName, final int index, final int modeFlags, final int expectedProgFd)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment opts = call.allocate(BpfXdpAttachOpts.LAYOUT);
            opts.set(JAVA_LONG, BpfXdpAttachOpts.SZ, BpfXdpAttachOpts.LAYOUT.byteSize());
            opts.set(JAVA_INT, BpfXdpAttachOpts.OLD_PROG_FD, expectedProgFd);
            final int result = LibBpf.bpf_xdp_detach(index, modeFlags, opts);
            if (result < 0)
            {
                final int errno = -result;
                throw new NativeException("detaching an earlier " + PROGRAM_NAME + " from " + interfaceName, errno,
                    Errno.EBUSY == errno ?
                    "it is held by a BPF link of a running process: stop the other Sluice on " + interfaceName :
                    null);
            }
        }
    }

    private static String programName(final Arena call, final int progFd)
    {
        final MemorySegment info = call.allocate(BpfProgInfo.LAYOUT);
        final MemorySegment length = call.allocateFrom(JAVA_INT, (int)BpfProgInfo.LAYOUT.byteSize());
        NativeException.check(LibBpf.bpf_obj_get_info_by_fd(progFd, info, length), "bpf_obj_get_info_by_fd");

        return info.asSlice(BpfProgInfo.NAME, LinuxBpf.BPF_OBJ_NAME_LEN).getString(0);
    }
}
