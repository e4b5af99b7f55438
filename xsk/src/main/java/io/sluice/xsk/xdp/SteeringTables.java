package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibBpf;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.sluice.xsk.xdp.SteeringDescriptor.BANKS;
import static io.sluice.xsk.xdp.SteeringDescriptor.BANK_BITS;
import static io.sluice.xsk.xdp.SteeringDescriptor.MAX_RULES;
import static io.sluice.xsk.xdp.SteeringDescriptor.PORT_NONE;
import static io.sluice.xsk.xdp.SteeringDescriptor.PORT_SLOTS;
import static io.sluice.xsk.xdp.SteeringDescriptor.PROTO_SLOTS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The rule classifier and source blocklist of a loaded {@link SteeringProgram}, changed at run time.
 * <p>
 * Rules compile into per-field match vectors: bit {@code r} of a vector is set when the rule ranked {@code r}
 * allows that field value. The program ANDs the protocol, port, source and destination vectors and takes the
 * lowest set bit. Every table exists in two banks: a change is written into the idle bank, then one store to
 * the config map makes it live, so a packet always sees a whole rule set, never half of one. After the flip a
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL)} waits out an RCU grace period, which every XDP program run that read
 * the old bank index completes within, so the old bank is quiescent before it is written again.
 */
public final class SteeringTables implements AutoCloseable
{
    private static final long STAT_BYTES = SteeringDescriptor.STAT_LAYOUT.byteSize();
    private static final long ACTION_BYTES = SteeringDescriptor.RULE_ACTION_LAYOUT.byteSize();
    private static final long PROTO_BANK_BYTES = (long)PROTO_SLOTS * Long.BYTES;
    private static final long PORT_BANK_BYTES = (long)PORT_SLOTS * Long.BYTES;
    private static final long ACTION_BANK_BYTES = MAX_RULES * ACTION_BYTES;
    private static final Comparator<FlowRule> PRECEDENCE =
        Comparator.comparingInt(FlowRule::priority).thenComparingInt(FlowRule::id);

    private final int numCpus;
    private final int configFd;
    private boolean steerAll;
    private final int blocklistFd;
    private final int blockStatsFd;
    private final int allowlistFd;
    private final int srcFd;
    private final int dstFd;
    private final int protoFd;
    private final int portFd;
    private final int actionFd;
    private final int countersFd;
    private final int ruleStatsFd;
    private final int xsksFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment protoTable;
    private final MemorySegment portTable;
    private final MemorySegment actionTable;
    private final Map<Integer, FlowRule> rules = new HashMap<>();
    private final Map<Integer, Integer> statSlots = new HashMap<>();
    private final BitSet usedStatSlots = new BitSet(MAX_RULES);
    @SuppressWarnings("unchecked")
    private final List<Prefix>[] bankSources = new List[] { new ArrayList<Prefix>(), new ArrayList<Prefix>() };
    @SuppressWarnings("unchecked")
    private final List<Prefix>[] bankDestinations = new List[] { new ArrayList<Prefix>(), new ArrayList<Prefix>() };
    private final Map<Prefix, Block> blocklist = new LinkedHashMap<>();
    private final Set<Prefix> allowlist = new LinkedHashSet<>();
    private final int blockSlots;
    private final BitSet usedBlockSlots;
    private int nextBlockSlot;
    private long retiredBlockPackets;
    private long retiredBlockBytes;
    private int activeBank;
    private boolean closed;

    SteeringTables(final SteeringProgram program, final int numCpus, final int blockSlots)
    {
        this.numCpus = numCpus;
        this.blockSlots = blockSlots;
        usedBlockSlots = new BitSet(blockSlots);
        configFd = program.mapFd("sluice_config");
        blocklistFd = program.mapFd("sluice_blocklist");
        blockStatsFd = program.mapFd("sluice_block_stats");
        allowlistFd = program.mapFd("sluice_allowlist");
        srcFd = program.mapFd("sluice_rule_src");
        dstFd = program.mapFd("sluice_rule_dst");
        protoFd = program.mapFd("sluice_rule_proto");
        portFd = program.mapFd("sluice_rule_port");
        actionFd = program.mapFd("sluice_rule_action");
        countersFd = program.mapFd("sluice_counters");
        ruleStatsFd = program.mapFd("sluice_rule_stats");
        xsksFd = program.mapFd("sluice_xsks");
        protoTable = mmap(protoFd, BANKS * PROTO_BANK_BYTES, "sluice_rule_proto");
        portTable = mmap(portFd, BANKS * PORT_BANK_BYTES, "sluice_rule_port");
        actionTable = mmap(actionFd, BANKS * ACTION_BANK_BYTES, "sluice_rule_action");
        writeConfig();
    }

