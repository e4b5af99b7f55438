package io.sluice.xsk.socket;

/**
 * Whether an AF_XDP socket must, may or must not bind in zero-copy mode.
 */
public enum ZeroCopyPolicy
{
    /**
     * Bind with {@code XDP_ZEROCOPY}, or fail naming the driver and this setting.
     */
    REQUIRE("require"),

    /**
     * Try zero-copy, fall back to copy mode with one warning.
     */
    PREFER("prefer"),

    /**
     * Bind with {@code XDP_COPY}: the kernel copies each frame between the driver's buffers and the UMEM.
     */
    COPY("copy");

    /**
     * The name of the setting in a NIC profile, for messages.
     */
    public static final String PROFILE_KEY = "zero_copy";

    private final String label;

    ZeroCopyPolicy(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    /**
     * @param label {@code require}, {@code prefer} or {@code copy}.
     * @return the policy.
     * @throws IllegalArgumentException naming the allowed values.
     */
    public static ZeroCopyPolicy fromLabel(final String label)
    {
        for (final ZeroCopyPolicy policy : values())
        {
            if (policy.label.equals(label))
            {
                return policy;
            }
        }

        throw new IllegalArgumentException(PROFILE_KEY + " must be require, prefer or copy, not '" + label + "'");
    }
}
