package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFormatter;
import io.sluice.xsk.xdp.SteeringTables;

/**
 * What the {@link ControlSocket}'s commands reach, on the conductor's thread: {@code rules show} the running rules,
 * every other command the {@link Blocker} ({@code list}, {@code add}, {@code remove}).
 */
final class ControlCommands implements ControlSocket.Handler
{
    static final String RULES = "rules";

    private final String instance;
    private final Rules rules;
    private final Blocker blocker;
    private final Pipeline pipeline;
    private final SteeringTables tables;

    /**
     * @param instance the instance's name, for the rules' heading.
     * @param rules    the running rules.
     * @param blocker  where block commands go.
     * @param pipeline whose filters count each rule's hits.
     * @param tables   whose XDP counters count each steering rule's packets.
     */
    ControlCommands(
        final String instance,
        final Rules rules,
        final Blocker blocker,
        final Pipeline pipeline,
        final SteeringTables tables)
    {
        this.instance = instance;
        this.rules = rules;
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

        return "error\nunknown command '" + line.strip() + "': rules show";
    }

    /**
     * @return the running rules as a rules file, each rule's line ending in what it counted since the start: the
     * packets each steering rule decided in XDP, the frames each filter rule (and the default) took.
     */
    String show()
    {
        final PipelineStats stats = pipeline.stats();
        final String text = RulesFormatter.format(rules,
            (id) -> "matched " + tables.ruleStat(id).packets(),
            (index) -> "hits " + (index < 0 ? stats.defaultHits() : stats.ruleHits(index)));

        return "# " + rules.source() + " as instance " + instance + " runs it; counts since it started\n" + text;
    }
}
