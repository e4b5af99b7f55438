package io.sluice.xsk.umem;

/**
 * Whether the UMEM is backed by 2 MiB hugepages, which spare the TLB on large UMEMs.
 */
public enum HugePagePolicy
{
    /**
     * Normal 4 KiB pages.
     */
    OFF("off"),

    /**
     * Hugepages if the kernel has enough free, otherwise normal pages after one warning.
     */
    PREFER("prefer"),

    /**
     * Hugepages or fail, naming how many are missing.
     */
    REQUIRE("require");

    private final String label;

    HugePagePolicy(final String label)
    {
        this.label = label;
    }

    /**
     * @return the name used in profiles and on the command line.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param label {@code off}, {@code prefer} or {@code require}.
     * @return the policy.
     * @throws IllegalArgumentException naming the allowed values.
     */
    public static HugePagePolicy fromLabel(final String label)
    {
        for (final HugePagePolicy policy : values())
        {
            if (policy.label.equals(label))
            {
                return policy;
            }
        }

        throw new IllegalArgumentException("hugepages must be off, prefer or require, not '" + label + "'");
    }
}
