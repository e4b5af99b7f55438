package io.sluice.pipeline.profile;

import io.sluice.pipeline.yaml.ConfigFileException;

/**
 * A NIC profile that cannot be read or is not valid. The message is one line, {@code FILE:LINE: field: why (allowed:
 * values)}, or {@code FILE: problem} when no line applies, so an editor can jump to it and the CLI can print it as
 * it is.
 */
public final class ProfileException extends ConfigFileException
{
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param source  the file's name.
     * @param line    1-based line, or 0 when the problem is not at a line.
     * @param problem what is wrong; line breaks are folded into spaces.
     */
    public ProfileException(final String source, final int line, final String problem)
    {
        this(source, line, null, problem);
    }

    /**
     * @param source  the file's name.
     * @param line    1-based line, or 0 when the problem is not at a line.
     * @param field   the field at fault, as {@link Profile#has(String)} takes it, or null.
     * @param problem what is wrong; line breaks are folded into spaces.
     */
    public ProfileException(final String source, final int line, final String field, final String problem)
    {
        super(source, line, problem);
        this.field = field;
    }

    /**
     * @return the field at fault, for a problem found against the interface ({@link ProfileCheck}); null otherwise.
     */
    public String field()
    {
        return field;
    }
}