    /**
     * Add a rule, or replace the rule with the same id, atomically.
     *
     * @param rule the rule.
     * @throws IllegalArgumentException if the table would exceed 64 rules.
     */
    public synchronized void add(final FlowRule rule)
    {
        final Map<Integer, FlowRule> next = new HashMap<>(rules);
        next.put(rule.id(), rule);
        install(next);
    }

    /**
     * Remove a rule atomically.
     *
     * @param id rule id.
     * @return true if there was such a rule.
     */
    public synchronized boolean remove(final int id)
    {
        if (!rules.containsKey(id))
        {
            return false;
        }
        final Map<Integer, FlowRule> next = new HashMap<>(rules);
        next.remove(id);
        install(next);

        return true;
    }

    /**
     * Replace the whole rule set atomically; counters of rules that stay are kept.
     *
     * @param newRules the rules; ids must be unique.
     */
    public synchronized void replaceAll(final Collection<FlowRule> newRules)
    {
        final Map<Integer, FlowRule> next = new HashMap<>();
        for (final FlowRule rule : newRules)
        {
            if (null != next.put(rule.id(), rule))
            {
                throw new IllegalArgumentException("rule id " + rule.id() + " appears twice");
            }
        }
        install(next);
    }

    /**
     * @return the rules in precedence order, the first deciding.
     */
    public synchronized List<FlowRule> list()
    {
        final List<FlowRule> ranked = new ArrayList<>(rules.values());
        ranked.sort(PRECEDENCE);

        return ranked;
    }

    /**
     * Packets and bytes a rule has decided, summed over CPUs.
     *
     * @param id rule id.
     * @return the counts, or {@link Stat#ZERO} counts for an unknown id.
     */
    public synchronized Stat ruleStat(final int id)
    {
        final Integer slot = statSlots.get(id);

        return null == slot ? Stat.ZERO : readStat(ruleStatsFd, slot);
    }

    /**
     * Steer every frame, IP or not, to its queue's socket without parsing it, as libxdp's default program does
     * (a queue with no socket passes its frames to the kernel); rules and the blocklist are kept but not consulted
     * until this is turned off. For benchmarks and for handing a whole queue to user space.
     *
     * @param on true to steer everything.
     */
    public synchronized void steerAll(final boolean on)
    {
        steerAll = on;
        writeConfig();
    }

