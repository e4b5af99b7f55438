package io.sluice.xsk.socket;

/**
 * Busy-poll socket options: with them the application's {@code recvfrom}/{@code sendto} wake-ups run the driver's
 * NAPI poll on the application's core instead of waiting for an interrupt. They need the device's
 * {@code napi_defer_hard_irqs} and {@code gro_flush_timeout} set too (tuning's job), and do nothing on drivers whose
 * queues have no NAPI id (veth).
 *
 * @param preferBusyPoll {@code SO_PREFER_BUSY_POLL}: suppress interrupts while the application polls.
 * @param busyPollUs     {@code SO_BUSY_POLL}: microseconds to busy poll in a blocking call; 0 leaves it unset.
 * @param budget         {@code SO_BUSY_POLL_BUDGET}: frames per busy-poll NAPI run; 0 leaves it unset.
 */
public record BusyPoll(boolean preferBusyPoll, int busyPollUs, int budget)
{
    /**
     * Busy polling off: no option is set.
     */
    public static final BusyPoll OFF = new BusyPoll(false, 0, 0);

    public BusyPoll
    {
        if (busyPollUs < 0 || budget < 0 || budget > 65535)
        {
            throw new IllegalArgumentException(
                "busy poll needs busy_poll_us >= 0 and 0 <= budget <= 65535, not " + busyPollUs + " and " + budget);
        }
    }

    /**
     * @return true if any option is to be set.
     */
    public boolean enabled()
    {
        return preferBusyPoll || busyPollUs > 0 || budget > 0;
    }
}
