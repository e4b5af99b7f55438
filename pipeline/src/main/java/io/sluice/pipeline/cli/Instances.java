package io.sluice.pipeline.cli;

import java.util.List;

/**
 * The instance a command means when it is given no {@code --instance}: the only one there is.
 */
final class Instances
{
    private Instances()
    {
    }

    /**
     * @param instances the candidates.
     * @param none      the line when there is none.
     * @param several   the start of the line when there are several, before their names.
     * @return the only candidate.
     * @throws IllegalArgumentException with the line, when there is not exactly one.
     */
    static String only(final List<String> instances, final String none, final String several)
    {
        if (1 == instances.size())
        {
            return instances.get(0);
        }
        if (instances.isEmpty())
        {
            throw new IllegalArgumentException(none);
        }

        throw new IllegalArgumentException(several + String.join(", ", instances) + "; name one with --instance NAME");
    }
}
