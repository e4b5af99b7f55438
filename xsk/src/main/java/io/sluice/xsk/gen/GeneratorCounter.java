package io.sluice.xsk.gen;

import static io.sluice.xsk.ffi.Ffi.constant;

/**
 * The generator program's per-CPU counters ({@code enum sluice_gen_counter}). Every run of the program lands in
 * exactly one, so they sum to the frames the kernel ran it on.
 */
public enum GeneratorCounter
{
    REDIRECTED("SLUICE_GEN_REDIRECTED", 0, "sent: stamped and redirected to the egress interface"),
    DROP_TOO_SHORT("SLUICE_GEN_DROP_TOO_SHORT", 1, "dropped: the frame ends before a configured offset"),
    DROP_NO_CONFIG("SLUICE_GEN_DROP_NO_CONFIG", 2, "dropped: the configuration or sequence map was missing");

    private final int id;
    private final String label;

    GeneratorCounter(final String cName, final int id, final String label)
    {
        this.id = (int)constant(GeneratorDescriptor.H, cName, id);
        this.label = label;
    }

    /**
     * @return the index in the program's counter array.
     */
    public int id()
    {
        return id;
    }

    /**
     * @return a description for people.
     */
    public String label()
    {
        return label;
    }

    /**
     * @return true if frames counted here were not sent.
     */
    public boolean isFailure()
    {
        return REDIRECTED != this;
    }
}
