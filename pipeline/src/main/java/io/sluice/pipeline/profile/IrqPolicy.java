package io.sluice.pipeline.profile;

import java.util.Locale;

/**
 * Where a profile puts the interrupts of the queues Sluice receives from ({@code irq.policy}).
 */
public enum IrqPolicy
{
    /**
     * Leave IRQ affinity as the host has it (irqbalance, or the driver's default spread).
     */
    LEAVE("leave"),

    /**
     * Queue i's IRQs on {@code irq.cores[i mod n]}, or, without {@code irq.cores}, spread over the online CPUs
     * Sluice's threads do not use: the placement for interrupt-driven NAPI, which would otherwise preempt the thread
     * that polls the rings.
     */
    SPREAD("spread"),

    /**
     * Queue i's IRQs on the CPU of the thread that receives from queue i: the placement for busy polling with
     * {@code prefer_busy_poll}, where that thread drives NAPI itself and the IRQ fires only as a fallback.
     */
    SAME("same");

    private final String label;

    IrqPolicy(final String label)
    {
        this.label = label;
    }

    /**
     * @return as written in a profile.
     */
    public String label()
    {
        return label;
    }

    @Override
    public String toString()
    {
        return label.toLowerCase(Locale.ROOT);
    }
}
