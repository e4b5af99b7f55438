package io.sluice.xsk.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static io.sluice.xsk.ffi.Ffi.CAPTURE_ERRNO;
import static io.sluice.xsk.ffi.Ffi.C_POINTER;
import static io.sluice.xsk.ffi.Ffi.constant;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libc: {@code unistd.h}, {@code fcntl.h}, {@code sched.h}, {@code sys/mman.h}, {@code net/if.h},
 * {@code stdio.h} and {@code string.h}. Every call that can fail takes a call-state segment of
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
    private static final MethodHandle STRERROR = Ffi.downcall(
        LIB, LOOKUP, "strerror", FunctionDescriptor.of(C_POINTER, JAVA_INT));
    private static final MethodHandle VSNPRINTF = Ffi.downcall(
        LIB, LOOKUP, "vsnprintf", FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_LONG, C_POINTER, ADDRESS));

    private LibC()
    {
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
