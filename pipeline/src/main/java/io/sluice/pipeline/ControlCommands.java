package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFormatter;
import io.sluice.xsk.xdp.SteeringTables;

/**
 * What the {@link ControlSocket}'s commands reach, on the conductor's thread: {@code rules show} the running rules,
 * {@code rules reload [FILE]} the {@link RulesReloader}, every other command the {@link Blocker} ({@code list},
 * {@code add}, {@code remove}).
 */
final class ControlCommands implements ControlSocket.Handler
{
    static final String RULES = "rules";

    private final String instance;
    private final RulesReloader reloader;
    private final Blocker blocker;
    private final Pipeline pipeline;
    private final SteeringTables tables;

    /**
     * @param instance the instance's name, for the rules' heading.
     * @param reloader the running rules, and what reloads them.
     * @param blocker  where block commands go.
     * @param pipeline whose filters count each rule's hits.
     * @param tables   whose XDP counters count each steering rule's packets.
     */
    ControlCommands(
        final String instance,
        final RulesReloader reloader,
        final Blocker blocker,
        final Pipeline pipeline,
        final SteeringTables tables)
    {
        this.instance = instance;
        this.reloader = reloader;
        this.blocker = blocker;
        this.pipeline = pipeline;
        this.tables = tables;
    }

    @Override
    public String command(final String line)
    {
        final String[] words = line.strip().split("\\s+");
        if (!RULES.equals(words[0]))
        {
            return blocker.command(line);
        }
        if (2 == words.length && "show".equals(words[1]))
        {
            return "ok\n" + show();
        }
        if (words.length >= 2 && "reload".equals(words[1]))
        {
            // a file name may hold spaces: what follows the action is the file
            final String rest = line.strip().substring(RULES.length()).strip().substring("reload".length()).strip();

            return reloader.reload(rest.isEmpty() ? null : rest);
        }

        return "error\nunknown command '" + line.strip() + "': rules show | rules reload [FILE]";
    }

    /**
     * @return the running rules as a rules file, each rule's line ending in what it counted since the start: the
     * packets each steering rule decided in XDP, the frames each filter rule (and the default) took.
     */
    String show()
    {
        final Rules rules = reloader.rules();
        final PipelineStats stats = pipeline.stats();
        final String text = RulesFormatter.format(rules,
            (id) -> "matched " + tables.ruleStat(id).packets(),
            (index) -> "hits " + (index < 0 ? stats.defaultHits() : stats.ruleHits(index)));
        final long reloads = reloader.reloads();

        return "# " + rules.source() + " as instance " + instance + " runs it; counts since it started" +
            (0 == reloads ? "" : "; reloaded " + reloads + (1 == reloads ? " time" : " times") + ", rules since " +
            "removed matched " + tables.retiredStat().packets() + " in XDP and hit " + stats.retiredHits() +
            " in the filter") + "\n" + text;
    }
}
