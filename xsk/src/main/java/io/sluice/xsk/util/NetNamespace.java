package io.sluice.xsk.util;

import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Named network namespaces ({@code ip netns add NAME}): entering one with {@code setns(2)} on the calling thread, or
 * running a task on a new thread inside one. Sockets, XDP attachments and generator runs made there belong to it.
 */
public final class NetNamespace
{
    private static final String RUN_DIR = "/var/run/netns/";

    private NetNamespace()
    {
    }

    /**
     * Move the calling thread into a named namespace, for good.
     *
     * @param name as given to {@code ip netns add}.
     * @throws NativeException if it does not exist or the thread may not enter it.
     */
    public static void enter(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
            final int fd = LibC.open(state, arena.allocateFrom(RUN_DIR + name), LibC.O_RDONLY | LibC.O_CLOEXEC);
            NativeException.check(fd, "open " + RUN_DIR + name, state, "create it with `ip netns add " + name + "`");
            try
            {
                NativeException.check(LibC.setns(state, fd, LibC.CLONE_NEWNET), "setns(" + name + ")", state,
                    "entering a network namespace needs CAP_SYS_ADMIN");
            }
            finally
            {
                LibC.closeQuietly(fd);
            }
        }
    }

    /**
     * Run a task on a new thread that has entered a namespace, and wait for it.
     *
     * @param name the namespace.
     * @param task what to run there.
     * @return its result.
     * @throws Exception what the task threw.
     */
    public static <T> T call(final String name, final Callable<T> task) throws Exception
    {
        final FutureTask<T> future = new FutureTask<>(() ->
        {
            enter(name);
            return task.call();
        });
        final Thread thread = new Thread(future, "netns-" + name);
        thread.start();
        try
        {
            return future.get();
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof Exception e)
            {
                throw e;
            }
            throw ex;
        }
    }
}
