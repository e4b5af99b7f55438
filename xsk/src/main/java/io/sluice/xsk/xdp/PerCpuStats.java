package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Slots of the program's per-CPU packet and byte counter maps ({@link SteeringDescriptor#STAT_LAYOUT} per CPU),
 * read summed over CPUs and zeroed for reuse.
 */
final class PerCpuStats
{
    private static final long STAT_BYTES = SteeringDescriptor.STAT_LAYOUT.byteSize();

    private final int numCpus;

    PerCpuStats(final int numCpus)
    {
        this.numCpus = numCpus;
    }

    /**
     * Sum a slot over all CPUs.
     *
     * @param fd   a per-CPU array map of stats.
     * @param slot index in it.
     * @return packets and bytes.
     */
    Stat read(final int fd, final int slot)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment values = call.allocate(STAT_BYTES * numCpus, 8);
            NativeException.check(LibBpf.bpf_map_lookup_elem(fd, call.allocateFrom(JAVA_INT, slot), values),
                "reading per-CPU counter " + slot);
            long packets = 0;
            long bytes = 0;
            for (int cpu = 0; cpu < numCpus; cpu++)
            {
                packets += values.get(JAVA_LONG, cpu * STAT_BYTES + SteeringDescriptor.STAT_PACKETS);
                bytes += values.get(JAVA_LONG, cpu * STAT_BYTES + SteeringDescriptor.STAT_BYTES);
            }

            return new Stat(packets, bytes);
        }
    }

    /**
     * Zero a slot on every CPU.
     *
     * @param fd   a per-CPU array map of stats.
     * @param slot index in it.
     * @param what the operation, for the error message, which appends the slot.
     */
    void zero(final int fd, final int slot, final String what)
    {
        try (Arena call = Arena.ofConfined())
        {
            NativeException.check(LibBpf.bpf_map_update_elem(fd, call.allocateFrom(JAVA_INT, slot),
                call.allocate(STAT_BYTES * numCpus, 8), LinuxBpf.BPF_ANY), what + slot);
        }
    }
}
