package io.sluice.xsk.gen;

import io.sluice.xsk.counters.CounterDescriptor;

import java.util.Locale;

import static io.sluice.xsk.ffi.Ffi.constant;

/**
 * The generator program's per-CPU counters ({@code enum sluice_gen_counter}). Every run of the program lands in
 * exactly one, so they sum to the frames the kernel ran it on.
 */
public enum GeneratorCounter implements CounterDescriptor
{
    REDIRECTED("SLUICE_GEN_REDIRECTED", 0, "sent: stamped and redirected to the egress interface"),
    DROP_TOO_SHORT("SLUICE_GEN_DROP_TOO_SHORT", 1, "dropped: the frame ends before a configured offset"),
    DROP_NO_CONFIG("SLUICE_GEN_DROP_NO_CONFIG", 2, "dropped: the configuration or sequence map was missing"),
    DROP_CLONE("SLUICE_GEN_DROP_CLONE", 3, "dropped: bpf_clone_redirect failed (tc engine)");

    private final int id;
    private final String description;

    GeneratorCounter(final String cName, final int id, final String description)
    {
        this.id = (int)constant(GeneratorDescriptor.H, cName, id);
        this.description = description;
    }

    /**
     * @return the index in the program's counter array.
     */
    @Override
    public int id()
    {
        return id;
    }

    /**
     * @return the counter's name in lower case: its {@code counter} label.
     */
    @Override
    public String key()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @return a description for people.
     */
    @Override
    public String description()
    {
        return description;
    }

    /**
     * @return true: the generator's program ends every frame it sees in exactly one of its counters.
     */
    @Override
    public boolean isOutcome()
    {
        return true;
    }

    /**
     * @return true if frames counted here were not sent.
     */
    public boolean isFailure()
    {
        return REDIRECTED != this;
    }
}
