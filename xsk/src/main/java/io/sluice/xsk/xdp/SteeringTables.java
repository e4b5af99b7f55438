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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;

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
 * The rule classifier of a loaded {@link SteeringProgram}, changed at run time.
 * <p>
 * Rules compile into per-field match vectors: bit {@code r} of a vector is set when the rule ranked {@code r}
 * allows that field value. The program ANDs the protocol, port, source and destination vectors and takes the
 * lowest set bit. Every table exists in two banks: a change is written into the idle bank, then one store to
 * the config map makes it live under the next generation, so a packet always sees a whole rule set, never half of
 * one, and a steered frame carries that generation in its metadata. After the flip a
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL)} waits out an RCU grace period, which every XDP program run that read
 * the old bank index completes within, so the old bank is quiescent before it is written again.
 */
public final class SteeringTables implements AutoCloseable
{
    private static final long ACTION_BYTES = SteeringDescriptor.RULE_ACTION_LAYOUT.byteSize();
    private static final long PROTO_BANK_BYTES = (long)PROTO_SLOTS * Long.BYTES;
    private static final long PORT_BANK_BYTES = (long)PORT_SLOTS * Long.BYTES;
    private static final long ACTION_BANK_BYTES = MAX_RULES * ACTION_BYTES;
    private static final Comparator<FlowRule> PRECEDENCE =
        Comparator.comparingInt(FlowRule::priority).thenComparingInt(FlowRule::id);

    private final SteeringConfig config;
    private final PerCpuStats stats;
    private final int srcFd;
    private final int dstFd;
    private final int protoFd;
    private final int portFd;
    private final int actionFd;
    private final int ruleStatsFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment protoTable;
    private final MemorySegment portTable;
    private final MemorySegment actionTable;
    private final Map<Integer, FlowRule> rules = new HashMap<>();
    private final Map<Integer, Integer> statSlots = new HashMap<>();
    private final BitSet usedStatSlots = new BitSet(MAX_RULES);
    private long retiredPackets;
    private long retiredBytes;
    @SuppressWarnings("unchecked")
    private final List<Prefix>[] bankSources = new List[] { new ArrayList<Prefix>(), new ArrayList<Prefix>() };
    @SuppressWarnings("unchecked")
    private final List<Prefix>[] bankDestinations = new List[] { new ArrayList<Prefix>(), new ArrayList<Prefix>() };
    private boolean closed;

    SteeringTables(final SteeringProgram program, final SteeringConfig config, final PerCpuStats stats)
    {
        this.config = config;
        this.stats = stats;
        srcFd = program.mapFd("sluice_rule_src");
        dstFd = program.mapFd("sluice_rule_dst");
        protoFd = program.mapFd("sluice_rule_proto");
        portFd = program.mapFd("sluice_rule_port");
        actionFd = program.mapFd("sluice_rule_action");
        ruleStatsFd = program.mapFd("sluice_rule_stats");
        protoTable = mmap(protoFd, BANKS * PROTO_BANK_BYTES, "sluice_rule_proto");
        portTable = mmap(portFd, BANKS * PORT_BANK_BYTES, "sluice_rule_port");
        actionTable = mmap(actionFd, BANKS * ACTION_BANK_BYTES, "sluice_rule_action");
        config.write();
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
        install(next, config.steerAll(), IntUnaryOperator.identity());
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
        install(next, config.steerAll(), IntUnaryOperator.identity());

        return true;
    }

    /**
     * Replace the whole rule set atomically; counters of rules that stay are kept.
     *
     * @param newRules the rules; ids must be unique.
     */
    public synchronized void replaceAll(final Collection<FlowRule> newRules)
    {
        replaceAll(newRules, config.steerAll(), IntUnaryOperator.identity());
    }

    /**
     * Replace the whole rule set and whether every frame is steered unparsed, in one generation. A new rule may
     * carry on the counters of a rule it replaces (a rule of the same name in a reloaded file, under another id);
     * the final counts of the rules that go are added to {@link #retiredStat()}.
     *
     * @param newRules  the rules; ids must be unique.
     * @param steerAll  true to steer every frame to its queue's socket without parsing it.
     * @param carryFrom for a new rule's id, the id of the live rule whose counters it keeps, or -1 for none.
     * @return the generation now live, which the frames it steers carry.
     */
    public synchronized int replaceAll(
        final Collection<FlowRule> newRules, final boolean steerAll, final IntUnaryOperator carryFrom)
    {
        final Map<Integer, FlowRule> next = new HashMap<>();
        for (final FlowRule rule : newRules)
        {
            if (null != next.put(rule.id(), rule))
            {
                throw new IllegalArgumentException("rule id " + rule.id() + " appears twice");
            }
        }

        return install(next, steerAll, carryFrom);
    }

