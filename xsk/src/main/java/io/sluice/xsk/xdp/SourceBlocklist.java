package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The source blocklist and allowlist of a loaded {@link SteeringProgram}, changed at run time.
 * <p>
 * A block drops every packet whose source lies in its prefix, before any rule is consulted, until it expires or is
 * removed, and counts its drops in a per-CPU counter slot of its own; a prefix on the allowlist is exempt from
 * every block. Both are LPM tries in the program, consulted only while they hold an entry.
 * <p>
 * This object's lock serialises its changes, apart from the rule tables' own; the two share only the program's
 * config entry, whose writes {@code SteeringConfig} serialises.
 */
public final class SourceBlocklist
{
    private final SteeringConfig config;
    private final PerCpuStats stats;
    private final int blocklistFd;
    private final int blockStatsFd;
    private final int allowlistFd;
    private final Map<Prefix, Block> blocklist = new LinkedHashMap<>();
    private final Set<Prefix> allowlist = new LinkedHashSet<>();
    private final int blockSlots;
    private final BitSet usedBlockSlots;
    private int nextBlockSlot;
    private long retiredBlockPackets;
    private long retiredBlockBytes;

    SourceBlocklist(
        final SteeringProgram program, final SteeringConfig config, final PerCpuStats stats, final int blockSlots)
    {
        this.config = config;
        this.stats = stats;
        this.blockSlots = blockSlots;
        usedBlockSlots = new BitSet(blockSlots);
        blocklistFd = program.mapFd("sluice_blocklist");
        blockStatsFd = program.mapFd("sluice_block_stats");
        allowlistFd = program.mapFd("sluice_allowlist");
    }

    /**
     * A source block: its prefix, when it stops dropping, and its drop counter's slot.
     *
     * @param prefix      the blocked source prefix.
     * @param expiresAtNs {@code System.nanoTime()} (CLOCK_MONOTONIC, the program's clock) from which it no longer
     *                    drops, or 0 for never.
     * @param slot        index of its per-CPU drop counter.
     */
    public record Block(Prefix prefix, long expiresAtNs, int slot)
    {
        /**
         * @param nowNs {@code System.nanoTime()}.
         * @return true if the program no longer drops for it.
         */
        public boolean expired(final long nowNs)
        {
            return 0 != expiresAtNs && nowNs - expiresAtNs >= 0;
        }
    }

    /**
     * Drop every packet whose source lies in a prefix, before any rule is consulted, until unblocked.
     *
     * @param prefix source prefix.
     */
    public synchronized void blockSource(final Prefix prefix)
    {
        block(prefix, 0);
    }

    /**
     * Drop every packet whose source lies in a prefix, before any rule is consulted, until a time; a source on the
     * allowlist is never dropped. Blocking a prefix again moves its expiry and keeps its drop counter.
     * <p>
     * The program stops dropping at the expiry by itself; the entry stays in the trie until {@link #unblock}.
     *
     * @param prefix      source prefix.
     * @param expiresAtNs {@code System.nanoTime()} from which it no longer drops, or 0 for never.
     * @return the block.
     * @throws IllegalStateException when every slot of the blocklist is taken.
     */
    public synchronized Block block(final Prefix prefix, final long expiresAtNs)
    {
        final Block existing = blocklist.get(prefix);
        final int slot = null != existing ? existing.slot() : takeBlockSlot(prefix);
        final Block block = new Block(prefix, expiresAtNs, slot);
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment value = call.allocate(SteeringDescriptor.BLOCK_LAYOUT);
            value.set(JAVA_LONG, SteeringDescriptor.BLOCK_EXPIRES_NS, expiresAtNs);
            value.set(JAVA_INT, SteeringDescriptor.BLOCK_SLOT, slot);
            final int result = LibBpf.bpf_map_update_elem(blocklistFd, lpmKey(call, prefix), value, LinuxBpf.BPF_ANY);
            if (result < 0)
            {
                if (null == existing)
                {
                    usedBlockSlots.clear(slot);
                }
                throw new NativeException("blocklist add " + prefix, -result, Errno.E2BIG == -result ||
                    Errno.ENOSPC == -result ? "the blocklist is full; open the program with a larger capacity" : null);
            }
        }
        blocklist.put(prefix, block);
        config.blocklistActive(true);

