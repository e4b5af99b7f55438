package io.sluice.xsk.ffi;

import java.io.IOException;
import java.io.InputStream;

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
}
