package io.sluice.pipeline.rules;

/**
 * A rule is invalid because of one of its keys; the loader reports it at that key's line.
 */
final class RuleKeyException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final String key;

    RuleKeyException(final String key, final String message)
    {
        super(message);
        this.key = key;
    }

    /**
     * @return the rules-file key at fault, e.g. {@code dst_port}.
     */
    String key()
    {
        return key;
    }
}
