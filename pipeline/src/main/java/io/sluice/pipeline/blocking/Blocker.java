package io.sluice.pipeline.blocking;

import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SourceBlocklist;
import io.sluice.xsk.xdp.Stat;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The control plane of the adaptive fast path: a duty of the {@link io.sluice.pipeline.Conductor}, on its thread,
 * never on the data path. It is the only writer of the XDP program's blocklist while it runs:
 * <ul>
 *     <li>it takes the {@link FloodDetector}'s flags and blocks each flagged prefix in XDP with an expiry, unless
 *     the allowlist covers it or the cap is reached, both skipped and counted;</li>
 *     <li>it takes operators' commands ({@code ./sluice blocks add|remove|list}, through
 *     {@link io.sluice.pipeline.ControlSocket});</li>
 *     <li>every {@value #EXPIRY_PERIOD_MS} ms it removes expired blocks (the program has already stopped dropping
 *     for them at their expiry), and every {@value #SAMPLE_PERIOD_MS} ms it copies each block's XDP drop counts
 *     into the counters file.</li>
 * </ul>
 * Counters: {@code sluice_blocks_added_total{origin}}, {@code sluice_blocks_expired_total},
 * {@code sluice_blocks_removed_total}, {@code sluice_blocks_skipped_total{reason}}, {@code sluice_blocks_active},
 * per block {@code sluice_block_dropped_packets_total{prefix,origin,rule}} and bytes, and what removed blocks
 * dropped, {@code sluice_blocks_retired_dropped_packets_total}: with the live blocks' it sums to the program's
 * {@code drop_blocklist}.
 */
public final class Blocker implements AutoCloseable
{
    public static final long EXPIRY_PERIOD_MS = 10;
    static final long SAMPLE_PERIOD_MS = 100;
    static final String ORIGIN_DETECTOR = "detector";
    static final String ORIGIN_MANUAL = "manual";

    private static final int ADDED_DETECTOR = 0;
    private static final int ADDED_MANUAL = 1;
    private static final int EXPIRED = 2;
    private static final int REMOVED = 3;
    private static final int SKIPPED_CAP = 4;
    private static final int SKIPPED_ALLOWLIST = 5;
    private static final int ACTIVE = 6;
    private static final int RETIRED_PACKETS = 7;
    private static final int RETIRED_BYTES = 8;

    /**
     * A block as the blocker keeps it.
     *
     * @param prefix       the blocked prefix.
     * @param origin       {@code detector} or {@code manual}.
     * @param rule         the filter rule whose trigger flagged it, or {@code -} for a manual block.
     * @param ratePps      the rate the detector measured, 0 for a manual block.
     * @param firstSeenNs  when the detector's table first held the prefix (a manual block: when asked).
     * @param detectedAtNs when the frame that crossed the rate was received (a manual block: when asked).
     * @param addedAtNs    when the block went into the XDP program.
     * @param expiresAtNs  when it stops dropping, 0 for never.
     * @param dropped      its XDP drops at the last sample.
     */
    public record Block(
        Prefix prefix, String origin, String rule, long ratePps, long firstSeenNs, long detectedAtNs, long addedAtNs,
        long expiresAtNs, Stat dropped)
    {
    }

    private final SourceBlocklist blocklist;
    private BlockingPolicy policy;
    private final List<BlockTrigger> triggers;
    private final OneToOneRingBuffer outbox;
    private final CountersFile file;
    private final String labels;
    private final Consumer<String> log;
    private final CounterSet counters;
    private final Map<Prefix, Entry> entries = new LinkedHashMap<>();
    private final ManyToOneConcurrentArrayQueue<Command> commands = new ManyToOneConcurrentArrayQueue<>(64);
    private final MessageHandler onFlag = this::onFlag;
    private volatile List<Block> snapshot = List.of();
    private long nextExpiryNs;
    private long nextSampleNs;
    private volatile boolean onConductor;
    private volatile Runnable wake = () -> {};

    private static final class Entry
    {
        final Block block;
        final CounterSet series;
        final SourceBlocklist.Block xdp;

        Entry(final Block block, final CounterSet series, final SourceBlocklist.Block xdp)
        {
            this.block = block;
            this.series = series;
            this.xdp = xdp;
        }
    }

    private record Command(String line, CompletableFuture<String> reply)
    {
    }

    /**
     * @param blocklist the XDP program's source blocklist and allowlist.
     * @param policy    lifetime, cap and allowlist; the allowlist is written into the program here.
     * @param triggers  the triggers, indexed as the detector's flags name them.
     * @param outbox    the detector's flags, or null without a detector.
     * @param file      the instance's counters.
     * @param labels    labels every series carries, {@code iface="veth1"}.
     * @param log       where a line goes for each block added or removed.
     */
    public Blocker(
        final SourceBlocklist blocklist,
        final BlockingPolicy policy,
        final List<BlockTrigger> triggers,
        final OneToOneRingBuffer outbox,
        final CountersFile file,
        final String labels,
        final Consumer<String> log)
    {
        this.blocklist = blocklist;
        this.policy = policy;
        this.triggers = new ArrayList<>(triggers);
        this.outbox = outbox;
        this.file = file;
        this.labels = labels;
        this.log = log;
        final CountersFile.Metric added = CountersFile.Metric.counter("sluice_blocks_added_total",
            "blocks: source prefixes blocked in XDP, by origin");
        final CountersFile.Metric skipped = CountersFile.Metric.counter("sluice_blocks_skipped_total",
            "blocks: flagged prefixes not blocked, by reason");
        counters = file.allocate(new CountersFile.Metric[] {
            added, added,
            CountersFile.Metric.counter("sluice_blocks_expired_total", "blocks: removed at the end of their TTL"),
            CountersFile.Metric.counter("sluice_blocks_removed_total", "blocks: removed by an operator"),
            skipped, skipped,
            CountersFile.Metric.gauge("sluice_blocks_active", "blocks: in the XDP program now"),
            CountersFile.Metric.counter("sluice_blocks_retired_dropped_packets_total",
                "blocks: packets dropped in XDP by blocks since removed"),
            CountersFile.Metric.counter("sluice_blocks_retired_dropped_bytes_total",
                "blocks: bytes dropped in XDP by blocks since removed") },
            new String[] {
                Labels.and(labels, "origin", ORIGIN_DETECTOR), Labels.and(labels, "origin", ORIGIN_MANUAL),
                labels, labels, Labels.and(labels, "reason", "cap"), Labels.and(labels, "reason", "allowlist"),
                labels, labels, labels });
        for (final Prefix allowed : policy.allow())
        {
            blocklist.allowSource(allowed);
        }
    }

    /**
     * A reload's triggers: a trigger on a rule named as an earlier trigger's takes that trigger's id, the others
     * new ones, so that the detector's flags, written under either generation, name the newest trigger of their
     * rule. On the conductor's thread, as the flags are read.
     *
     * @param next the reloaded rules' triggers.
     * @return per trigger, the id the detector's flags carry.
     */
    public int[] register(final List<BlockTrigger> next)
    {
        final int[] ids = new int[next.size()];
        for (int t = 0; t < ids.length; t++)
        {
            final BlockTrigger trigger = next.get(t);
            int id = -1;
            for (int i = 0; i < triggers.size() && id < 0; i++)
            {
                if (triggers.get(i).ruleName().equals(trigger.ruleName()))
                {
                    id = i;
                }
            }
            if (id < 0)
            {
                id = triggers.size();
                triggers.add(trigger);
            }
            else
            {
                triggers.set(id, trigger);
            }
            ids[t] = id;
        }

        return ids;
    }

    /**
     * A reload's blocking section, for the blocks added from now on; the blocks in place keep their expiry. The
     * allowlist changes in the XDP program at once. On the conductor's thread.
     *
     * @param next the reloaded policy.
     */
    public void policy(final BlockingPolicy next)
    {
        for (final Prefix allowed : next.allow())
        {
            if (!policy.allow().contains(allowed))
            {
                blocklist.allowSource(allowed);
            }
        }
        for (final Prefix allowed : policy.allow())
        {
            if (!next.allow().contains(allowed))
            {
                blocklist.disallowSource(allowed);
            }
        }
        policy = next;
    }

    /**
     * @param on whether a running conductor does this blocker's duty: commands submitted from other threads wait
     *           for it; without one, they run on the submitting thread.
     */
    public void onConductor(final boolean on)
    {
        onConductor = on;
    }

    /**
     * @param wake wakes the conductor, run after each command {@link #submit(String)} queues for it.
     */
    public void wakeWith(final Runnable wake)
    {
        this.wake = wake;
    }

    /**
     * @return true while any source is blocked: expiry and the drop counts are then due every
     * {@value #EXPIRY_PERIOD_MS} and {@value #SAMPLE_PERIOD_MS} ms. On the conductor's thread.
     */
    public boolean hasBlocks()
    {
        return !entries.isEmpty();
    }

    /**
     * The conductor's duty: the detector's flags, operators' commands submitted from other threads, expiry every
     * {@value #EXPIRY_PERIOD_MS} ms, and every {@value #SAMPLE_PERIOD_MS} ms each block's drop counts.
     *
     * @param nowNs {@code System.nanoTime()} of the duty cycle.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        int work = null == outbox ? 0 : outbox.read(onFlag, 64);
        Command command;
        while (null != (command = commands.poll()))
        {
            command.reply().complete(execute(command.line()));
            work++;
        }
        if (nowNs - nextExpiryNs >= 0)
        {
            nextExpiryNs = nowNs + EXPIRY_PERIOD_MS * 1_000_000L;
            work += expire(nowNs);
        }
        if (nowNs - nextSampleNs >= 0)
        {
            nextSampleNs = nowNs + SAMPLE_PERIOD_MS * 1_000_000L;
            sample();
        }

        return work;
    }

    /**
     * The last sample of every block's counts, once the conductor has stopped: no packet reaches a block now.
     */
    @Override
    public void close()
    {
        onConductor = false;
        sample();
    }

    /**
     * Run an operator's command on the conductor's thread, the blocker's own: {@code list}, {@code add PREFIX
     * [TTL_S]}, {@code remove PREFIX}.
     *
     * @param line the command.
     * @return its reply: {@code ok} or {@code error}, a newline, then text for people.
     */
    public String command(final String line)
    {
        return execute(line);
    }

    /**
     * Hand an operator's command to the agent's thread: {@code list}, {@code add PREFIX [TTL_S]},
     * {@code remove PREFIX}.
     *
     * @param line the command.
     * @return its reply: {@code ok} or {@code error}, a newline, then text for people.
     */
    public CompletableFuture<String> submit(final String line)
    {
        final CompletableFuture<String> reply = new CompletableFuture<>();
        if (!commands.offer(new Command(line, reply)))
        {
            reply.complete("error\nthe blocker is busy: try again");
        }
        else if (!onConductor)
        {
            // no conductor runs it: run it here (before start, and after stop)
            doWork(System.nanoTime());
        }
        else
        {
            wake.run();
        }

        return reply;
    }

    /**
     * @return the blocks at the last sample, oldest first.
     */
    public List<Block> blocks()
    {
        return snapshot;
    }

    /**
     * @return blocks the detector added so far.
     */
    public long addedByDetector()
    {
        return counters.get(ADDED_DETECTOR);
    }

    /**
     * @return blocks operators added so far.
     */
    public long addedManually()
    {
        return counters.get(ADDED_MANUAL);
    }

    /**
     * @return blocks removed at their expiry so far.
     */
    public long expired()
    {
        return counters.get(EXPIRED);
    }

    /**
     * @return blocks operators removed so far.
     */
    public long removed()
    {
        return counters.get(REMOVED);
    }

    /**
     * @return flags skipped because the cap was reached.
     */
    public long skippedAtCap()
    {
        return counters.get(SKIPPED_CAP);
    }

    /**
     * @return flags skipped because the allowlist covers the prefix.
     */
    public long skippedAllowlisted()
    {
        return counters.get(SKIPPED_ALLOWLIST);
    }

    /**
     * @return packets removed blocks dropped in XDP, at the last sample.
     */
    public long retiredDroppedPackets()
    {
        return counters.get(RETIRED_PACKETS);
    }

    /**
     * @return packets every block dropped in XDP, by the blocks' own counters at the last sample: the live blocks'
     * and the removed ones'. After {@link #close()}, the final count.
     */
    public long droppedPackets()
    {
        long packets = counters.get(RETIRED_PACKETS);
        for (final Block block : snapshot)
        {
            packets += block.dropped().packets();
        }

        return packets;
    }

    /**
     * @return the policy.
     */
    public BlockingPolicy policy()
    {
        return policy;
    }

    private void onFlag(final int msgTypeId, final DirectBuffer buffer, final int index, final int length)
    {
        final Prefix prefix = FloodDetector.flaggedPrefix(buffer, index);
        final BlockTrigger trigger = triggers.get(buffer.getInt(index + FloodDetector.FLAG_TRIGGER));
        final long detectedAtNs = buffer.getLong(index + FloodDetector.FLAG_DETECTED_NS);
        final long ratePps = buffer.getLong(index + FloodDetector.FLAG_RATE_PPS);
        final long firstSeenNs = buffer.getLong(index + FloodDetector.FLAG_FIRST_SEEN_NS);
        if (entries.containsKey(prefix))
        {
            return; // its last frames, already in the pipeline when it was blocked
        }
        final Prefix allowed = policy.allowlisted(prefix);
        if (null != allowed)
        {
            counters.increment(SKIPPED_ALLOWLIST);
            return;
        }
        if (entries.size() >= policy.maxBlocks())
        {
            counters.increment(SKIPPED_CAP);
            return;
        }
        final long ttlNs = 0 != trigger.ttlNs() ? trigger.ttlNs() : policy.ttlNs();
        final Block block = add(prefix, ORIGIN_DETECTOR, trigger.ruleName(), ratePps, firstSeenNs, detectedAtNs,
            ttlNs);
        counters.increment(ADDED_DETECTOR);
        log.accept(String.format(Locale.ROOT, "blocked %s for %d s: rule %s saw %,d pps from it (over %,d pps " +
            "in %d ms), blocked %.1f ms after the frame that crossed it", prefix, ttlNs / 1_000_000_000L,
            trigger.ruleName(), ratePps, trigger.pps(), trigger.windowNs() / 1_000_000L,
            (block.addedAtNs() - detectedAtNs) / 1e6));
    }

    private Block add(
        final Prefix prefix,
        final String origin,
        final String rule,
        final long ratePps,
        final long firstSeenNs,
        final long detectedAtNs,
        final long ttlNs)
    {
        final long nowNs = System.nanoTime();
        final long expiresAtNs = 0 == ttlNs ? 0 : nowNs + ttlNs;
        final SourceBlocklist.Block xdp = blocklist.block(prefix, expiresAtNs);
        final Entry old = entries.get(prefix);
        final Block block = new Block(prefix, origin, rule, ratePps, firstSeenNs, detectedAtNs, System.nanoTime(),
            expiresAtNs, null == old ? Stat.ZERO : old.block.dropped());
        final CounterSet series = null != old ? old.series : file.allocate(
            Labels.and(Labels.and(Labels.and(labels, "prefix", prefix), "origin", origin), "rule", rule),
            CountersFile.Metric.counter("sluice_block_dropped_packets_total",
                "blocks: packets each block dropped in XDP"),
            CountersFile.Metric.counter("sluice_block_dropped_bytes_total",
                "blocks: bytes each block dropped in XDP"));
        entries.put(prefix, new Entry(block, series, xdp));
        counters.set(ACTIVE, entries.size());
        publish();

        return block;
    }

    private int expire(final long nowNs)
    {
        List<Prefix> due = null;
        for (final Entry entry : entries.values())
        {
            final long expiresAtNs = entry.block.expiresAtNs();
            if (0 != expiresAtNs && nowNs - expiresAtNs >= 0)
            {
                if (null == due)
                {
                    due = new ArrayList<>();
                }
                due.add(entry.block.prefix());
            }
        }
        if (null == due)
        {
            return 0;
        }
        for (final Map.Entry<Prefix, Stat> gone : remove(due).entrySet())
        {
            counters.increment(EXPIRED);
            log.accept(String.format(Locale.ROOT, "unblocked %s: its TTL ended; it dropped %,d packets in XDP",
                gone.getKey(), gone.getValue().packets()));
        }

        return due.size();
    }

    private Map<Prefix, Stat> remove(final List<Prefix> prefixes)
    {
        final Map<Prefix, Stat> finals = blocklist.unblock(prefixes);
        for (final Prefix prefix : prefixes)
        {
            final Entry entry = entries.remove(prefix);
            if (null != entry)
            {
                file.free(entry.series);
            }
        }
        recordRetired();
        counters.set(ACTIVE, entries.size());
        publish();

        return finals;
    }

    private void sample()
    {
        boolean changed = false;
        for (final Map.Entry<Prefix, Entry> each : entries.entrySet())
        {
            final Entry entry = each.getValue();
            final Stat dropped = blocklist.blockStat(entry.xdp);
            entry.series.set(0, dropped.packets());
            entry.series.set(1, dropped.bytes());
            if (!dropped.equals(entry.block.dropped()))
            {
                final Block was = entry.block;
                each.setValue(new Entry(new Block(was.prefix(), was.origin(), was.rule(), was.ratePps(),
                    was.firstSeenNs(), was.detectedAtNs(), was.addedAtNs(), was.expiresAtNs(), dropped), entry.series,
                    entry.xdp));
                changed = true;
            }
        }
        if (changed)
        {
            publish();
        }
    }

    private void recordRetired()
    {
        final Stat retired = blocklist.retiredBlockDrops();
        counters.set(RETIRED_PACKETS, retired.packets());
        counters.set(RETIRED_BYTES, retired.bytes());
    }

    private void publish()
    {
        final List<Block> blocks = new ArrayList<>(entries.size());
        entries.values().forEach((entry) -> blocks.add(entry.block));
        snapshot = List.copyOf(blocks);
    }

    private String execute(final String line)
    {
        final String[] words = line.strip().split("\\s+");
        try
        {
            return switch (words[0])
            {
                case "list" -> "ok\n" + list(System.nanoTime());
                case "add" -> addManually(words);
                case "remove" -> removeManually(words);
                default -> "error\nunknown command '" + words[0] + "': list, add PREFIX [TTL_S], remove PREFIX";
            };
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return "error\n" + ex.getMessage();
        }
    }

    private String addManually(final String[] words)
    {
        if (words.length < 2 || words.length > 3)
        {
            return "error\nadd PREFIX [TTL_S]";
        }
        final Prefix prefix = Prefix.parse(words[1]);
        if (Prefix.ANY == prefix || 0 == prefix.mappedLength())
        {
            return "error\n" + words[1] + " would block every source; name a narrower prefix";
        }
        long ttlS = 0;
        if (3 == words.length)
        {
            try
            {
                ttlS = Long.parseLong(words[2]);
            }
            catch (final NumberFormatException ex)
            {
                ttlS = -1;
            }
            if (ttlS < 1 || ttlS > BlockingPolicy.TTL_S_MAX)
            {
                return "error\nTTL " + words[2] + " is not 1.." + BlockingPolicy.TTL_S_MAX + " seconds";
            }
        }
        final Prefix allowed = policy.allowlisted(prefix);
        if (null != allowed)
        {
            return "error\n" + prefix + " is on the allowlist (" + allowed + "): it is never blocked";
        }
        final boolean again = entries.containsKey(prefix);
        if (!again && entries.size() >= policy.maxBlocks())
        {
            return "error\nthe cap of " + policy.maxBlocks() + " blocks is reached (blocking.max_blocks); " +
                "remove one first";
        }
        final long nowNs = System.nanoTime();
        add(prefix, ORIGIN_MANUAL, "-", 0, nowNs, nowNs, ttlS * 1_000_000_000L);
        if (!again)
        {
            counters.increment(ADDED_MANUAL);
        }
        final String what = "blocked " + prefix + (0 == ttlS ? " until removed" : " for " + ttlS + " s") +
            (again ? " (it was blocked already: its expiry moved)" : "");
        log.accept(what + " (by an operator)");

        return "ok\n" + what + "\n";
    }

    private String removeManually(final String[] words)
    {
        if (words.length != 2)
        {
            return "error\nremove PREFIX";
        }
        final Prefix prefix = Prefix.parse(words[1]);
        if (!entries.containsKey(prefix))
        {
            return "error\n" + prefix + " is not blocked (" + entries.size() + " blocks: see ./sluice blocks)";
        }
        final Stat dropped = remove(List.of(prefix)).getOrDefault(prefix, Stat.ZERO);
        counters.increment(REMOVED);
        final String what = String.format(Locale.ROOT, "unblocked %s: it dropped %,d packets in XDP", prefix,
            dropped.packets());
        log.accept(what + " (by an operator)");

        return "ok\n" + what + "\n";
    }

    /**
     * @param nowNs {@code System.nanoTime()}.
     * @return the blocks as a table for people.
     */
    String list(final long nowNs)
    {
        sample();
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d blocks (cap %d), added %d by the detector and %d by operators, " +
            "%d expired, %d removed, %d skipped at the cap, %d allowlisted%n", entries.size(), policy.maxBlocks(),
            counters.get(ADDED_DETECTOR), counters.get(ADDED_MANUAL), counters.get(EXPIRED), counters.get(REMOVED),
            counters.get(SKIPPED_CAP), counters.get(SKIPPED_ALLOWLIST)));
        if (entries.isEmpty())
        {
            return out.toString();
        }
        int width = "PREFIX".length();
        for (final Prefix prefix : entries.keySet())
        {
            width = Math.max(width, prefix.toString().length());
        }
        final String row = "%-" + width + "s  %-8s  %-20s  %10s  %16s  %16s%n";
        out.append(String.format(Locale.ROOT, row, "PREFIX", "ORIGIN", "RULE", "REMAINING", "DROPPED_PACKETS",
            "DROPPED_BYTES"));
        for (final Entry entry : entries.values())
        {
            final Block block = entry.block;
            out.append(String.format(Locale.ROOT, row, block.prefix(), block.origin(), block.rule(),
                0 == block.expiresAtNs() ? "never" :
                String.format(Locale.ROOT, "%.1f s", Math.max(0, block.expiresAtNs() - nowNs) / 1e9),
                block.dropped().packets(), block.dropped().bytes()));
        }

        return out.toString();
    }
}
