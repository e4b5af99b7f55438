package io.sluice.xsk.util;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * CPU affinity of the calling thread, through {@code sched_setaffinity(2)} and {@code sched_getaffinity(2)} on its
 * kernel task ({@code gettid(2)}). A Java thread runs on one kernel task for its whole life, so a pin holds until
 * it is changed; threads the pinned thread starts inherit the set.
 * <p>
 * Sluice pins for two reasons: data-path agents keep their caches and their queue's interrupts on one core, and a
 * sender chooses the receive queue of a veth peer by the CPU it sends from (veth delivers an XDP-redirected frame
 * to rx queue {@code sending CPU % rx queues}).
 */
public final class CpuAffinity
{
    /**
     * Bytes of glibc's {@code cpu_set_t}: 1,024 CPUs, the size {@code CPU_SETSIZE} and the kernel agree on.
     */
    public static final int CPU_SET_BYTES = 128;

    /**
     * CPUs a set can name, 0 to {@code MAX_CPUS - 1}.
     */
    public static final int MAX_CPUS = CPU_SET_BYTES * Byte.SIZE;

    private CpuAffinity()
    {
    }

    /**
     * Restrict the calling thread to a set of CPUs. The scheduler moves it at once if it runs elsewhere.
     *
     * @param cpus CPU numbers, at least one, each in [0, {@link #MAX_CPUS}); duplicates are harmless.
     * @return the CPUs the thread was allowed before, ascending, to restore with {@code pinCurrentThread(previous)}.
     * @throws IllegalArgumentException if the set is empty or names a CPU out of range.
     * @throws NativeException naming the thread and the CPUs if the kernel refuses, e.g. none of them is online
     *                         or allowed by the thread's cpuset (EINVAL).
     */
    public static int[] pinCurrentThread(final int... cpus)
    {
        if (null == cpus || 0 == cpus.length)
        {
            throw new IllegalArgumentException("pinCurrentThread needs at least one CPU");
        }
        for (final int cpu : cpus)
        {
            if (cpu < 0 || cpu >= MAX_CPUS)
            {
                throw new IllegalArgumentException("CPU " + cpu + " is out of range [0, " + MAX_CPUS + ")");
            }
        }

        final int[] previous = currentThreadCpus();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment mask = call.allocate(CPU_SET_BYTES, Long.BYTES);
            for (final int cpu : cpus)
            {
                // cpu_set_t is an array of unsigned long; CPU n is bit n % 64 of word n / 64, in native order
                final long offset = (long)(cpu / Long.SIZE) * Long.BYTES;
                mask.set(JAVA_LONG, offset, mask.get(JAVA_LONG, offset) | (1L << (cpu % Long.SIZE)));
            }
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final int tid = LibC.gettid();
            if (LibC.sched_setaffinity(state, tid, CPU_SET_BYTES, mask) < 0)
            {
                final int errno = Ffi.errno(state);
                throw new NativeException("sched_setaffinity(thread " + tid + ", CPUs " + Arrays.toString(cpus) + ")",
                    errno, Errno.EINVAL == errno ?
                    "none of them is online or allowed by the thread's cpuset; see `nproc` and " +
                    "/proc/self/task/" + tid + "/status (Cpus_allowed_list)" : null);
            }
        }

        return previous;
    }

    /**
     * The CPUs the calling thread may run on.
     *
     * @return CPU numbers, ascending.
     */
    public static int[] currentThreadCpus()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment mask = call.allocate(CPU_SET_BYTES, Long.BYTES);
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            final int tid = LibC.gettid();
            NativeException.check(LibC.sched_getaffinity(state, tid, CPU_SET_BYTES, mask),
                "sched_getaffinity(thread " + tid + ")", state, null);

            int count = 0;
            for (long offset = 0; offset < CPU_SET_BYTES; offset += Long.BYTES)
            {
                count += Long.bitCount(mask.get(JAVA_LONG, offset));
            }
            final int[] cpus = new int[count];
            int i = 0;
            for (int cpu = 0; cpu < MAX_CPUS; cpu++)
            {
                if (0 != (mask.get(JAVA_LONG, (long)(cpu / Long.SIZE) * Long.BYTES) & (1L << (cpu % Long.SIZE))))
                {
                    cpus[i++] = cpu;
                }
            }

            return cpus;
        }
    }
}
