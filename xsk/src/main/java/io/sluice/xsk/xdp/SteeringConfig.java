package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The program's one-entry {@code sluice_config} map: which bank of the rule tables is live, whether the blocklist
 * and the allowlist are consulted, and whether every frame is steered unparsed.
 * <p>
 * The rule tables and the source blocklist each set their own parts; every change writes the whole entry under
 * this object's lock, so the entry always holds the latest value of every part.
 */
final class SteeringConfig
{
    private final int configFd;
    private int activeBank;
    private boolean blocklistActive;
    private boolean allowlistActive;
    private boolean steerAll;

    SteeringConfig(final int configFd)
    {
        this.configFd = configFd;
    }

    /**
     * @return the bank of the rule tables the program reads.
     */
    synchronized int activeBank()
    {
        return activeBank;
    }

    /**
     * Make a bank of the rule tables the one the program reads.
     *
     * @param bank 0 or 1.
     */
    synchronized void activeBank(final int bank)
    {
        activeBank = bank;
        write();
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
     * Write the entry as it stands.
     */
    synchronized void write()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment value = call.allocate(SteeringDescriptor.CONFIG_LAYOUT);
            value.set(JAVA_INT, SteeringDescriptor.CONFIG_ACTIVE_BANK, activeBank);
            value.set(JAVA_INT, SteeringDescriptor.CONFIG_FLAGS,
                (blocklistActive ? SteeringDescriptor.CONFIG_BLOCKLIST_ACTIVE : 0) |
                (allowlistActive ? SteeringDescriptor.CONFIG_ALLOWLIST_ACTIVE : 0) |
                (steerAll ? SteeringDescriptor.CONFIG_STEER_ALL : 0));
            NativeException.check(LibBpf.bpf_map_update_elem(configFd, call.allocateFrom(JAVA_INT, 0), value,
                LinuxBpf.BPF_ANY), "writing sluice_config");
        }
    }
}
