package io.sluice.pipeline;

import io.sluice.pipeline.parse.ParseError;
import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;

/**
 * One agent's counters: the {@link PipelineCounter}s, then one per {@link ParseError} reason, in the instance's
 * counters file as {@code sluice_pipeline_LABEL_total{iface,agent}} and
 * {@code sluice_parse_errors_total{iface,agent,reason}}. Each set has a single writer, the agent's thread, so an
 * increment is a plain load and a release store (no locked instruction); other threads and processes read with
 * acquire loads and see every increment made before the last one they see. Each value has its own 128-byte slot, so
 * two agents' counters never share a cache line.
 */
public final class Counters
{
    /**
     * Index of the first parse-error reason.
     */
    public static final int PARSE_ERROR_BASE = PipelineCounter.values().length;

    /**
     * Counters in a set.
     */
    public static final int COUNT = PARSE_ERROR_BASE + ParseError.values().length;

    private final CounterSet values;

    /**
     * Counters in memory only, for an agent outside a named instance.
     */
    public Counters()
    {
        this(CountersFile.inMemory(2 * COUNT), "");
    }

    /**
     * @param file   the instance's counters.
     * @param labels the agent's labels, {@code iface="veth1",agent="rx"}.
     */
    public Counters(final CountersFile file, final String labels)
    {
        final CountersFile.Metric[] metrics = new CountersFile.Metric[COUNT];
        final String[] each = new String[COUNT];
        for (final PipelineCounter counter : PipelineCounter.values())
        {
            metrics[counter.id()] = CountersFile.Metric.counter("sluice_pipeline_" + counter.key() + "_total",
                "pipeline: " + counter.description());
            each[counter.id()] = labels;
        }
        final CountersFile.Metric parseErrors = CountersFile.Metric.counter("sluice_parse_errors_total",
            "pipeline: malformed frames dropped, by reason");
        for (final ParseError error : ParseError.values())
        {
            metrics[PARSE_ERROR_BASE + error.id()] = parseErrors;
            each[PARSE_ERROR_BASE + error.id()] = Labels.and(labels, "reason", error.key());
        }
        values = file.allocate(metrics, each);
    }

    /**
     * Add to a counter. Only the owning thread may call this.
     *
     * @param id    {@link PipelineCounter#id()}, or {@link #PARSE_ERROR_BASE} plus a {@link ParseError} id.
     * @param delta amount to add.
     */
    public void add(final int id, final long delta)
    {
        values.add(id, delta);
    }

    /**
     * Add one to a counter. Only the owning thread may call this.
     *
     * @param id counter index.
     */
    public void increment(final int id)
    {
        values.add(id, 1);
    }

    /**
     * @param id counter index.
     * @return its value, from any thread.
     */
    public long get(final int id)
    {
        return values.get(id);
    }

    /**
     * @param counter a named counter.
     * @return its value, from any thread.
     */
    public long get(final PipelineCounter counter)
    {
        return get(counter.id());
    }

    /**
     * @param error a parse-error reason.
     * @return frames dropped for it, from any thread.
     */
    public long get(final ParseError error)
    {
        return get(PARSE_ERROR_BASE + error.id());
    }
}
