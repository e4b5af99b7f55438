package io.sluice.pipeline;

import java.util.Locale;

/**
 * How the pipeline's agents map onto threads, as Aeron's media driver has it.
 */
public enum ThreadingMode
{
    /**
     * Every agent on its own pinned thread: one core for the receiver, one or more for the handlers (parse, filter,
     * act), one for the transmitter. For hosts with cores to dedicate.
     */
    DEDICATED,
    /**
     * The whole pipeline on one pinned thread, the handlers running in the receiver's thread. For small hosts, where
     * another core belongs to the kernel's receive path.
     */
    SHARED;

    /**
     * The name the profile and the CLI use.
     */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param label {@code dedicated} or {@code shared}.
     * @return the mode.
     * @throws IllegalArgumentException naming the allowed values.
     */
    public static ThreadingMode fromLabel(final String label)
    {
        for (final ThreadingMode mode : values())
        {
            if (mode.label().equals(label))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("threading mode '" + label + "' is not one of dedicated, shared");
    }
}
