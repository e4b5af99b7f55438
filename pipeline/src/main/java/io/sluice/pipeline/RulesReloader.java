package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.pipeline.rules.RulesFileException;
import io.sluice.xsk.xdp.SteeringTables;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Applies a rules file to the running instance, on the conductor's thread, so that reloads from the control socket
 * and from SIGHUP are serialised. Both levels change at once:
 * <ol>
 * <li>the file is read and checked whole, and the next generation's filter, actor and triggers are built for every
 * handler and the detector, rules of the same names carrying on their counters; a problem refuses the file and
 * changes nothing;</li>
 * <li>the handlers and the detector take up the new rules for frames stamped with the next generation, keeping the
 * old ones for frames stamped with the current;</li>
 * <li>the XDP tables' idle bank gets the new steering rules, and one store makes them live under the next
 * generation, which every frame they steer carries;</li>
 * <li>once a grace period is over and every frame the old generation steered has been through the pipeline, the
 * old rules retire: their counters that no new rule carries on are freed, their counts kept as retired totals.</li>
 * </ol>
 * A frame is judged by the filter of the generation that steered it, so it sees the old rules or the new ones,
 * never a mix. Blocks in place stay; the {@code blocking} section applies to blocks added from then on.
 */
final class RulesReloader
{
    /**
     * How long a handler may take to pick up new rules, or the old ones to drain out of the pipeline.
     */
    static final long STAGE_TIMEOUT_NS = 5_000_000_000L;

    private final SluiceContext ctx;
    private final Pipeline pipeline;
    private final SteeringTables tables;
    private final Blocker blocker;
    private final StatsSampler sampler;
    private final Consumer<String> log;
    private final String file;
    private volatile Rules rules;
    private Pipeline.Staged running;
    private Pipeline.Staged retiring;
    private Pipeline.Staged replacement;
    private volatile boolean hangup;
    private volatile Runnable wake = () -> {};
    private long reloads;

    /**
     * @param ctx      the running context: its rules, the forward interfaces with sockets, the capture rule.
     * @param pipeline the pipeline, whose rules change.
     * @param tables   the XDP rule tables.
     * @param blocker  whose triggers and policy change.
     * @param sampler  whose steering series change.
     */
    RulesReloader(
        final SluiceContext ctx,
        final Pipeline pipeline,
        final SteeringTables tables,
        final Blocker blocker,
        final StatsSampler sampler)
    {
        this.ctx = ctx;
        this.pipeline = pipeline;
        this.tables = tables;
        this.blocker = blocker;
        this.sampler = sampler;
        this.log = ctx.log();
        rules = ctx.rules();
        file = rules.source();
        running = pipeline.running();
    }

    /**
     * @return the rules running now; any thread.
     */
    Rules rules()
    {
        return rules;
    }

    /**
     * @return reloads applied so far.
     */
    long reloads()
    {
        return reloads;
    }

    /**
     * Ask for a reload of the instance's rules file (the one it started with), as SIGHUP does; done on the
     * conductor's next duty cycle.
     * Any thread, a signal handler's too.
     */
    void hangup()
    {
        hangup = true;
        wake.run();
    }

    /**
     * @param wake wakes the conductor, run after each {@link #hangup()}.
     */
    void wakeWith(final Runnable wake)
    {
        this.wake = wake;
    }

    /**
     * The conductor's duty: a reload SIGHUP asked for.
     *
     * @return work done.
     */
    int doWork()
    {
        if (!hangup)
        {
            return 0;
        }
        hangup = false;
        reload(null);

        return 1;
    }

    /**
     * Reload, on the conductor's thread. The outcome goes to the log and back to the caller.
     *
     * @param other the file to read, or null for the instance's rules file: another file is applied once, and the
     *              instance's file stays the one it started with.
     * @return {@code ok} or {@code error}, a line break, and one line saying what was done or what is wrong.
     */
    String reload(final String other)
    {
        final String source = null == other ? file : other;
        try
        {
            final String done = apply(source);
            log.accept("rules: " + done);

            return "ok\n" + done + "\n";
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            final String line = "reload refused, the running rules unchanged: " + ex.getMessage();
            log.accept("rules: " + line);

            return "error\n" + line;
        }
    }

