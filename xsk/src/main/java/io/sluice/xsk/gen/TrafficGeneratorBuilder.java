package io.sluice.xsk.gen;

import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.util.CpuAffinity;

/**
 * What a {@link TrafficGenerator} sends and where, checked by {@link #open()}. Unset values take the defaults named
 * on each setter.
 */
public final class TrafficGeneratorBuilder
{
    // Package-private: what TrafficGenerator's constructor reads.
    String egress;
    byte[] template;
    int srcPortBase = -1;
    int srcPortCount = 1;
    int srcAddrCount = 1;
    int seqPayloadOffset = 0;
    int tsPayloadOffset = TemplateFrame.STAMP_BYTES;
    long sequenceStart;
    int batchSize = Integer.getInteger(TrafficGenerator.BATCH_SIZE_PROP_NAME, TrafficGenerator.BATCH_SIZE_DEFAULT);
    int chunkFrames =
        Integer.getInteger(TrafficGenerator.CHUNK_FRAMES_PROP_NAME, TrafficGenerator.CHUNK_FRAMES_DEFAULT);
    int cpu = -1;

    TrafficGeneratorBuilder()
    {
    }

    /**
     * @param interfaceName interface the frames leave by, in the calling thread's network namespace.
     * @return this.
     */
    public TrafficGeneratorBuilder egress(final String interfaceName)
    {
        this.egress = interfaceName;
        return this;
    }

    /**
     * @param frame Ethernet (up to two VLAN tags), IPv4 or IPv6, UDP; its MACs and destination are sent as
     *              they are. Copied.
     * @return this.
     */
    public TrafficGeneratorBuilder template(final byte[] frame)
    {
        this.template = frame.clone();
        return this;
    }

    /**
     * @param base  first source port; default the template's.
     * @param count ports cycled through, {@code base + seq % count}; default 1.
     * @return this.
     */
    public TrafficGeneratorBuilder sourcePorts(final int base, final int count)
    {
        this.srcPortBase = base;
        this.srcPortCount = count;
        return this;
    }

    /**
     * @param count source addresses, counting up in the last 32 bits from the template's; default 1.
     * @return this.
     */
    public TrafficGeneratorBuilder sourceAddresses(final int count)
    {
        this.srcAddrCount = count;
        return this;
    }

    /**
     * @param payloadOffsetBytes where the sequence number goes, from the start of the UDP payload; default 0.
     * @return this.
     */
    public TrafficGeneratorBuilder sequenceOffset(final int payloadOffsetBytes)
    {
        this.seqPayloadOffset = payloadOffsetBytes;
        return this;
    }

    /**
     * @param payloadOffsetBytes where the timestamp goes, from the start of the UDP payload; default 8.
     * @return this.
     */
    public TrafficGeneratorBuilder timestampOffset(final int payloadOffsetBytes)
    {
        this.tsPayloadOffset = payloadOffsetBytes;
        return this;
    }

    /**
     * @param start sequence number of the first frame; default 0.
     * @return this.
     */
    public TrafficGeneratorBuilder sequenceStart(final long start)
    {
        this.sequenceStart = start;
        return this;
    }

    /**
     * @param frames frames between transmit flushes, 1 to {@link TrafficGenerator#BATCH_SIZE_MAX}; default
     *               {@link TrafficGenerator#BATCH_SIZE_DEFAULT}, or {@link TrafficGenerator#BATCH_SIZE_PROP_NAME}.
     * @return this.
     */
    public TrafficGeneratorBuilder batchSize(final int frames)
    {
        this.batchSize = frames;
        return this;
    }

    /**
     * @param frames most frames per BPF_PROG_RUN call; default {@link TrafficGenerator#CHUNK_FRAMES_DEFAULT}, or
     *               {@link TrafficGenerator#CHUNK_FRAMES_PROP_NAME}.
     * @return this.
     */
    public TrafficGeneratorBuilder chunkFrames(final int frames)
    {
        this.chunkFrames = frames;
        return this;
    }

    /**
     * @param cpuId CPU the sending thread is pinned to while it sends (its affinity is restored after each
     *              call), choosing the queue the frames reach; -1, the default, leaves the thread as it is.
     * @return this.
     */
    public TrafficGeneratorBuilder cpu(final int cpuId)
    {
        this.cpu = cpuId;
        return this;
    }

    /**
     * Check everything, resolve the egress in the calling thread's network namespace, and load the program.
     *
     * @return the generator, owned by the caller.
     * @throws IllegalArgumentException naming what is out of range or what the template lacks.
     * @throws NativeException          if the egress does not exist here or the program cannot be loaded.
     */
    public TrafficGenerator open()
    {
        if (null == egress || egress.isEmpty())
        {
            throw new IllegalArgumentException("egress interface is required");
        }
        if (null == template)
        {
            throw new IllegalArgumentException("template frame is required");
        }
        if (srcPortBase < 0)
        {
            srcPortBase = TemplateFrame.sourcePort(template);
        }
        if (srcPortBase > 0xFFFF || srcPortCount < 1 || srcPortBase + srcPortCount - 1 > 0xFFFF)
        {
            throw new IllegalArgumentException("source ports " + srcPortBase + " + " + srcPortCount +
                " must lie within [0, 65535], at least one");
        }
        if (batchSize < 1 || batchSize > TrafficGenerator.BATCH_SIZE_MAX)
        {
            throw new IllegalArgumentException(
                "batch size must be in [1, " + TrafficGenerator.BATCH_SIZE_MAX + "]: " + batchSize);
        }
        if (chunkFrames < 1)
        {
            throw new IllegalArgumentException("chunk frames must be >= 1: " + chunkFrames);
        }
        if (cpu < -1 || cpu >= CpuAffinity.MAX_CPUS)
        {
            throw new IllegalArgumentException("cpu must be -1 or in [0, " + CpuAffinity.MAX_CPUS + "): " + cpu);
        }

        final TemplateFrame prepared = TemplateFrame.prepare(
            template, seqPayloadOffset, tsPayloadOffset, srcPortBase, TrafficGenerator.LIVE_FRAME_MAX_BYTES);
        if (srcAddrCount < 1 || Integer.toUnsignedLong(prepared.srcAddrLow) + srcAddrCount - 1 > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("source address count must be >= 1 and not carry past the " +
                "last 32 bits of the template's source address: " + srcAddrCount);
        }

        return new TrafficGenerator(this, prepared);
    }
}
