package io.sluice.xsk.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Destroys a child process with every process it started, for {@link ChildProcess}: so that no grandchild outlives
 * it holding its pipe, its interface or its queue. Linux only: a zombie is told apart from a live process by
 * {@code /proc/PID/stat}.
 */
final class ProcessTree
{
    /**
     * A SIGKILLed process is gone within milliseconds unless the kernel holds it in an uninterruptible wait;
     * descendants are not this JVM's children, so waiting for them is bounded.
     */
    private static final long DESCENDANTS_KILL_WAIT_NS = TimeUnit.SECONDS.toNanos(2);

    private static final long POLL_INTERVAL_MS = 10;

    private ProcessTree()
    {
    }

    /**
     * Destroy a process and its descendants, the process first: SIGTERM, then SIGKILL to whatever is left after the
     * grace period; then wait until the process has exited and, for a bounded time, its descendants. An interrupt
     * cuts the grace period short and is kept for the caller.
     *
     * @param process a child of this JVM.
     * @param graceNs between SIGTERM and SIGKILL; 0 or less for SIGKILL at once.
     * @return whether the process was still running.
     */
    static boolean destroy(final Process process, final long graceNs)
    {
        // descendants are found through their parents, so they are listed while the process still runs
        final List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        final boolean wasAlive = process.isAlive();
        tree.add(process.toHandle());

        boolean interrupted = false;
        // the process first, in both rounds: signalled after its descendants, it could see them die and exit by
        // itself, or start another; its descendants are signalled by the pids listed above, whoever inherits them
        if (graceNs > 0)
        {
            for (int i = tree.size() - 1; i >= 0; i--)
            {
                tree.get(i).destroy();
            }
            try
            {
                awaitGone(tree, System.nanoTime() + graceNs);
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        for (int i = tree.size() - 1; i >= 0; i--)
        {
            final ProcessHandle handle = tree.get(i);
            if (!gone(handle))
            {
                handle.destroyForcibly();
            }
        }

        while (true)
        {
            try
            {
                process.waitFor();
                awaitGone(tree, System.nanoTime() + DESCENDANTS_KILL_WAIT_NS);
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        return wasAlive;
    }

    private static void awaitGone(final List<ProcessHandle> tree, final long deadlineNs) throws InterruptedException
    {
        for (final ProcessHandle handle : tree)
        {
            while (!gone(handle) && deadlineNs - System.nanoTime() > 0)
            {
                Thread.sleep(POLL_INTERVAL_MS);
            }
        }
    }

    /**
     * A process is gone once it has exited. A descendant orphaned by its parent's death stays a zombie until
     * whoever inherits it reaps it, and {@link ProcessHandle#isAlive()} counts a zombie as alive, so its state is
     * read from {@code /proc}.
     */
    private static boolean gone(final ProcessHandle handle)
    {
        if (!handle.isAlive())
        {
            return true;
        }
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            final int state = stat.lastIndexOf(')') + 2;

            return state < stat.length() && ('Z' == stat.charAt(state) || 'X' == stat.charAt(state));
        }
        catch (final NoSuchFileException ex)
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