    private String apply(final String source)
    {
        final long startNs = System.nanoTime();
        final Rules next = RulesFile.load(Path.of(source));
        check(next);
        if (null != retiring && !retire())
        {
            throw new IllegalStateException("the rules before the last reload are still in use after " +
                STAGE_TIMEOUT_NS / 1_000_000_000L + " s (is the pipeline stalled?); try again");
        }

        final Rules current = rules;
        final long generation = (tables.generation() + 1) & 0xFFFF_FFFFL;
        final int[] triggerIds = blocker.register(next.triggers());
        final Pipeline.Staged staged = pipeline.stage(generation, next, triggerIds);
        if (!pipeline.handOver(staged, STAGE_TIMEOUT_NS))
        {
            rollBack(staged);
            throw new IllegalStateException("a handler did not take up the new rules within " +
                STAGE_TIMEOUT_NS / 1_000_000_000L + " s");
        }
        final int live;
        try
        {
            live = tables.replaceAll(next.steering(), next.steerAll(),
                (id) -> current.steeringNames().indexOf(next.steeringName(id)));
        }
        catch (final RuntimeException ex)
        {
            rollBack(staged);
            throw new IllegalStateException("the XDP rule tables refused the steering rules: " + ex.getMessage(), ex);
        }
        if ((live & 0xFFFF_FFFFL) != generation)
        {
            throw new IllegalStateException("the XDP rules are at generation " + live + ", not " + generation);
        }

        retiring = running;
        replacement = staged;
        running = staged;
        rules = next;
        reloads++;
        blocker.policy(next.blocking());
        sampler.steeringRules(next.steeringNames());
        final boolean retired = retire();

        return String.format(Locale.ROOT, "reloaded %s as generation %d: steer %s, filter %s, %d block_if; %s " +
            "in %.1f ms", source, generation, changes(current.steeringNames(), next.steeringNames()),
            changes(names(current), names(next)), next.triggers().size(),
            retired ? "the old rules retired" : "the old rules still draining",
            (System.nanoTime() - startNs) / 1e6);
    }

    /**
     * What the running instance cannot take from a file that reads well, each with the file's line.
     */
    private void check(final Rules next)
    {
        final Rules current = rules;
        for (final io.sluice.pipeline.rules.FilterRule rule : next.filter().rules())
        {
            final String iface = rule.forwardInterface();
            if (null != iface && !ctx.forwardInterfaces().contains(iface))
            {
                throw new RulesFileException(next.source(), next.line(Rules.filterLineKey(rule.name())),
                    "filter rule '" + rule.name() + "': forward to " + iface + ": the instance has no socket on " +
                    "it (it opened " + (ctx.forwardInterfaces().isEmpty() ? "none" :
                    "those of " + String.join(", ", ctx.forwardInterfaces())) + " at the start); a new forward " +
                    "interface needs a restart");
            }
        }
        if (current.triggers().isEmpty() && !next.triggers().isEmpty())
        {
            final String rule = next.triggers().get(0).ruleName();
            throw new RulesFileException(next.source(), next.line(Rules.filterLineKey(rule)),
                "filter rule '" + rule + "': block_if: the instance started without block_if rules, so without " +
                "the detector stage; a first block_if needs a restart");
        }
        if (!current.triggers().isEmpty() && current.blocking().track() != next.blocking().track())
        {
            throw new RulesFileException(next.source(), next.line(Rules.BLOCKING_LINE_KEY),
                "blocking: track " + next.blocking().track() + ": the detector's table has " +
                current.blocking().track() + " entries, a size set at the start; a new size needs a restart");
        }
    }

    private boolean retire()
    {
        if (!pipeline.awaitRetired(retiring, replacement, STAGE_TIMEOUT_NS))
        {
            return false;
        }
        retiring = null;
        replacement = null;

        return true;
    }

    private void rollBack(final Pipeline.Staged staged)
    {
        // frames of the running generation go back to the rules they had; none carries the staged one's
        pipeline.handOver(running, STAGE_TIMEOUT_NS);
        pipeline.retireStaged(staged, running);
    }

    /**
     * Retire what is still draining now that the pipeline has stopped: no frame is judged any more.
     */
    void stopped()
    {
        if (null != retiring)
        {
            pipeline.retireStaged(retiring, replacement);
            retiring = null;
            replacement = null;
        }
    }

    private static List<String> names(final Rules rules)
    {
        return rules.filter().rules().stream().map(io.sluice.pipeline.rules.FilterRule::name).toList();
    }

    private static String changes(final List<String> before, final List<String> after)
    {
        int kept = 0;
        for (final String name : after)
        {
            kept += before.contains(name) ? 1 : 0;
        }

        return String.format(Locale.ROOT, "%d rule%s (%d kept, %d added, %d removed)", after.size(),
            1 == after.size() ? "" : "s", kept, after.size() - kept, before.size() - kept);
    }
}
