package io.sluice.xsk.ffi;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static io.sluice.xsk.ffi.Ffi.C_POINTER;
import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static io.sluice.xsk.ffi.LibC.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * libxdp ({@code xdp/libxdp.h}, {@code xdp/xsk.h}). Pointer results may be error pointers: decode them with
 * {@link #libxdp_get_error(MemorySegment)}. The xsk ring helpers are static inline in C and are re-implemented
 * in Java over the mmapped rings, so only the ring struct layouts appear here.
 */
public final class LibXdp
{
    private static final String LIB = "libxdp.so.1";
    private static final String LIBXDP_H = "xdp/libxdp.h";
    private static final String XSK_H = "xdp/xsk.h";
    private static final SymbolLookup LOOKUP = Ffi.library(LIB, "libxdp1");

    public static final int XDP_MODE_UNSPEC = (int)constant(LIBXDP_H, "XDP_MODE_UNSPEC", 0);
    public static final int XDP_MODE_NATIVE = (int)constant(LIBXDP_H, "XDP_MODE_NATIVE", 1);
    public static final int XDP_MODE_SKB = (int)constant(LIBXDP_H, "XDP_MODE_SKB", 2);
    public static final int XDP_MODE_HW = (int)constant(LIBXDP_H, "XDP_MODE_HW", 3);
    public static final int XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD =
        (int)constant(XSK_H, "XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD", 1);

    private static final MethodHandle PROGRAM_FROM_BPF_OBJ = Ffi.downcall(LIB, LOOKUP, "xdp_program__from_bpf_obj",
        FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
    private static final MethodHandle PROGRAM_ATTACH = Ffi.downcall(LIB, LOOKUP, "xdp_program__attach",
        FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle PROGRAM_DETACH = Ffi.downcall(LIB, LOOKUP, "xdp_program__detach",
        FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle PROGRAM_CLOSE = Ffi.downcall(LIB, LOOKUP, "xdp_program__close",
        FunctionDescriptor.ofVoid(C_POINTER));
    private static final MethodHandle PROGRAM_NAME = Ffi.downcall(LIB, LOOKUP, "xdp_program__name",
        FunctionDescriptor.of(C_POINTER, C_POINTER));
    private static final MethodHandle MULTIPROG_GET_FROM_IFINDEX = Ffi.downcall(LIB, LOOKUP,
        "xdp_multiprog__get_from_ifindex", FunctionDescriptor.of(C_POINTER, JAVA_INT));
    private static final MethodHandle MULTIPROG_NEXT_PROG = Ffi.downcall(LIB, LOOKUP, "xdp_multiprog__next_prog",
        FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
    private static final MethodHandle MULTIPROG_IS_LEGACY = Ffi.downcall(LIB, LOOKUP, "xdp_multiprog__is_legacy",
        FunctionDescriptor.of(JAVA_BOOLEAN, C_POINTER));
    private static final MethodHandle MULTIPROG_ATTACH_MODE = Ffi.downcall(LIB, LOOKUP,
        "xdp_multiprog__attach_mode", FunctionDescriptor.of(JAVA_INT, C_POINTER));
    private static final MethodHandle MULTIPROG_CLOSE = Ffi.downcall(LIB, LOOKUP, "xdp_multiprog__close",
        FunctionDescriptor.ofVoid(C_POINTER));
    private static final MethodHandle GET_ERROR = Ffi.downcall(LIB, LOOKUP, "libxdp_get_error",
        FunctionDescriptor.of(JAVA_LONG, C_POINTER));
    private static final MethodHandle SET_PRINT = Ffi.downcall(LIB, LOOKUP, "libxdp_set_print",
        FunctionDescriptor.of(ADDRESS, ADDRESS));

    private LibXdp()
    {
    }

    /**
     * {@code struct xsk_ring_prod} and {@code struct xsk_ring_cons} share this shape ({@code DEFINE_XSK_RING}).
     */
    public static final class XskRing
    {
        private static MemoryLayout ring(final String name)
        {
            return MemoryLayout.structLayout(
                JAVA_INT.withName("cached_prod"),
                JAVA_INT.withName("cached_cons"),
                JAVA_INT.withName("mask"),
                JAVA_INT.withName("size"),
                C_POINTER.withName("producer"),
                C_POINTER.withName("consumer"),
                C_POINTER.withName("ring"),
                C_POINTER.withName("flags")).withName(name);
        }

        public static final StructLayout PROD_LAYOUT = struct(XSK_H, (StructLayout)ring("xsk_ring_prod"));
        public static final StructLayout CONS_LAYOUT = struct(XSK_H, (StructLayout)ring("xsk_ring_cons"));

        public static final long CACHED_PROD = offset(PROD_LAYOUT, "cached_prod");
        public static final long CACHED_CONS = offset(PROD_LAYOUT, "cached_cons");
        public static final long MASK = offset(PROD_LAYOUT, "mask");
        public static final long SIZE = offset(PROD_LAYOUT, "size");
        public static final long PRODUCER = offset(PROD_LAYOUT, "producer");
        public static final long CONSUMER = offset(PROD_LAYOUT, "consumer");
        public static final long RING = offset(PROD_LAYOUT, "ring");
        public static final long FLAGS = offset(PROD_LAYOUT, "flags");

        private XskRing()
        {
        }
    }

    public static final class XskUmemConfig
    {
        public static final StructLayout LAYOUT = struct(XSK_H, MemoryLayout.structLayout(
            JAVA_INT.withName("fill_size"),
            JAVA_INT.withName("comp_size"),
            JAVA_INT.withName("frame_size"),
            JAVA_INT.withName("frame_headroom"),
            JAVA_INT.withName("flags")).withName("xsk_umem_config"));

        private XskUmemConfig()
        {
        }
    }

    public static final class XskSocketConfig
    {
        public static final StructLayout LAYOUT = struct(XSK_H, MemoryLayout.structLayout(
            JAVA_INT.withName("rx_size"),
            JAVA_INT.withName("tx_size"),
            MemoryLayout.unionLayout(
                JAVA_INT.withName("libbpf_flags"),
                JAVA_INT.withName("libxdp_flags")),
            JAVA_INT.withName("xdp_flags"),
            JAVA_SHORT.withName("bind_flags"),
            MemoryLayout.paddingLayout(2)).withName("xsk_socket_config"));

        private XskSocketConfig()
        {
        }
    }

    public static MemorySegment xdp_program__from_bpf_obj(final MemorySegment object, final MemorySegment section)
    {
        try
        {
            return (MemorySegment)PROGRAM_FROM_BPF_OBJ.invokeExact(object, section);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int xdp_program__attach(
        final MemorySegment program, final int ifindex, final int mode, final int flags)
    {
        try
        {
            return (int)PROGRAM_ATTACH.invokeExact(program, ifindex, mode, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int xdp_program__detach(
        final MemorySegment program, final int ifindex, final int mode, final int flags)
    {
        try
        {
            return (int)PROGRAM_DETACH.invokeExact(program, ifindex, mode, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void xdp_program__close(final MemorySegment program)
    {
        try
        {
            PROGRAM_CLOSE.invokeExact(program);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment xdp_program__name(final MemorySegment program)
    {
        try
        {
            return (MemorySegment)PROGRAM_NAME.invokeExact(program);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment xdp_multiprog__get_from_ifindex(final int ifindex)
    {
        try
        {
            return (MemorySegment)MULTIPROG_GET_FROM_IFINDEX.invokeExact(ifindex);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment xdp_multiprog__next_prog(final MemorySegment program, final MemorySegment multiprog)
    {
        try
        {
            return (MemorySegment)MULTIPROG_NEXT_PROG.invokeExact(program, multiprog);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static boolean xdp_multiprog__is_legacy(final MemorySegment multiprog)
    {
        try
        {
            return (boolean)MULTIPROG_IS_LEGACY.invokeExact(multiprog);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int xdp_multiprog__attach_mode(final MemorySegment multiprog)
    {
        try
        {
            return (int)MULTIPROG_ATTACH_MODE.invokeExact(multiprog);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void xdp_multiprog__close(final MemorySegment multiprog)
    {
        try
        {
            MULTIPROG_CLOSE.invokeExact(multiprog);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static long libxdp_get_error(final MemorySegment pointer)
    {
        try
        {
            return (long)GET_ERROR.invokeExact(pointer);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment libxdp_set_print(final MemorySegment printFn)
    {
        try
        {
            return (MemorySegment)SET_PRINT.invokeExact(printFn);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }
}
