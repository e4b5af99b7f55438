package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The program's one-entry {@code sluice_config} map: the generation of the rules (its low bit the live bank of the
 * rule tables), whether the blocklist and the allowlist are consulted, whether every frame is steered unparsed, and
 * whether steered frames are stamped with the generation.
 * <p>
 * The rule tables and the source blocklist each set their own parts; every change writes the whole entry under
 * this object's lock, so the entry always holds the latest value of every part. The entry is written with one
 * 64-bit store to the mmapped map and the program reads it with one 64-bit load, so a packet never sees one
 * write's generation with another's flags (a {@code bpf_map_update_elem} copies the value, which is not atomic).
 */
final class SteeringConfig implements AutoCloseable
{
    private static final VarHandle WORD = JAVA_LONG.varHandle();

    private final Arena arena = Arena.ofShared();
    private final MemorySegment entry;
    private int generation;
    private boolean blocklistActive;
    private boolean allowlistActive;
    private boolean steerAll;
    private boolean stamp;
    private boolean closed;

    SteeringConfig(final int configFd)
    {
        final long bytes = SteeringDescriptor.CONFIG_LAYOUT.byteSize();
        final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
        final MemorySegment mapped = LibC.mmap(state, MemorySegment.NULL, bytes,
            LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, configFd, 0);
        if (LibC.MAP_FAILED == mapped.address())
        {
            throw new NativeException("mmap of map sluice_config", Ffi.errno(state), null);
        }
        entry = mapped.reinterpret(bytes);
    }

    /**
     * @return the generation of the rules the program reads; its low bit is the live bank of the rule tables.
     */
    synchronized int generation()
    {
        return generation;
    }

    /**
     * @return the bank of the rule tables the program reads.
     */
    synchronized int activeBank()
    {
        return generation & 1;
    }

    /**
     * Make the next generation of rules live: its bank is the idle one, and whether every frame is steered unparsed
     * changes in the same store.
     *
     * @param steerAll true to steer every frame to its queue's socket without parsing it.
     * @return the new generation.
     */
    synchronized int nextGeneration(final boolean steerAll)
    {
        generation++;
        this.steerAll = steerAll;
        write();

        return generation;
    }

    /**
     * @return true if every frame is steered to its queue's socket.
     */
    synchronized boolean steerAll()
    {
        return steerAll;
    }

    /**
     * @param on true to steer every frame to its queue's socket without parsing it.
     */
    synchronized void steerAll(final boolean on)
    {
        steerAll = on;
        write();
    }

    /**
     * @param on true to stamp each steered frame with the generation of the rules that steered it.
     */
    synchronized void stamp(final boolean on)
    {
        stamp = on;
        write();
    }

    /**
     * @return true if steered frames are stamped.
     */
    synchronized boolean stamp()
    {
        return stamp;
    }

    /**
     * @param active true if the blocklist holds a block, so the program consults it.
     */
    synchronized void blocklistActive(final boolean active)
    {
        blocklistActive = active;
        write();
    }

    /**
     * @param active true if the allowlist holds a prefix, so the program consults it.
     */
    synchronized void allowlistActive(final boolean active)
    {
        allowlistActive = active;
        write();
    }

    /**
     * Write the entry as it stands, in one store.
     */
    synchronized void write()
    {
        if (closed)
        {
            return;
        }
        final int flags = (blocklistActive ? SteeringDescriptor.CONFIG_BLOCKLIST_ACTIVE : 0) |
            (allowlistActive ? SteeringDescriptor.CONFIG_ALLOWLIST_ACTIVE : 0) |
            (steerAll ? SteeringDescriptor.CONFIG_STEER_ALL : 0) |
            (stamp ? SteeringDescriptor.CONFIG_STAMP : 0);
        final long word = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ?
            (generation & 0xFFFF_FFFFL) | ((long)flags << 32) : ((long)generation << 32) | (flags & 0xFFFF_FFFFL);
        // a volatile store: whatever was written before it (the rule tables' idle bank) is visible first
        WORD.setVolatile(entry, SteeringDescriptor.CONFIG_GENERATION, word);
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            try (Arena call = Arena.ofConfined())
            {
                LibC.munmap(call.allocate(Ffi.CALL_STATE_LAYOUT), entry, entry.byteSize());
            }
            arena.close();
        }
    }
}
