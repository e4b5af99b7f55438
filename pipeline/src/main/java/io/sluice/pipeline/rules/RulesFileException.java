package io.sluice.pipeline.rules;

import io.sluice.pipeline.yaml.ConfigFileException;

/**
 * A rules file that cannot be read or is not valid. The message is one line, {@code FILE:LINE: problem}, or
 * {@code FILE: problem} when no line applies, as compilers report, so editors can jump to it.
 */
public final class RulesFileException extends ConfigFileException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param source  the file's name.
     * @param line    1-based line, or 0 when the problem is not at a line.
     * @param problem what is wrong; line breaks are folded into spaces.
     */
    public RulesFileException(final String source, final int line, final String problem)
    {
        super(source, line, problem);
    }
}
