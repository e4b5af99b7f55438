package io.sluice.pipeline.blocking;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.util.Util;
import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.TcpFlyweight;
import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersFile.Metric;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.xdp.Prefix;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.Arrays;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The detector stage: a consumer of the pipeline's ring, after the handlers, that counts what each source prefix
 * sends through each filter rule with a {@link BlockTrigger}, and flags a prefix whose rate crosses the trigger's.
 * <p>
 * <b>Bounded memory.</b> Prefixes live in a fixed, open-addressed table of {@link BlockingPolicy#track()} entries
 * in parallel primitive arrays. A new prefix takes a free entry among the {@value #PROBES} its hash points at, or
 * evicts the one of them seen least recently (counted); the hash is seeded per instance, so a sender cannot aim
 * its addresses at one bucket.
 * <p>
 * <b>Sliding window.</b> Each entry counts the current and the previous fixed window; the rate over the sliding
 * window ending now is estimated as {@code current + previous * (time left of the previous window in the sliding
 * one) / window}, as Cloudflare's rate limiter does, exact for a steady rate. Time is the receiver's batch
 * timestamp, so no clock is read per frame.
 * <p>
 * <b>SYN floods.</b> For a trigger with a {@code syn_ratio}, only SYNs (SYN set, ACK clear) count toward the rate,
 * and an ACK without SYN or RST from a prefix with SYNs outstanding counts as a completed handshake; the prefix is
 * flagged when its SYN rate crosses the trigger's and its SYNs outnumber its completions (plus one) by the ratio.
 * <p>
 * <b>Flags</b> go to the {@link Blocker} through a one-to-one ring buffer, claimed and written in place; a flagged
 * entry is not flagged again for {@value #HOLD_OFF_NS} ns, whatever became of the flag. The hot path allocates
 * nothing.
 */
public final class FloodDetector implements Agent
{
    /**
     * Entries a new prefix may take, from the one its hash points at.
     */
    public static final int PROBES = 8;

    /**
     * A flagged prefix is not flagged again for a second: long enough that a blocked prefix's last frames already
     * in the pipeline do not flag it twice, short enough that a block refused at the cap is retried soon.
     */
    public static final long HOLD_OFF_NS = 1_000_000_000L;

    /**
     * Flag record type in the outbox.
     */
    public static final int FLAG_MSG_TYPE = 1;

    static final int FLAG_HI = 0;
    static final int FLAG_LO = 8;
    static final int FLAG_DETECTED_NS = 16;
    static final int FLAG_RATE_PPS = 24;
    static final int FLAG_PREFIX_LENGTH = 32;
    static final int FLAG_TRIGGER = 36;
    static final int FLAG_FIRST_SEEN_NS = 40;
    static final int FLAG_LENGTH = 48;

    private static final long V4_MAPPED = 0x0000_FFFF_0000_0000L;
    private static final int MAX_BATCH = 256;
    private static final int EVICTIONS = 0;
    private static final int OUTBOX_FULL = 1;
    private static final int SOURCES = 2;
    private static final Metric FRAMES = Metric.counter("sluice_detector_frames_total",
        "detector: frames counted toward a block_if (SYNs and handshake ACKs for a SYN trigger)");
    private static final Metric FLAGGED = Metric.counter("sluice_detector_flagged_total",
        "detector: source prefixes flagged for blocking");

    private final RingBuffer<FrameEvent> ring;
    private final Sequence sequence = new Sequence(-1);
    private final Sequence[] upstream;
    private final OneToOneRingBuffer outbox;
    private final CounterSet counters;

    private final CountersFile file;
    private final String labels;
    private volatile Triggers liveTriggers;
    private Triggers oldTriggers;
    private volatile Triggers nextTriggers;

    private final int mask;
    private final long seed;
    private final long[] keyHi;
    private final long[] keyLo;
    private final int[] keyTrigger;
    private final long[] windowStartNs;
    private final long[] lastSeenNs;
    private final long[] firstSeenNs;
    private final long[] holdUntilNs;
    private final int[] current;
    private final int[] previous;
    private final int[] doneCurrent;
    private final int[] donePrevious;
    private int sources;

    /**
     * @param ring       the pipeline's ring.
     * @param upstream   the handlers' sequences: an event is examined once every handler is done with it.
     * @param ruleCount  filter rules in the rule set.
     * @param triggers   the rules' triggers.
     * @param policy     the table size.
     * @param outbox     where flags go, read by one {@link Blocker}.
     * @param file       the instance's counters.
     * @param labels     labels every series carries, {@code iface="veth1"}.
     */
    public FloodDetector(
        final RingBuffer<FrameEvent> ring,
        final Sequence[] upstream,
        final int ruleCount,
        final List<BlockTrigger> triggers,
        final BlockingPolicy policy,
        final OneToOneRingBuffer outbox,
        final CountersFile file,
        final String labels)
    {
        this(ring, upstream, 0, ruleCount, triggers, policy, outbox, file, labels);
    }

    /**
     * @param ring       the pipeline's ring.
     * @param upstream   the handlers' sequences: an event is examined once every handler is done with it.
     * @param generation the generation of the rules the triggers belong to, as the handlers judge frames by.
     * @param ruleCount  filter rules in the rule set.
     * @param triggers   the rules' triggers, their flags carrying their index.
     * @param policy     the table size.
     * @param outbox     where flags go, read by one {@link Blocker}.
     * @param file       the instance's counters.
     * @param labels     labels every series carries, {@code iface="veth1"}.
     */
    public FloodDetector(
        final RingBuffer<FrameEvent> ring,
        final Sequence[] upstream,
        final long generation,
        final int ruleCount,
        final List<BlockTrigger> triggers,
        final BlockingPolicy policy,
        final OneToOneRingBuffer outbox,
        final CountersFile file,
        final String labels)
    {
        this.ring = ring;
        this.upstream = upstream.clone();
        this.outbox = outbox;

        this.file = file;
        this.labels = labels;
        counters = file.allocate(new CountersFile.Metric[] {
            CountersFile.Metric.counter("sluice_detector_evictions_total",
                "detector: tracked prefixes evicted for a new one, the table being full where it hashed"),
            CountersFile.Metric.counter("sluice_detector_outbox_full_total",
                "detector: flags lost because the blocker had not taken the earlier ones"),
            CountersFile.Metric.gauge("sluice_detector_sources", "detector: source prefixes in its table") },
            new String[] { labels, labels, labels });
        final int[] ids = new int[triggers.size()];
        for (int t = 0; t < ids.length; t++)
        {
            ids[t] = t;
        }
        liveTriggers = triggers(generation, ruleCount, triggers, ids, null);

        final int size = policy.track();
        mask = size - 1;
        seed = new SplittableRandom().nextLong();
        keyHi = new long[size];
        keyLo = new long[size];
        keyTrigger = new int[size];
        windowStartNs = new long[size];
        lastSeenNs = new long[size];
        firstSeenNs = new long[size];
        holdUntilNs = new long[size];
        current = new int[size];
        previous = new int[size];
        doneCurrent = new int[size];
        donePrevious = new int[size];
    }

    /**
     * @param bytes outbox capacity, a power of two.
     * @return a ring buffer for flags, off heap.
     */
    public static OneToOneRingBuffer newOutbox(final int bytes)
    {
        final AtomicBuffer buffer =
            new UnsafeBuffer(ByteBuffer.allocateDirect(bytes + RingBufferDescriptor.TRAILER_LENGTH));

        return new OneToOneRingBuffer(buffer);
    }

    @Override
    public int doWork()
    {
        final Triggers handedOver = nextTriggers;
        if (null != handedOver)
        {
            oldTriggers = liveTriggers;
            liveTriggers = handedOver;
            nextTriggers = null;
        }

        final long next = sequence.get() + 1;
        final long available = Math.min(Util.getMinimumSequence(upstream), next + MAX_BATCH - 1);
        if (available < next)
        {
            return 0;
        }
        final RingBuffer<FrameEvent> ring = this.ring;
        for (long s = next; s <= available; s++)
        {
            examine(ring.get(s));
        }
        // a release store: the receiver may reuse these slots once every gating sequence is past them
        sequence.set(available);

        return (int)(available - next + 1);
    }

    /**
     * Count one handled frame, and flag its source prefix if it crossed its trigger's rate. For the detector's
     * thread only; public for tests.
     *
     * @param event a frame the handlers are done with.
     */
    public void examine(final FrameEvent event)
    {
        final Triggers old = oldTriggers;
        final Triggers triggers = null != old && event.judgedBy == old.generation ? old : liveTriggers;
        final int rule = event.rule;
        final int[] triggerOfRule = triggers.triggerOfRule;
        if (0 != event.parseError || rule < 0 || rule >= triggerOfRule.length)
        {
            return;
        }
        final int t = triggerOfRule[rule];
        if (t < 0)
        {
            return;
        }
        final int id = triggers.ids[t];

        final long hi;
        final long lo;
        final int prefixLength;
        if (4 == event.ipVersion)
        {
            final int bits = triggers.prefixV4[t];
            hi = 0;
            lo = V4_MAPPED | ((event.srcIpv4 & 0xFFFF_FFFFL) & (0xFFFF_FFFFL << (32 - bits)));
            prefixLength = 96 + bits;
        }
        else if (6 == event.ipVersion)
        {
            final int bits = triggers.prefixV6[t];
            hi = bits >= 64 ? event.srcIpv6Hi : event.srcIpv6Hi & (-1L << (64 - bits));
            lo = bits >= 128 ? event.srcIpv6Lo : bits <= 64 ? 0 : event.srcIpv6Lo & (-1L << (128 - bits));
            prefixLength = bits;
        }
        else
        {
            return;
        }

        final boolean synTrigger = 0 != triggers.synRatios[t];
        boolean completion = false;
        if (synTrigger)
        {
            final int flags = event.tcpFlags;
            if (FrameEvent.ABSENT == flags)
            {
                return;
            }
            final int synAck = flags & (TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_RST);
            if (TcpFlyweight.FLAG_ACK == synAck)
            {
                completion = true;
            }
            else if (TcpFlyweight.FLAG_SYN != (flags & (TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK)))
            {
                return;
            }
        }

        final long nowNs = event.rxTimestampNs;
        final int i = entry(hi, lo, id, nowNs, !completion);
        if (i < 0)
        {
            return;
        }
        triggers.counts.increment(2 * t);
        lastSeenNs[i] = nowNs;

        final long window = triggers.windowNs[t];
        long elapsed = nowNs - windowStartNs[i];
        if (elapsed >= window)
        {
            final boolean adjacent = elapsed < 2 * window;
            previous[i] = adjacent ? current[i] : 0;
            donePrevious[i] = adjacent ? doneCurrent[i] : 0;
            current[i] = 0;
            doneCurrent[i] = 0;
            windowStartNs[i] = nowNs - elapsed % window;
            elapsed = nowNs - windowStartNs[i];
        }
        final double previousWeight = elapsed < 0 ? 1.0 : 1.0 - elapsed * triggers.inverseWindow[t];
        if (completion)
        {
            if (current[i] + previous[i] > doneCurrent[i] + donePrevious[i])
            {
                doneCurrent[i]++;
            }
            return;
        }

        current[i]++;
        final double estimate = current[i] + previous[i] * previousWeight;
        if (estimate > triggers.limits[t] && nowNs - holdUntilNs[i] >= 0)
        {
            if (synTrigger &&
                estimate <= (double)triggers.synRatios[t] * (doneCurrent[i] + donePrevious[i] * previousWeight + 1))
            {
                return;
            }
            holdUntilNs[i] = nowNs + HOLD_OFF_NS;
            flag(hi, lo, prefixLength, id, nowNs, (long)(estimate * 1_000_000_000.0 / window), firstSeenNs[i]);
            triggers.counts.increment(2 * t + 1);
        }
    }

    private void flag(final long hi, final long lo, final int prefixLength, final int id, final long nowNs,
        final long ratePps, final long firstSeenNs)
    {
        final int index = outbox.tryClaim(FLAG_MSG_TYPE, FLAG_LENGTH);
        if (index < 0)
        {
            counters.increment(OUTBOX_FULL);
            return;
        }
        final AtomicBuffer buffer = outbox.buffer();
        buffer.putLong(index + FLAG_HI, hi);
        buffer.putLong(index + FLAG_LO, lo);
        buffer.putLong(index + FLAG_DETECTED_NS, nowNs);
        buffer.putLong(index + FLAG_RATE_PPS, ratePps);
        buffer.putInt(index + FLAG_PREFIX_LENGTH, prefixLength);
        buffer.putInt(index + FLAG_TRIGGER, id);
        buffer.putLong(index + FLAG_FIRST_SEEN_NS, firstSeenNs);
        outbox.commit(index);
    }

    /**
     * @param buffer the outbox's buffer.
     * @param index  a flag record's offset in it.
     * @return the flagged prefix.
     */
    static Prefix flaggedPrefix(final DirectBuffer buffer, final int index)
    {
        final long hi = buffer.getLong(index + FLAG_HI);
        final long lo = buffer.getLong(index + FLAG_LO);
        final byte[] address = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            address[i] = (byte)(hi >>> (56 - 8 * i));
            address[8 + i] = (byte)(lo >>> (56 - 8 * i));
        }

        return Prefix.fromMapped(address, buffer.getInt(index + FLAG_PREFIX_LENGTH));
    }

    private int entry(final long hi, final long lo, final int id, final long nowNs, final boolean create)
    {
        long h = (hi * 0x9E37_79B9_7F4A_7C15L) ^ (lo * 0xC2B2_AE3D_27D4_EB4FL) ^ (id * 0x1656_67B1_9E37_79F9L) ^ seed;
        h ^= h >>> 31;
        h *= 0xBF58_476D_1CE4_E5B9L;
        h ^= h >>> 29;
        final int home = (int)h & mask;
        final int tag = id + 1;
        int victim = home;
        for (int p = 0; p < PROBES; p++)
        {
            final int i = (home + p) & mask;
            final int owner = keyTrigger[i];
            if (0 == owner)
            {
                if (!create)
                {
                    return -1;
                }
                sources++;
                counters.set(SOURCES, sources);
                claim(i, hi, lo, tag, nowNs);
                return i;
            }
            if (owner == tag && keyHi[i] == hi && keyLo[i] == lo)
            {
                return i;
            }
            if (lastSeenNs[i] - lastSeenNs[victim] < 0)
            {
                victim = i;
            }
        }
        if (!create)
        {
            return -1;
        }
        counters.increment(EVICTIONS);
        claim(victim, hi, lo, tag, nowNs);

        return victim;
    }

    private void claim(final int i, final long hi, final long lo, final int tag, final long nowNs)
    {
        keyHi[i] = hi;
        keyLo[i] = lo;
        keyTrigger[i] = tag;
        windowStartNs[i] = nowNs;
        lastSeenNs[i] = nowNs;
        firstSeenNs[i] = nowNs;
        holdUntilNs[i] = nowNs;
        current[i] = 0;
        previous[i] = 0;
        doneCurrent[i] = 0;
        donePrevious[i] = 0;
    }

    /**
     * @return this stage's sequence, which gates the receiver.
     */
    public Sequence sequence()
    {
        return sequence;
    }

    /**
     * @return source prefixes in the table now.
     */
    public long sources()
    {
        return counters.get(SOURCES);
    }

    /**
     * @return prefixes evicted so far.
     */
    public long evictions()
    {
        return counters.get(EVICTIONS);
    }

    /**
     * @param trigger a trigger's index.
     * @return prefixes it flagged.
     */
    public long flagged(final int trigger)
    {
        return liveTriggers.counts.get(2 * trigger + 1);
    }

    /**
     * @return flags lost to a full outbox.
     */
    public long outboxFull()
    {
        return counters.get(OUTBOX_FULL);
    }

    /**
     * @return the table's size.
     */
    public int capacity()
    {
        return mask + 1;
    }

    /**
     * Build one generation's triggers, off the data path. A trigger on a rule of the same name as one in
     * {@code carried} carries on that trigger's counters (the detector thread writes both).
     *
     * @param generation the rules' generation: frames its filter judged are examined with these.
     * @param ruleCount  filter rules in the rule set.
     * @param triggers   the rules' triggers.
     * @param ids        per trigger, the id its flags carry and its table entries are keyed by, the same for a
     *                   trigger on a rule of the same name in every generation.
     * @param carried    the triggers these replace, or null.
     * @return the triggers, to {@link #handOver(Triggers)}.
     */
    public Triggers triggers(
        final long generation,
        final int ruleCount,
        final List<BlockTrigger> triggers,
        final int[] ids,
        final Triggers carried)
    {
        return new Triggers(generation, ruleCount, triggers, ids, carried, file, labels);
    }

    /**
     * Hand over the next generation's triggers, taken up before the detector's next batch; from the conductor once
     * {@link #triggers()} is the generation before.
     *
     * @param triggers the triggers.
     */
    public void handOver(final Triggers triggers)
    {
        nextTriggers = triggers;
    }

    /**
     * @return the newest triggers the detector has taken up; any thread.
     */
    public Triggers triggers()
    {
        return liveTriggers;
    }

    /**
     * Free the counters of the triggers {@code next} did not carry on, once no frame is examined with {@code old}.
     *
     * @param old  triggers replaced.
     * @param next the triggers that replaced them.
     */
    public void retire(final Triggers old, final Triggers next)
    {
        for (final CounterSet mine : old.each)
        {
            boolean kept = false;
            for (final CounterSet theirs : next.each)
            {
                kept |= mine == theirs;
            }
            if (!kept)
            {
                file.free(mine);
            }
        }
    }

    /**
     * One generation's {@code block_if}s, in primitive arrays by trigger, with their counters. Immutable.
     */
    public static final class Triggers
    {
        final long generation;
        final int[] triggerOfRule;
        final int[] ids;
        final long[] limits;
        final long[] windowNs;
        final double[] inverseWindow;
        final int[] synRatios;
        final int[] prefixV4;
        final int[] prefixV6;
        final String[] ruleNames;
        final CounterSet[] each;
        final CounterSet counts;

        Triggers(
            final long generation,
            final int ruleCount,
            final List<BlockTrigger> triggers,
            final int[] ids,
            final Triggers carried,
            final CountersFile file,
            final String labels)
        {
            this.generation = generation;
            this.ids = ids.clone();
            triggerOfRule = new int[ruleCount];
            Arrays.fill(triggerOfRule, -1);
            final int count = triggers.size();
            limits = new long[count];
            windowNs = new long[count];
            inverseWindow = new double[count];
            synRatios = new int[count];
            prefixV4 = new int[count];
            prefixV6 = new int[count];
            ruleNames = new String[count];
            each = new CounterSet[count];
            for (int t = 0; t < count; t++)
            {
                final BlockTrigger trigger = triggers.get(t);
                triggerOfRule[trigger.rule()] = t;
                limits[t] = trigger.limit();
                windowNs[t] = trigger.windowNs();
                inverseWindow[t] = 1.0 / trigger.windowNs();
                synRatios[t] = trigger.synRatio();
                prefixV4[t] = trigger.prefixV4();
                prefixV6[t] = trigger.prefixV6();
                ruleNames[t] = trigger.ruleName();
                final int kept = null == carried ? -1 : Arrays.asList(carried.ruleNames).indexOf(trigger.ruleName());
                each[t] = kept >= 0 ? carried.each[kept] :
                    file.allocate(Labels.and(labels, "rule", trigger.ruleName()), FRAMES, FLAGGED);
            }
            counts = CounterSet.join(each);
        }

        /**
         * @return the rules' generation these go with.
         */
        public long generation()
        {
            return generation;
        }
    }

    @Override
    public String roleName()
    {
        return "sluice-detector";
    }
}