    /**
     * @return true if every frame is steered to its queue's socket.
     */
    public synchronized boolean steerAll()
    {
        return steerAll;
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
        writeConfig();

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
        writeConfig();
        // a program run that found an entry before its delete may still count to its slot: wait those out
        awaitGracePeriod();

        final Map<Prefix, Stat> finals = new LinkedHashMap<>();
        for (final Block block : removed)
        {
            final Stat stat = readStat(blockStatsFd, block.slot());
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
     * @param block a block these tables hold.
     * @return the counts.
     */
    public synchronized Stat blockStat(final Block block)
    {
        return readStat(blockStatsFd, block.slot());
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
        writeConfig();
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
        zeroSlot(blockStatsFd, slot, "zeroing block counter slot ");

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

    synchronized Stat readStat(final int fd, final int slot)
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

    int countersFd()
    {
        return countersFd;
    }

    int xsksFd()
    {
        return xsksFd;
    }

    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            munmap(protoTable);
            munmap(portTable);
            munmap(actionTable);
            arena.close();
        }
    }

    private void install(final Map<Integer, FlowRule> next)
    {
        if (next.size() > MAX_RULES)
        {
            throw new IllegalArgumentException(
                "rule table full: " + next.size() + " rules, the XDP classifier holds " + MAX_RULES);
        }

        final List<FlowRule> ranked = new ArrayList<>(next.values());
        ranked.sort(PRECEDENCE);
        final Map<Integer, Integer> nextSlots = assignStatSlots(next);
        final int bank = activeBank ^ 1;

        writeVectors(bank, ranked);
        writeActions(bank, ranked, nextSlots);
        writePrefixes(bank, ranked);

        // the tables above are written with plain stores to mmapped memory; the config update that publishes
        // them must not become visible first (the bpf() syscall orders them too, this says so explicitly)
        VarHandle.fullFence();
        activeBank = bank;
        writeConfig();
        awaitGracePeriod();

        rules.clear();
        rules.putAll(next);
        statSlots.clear();
        statSlots.putAll(nextSlots);
        usedStatSlots.clear();
        nextSlots.values().forEach(usedStatSlots::set);
    }

    private Map<Integer, Integer> assignStatSlots(final Map<Integer, FlowRule> next)
    {
        final Map<Integer, Integer> slots = new TreeMap<>();
        final BitSet taken = new BitSet(MAX_RULES);
        for (final Integer id : next.keySet())
        {
            final Integer kept = statSlots.get(id);
            if (null != kept)
            {
                slots.put(id, kept);
                taken.set(kept);
            }
        }
        for (final Integer id : next.keySet())
        {
            if (!slots.containsKey(id))
            {
                // a slot free in both the live set and the next one; removed rules' slots are quiescent
                final BitSet busy = (BitSet)taken.clone();
                busy.or(usedStatSlots);
                int slot = busy.nextClearBit(0);
                if (slot >= MAX_RULES)
                {
                    slot = taken.nextClearBit(0);
                }
                slots.put(id, slot);
                taken.set(slot);
                zeroStat(slot);
            }
        }

        return slots;
    }

    private void writeVectors(final int bank, final List<FlowRule> ranked)
    {
        final long protoBase = bank * PROTO_BANK_BYTES;
        final long portBase = bank * PORT_BANK_BYTES;
        protoTable.asSlice(protoBase, PROTO_BANK_BYTES).fill((byte)0);
        portTable.asSlice(portBase, PORT_BANK_BYTES).fill((byte)0);

        for (int rank = 0; rank < ranked.size(); rank++)
        {
            final FlowRule rule = ranked.get(rank);
            final long bit = 1L << rank;
            if (FlowRule.ANY_PROTOCOL == rule.protocol())
            {
                for (int proto = 0; proto < PROTO_SLOTS; proto++)
                {
                    orLong(protoTable, protoBase + (long)proto * Long.BYTES, bit);
                }
            }
            else
            {
                orLong(protoTable, protoBase + (long)rule.protocol() * Long.BYTES, bit);
            }

            for (int port = rule.dstPortLow(); port <= rule.dstPortHigh(); port++)
            {
                orLong(portTable, portBase + (long)port * Long.BYTES, bit);
            }
            if (!rule.hasPortConstraint())
            {
                orLong(portTable, portBase + (long)PORT_NONE * Long.BYTES, bit);
            }
        }
    }

    private void writeActions(final int bank, final List<FlowRule> ranked, final Map<Integer, Integer> slots)
    {
        final long base = bank * ACTION_BANK_BYTES;
        actionTable.asSlice(base, ACTION_BANK_BYTES).fill((byte)0);
        for (int rank = 0; rank < ranked.size(); rank++)
        {
            final FlowRule rule = ranked.get(rank);
            final long offset = base + rank * ACTION_BYTES;
            actionTable.set(JAVA_INT, offset + SteeringDescriptor.RULE_ACTION_ACTION, rule.action().code());
            actionTable.set(JAVA_INT, offset + SteeringDescriptor.RULE_ACTION_RULE_ID, rule.id());
            actionTable.set(JAVA_INT, offset + SteeringDescriptor.RULE_ACTION_STAT_SLOT, slots.get(rule.id()));
        }
    }

    private void writePrefixes(final int bank, final List<FlowRule> ranked)
    {
        bankSources[bank] = rewriteTrie(srcFd, bank, bankSources[bank], ranked, true);
        bankDestinations[bank] = rewriteTrie(dstFd, bank, bankDestinations[bank], ranked, false);
    }

    /**
     * Each distinct prefix, plus the default route, gets the vector of the rules whose prefix covers it: the
     * longest match for an address is then a prefix that every rule containing the address covers.
     */
    private List<Prefix> rewriteTrie(
        final int fd, final int bank, final List<Prefix> previous, final List<FlowRule> ranked, final boolean source)
    {
        final Map<Prefix, Long> vectors = new LinkedHashMap<>();
        vectors.put(Prefix.ANY, 0L);
        for (final FlowRule rule : ranked)
        {
            vectors.put(source ? rule.source() : rule.destination(), 0L);
        }
        for (final Map.Entry<Prefix, Long> entry : vectors.entrySet())
        {
            long vector = 0;
            for (int rank = 0; rank < ranked.size(); rank++)
            {
                final FlowRule rule = ranked.get(rank);
                if ((source ? rule.source() : rule.destination()).covers(entry.getKey()))
                {
                    vector |= 1L << rank;
                }
            }
            entry.setValue(vector);
        }

        try (Arena call = Arena.ofConfined())
        {
            for (final Prefix stale : previous)
            {
                if (!vectors.containsKey(stale))
                {
                    final int result = LibBpf.bpf_map_delete_elem(fd, ruleKey(call, bank, stale));
                    if (result < 0 && Errno.ENOENT != -result)
                    {
                        NativeException.check(result, "deleting rule prefix " + stale + " from bank " + bank);
                    }
                }
            }
            for (final Map.Entry<Prefix, Long> entry : vectors.entrySet())
            {
                NativeException.check(LibBpf.bpf_map_update_elem(fd, ruleKey(call, bank, entry.getKey()),
                    call.allocateFrom(JAVA_LONG, entry.getValue()), LinuxBpf.BPF_ANY),
                    "writing rule prefix " + entry.getKey() + " to bank " + bank);
            }
        }

        return new ArrayList<>(vectors.keySet());
    }

    private void writeConfig()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment value = call.allocate(SteeringDescriptor.CONFIG_LAYOUT);
            value.set(JAVA_INT, SteeringDescriptor.CONFIG_ACTIVE_BANK, activeBank);
            value.set(JAVA_INT, SteeringDescriptor.CONFIG_FLAGS,
                (blocklist.isEmpty() ? 0 : SteeringDescriptor.CONFIG_BLOCKLIST_ACTIVE) |
                (allowlist.isEmpty() ? 0 : SteeringDescriptor.CONFIG_ALLOWLIST_ACTIVE) |
                (steerAll ? SteeringDescriptor.CONFIG_STEER_ALL : 0));
            NativeException.check(LibBpf.bpf_map_update_elem(configFd, call.allocateFrom(JAVA_INT, 0), value,
                LinuxBpf.BPF_ANY), "writing sluice_config");
        }
    }

    private void zeroStat(final int slot)
    {
        zeroSlot(ruleStatsFd, slot, "zeroing rule counter slot ");
    }

    private void zeroSlot(final int fd, final int slot, final String what)
    {
        try (Arena call = Arena.ofConfined())
        {
            NativeException.check(LibBpf.bpf_map_update_elem(fd, call.allocateFrom(JAVA_INT, slot),
                call.allocate(STAT_BYTES * numCpus, 8), LinuxBpf.BPF_ANY), what + slot);
        }
    }

    private static void awaitGracePeriod()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            if (LibC.syscall(state, LibC.SYS_MEMBARRIER, LibC.MEMBARRIER_CMD_GLOBAL, 0) < 0)
            {
                // no membarrier: an XDP run lasts microseconds, so this outlasts any run that saw the old bank
                try
                {
                    Thread.sleep(10);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static MemorySegment ruleKey(final Arena call, final int bank, final Prefix prefix)
    {
        final MemorySegment key = call.allocate(SteeringDescriptor.RULE_LPM_KEY_LAYOUT);
        key.set(JAVA_INT, SteeringDescriptor.RULE_LPM_KEY_PREFIXLEN, BANK_BITS + prefix.mappedLength());
        key.set(JAVA_BYTE, SteeringDescriptor.RULE_LPM_KEY_BANK, (byte)bank);
        MemorySegment.copy(prefix.address(), 0, key, JAVA_BYTE, SteeringDescriptor.RULE_LPM_KEY_ADDR, 16);

        return key;
    }

    private static MemorySegment lpmKey(final Arena call, final Prefix prefix)
    {
        final MemorySegment key = call.allocate(SteeringDescriptor.LPM_KEY_LAYOUT);
        key.set(JAVA_INT, SteeringDescriptor.LPM_KEY_PREFIXLEN, prefix.mappedLength());
        MemorySegment.copy(prefix.address(), 0, key, JAVA_BYTE, SteeringDescriptor.LPM_KEY_ADDR, 16);

        return key;
    }

    private static void orLong(final MemorySegment table, final long offset, final long bit)
    {
        table.set(JAVA_LONG, offset, table.get(JAVA_LONG, offset) | bit);
    }

    private MemorySegment mmap(final int fd, final long bytes, final String name)
    {
        final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
        final MemorySegment mapped = LibC.mmap(state, MemorySegment.NULL, bytes,
            LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (LibC.MAP_FAILED == mapped.address())
        {
            throw new NativeException("mmap of map " + name + " (" + bytes + " bytes)", Ffi.errno(state), null);
        }

        return mapped.reinterpret(bytes);
    }

    private void munmap(final MemorySegment segment)
    {
        try (Arena call = Arena.ofConfined())
        {
            LibC.munmap(call.allocate(Ffi.CALL_STATE_LAYOUT), segment, segment.byteSize());
        }
    }
}
