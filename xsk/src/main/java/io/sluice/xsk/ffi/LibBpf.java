package io.sluice.xsk.ffi;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static io.sluice.xsk.ffi.Ffi.CAPTURE_ERRNO;
import static io.sluice.xsk.ffi.Ffi.C_POINTER;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static io.sluice.xsk.ffi.LibC.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libbpf ({@code bpf/libbpf.h}, {@code bpf/bpf.h}). Functions returning int report failure as a negative errno,
 * as libbpf 1.x does; functions returning a pointer return NULL and set errno, so they take a call state.
 */
public final class LibBpf
{
    private static final String LIB = "libbpf.so.1";
    private static final String LIBBPF_H = "bpf/libbpf.h";
    private static final String BPF_H = "bpf/bpf.h";
    private static final SymbolLookup LOOKUP = Ffi.library(LIB, "libbpf1");

    private static final MethodHandle OBJECT_OPEN_MEM = Ffi.downcall(LIB, LOOKUP, "bpf_object__open_mem",
        FunctionDescriptor.of(C_POINTER, C_POINTER, JAVA_LONG, C_POINTER), CAPTURE_ERRNO);
    private static final MethodHandle OBJECT_LOAD = Ffi.downcall(LIB, LOOKUP, "bpf_object__load",
        FunctionDescriptor.of(JAVA_INT, C_POINTER));
    private static final MethodHandle OBJECT_CLOSE = Ffi.downcall(LIB, LOOKUP, "bpf_object__close",
        FunctionDescriptor.ofVoid(C_POINTER));
    private static final MethodHandle OBJECT_FIND_MAP_BY_NAME = Ffi.downcall(LIB, LOOKUP,
        "bpf_object__find_map_by_name", FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
    private static final MethodHandle OBJECT_FIND_PROGRAM_BY_NAME = Ffi.downcall(LIB, LOOKUP,
        "bpf_object__find_program_by_name", FunctionDescriptor.of(C_POINTER, C_POINTER, C_POINTER));
    private static final MethodHandle MAP_FD = Ffi.downcall(LIB, LOOKUP, "bpf_map__fd",
        FunctionDescriptor.of(JAVA_INT, C_POINTER));
    private static final MethodHandle MAP_SET_MAX_ENTRIES = Ffi.downcall(LIB, LOOKUP, "bpf_map__set_max_entries",
        FunctionDescriptor.of(JAVA_INT, C_POINTER, JAVA_INT));
    private static final MethodHandle PROGRAM_FD = Ffi.downcall(LIB, LOOKUP, "bpf_program__fd",
        FunctionDescriptor.of(JAVA_INT, C_POINTER));
    private static final MethodHandle MAP_UPDATE_ELEM = Ffi.downcall(LIB, LOOKUP, "bpf_map_update_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, C_POINTER, JAVA_LONG));
    private static final MethodHandle MAP_LOOKUP_ELEM = Ffi.downcall(LIB, LOOKUP, "bpf_map_lookup_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, C_POINTER));
    private static final MethodHandle MAP_DELETE_ELEM = Ffi.downcall(LIB, LOOKUP, "bpf_map_delete_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle MAP_GET_NEXT_KEY = Ffi.downcall(LIB, LOOKUP, "bpf_map_get_next_key",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, C_POINTER));
    private static final MethodHandle LINK_CREATE = Ffi.downcall(LIB, LOOKUP, "bpf_link_create",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle XDP_ATTACH = Ffi.downcall(LIB, LOOKUP, "bpf_xdp_attach",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle XDP_DETACH = Ffi.downcall(LIB, LOOKUP, "bpf_xdp_detach",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle XDP_QUERY = Ffi.downcall(LIB, LOOKUP, "bpf_xdp_query",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle PROG_GET_FD_BY_ID = Ffi.downcall(LIB, LOOKUP, "bpf_prog_get_fd_by_id",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle OBJ_GET_INFO_BY_FD = Ffi.downcall(LIB, LOOKUP, "bpf_obj_get_info_by_fd",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, C_POINTER));
    private static final MethodHandle PROG_TEST_RUN_OPTS = Ffi.downcall(LIB, LOOKUP, "bpf_prog_test_run_opts",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER));
    private static final MethodHandle PROG_LOAD = Ffi.downcall(LIB, LOOKUP, "bpf_prog_load",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, C_POINTER, C_POINTER, C_POINTER, JAVA_LONG, C_POINTER));
    private static final MethodHandle NUM_POSSIBLE_CPUS = Ffi.downcall(LIB, LOOKUP, "libbpf_num_possible_cpus",
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SET_PRINT = Ffi.downcall(LIB, LOOKUP, "libbpf_set_print",
        FunctionDescriptor.of(ADDRESS, ADDRESS));

    private LibBpf()
    {
    }

    /**
     * {@code struct bpf_test_run_opts} ({@code bpf/bpf.h}).
     */
    public static final class BpfTestRunOpts
    {
        public static final StructLayout LAYOUT = struct(BPF_H, MemoryLayout.structLayout(
            JAVA_LONG.withName("sz"),
            C_POINTER.withName("data_in"),
            C_POINTER.withName("data_out"),
            JAVA_INT.withName("data_size_in"),
            JAVA_INT.withName("data_size_out"),
            C_POINTER.withName("ctx_in"),
            C_POINTER.withName("ctx_out"),
            JAVA_INT.withName("ctx_size_in"),
            JAVA_INT.withName("ctx_size_out"),
            JAVA_INT.withName("retval"),
            JAVA_INT.withName("repeat"),
            JAVA_INT.withName("duration"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("cpu"),
            JAVA_INT.withName("batch_size")).withName("bpf_test_run_opts"));

        public static final long SZ = offset(LAYOUT, "sz");
        public static final long DATA_IN = offset(LAYOUT, "data_in");
        public static final long DATA_OUT = offset(LAYOUT, "data_out");
        public static final long DATA_SIZE_IN = offset(LAYOUT, "data_size_in");
        public static final long DATA_SIZE_OUT = offset(LAYOUT, "data_size_out");
        public static final long CTX_IN = offset(LAYOUT, "ctx_in");
        public static final long CTX_OUT = offset(LAYOUT, "ctx_out");
        public static final long CTX_SIZE_IN = offset(LAYOUT, "ctx_size_in");
        public static final long CTX_SIZE_OUT = offset(LAYOUT, "ctx_size_out");
        public static final long RETVAL = offset(LAYOUT, "retval");
        public static final long REPEAT = offset(LAYOUT, "repeat");
        public static final long DURATION = offset(LAYOUT, "duration");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long CPU = offset(LAYOUT, "cpu");
        public static final long BATCH_SIZE = offset(LAYOUT, "batch_size");

        private BpfTestRunOpts()
        {
        }
    }

    /**
     * {@code struct bpf_link_create_opts} ({@code bpf/bpf.h}); only {@code flags} is used for XDP links.
     */
    public static final class BpfLinkCreateOpts
    {
        public static final StructLayout LAYOUT = struct(BPF_H, MemoryLayout.structLayout(
            JAVA_LONG.withName("sz"),
            JAVA_INT.withName("flags"),
            MemoryLayout.paddingLayout(4),
            C_POINTER.withName("iter_info"),
            JAVA_INT.withName("iter_info_len"),
            JAVA_INT.withName("target_btf_id"),
            MemoryLayout.unionLayout(
                MemoryLayout.structLayout(JAVA_LONG.withName("bpf_cookie")).withName("perf_event"),
                MemoryLayout.structLayout(
                    JAVA_INT.withName("flags"),
                    JAVA_INT.withName("cnt"),
                    C_POINTER.withName("syms"),
                    C_POINTER.withName("addrs"),
                    C_POINTER.withName("cookies")).withName("kprobe_multi"),
                MemoryLayout.structLayout(JAVA_LONG.withName("cookie")).withName("tracing")))
            .withName("bpf_link_create_opts"));

        public static final long SZ = offset(LAYOUT, "sz");
        public static final long FLAGS = offset(LAYOUT, "flags");

        private BpfLinkCreateOpts()
        {
        }
    }

    /**
     * {@code struct bpf_xdp_attach_opts} ({@code bpf/libbpf.h}).
     */
    public static final class BpfXdpAttachOpts
    {
        public static final StructLayout LAYOUT = struct(LIBBPF_H, MemoryLayout.structLayout(
            JAVA_LONG.withName("sz"),
            JAVA_INT.withName("old_prog_fd"),
            MemoryLayout.paddingLayout(4)).withName("bpf_xdp_attach_opts"));

        public static final long SZ = offset(LAYOUT, "sz");
        public static final long OLD_PROG_FD = offset(LAYOUT, "old_prog_fd");

        private BpfXdpAttachOpts()
        {
        }
    }

    /**
     * {@code struct bpf_xdp_query_opts} ({@code bpf/libbpf.h}).
     */
    public static final class BpfXdpQueryOpts
    {
        public static final StructLayout LAYOUT = struct(LIBBPF_H, MemoryLayout.structLayout(
            JAVA_LONG.withName("sz"),
            JAVA_INT.withName("prog_id"),
            JAVA_INT.withName("drv_prog_id"),
            JAVA_INT.withName("hw_prog_id"),
            JAVA_INT.withName("skb_prog_id"),
            JAVA_BYTE.withName("attach_mode"),
            MemoryLayout.paddingLayout(7)).withName("bpf_xdp_query_opts"));

        public static final long SZ = offset(LAYOUT, "sz");
        public static final long PROG_ID = offset(LAYOUT, "prog_id");
        public static final long DRV_PROG_ID = offset(LAYOUT, "drv_prog_id");
        public static final long SKB_PROG_ID = offset(LAYOUT, "skb_prog_id");
        public static final long ATTACH_MODE = offset(LAYOUT, "attach_mode");

        private BpfXdpQueryOpts()
        {
        }
    }

    public static MemorySegment bpf_object__open_mem(
        final MemorySegment callState, final MemorySegment buffer, final long size, final MemorySegment opts)
    {
        try
        {
            return (MemorySegment)OBJECT_OPEN_MEM.invokeExact(callState, buffer, size, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_object__load(final MemorySegment object)
    {
        try
        {
            return (int)OBJECT_LOAD.invokeExact(object);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void bpf_object__close(final MemorySegment object)
    {
        try
        {
            OBJECT_CLOSE.invokeExact(object);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment bpf_object__find_map_by_name(final MemorySegment object, final MemorySegment name)
    {
        try
        {
            return (MemorySegment)OBJECT_FIND_MAP_BY_NAME.invokeExact(object, name);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment bpf_object__find_program_by_name(
        final MemorySegment object, final MemorySegment name)
    {
        try
        {
            return (MemorySegment)OBJECT_FIND_PROGRAM_BY_NAME.invokeExact(object, name);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map__fd(final MemorySegment map)
    {
        try
        {
            return (int)MAP_FD.invokeExact(map);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map__set_max_entries(final MemorySegment map, final int maxEntries)
    {
        try
        {
            return (int)MAP_SET_MAX_ENTRIES.invokeExact(map, maxEntries);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_program__fd(final MemorySegment program)
    {
        try
        {
            return (int)PROGRAM_FD.invokeExact(program);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map_update_elem(
        final int fd, final MemorySegment key, final MemorySegment value, final long flags)
    {
        try
        {
            return (int)MAP_UPDATE_ELEM.invokeExact(fd, key, value, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map_lookup_elem(final int fd, final MemorySegment key, final MemorySegment value)
    {
        try
        {
            return (int)MAP_LOOKUP_ELEM.invokeExact(fd, key, value);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map_delete_elem(final int fd, final MemorySegment key)
    {
        try
        {
            return (int)MAP_DELETE_ELEM.invokeExact(fd, key);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_map_get_next_key(final int fd, final MemorySegment key, final MemorySegment nextKey)
    {
        try
        {
            return (int)MAP_GET_NEXT_KEY.invokeExact(fd, key, nextKey);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_link_create(
        final int progFd, final int targetFd, final int attachType, final MemorySegment opts)
    {
        try
        {
            return (int)LINK_CREATE.invokeExact(progFd, targetFd, attachType, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_xdp_attach(final int ifindex, final int progFd, final int flags, final MemorySegment opts)
    {
        try
        {
            return (int)XDP_ATTACH.invokeExact(ifindex, progFd, flags, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_xdp_detach(final int ifindex, final int flags, final MemorySegment opts)
    {
        try
        {
            return (int)XDP_DETACH.invokeExact(ifindex, flags, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_xdp_query(final int ifindex, final int flags, final MemorySegment opts)
    {
        try
        {
            return (int)XDP_QUERY.invokeExact(ifindex, flags, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_prog_get_fd_by_id(final int id)
    {
        try
        {
            return (int)PROG_GET_FD_BY_ID.invokeExact(id);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_obj_get_info_by_fd(final int fd, final MemorySegment info, final MemorySegment infoLen)
    {
        try
        {
            return (int)OBJ_GET_INFO_BY_FD.invokeExact(fd, info, infoLen);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int bpf_prog_test_run_opts(final int progFd, final MemorySegment opts)
    {
        try
        {
            return (int)PROG_TEST_RUN_OPTS.invokeExact(progFd, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code bpf_prog_load}: load raw instructions, 8 bytes each ({@code struct bpf_insn}).
     *
     * @return the program's fd, or a negative errno.
     */
    public static int bpf_prog_load(
        final int progType,
        final MemorySegment progName,
        final MemorySegment license,
        final MemorySegment insns,
        final long insnCount,
        final MemorySegment opts)
    {
        try
        {
            return (int)PROG_LOAD.invokeExact(progType, progName, license, insns, insnCount, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int libbpf_num_possible_cpus()
    {
        try
        {
            return (int)NUM_POSSIBLE_CPUS.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static MemorySegment libbpf_set_print(final MemorySegment printFn)
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