        return block;
    }

    /**
     * Take a prefix off the blocklist.
     *
     * @param prefix exactly as it was added.
     * @return true if it was on the list.
     */
    public synchronized boolean unblockSource(final Prefix prefix)
    {
        return !unblock(List.of(prefix)).isEmpty();
    }

    /**
     * Take prefixes off the blocklist, wait until no program run can still count a packet to them, and read their
     * final drop counts; those are added to {@link #retiredBlockDrops()} and their slots become free.
     *
     * @param prefixes exactly as they were added; prefixes not on the list are ignored.
     * @return the final drop counts of those that were on the list.
     */
    public synchronized Map<Prefix, Stat> unblock(final Collection<Prefix> prefixes)
    {
        final List<Block> removed = new ArrayList<>();
        try (Arena call = Arena.ofConfined())
        {
            for (final Prefix prefix : prefixes)
            {
                final Block block = blocklist.remove(prefix);
                if (null == block)
                {
                    continue;
                }
                final int result = LibBpf.bpf_map_delete_elem(blocklistFd, lpmKey(call, prefix));
                if (result < 0 && Errno.ENOENT != -result)
                {
                    blocklist.put(prefix, block);
                    NativeException.check(result, "blocklist delete " + prefix);
                }
                removed.add(block);
            }
        }
        if (removed.isEmpty())
        {
            return Map.of();
        }
        config.blocklistActive(!blocklist.isEmpty());
        // a program run that found an entry before its delete may still count to its slot: wait those out
        GracePeriod.await();

        final Map<Prefix, Stat> finals = new LinkedHashMap<>();
        for (final Block block : removed)
        {
            final Stat stat = stats.read(blockStatsFd, block.slot());
            retiredBlockPackets += stat.packets();
            retiredBlockBytes += stat.bytes();
            usedBlockSlots.clear(block.slot());
            finals.put(block.prefix(), stat);
        }

        return finals;
    }

    /**
     * @return the blocks, in the order they were first added.
     */
    public synchronized List<Block> blocks()
    {
        return new ArrayList<>(blocklist.values());
    }

    /**
     * @param prefix a blocked prefix.
     * @return the block, or null.
     */
    public synchronized Block block(final Prefix prefix)
    {
        return blocklist.get(prefix);
    }

    /**
     * Packets and bytes a block has dropped in XDP, summed over CPUs.
     *
     * @param block a block this blocklist holds.
     * @return the counts.
     */
    public synchronized Stat blockStat(final Block block)
    {
        return stats.read(blockStatsFd, block.slot());
    }

    /**
     * @return what blocks since removed dropped, in all; with the live blocks' counts it adds up to
     * {@link XdpCounter#DROP_BLOCKLIST}.
     */
    public synchronized Stat retiredBlockDrops()
    {
        return new Stat(retiredBlockPackets, retiredBlockBytes);
    }

    /**
     * @return how many blocks the blocklist holds at most.
     */
    public int blockCapacity()
    {
        return blockSlots;
    }

    /**
     * Exempt a source prefix from every block, present and future, in the program itself: a blocked source the
     * allowlist covers goes on to the rules, counted as {@link XdpCounter#BLOCK_EXEMPT}.
     *
     * @param prefix source prefix.
     */
    public synchronized void allowSource(final Prefix prefix)
    {
        try (Arena call = Arena.ofConfined())
        {
            final int result = LibBpf.bpf_map_update_elem(allowlistFd, lpmKey(call, prefix),
                call.allocateFrom(JAVA_INT, 1), LinuxBpf.BPF_ANY);
            if (result < 0)
            {
                throw new NativeException("allowlist add " + prefix, -result, Errno.E2BIG == -result ||
                    Errno.ENOSPC == -result ? "the allowlist holds " + SteeringDescriptor.ALLOWLIST_MAX +
                    " prefixes" : null);
            }
        }
        allowlist.add(prefix);
        config.allowlistActive(true);
    }

    /**
     * End a prefix's exemption: blocks that cover it drop its packets again.
     *
     * @param prefix an allowlisted source prefix.
     * @return true if it was on the allowlist.
     */
    public synchronized boolean disallowSource(final Prefix prefix)
    {
        if (!allowlist.remove(prefix))
        {
            return false;
        }
        try (Arena call = Arena.ofConfined())
        {
            final int result = LibBpf.bpf_map_delete_elem(allowlistFd, lpmKey(call, prefix));
            if (result < 0 && Errno.ENOENT != -result)
            {
                throw new NativeException("allowlist remove " + prefix, -result, null);
            }
        }
        config.allowlistActive(!allowlist.isEmpty());

        return true;
    }

    /**
     * @return the allowlisted prefixes.
     */
    public synchronized List<Prefix> allowedSources()
    {
        return new ArrayList<>(allowlist);
    }

    private int takeBlockSlot(final Prefix prefix)
    {
        // round robin, so a slot just freed is the last to be taken again
        int slot = usedBlockSlots.nextClearBit(nextBlockSlot);
        if (slot >= blockSlots)
        {
            slot = usedBlockSlots.nextClearBit(0);
        }
        if (slot >= blockSlots)
        {
            throw new IllegalStateException("blocklist add " + prefix + ": the blocklist is full (" + blockSlots +
                " prefixes); open the program with a larger capacity");
        }
        usedBlockSlots.set(slot);
        nextBlockSlot = slot + 1;
        stats.zero(blockStatsFd, slot, "zeroing block counter slot ");

        return slot;
    }

    /**
     * The blocklist as the kernel holds it, read back from the trie.
     *
     * @return the blocked prefixes.
     */
    public synchronized List<Prefix> blockedSources()
    {
        final List<Prefix> prefixes = new ArrayList<>();
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment key = call.allocate(SteeringDescriptor.LPM_KEY_LAYOUT);
            final MemorySegment next = call.allocate(SteeringDescriptor.LPM_KEY_LAYOUT);
            MemorySegment current = MemorySegment.NULL;
            while (0 == LibBpf.bpf_map_get_next_key(blocklistFd, current, next))
            {
                final byte[] address = next.asSlice(SteeringDescriptor.LPM_KEY_ADDR, 16).toArray(JAVA_BYTE);
                prefixes.add(Prefix.fromMapped(address, next.get(JAVA_INT, SteeringDescriptor.LPM_KEY_PREFIXLEN)));
                MemorySegment.copy(next, 0, key, 0, key.byteSize());
                current = key;
            }
        }

        return prefixes;
    }

    private static MemorySegment lpmKey(final Arena call, final Prefix prefix)
    {
        final MemorySegment key = call.allocate(SteeringDescriptor.LPM_KEY_LAYOUT);
        key.set(JAVA_INT, SteeringDescriptor.LPM_KEY_PREFIXLEN, prefix.mappedLength());
        MemorySegment.copy(prefix.address(), 0, key, JAVA_BYTE, SteeringDescriptor.LPM_KEY_ADDR, 16);

        return key;
    }
}
