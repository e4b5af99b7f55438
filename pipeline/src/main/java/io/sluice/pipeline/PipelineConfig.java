package io.sluice.pipeline;

import java.util.Arrays;

/**
 * How the pipeline runs: threading mode, cores, idle strategy and ring sizes.
 *
 * @param mode         {@link ThreadingMode#SHARED} (one thread) or {@link ThreadingMode#DEDICATED}.
 * @param cores        CPUs to pin to, or empty to leave placement to the scheduler. Shared: one CPU. Dedicated: the
 *                     receiver's, then one per handler, then the transmitter's.
 * @param handlers     handler agents (dedicated mode); each takes every {@code handlers}-th frame.
 * @param idle         what an agent does when a duty cycle found nothing to do.
 * @param ringSize     slots in the Disruptor ring, a power of two.
 * @param rxBatch      most frames read from one RX ring per duty cycle.
 * @param txBatch      frames per TX ring batch, per port.
 * @param txRetryNs    how long a full TX ring is retried before the frames waiting for it are dropped.
 */
public record PipelineConfig(
    ThreadingMode mode,
    int[] cores,
    int handlers,
    IdleMode idle,
    int ringSize,
    int rxBatch,
    int txBatch,
    long txRetryNs)
{
    /**
     * Disruptor ring slots: 4,096 frames in flight between receiver and transmitter, twice the default RX ring, so a
     * burst the RX ring absorbs also fits between the stages.
     */
    public static final int RING_SIZE_DEFAULT = 4096;

    /**
     * Frames per RX poll: 64, as libxdp's samples and DPDK's burst size; large enough to spread the per-batch work
     * (sequence publication, timestamp) thin, small enough to keep the handlers fed.
     */
    public static final int RX_BATCH_DEFAULT = 64;

    /**
     * Frames per TX batch: 64. On copy-mode veth each batch costs a {@code sendto}, so batches pay.
     */
    public static final int TX_BATCH_DEFAULT = 64;

    /**
     * Retry bound for a full TX ring: 10 ms, several times the time a 2,048-slot TX ring takes to drain at the
     * ~0.8 Mpps copy-mode veth sends at, so only a stuck link (down, or the peer gone) drops.
     */
    public static final long TX_RETRY_NS_DEFAULT = 10_000_000L;

    /**
     * @throws IllegalArgumentException naming the field and the problem.
     */
    public PipelineConfig
    {
        if (null == mode || null == idle)
        {
            throw new IllegalArgumentException("threading mode and idle strategy are required");
        }
        cores = null == cores ? new int[0] : cores.clone();
        if (handlers < 1)
        {
            throw new IllegalArgumentException("handlers must be at least 1, not " + handlers);
        }
        if (ThreadingMode.SHARED == mode && handlers != 1)
        {
            throw new IllegalArgumentException("shared mode runs one handler in the receiver's thread, not " + handlers);
        }
        final int wanted = coresWanted(mode, handlers);
        if (cores.length != 0 && cores.length != wanted)
        {
            throw new IllegalArgumentException(mode.label() + " mode" +
                (ThreadingMode.DEDICATED == mode ? " with " + handlers + " handler(s)" : "") + " needs " + wanted +
                " core(s) (" + (ThreadingMode.DEDICATED == mode ? "receiver, handlers..., transmitter" : "one for all") +
                "), not " + Arrays.toString(cores));
        }
        if (ringSize < 2 || Integer.bitCount(ringSize) != 1)
        {
            throw new IllegalArgumentException("ring size must be a power of two, not " + ringSize);
        }
        if (rxBatch < 1 || rxBatch > ringSize)
        {
            throw new IllegalArgumentException("rx batch must be 1.." + ringSize + ", not " + rxBatch);
        }
        if (txBatch < 1)
        {
            throw new IllegalArgumentException("tx batch must be at least 1, not " + txBatch);
        }
        if (txRetryNs < 0)
        {
            throw new IllegalArgumentException("tx retry must be >= 0 ns, not " + txRetryNs);
        }
    }

    /**
     * @return the whole pipeline on one unpinned thread, backing off when idle.
     */
    public static PipelineConfig defaults()
    {
        return new PipelineConfig(ThreadingMode.SHARED, new int[0], 1, IdleMode.BACKOFF, RING_SIZE_DEFAULT,
            RX_BATCH_DEFAULT, TX_BATCH_DEFAULT, TX_RETRY_NS_DEFAULT);
    }

    /**
     * @param mode     threading mode.
     * @param handlers handler agents (1 for shared).
     * @param cores    CPUs, or empty.
     * @return a copy with these.
     */
    public PipelineConfig withThreading(final ThreadingMode mode, final int handlers, final int... cores)
    {
        return new PipelineConfig(mode, cores, handlers, idle, ringSize, rxBatch, txBatch, txRetryNs);
    }

    public PipelineConfig withIdle(final IdleMode idle)
    {
        return new PipelineConfig(mode, cores, handlers, idle, ringSize, rxBatch, txBatch, txRetryNs);
    }

    public PipelineConfig withRingSize(final int ringSize)
    {
        return new PipelineConfig(mode, cores, handlers, idle, ringSize, rxBatch, txBatch, txRetryNs);
    }

    public PipelineConfig withBatches(final int rxBatch, final int txBatch)
    {
        return new PipelineConfig(mode, cores, handlers, idle, ringSize, rxBatch, txBatch, txRetryNs);
    }

    public PipelineConfig withTxRetryNs(final long txRetryNs)
    {
        return new PipelineConfig(mode, cores, handlers, idle, ringSize, rxBatch, txBatch, txRetryNs);
    }

    @Override
    public int[] cores()
    {
        return cores.clone();
    }

    /**
     * @param mode     threading mode.
     * @param handlers handler agents.
     * @return CPUs a full core list names.
     */
    public static int coresWanted(final ThreadingMode mode, final int handlers)
    {
        return ThreadingMode.SHARED == mode ? 1 : handlers + 2;
    }

    /**
     * @return e.g. {@code dedicated rx=0 handlers=[1] tx=1 idle=spin}.
     */
    public String describe()
    {
        if (0 == cores.length)
        {
            return mode.label() + (ThreadingMode.DEDICATED == mode ? " handlers=" + handlers : "") +
                " cores=unpinned idle=" + idle.label();
        }
        if (ThreadingMode.SHARED == mode)
        {
            return "shared core=" + cores[0] + " idle=" + idle.label();
        }

        return "dedicated rx=" + cores[0] + " handlers=" + Arrays.toString(Arrays.copyOfRange(cores, 1, 1 + handlers)) +
            " tx=" + cores[cores.length - 1] + " idle=" + idle.label();
    }
}
