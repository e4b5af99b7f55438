package io.sluice.xsk.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static io.sluice.xsk.ffi.Ffi.CAPTURE_ERRNO;
import static io.sluice.xsk.ffi.Ffi.C_POINTER;
import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * libc: {@code unistd.h}, {@code fcntl.h}, {@code sched.h}, {@code sys/mman.h}, {@code sys/socket.h},
 * {@code sys/ioctl.h}, {@code poll.h}, {@code net/if.h}, {@code stdio.h} and {@code string.h}. Every call that can fail takes a call-state segment of
 * {@link Ffi#CALL_STATE_LAYOUT} first and leaves errno there; read it with {@link Ffi#errno(MemorySegment)}.
 */
public final class LibC
{
    private static final String LIB = "libc";
    private static final SymbolLookup LOOKUP = Ffi.LINKER.defaultLookup();

    public static final int O_RDONLY = (int)constant("fcntl.h", "O_RDONLY", 0);
    public static final int O_CLOEXEC = (int)constant("fcntl.h", "O_CLOEXEC", 0x80000);
    public static final int CLONE_NEWNET = (int)constant("sched.h", "CLONE_NEWNET", 0x40000000);
    public static final int SOCK_RAW = (int)constant("sys/socket.h", "SOCK_RAW", 3);
    public static final int PROT_READ = (int)constant("sys/mman.h", "PROT_READ", 1);
    public static final int PROT_WRITE = (int)constant("sys/mman.h", "PROT_WRITE", 2);
    public static final int MAP_SHARED = (int)constant("sys/mman.h", "MAP_SHARED", 1);
    public static final int MAP_PRIVATE = (int)constant("sys/mman.h", "MAP_PRIVATE", 2);
    public static final int MAP_ANONYMOUS = (int)constant("sys/mman.h", "MAP_ANONYMOUS", 0x20);
    public static final int MAP_POPULATE = (int)constant("sys/mman.h", "MAP_POPULATE", 0x8000);
    public static final int MAP_HUGETLB = (int)constant("sys/mman.h", "MAP_HUGETLB", 0x40000);
    public static final int MAP_HUGE_SHIFT = (int)constant("sys/mman.h", "MAP_HUGE_SHIFT", 26);
    public static final int AF_INET = (int)constant("sys/socket.h", "AF_INET", 2);
    public static final int SOCK_DGRAM = (int)constant("sys/socket.h", "SOCK_DGRAM", 2);
    public static final int SOCK_CLOEXEC = (int)constant("sys/socket.h", "SOCK_CLOEXEC", 0x80000);
    public static final int SOL_SOCKET = (int)constant("sys/socket.h", "SOL_SOCKET", 1);
    public static final int MSG_DONTWAIT = (int)constant("sys/socket.h", "MSG_DONTWAIT", 0x40);
    public static final int MSG_TRUNC = (int)constant("sys/socket.h", "MSG_TRUNC", 0x20);
    public static final int SO_BUSY_POLL = (int)constant("sys/socket.h", "SO_BUSY_POLL", 46);
    public static final int SO_PREFER_BUSY_POLL = (int)constant("sys/socket.h", "SO_PREFER_BUSY_POLL", 69);
    public static final int SO_BUSY_POLL_BUDGET = (int)constant("sys/socket.h", "SO_BUSY_POLL_BUDGET", 70);
    public static final short POLLIN = (short)constant("poll.h", "POLLIN", 1);
    public static final short POLLOUT = (short)constant("poll.h", "POLLOUT", 4);
    public static final int IFNAMSIZ = (int)constant("net/if.h", "IFNAMSIZ", 16);
    public static final long MAP_FAILED = -1L;
    public static final long SYS_MEMBARRIER = constant("sys/syscall.h", "SYS_membarrier", 324);
    public static final int MEMBARRIER_CMD_GLOBAL =
        (int)constant("linux/membarrier.h", "MEMBARRIER_CMD_GLOBAL", 1);

    private static final MethodHandle CLOSE = Ffi.downcall(
        LIB, LOOKUP, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle OPEN = Ffi.downcall(
        LIB, LOOKUP, "open", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_INT),
        CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SOCKET = Ffi.downcall(
        LIB, LOOKUP, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle SETNS = Ffi.downcall(
        LIB, LOOKUP, "setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle IF_NAMETOINDEX = Ffi.downcall(
        LIB, LOOKUP, "if_nametoindex", FunctionDescriptor.of(JAVA_INT, C_POINTER), CAPTURE_ERRNO);
    private static final MethodHandle MMAP = Ffi.downcall(
        LIB, LOOKUP, "mmap",
        FunctionDescriptor.of(C_POINTER, C_POINTER, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
        CAPTURE_ERRNO);
    private static final MethodHandle MUNMAP = Ffi.downcall(
        LIB, LOOKUP, "munmap", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle SYSCALL_2 = Ffi.downcall(
        LIB, LOOKUP, "syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT),
        CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle BIND = Ffi.downcall(
        LIB, LOOKUP, "bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle SETSOCKOPT = Ffi.downcall(
        LIB, LOOKUP, "setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER, JAVA_INT),
        CAPTURE_ERRNO);
    private static final MethodHandle GETSOCKOPT = Ffi.downcall(
        LIB, LOOKUP, "getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER, C_POINTER),
        CAPTURE_ERRNO);
    private static final MethodHandle SENDTO = Ffi.downcall(
        LIB, LOOKUP, "sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, C_POINTER, JAVA_LONG, JAVA_INT, C_POINTER, JAVA_INT),
        CAPTURE_ERRNO);
    private static final MethodHandle RECVFROM = Ffi.downcall(
        LIB, LOOKUP, "recvfrom",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, C_POINTER, JAVA_LONG, JAVA_INT, C_POINTER, C_POINTER),
        CAPTURE_ERRNO);
    private static final MethodHandle POLL = Ffi.downcall(
        LIB, LOOKUP, "poll", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle IOCTL = Ffi.downcall(
        LIB, LOOKUP, "ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, C_POINTER),
        CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MLOCK = Ffi.downcall(
        LIB, LOOKUP, "mlock", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle MUNLOCK = Ffi.downcall(
        LIB, LOOKUP, "munlock", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle SCHED_SETAFFINITY = Ffi.downcall(
        LIB, LOOKUP, "sched_setaffinity", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, C_POINTER),
        CAPTURE_ERRNO);
    private static final MethodHandle SCHED_GETAFFINITY = Ffi.downcall(
        LIB, LOOKUP, "sched_getaffinity", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, C_POINTER),
        CAPTURE_ERRNO);
    private static final MethodHandle GETTID = Ffi.downcall(
        LIB, LOOKUP, "gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle STRERROR = Ffi.downcall(
        LIB, LOOKUP, "strerror", FunctionDescriptor.of(C_POINTER, JAVA_INT));
    private static final MethodHandle VSNPRINTF = Ffi.downcall(
        LIB, LOOKUP, "vsnprintf", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG, C_POINTER, ADDRESS));

    private LibC()
    {
    }

    /**
     * {@code struct pollfd} ({@code poll.h}).
     */
    public static final class Pollfd
    {
        public static final StructLayout LAYOUT = struct("poll.h", MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents")).withName("pollfd"));

        public static final long FD = offset(LAYOUT, "fd");
        public static final long EVENTS = offset(LAYOUT, "events");
        public static final long REVENTS = offset(LAYOUT, "revents");

        private Pollfd()
        {
        }
    }

    /**
     * {@code struct ifreq} ({@code net/if.h}), with only the members Sluice uses named: the interface name, and
     * {@code ifru_data} for {@code SIOCETHTOOL}.
     */
    public static final class Ifreq
    {
        public static final StructLayout LAYOUT = struct("net/if.h", MemoryLayout.structLayout(
            MemoryLayout.unionLayout(
                MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("ifrn_name")).withName("ifr_ifrn"),
            MemoryLayout.unionLayout(
                C_POINTER.withName("ifru_data"),
                MemoryLayout.sequenceLayout(24, JAVA_BYTE)).withName("ifr_ifru")).withName("ifreq"));

        public static final long IFRN_NAME = offset(LAYOUT, "ifr_ifrn", "ifrn_name");
        public static final long IFRU_DATA = offset(LAYOUT, "ifr_ifru", "ifru_data");

        private Ifreq()
        {
        }
    }

    public static int close(final MemorySegment callState, final int fd)
    {
        try
        {
            return (int)CLOSE.invokeExact(callState, fd);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int open(final MemorySegment callState, final MemorySegment path, final int flags)
    {
        try
        {
            return (int)OPEN.invokeExact(callState, path, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int socket(final MemorySegment callState, final int domain, final int type, final int protocol)
    {
        try
        {
            return (int)SOCKET.invokeExact(callState, domain, type, protocol);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int setns(final MemorySegment callState, final int fd, final int nstype)
    {
        try
        {
            return (int)SETNS.invokeExact(callState, fd, nstype);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int if_nametoindex(final MemorySegment callState, final MemorySegment name)
    {
        try
        {
            return (int)IF_NAMETOINDEX.invokeExact(callState, name);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment mmap(
        final MemorySegment callState,
        final MemorySegment addr,
        final long length,
        final int prot,
        final int flags,
        final int fd,
        final long offset)
    {
        try
        {
            return (MemorySegment)MMAP.invokeExact(callState, addr, length, prot, flags, fd, offset);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int munmap(final MemorySegment callState, final MemorySegment addr, final long length)
    {
        try
        {
            return (int)MUNMAP.invokeExact(callState, addr, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code syscall(number, a, b)}, for system calls glibc has no wrapper for (membarrier).
     */
    public static long syscall(final MemorySegment callState, final long number, final int a, final int b)
    {
        try
        {
            return (long)SYSCALL_2.invokeExact(callState, number, a, b);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bind(final MemorySegment callState, final int fd, final MemorySegment addr, final int len)
    {
        try
        {
            return (int)BIND.invokeExact(callState, fd, addr, len);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int setsockopt(
        final MemorySegment callState,
        final int fd,
        final int level,
        final int name,
        final MemorySegment value,
        final int len)
    {
        try
        {
            return (int)SETSOCKOPT.invokeExact(callState, fd, level, name, value, len);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code getsockopt}; {@code len} is a {@code socklen_t *} holding the buffer size in and the size used out.
     */
    public static int getsockopt(
        final MemorySegment callState,
        final int fd,
        final int level,
        final int name,
        final MemorySegment value,
        final MemorySegment len)
    {
        try
        {
            return (int)GETSOCKOPT.invokeExact(callState, fd, level, name, value, len);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static long sendto(
        final MemorySegment callState,
        final int fd,
        final MemorySegment buffer,
        final long length,
        final int flags,
        final MemorySegment addr,
        final int addrLen)
    {
        try
        {
            return (long)SENDTO.invokeExact(callState, fd, buffer, length, flags, addr, addrLen);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static long recvfrom(
        final MemorySegment callState,
        final int fd,
        final MemorySegment buffer,
        final long length,
        final int flags,
        final MemorySegment addr,
        final MemorySegment addrLen)
    {
        try
        {
            return (long)RECVFROM.invokeExact(callState, fd, buffer, length, flags, addr, addrLen);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int poll(final MemorySegment callState, final MemorySegment fds, final long count, final int timeoutMs)
    {
        try
        {
            return (int)POLL.invokeExact(callState, fds, count, timeoutMs);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code ioctl(fd, request, argp)}, the pointer-argument form.
     */
    public static int ioctl(final MemorySegment callState, final int fd, final long request, final MemorySegment arg)
    {
        try
        {
            return (int)IOCTL.invokeExact(callState, fd, request, arg);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mlock(final MemorySegment callState, final MemorySegment addr, final long length)
    {
        try
        {
            return (int)MLOCK.invokeExact(callState, addr, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int munlock(final MemorySegment callState, final MemorySegment addr, final long length)
    {
        try
        {
            return (int)MUNLOCK.invokeExact(callState, addr, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code sched_setaffinity(tid, size, mask)}; tid 0 is the calling thread.
     */
    public static int sched_setaffinity(
        final MemorySegment callState, final int tid, final long size, final MemorySegment mask)
    {
        try
        {
            return (int)SCHED_SETAFFINITY.invokeExact(callState, tid, size, mask);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int sched_getaffinity(
        final MemorySegment callState, final int tid, final long size, final MemorySegment mask)
    {
        try
        {
            return (int)SCHED_GETAFFINITY.invokeExact(callState, tid, size, mask);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * The kernel's id of the calling thread, as in {@code /proc/self/task/TID}.
     */
    public static int gettid()
    {
        try
        {
            return (int)GETTID.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static String strerror(final int errno)
    {
        try
        {
            return ((MemorySegment)STRERROR.invokeExact(errno)).getString(0);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code vsnprintf}: formats the {@code va_list} libbpf and libxdp hand to their print callbacks.
     */
    public static int vsnprintf(
        final MemorySegment buffer, final long size, final MemorySegment format, final MemorySegment vaList)
    {
        try
        {
            return (int)VSNPRINTF.invokeExact(buffer, size, format, vaList);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * Close a descriptor, ignoring EINTR as Linux does (the descriptor is released either way).
     *
     * @param fd the descriptor; negative values are ignored.
     */
    public static void closeQuietly(final int fd)
    {
        if (fd >= 0)
        {
            try (Arena arena = Arena.ofConfined())
            {
                close(arena.allocate(Ffi.CALL_STATE_LAYOUT), fd);
            }
        }
    }

    /**
     * Unmap a mapping as an arena's cleanup action does, ignoring failure (there is nothing left to do about it).
     *
     * @param address start of the mapping.
     * @param length  its length in bytes.
     */
    public static void unmapQuietly(final long address, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            munmap(arena.allocate(Ffi.CALL_STATE_LAYOUT), MemorySegment.ofAddress(address), length);
        }
    }

    /**
     * The index of a network interface in the calling thread's network namespace.
     *
     * @param ifname interface name.
     * @return its index.
     * @throws NativeException naming the interface if it does not exist.
     */
    public static int ifIndex(final String ifname)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
            final int index = if_nametoindex(state, arena.allocateFrom(ifname));
            if (0 == index)
            {
                throw new NativeException(
                    "interface " + ifname + " not found (if_nametoindex)", Ffi.errno(state),
                    "check the name with `ip link`, and that Sluice runs in the interface's network namespace");
            }

            return index;
        }
    }

    static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException re)
        {
            return re;
        }
        if (t instanceof Error e)
        {
            throw e;
        }

        return new IllegalStateException(t);
    }
}
