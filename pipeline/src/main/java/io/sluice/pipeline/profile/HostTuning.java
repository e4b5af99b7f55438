package io.sluice.pipeline.profile;

import java.util.List;

/**
 * What a profile says about the host around Sluice, which {@code ./sluice tune} applies and {@code ./sluice doctor}
 * checks: the driver's zero-copy support, the NIC's own rings, NAPI and busy-poll knobs, IRQ placement, offloads and
 * flow steering. Each value has a "leave it" form ({@link #LEAVE}, null, empty), for a profile that does not say.
 *
 * @param zeroCopySince     kernel release in which the driver gained AF_XDP zero-copy ({@code 5.3}),
 *                          {@link #ZERO_COPY_NONE}, or null when the profile does not say.
 * @param channels          the NIC's channels ({@code ethtool -L IF combined N}), or {@link #LEAVE}.
 * @param nicRxRing         hardware RX descriptors ({@code ethtool -G IF rx N}), or {@link #LEAVE}.
 * @param nicTxRing         hardware TX descriptors, or {@link #LEAVE}.
 * @param napiDeferHardIrqs {@code /sys/class/net/IF/napi_defer_hard_irqs}, or {@link #LEAVE}.
 * @param groFlushTimeoutNs {@code /sys/class/net/IF/gro_flush_timeout}, or {@link #LEAVE}.
 * @param sysctlBusyPollUs  {@code net.core.busy_poll}, or {@link #LEAVE}.
 * @param sysctlBusyReadUs  {@code net.core.busy_read}, or {@link #LEAVE}.
 * @param irqPolicy         where the queues' interrupts go.
 * @param irqCores          CPUs for {@link IrqPolicy#SPREAD}, or empty for "the ones Sluice does not use".
 * @param offloadsOff       features to turn off ({@code ethtool -K IF gro off}), as ethtool names them.
 * @param offloadsOn        features to turn on.
 * @param flows             ntuple rules steering flows to queues.
 */
public record HostTuning(
    String zeroCopySince,
    long channels,
    long nicRxRing,
    long nicTxRing,
    long napiDeferHardIrqs,
    long groFlushTimeoutNs,
    long sysctlBusyPollUs,
    long sysctlBusyReadUs,
    IrqPolicy irqPolicy,
    int[] irqCores,
    List<String> offloadsOff,
    List<String> offloadsOn,
    List<FlowSteering> flows)
{
    /**
     * A number field the profile leaves as the host has it.
     */
    public static final long LEAVE = -1;

    /**
     * {@link #zeroCopySince()} of a driver without AF_XDP zero-copy: binding with {@code XDP_ZEROCOPY} fails.
     */
    public static final String ZERO_COPY_NONE = "none";

    public HostTuning
    {
        irqCores = irqCores.clone();
        offloadsOff = List.copyOf(offloadsOff);
        offloadsOn = List.copyOf(offloadsOn);
        flows = List.copyOf(flows);
    }

    /**
     * @return every setting left as the host has it.
     */
    public static HostTuning leaveAll()
    {
        return new HostTuning(null, LEAVE, LEAVE, LEAVE, LEAVE, LEAVE, LEAVE, LEAVE, IrqPolicy.LEAVE, new int[0],
            List.of(), List.of(), List.of());
    }

    @Override
    public int[] irqCores()
    {
        return irqCores.clone();
    }

    /**
     * @return true if the driver has no AF_XDP zero-copy according to the profile.
     */
    public boolean noZeroCopy()
    {
        return ZERO_COPY_NONE.equals(zeroCopySince);
    }

    HostTuning withZeroCopySince(final String release)
    {
        return new HostTuning(release, channels, nicRxRing, nicTxRing, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, irqPolicy, irqCores, offloadsOff, offloadsOn, flows);
    }

    HostTuning withChannels(final long count)
    {
        return new HostTuning(zeroCopySince, count, nicRxRing, nicTxRing, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, irqPolicy, irqCores, offloadsOff, offloadsOn, flows);
    }

    HostTuning withNicRings(final long rx, final long tx)
    {
        return new HostTuning(zeroCopySince, channels, rx, tx, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, irqPolicy, irqCores, offloadsOff, offloadsOn, flows);
    }

    HostTuning withNapi(final long deferHardIrqs, final long groFlushTimeout, final long busyPoll, final long busyRead)
    {
        return new HostTuning(zeroCopySince, channels, nicRxRing, nicTxRing, deferHardIrqs, groFlushTimeout, busyPoll,
            busyRead, irqPolicy, irqCores, offloadsOff, offloadsOn, flows);
    }

    HostTuning withIrq(final IrqPolicy policy, final int[] cores)
    {
        return new HostTuning(zeroCopySince, channels, nicRxRing, nicTxRing, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, policy, cores, offloadsOff, offloadsOn, flows);
    }

    HostTuning withOffloads(final List<String> off, final List<String> on)
    {
        return new HostTuning(zeroCopySince, channels, nicRxRing, nicTxRing, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, irqPolicy, irqCores, off, on, flows);
    }

    HostTuning withFlows(final List<FlowSteering> steering)
    {
        return new HostTuning(zeroCopySince, channels, nicRxRing, nicTxRing, napiDeferHardIrqs, groFlushTimeoutNs,
            sysctlBusyPollUs, sysctlBusyReadUs, irqPolicy, irqCores, offloadsOff, offloadsOn, steering);
    }
}
