package io.sluice.xsk.util;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pinning the calling thread, read back through sched_getaffinity and through the kernel's own view in
 * {@code /proc/self/task/TID/status} and {@code stat}. Each test runs on a thread of its own, so the test runner's
 * threads keep their affinity.
 */
class CpuAffinityTest
{
    @Test
    void shouldPinTheCallingThreadAndRestoreItsPreviousSet() throws Exception
    {
        onNewThread(() ->
        {
            final int tid = LibC.gettid();
            final int[] allowed = CpuAffinity.currentThreadCpus();
            assertArrayEquals(toArray(cpusAllowedList(tid)), allowed, "sched_getaffinity agrees with /proc");
            final int target = allowed[allowed.length - 1];

            final int[] previous = CpuAffinity.pinCurrentThread(target);

            assertArrayEquals(allowed, previous);
            assertArrayEquals(new int[]{ target }, CpuAffinity.currentThreadCpus());
            assertEquals(List.of(target), cpusAllowedList(tid));
            assertEquals(target, runningOn(tid), "the scheduler moved the thread at once");

            CpuAffinity.pinCurrentThread(previous);
            assertArrayEquals(allowed, CpuAffinity.currentThreadCpus());
            assertEquals(toList(allowed), cpusAllowedList(tid));
            return null;
        });
    }

    @Test
    void shouldPinToSeveralCpus() throws Exception
    {
        onNewThread(() ->
        {
            final int[] allowed = CpuAffinity.currentThreadCpus();
            final int[] previous = CpuAffinity.pinCurrentThread(allowed[0], allowed[allowed.length - 1], allowed[0]);
            try
            {
                final int[] expected = allowed.length > 1 ?
                    new int[]{ allowed[0], allowed[allowed.length - 1] } : new int[]{ allowed[0] };
                assertArrayEquals(expected, CpuAffinity.currentThreadCpus());
                assertEquals(toList(expected), cpusAllowedList(LibC.gettid()));
            }
            finally
            {
                CpuAffinity.pinCurrentThread(previous);
            }
            return null;
        });
    }

    @Test
    void shouldRejectEmptySetsAndCpusOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, CpuAffinity::pinCurrentThread);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(-1))
            .getMessage().contains("out of range"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(CpuAffinity.MAX_CPUS));
    }

    @Test
    void shouldNameTheThreadAndCpusWhenNoneIsOnline() throws Exception
    {
        onNewThread(() ->
        {
            final int[] before = CpuAffinity.currentThreadCpus();
            final int offline = CpuAffinity.MAX_CPUS - 1;
            final NativeException ex = assertThrows(NativeException.class, () -> CpuAffinity.pinCurrentThread(offline));

            assertEquals(Errno.EINVAL, ex.errno());
            assertTrue(ex.getMessage().contains("sched_setaffinity(thread " + LibC.gettid() + ", CPUs [" + offline +
                "])"), ex.getMessage());
            assertArrayEquals(before, CpuAffinity.currentThreadCpus(), "a refused pin changes nothing");
            return null;
        });
    }

    private static void onNewThread(final Callable<Void> task) throws Exception
    {
        final FutureTask<Void> future = new FutureTask<>(task);
        final Thread thread = new Thread(future, "cpu-affinity-test");
        thread.start();
        try
        {
            future.get();
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            if (ex.getCause() instanceof Exception e)
            {
                throw e;
            }
            throw (Error)ex.getCause();
        }
    }

    /**
     * The kernel's list of CPUs a task may run on, e.g. "0-1,4".
     */
    static List<Integer> cpusAllowedList(final int tid) throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status")))
        {
            if (line.startsWith("Cpus_allowed_list:"))
            {
                return Arrays.stream(CpuList.parseKernel(line.substring(line.indexOf(':') + 1))).boxed().toList();
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list for thread " + tid);
    }

    /**
     * The CPU a task last ran on: field 39 of {@code /proc/self/task/TID/stat}, counted after the command name,
     * which may hold spaces.
     */
    private static int runningOn(final int tid) throws Exception
    {
        final String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[39 - 3]);
    }

    private static List<Integer> toList(final int[] cpus)
    {
        final List<Integer> list = new ArrayList<>();
        for (final int cpu : cpus)
        {
            list.add(cpu);
        }
        return list;
    }

    private static int[] toArray(final List<Integer> cpus)
    {
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }
}
