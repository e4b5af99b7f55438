package io.sluice.xsk.ffi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The project's compiled BPF objects, which the build puts on the classpath under {@code io/sluice/bpf/}.
 */
public final class BpfObject
{
    private BpfObject()
    {
    }

    /**
     * @param resource e.g. {@code /io/sluice/bpf/sluice_xdp.o}.
     * @return the object file's bytes, for {@code bpf_object__open_mem}.
     * @throws IllegalStateException saying how to build it if it is missing.
     */
    public static byte[] read(final String resource)
    {
        try (InputStream in = BpfObject.class.getResourceAsStream(resource))
        {
            if (null == in)
            {
                throw new IllegalStateException(resource + " is not on the classpath: build with ./sluice, " +
                    "which compiles bpf/ with clang");
            }

            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("reading " + resource, ex);
        }
    }

    /**
     * Open one of the objects with libbpf ({@code bpf_object__open_mem}). libbpf reads the ELF image until the
     * object is loaded, so it is copied into memory of the caller's arena, which must outlive the load.
     *
     * @param arena    the owner's arena.
     * @param resource e.g. {@code /io/sluice/bpf/sluice_xdp.o}.
     * @return the {@code struct bpf_object *}.
     * @throws NativeException if libbpf cannot open it.
     */
    public static MemorySegment open(final Arena arena, final String resource)
    {
        final byte[] elf = read(resource);
        final MemorySegment image = arena.allocate(elf.length, 8);
        MemorySegment.copy(elf, 0, image, JAVA_BYTE, 0, elf.length);
        final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
        final MemorySegment object = LibBpf.bpf_object__open_mem(state, image, elf.length, MemorySegment.NULL);
        if (MemorySegment.NULL.equals(object))
        {
            throw new NativeException("bpf_object__open_mem(" + resource + ")", Ffi.errno(state), null);
        }

        return object;
    }
}
