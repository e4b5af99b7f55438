package io.sluice.xsk.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Routes libbpf's and libxdp's messages to {@link System.Logger} instead of stderr. Their warnings are logged as
 * warnings and everything else at DEBUG, unless the calling thread is {@link #capture capturing}, when messages
 * are collected instead so that an expected failure (libxdp's dispatcher probe) is reported once, in Sluice's words.
 */
public final class NativeLog
{
    private static final System.Logger LOGGER = System.getLogger("io.sluice.native");
    private static final int LEVEL_WARN = 0;
    private static final int LEVEL_INFO = 1;
    /**
     * Longest message kept: libbpf prints a verifier log as one message, and its last lines say why a load failed.
     */
    private static final int MESSAGE_CAPACITY = 1 << 16;
    private static final ThreadLocal<List<String>> CAPTURE = new ThreadLocal<>();
    private static boolean installed;

    private NativeLog()
    {
    }

    /**
     * Install the print callbacks; idempotent.
     */
    public static synchronized void install()
    {
        if (!installed)
        {
            try
            {
                final MethodHandle target = MethodHandles.lookup().findStatic(
                    NativeLog.class, "print", MethodType.methodType(int.class, int.class, MemorySegment.class,
                    MemorySegment.class));
                final FunctionDescriptor descriptor = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
                final MemorySegment stub = Ffi.LINKER.upcallStub(target, descriptor, Arena.global());
                LibBpf.libbpf_set_print(stub);
                LibXdp.libxdp_set_print(stub);
                installed = true;
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new IllegalStateException(ex);
            }
        }
    }

    /**
     * Run an action while collecting, instead of logging, what the native libraries print on this thread.
     *
     * @param sink   receives the messages.
     * @param action to run.
     */
    public static void capture(final List<String> sink, final Runnable action)
    {
        final List<String> previous = CAPTURE.get();
        CAPTURE.set(sink);
        try
        {
            action.run();
        }
        finally
        {
            CAPTURE.set(previous);
        }
    }

    @SuppressWarnings("unused") // called from native code through the upcall stub
    private static int print(final int level, final MemorySegment format, final MemorySegment vaList)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(MESSAGE_CAPACITY);
            LibC.vsnprintf(buffer, MESSAGE_CAPACITY, format.reinterpret(Long.MAX_VALUE), vaList);
            final String message = buffer.getString(0).strip();
            final List<String> sink = CAPTURE.get();
            if (null != sink)
            {
                sink.add(message);
            }
            else
            {
                LOGGER.log(LEVEL_WARN == level ? System.Logger.Level.WARNING :
                    LEVEL_INFO == level ? System.Logger.Level.DEBUG : System.Logger.Level.TRACE, message);
            }
        }
        catch (final Throwable ignore)
        {
            // an upcall must not throw into native code
        }

        return 0;
    }

}
