package io.sluice.xsk.counters;

/**
 * The one shape of every enum of counters, as Aeron's {@code SystemCounterDescriptor}: an id that indexes the
 * counters' storage, a key that names the series (in its metric name or a label's value), a description for
 * people, and whether the counter is an outcome, one of the counters that together account for every frame once.
 */
public interface CounterDescriptor
{
    /**
     * @return the counter's index, 0..n-1 over the enum.
     */
    int id();

    /**
     * @return the counter's key, lower snake case: a metric name's stem or a label's value.
     */
    String key();

    /**
     * @return what it counts, for {@code # HELP} lines and tables.
     */
    String description();

    /**
     * @return true if the counter is an outcome: a frame ends in exactly one outcome counter of its enum.
     */
    boolean isOutcome();
}