    /**
     * @return the generation of the live rules: it goes up by one with every change of the rules, and a steered
     * frame carries the generation that steered it in its XDP metadata.
     */
    public synchronized int generation()
    {
        return config.generation();
    }

    /**
     * @return packets and bytes decided by rules that a change has since removed: with {@link #ruleStat} of every
     * live rule, all the rules ever decided.
     */
    public synchronized Stat retiredStat()
    {
        return new Stat(retiredPackets, retiredBytes);
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

        return null == slot ? Stat.ZERO : stats.read(ruleStatsFd, slot);
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
        config.steerAll(on);
    }

    /**
     * @return true if every frame is steered to its queue's socket.
     */
    public synchronized boolean steerAll()
    {
        return config.steerAll();
    }

    /**
     * Stamp each steered frame with the generation of the rules that steered it ({@code struct sluice_meta}), where
     * {@link SteeringProgram#stampPlacement()} says: in its XDP metadata, or in 8 bytes in front of it, which a
     * reader must strip. Off until asked for, so a reader that does not look for the stamp gets the frame as sent.
     *
     * @param on true to stamp.
     */
    public synchronized void stamp(final boolean on)
    {
        config.stamp(on);
    }

    /**
     * @return true if steered frames are stamped.
     */
    public synchronized boolean stamp()
    {
        return config.stamp();
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
            config.close();
        }
    }

    private int install(final Map<Integer, FlowRule> next, final boolean steerAll, final IntUnaryOperator carryFrom)
    {
        if (next.size() > MAX_RULES)
        {
            throw new IllegalArgumentException(
                "rule table full: " + next.size() + " rules, the XDP classifier holds " + MAX_RULES);
        }

        final List<FlowRule> ranked = new ArrayList<>(next.values());
        ranked.sort(PRECEDENCE);
        final Map<Integer, Integer> nextSlots = assignStatSlots(next, carryFrom);
        final int bank = config.activeBank() ^ 1;

        writeVectors(bank, ranked);
        writeActions(bank, ranked, nextSlots);
        writePrefixes(bank, ranked);

        // the tables above are written with plain stores to mmapped memory; the config update that publishes
        // them must not become visible first (the bpf() syscall orders them too, this says so explicitly)
        VarHandle.fullFence();
        final int generation = config.nextGeneration(steerAll);
        GracePeriod.await();

        // no run can count into a slot the new rules do not use any more: its count is final
        final BitSet gone = (BitSet)usedStatSlots.clone();
        nextSlots.values().forEach(gone::clear);
        for (int slot = gone.nextSetBit(0); slot >= 0; slot = gone.nextSetBit(slot + 1))
        {
            final Stat last = stats.read(ruleStatsFd, slot);
            retiredPackets += last.packets();
            retiredBytes += last.bytes();
        }

        rules.clear();
        rules.putAll(next);
        statSlots.clear();
        statSlots.putAll(nextSlots);
        usedStatSlots.clear();
        nextSlots.values().forEach(usedStatSlots::set);

        return generation;
    }

    private Map<Integer, Integer> assignStatSlots(final Map<Integer, FlowRule> next, final IntUnaryOperator carryFrom)
    {
        final Map<Integer, Integer> slots = new TreeMap<>();
        final BitSet taken = new BitSet(MAX_RULES);
        for (final Integer id : next.keySet())
        {
            final Integer kept = statSlots.get(carryFrom.applyAsInt(id));
            if (null != kept && !taken.get(kept))
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

    private void zeroStat(final int slot)
    {
        stats.zero(ruleStatsFd, slot, "zeroing rule counter slot ");
    }

    private static MemorySegment ruleKey(final Arena call, final int bank, final Prefix prefix)
    {
        final MemorySegment key = call.allocate(SteeringDescriptor.RULE_LPM_KEY_LAYOUT);
        key.set(JAVA_INT, SteeringDescriptor.RULE_LPM_KEY_PREFIXLEN, BANK_BITS + prefix.mappedLength());
        key.set(JAVA_BYTE, SteeringDescriptor.RULE_LPM_KEY_BANK, (byte)bank);
        MemorySegment.copy(prefix.address(), 0, key, JAVA_BYTE, SteeringDescriptor.RULE_LPM_KEY_ADDR, 16);

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
