package io.sluice.perf;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuAffinity;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rxdrop benchmark: steer everything arriving on one or more queues of an existing interface into AF_XDP
 * sockets (one per queue, on one UMEM), count each frame and put it straight back on its socket's fill ring. One
 * thread polls every socket in turn, as one testpmd lcore polls all the queues it is given. Prints {@code READY}
 * once it can receive, a {@code STAT} line a second, and on SIGINT (or after {@code --duration}) a {@code TOTAL}
 * line with the {@code XDP_STATISTICS} fields, then exits 0.
 * <pre>
 * ip netns exec NS ./sluice bench rxdrop --iface veth1 --queue 0 --cpu 1
 * ip netns exec NS ./sluice bench rxdrop --iface veth1 --queue 0 --queues 2 --cpu 1
 * </pre>
 * The receiving thread's allocation is read with {@code ThreadMXBean.getThreadAllocatedBytes}; after the first
 * two seconds of traffic (class loading, JIT) it must stay at 0 bytes per packet.
 */
@Command(name = "rxdrop", mixinStandardHelpOptions = true,
    description = "Receive and drop everything on one or more queues; print Mpps each second")
public final class RxDropBench implements Callable<Integer>
{
    @Option(names = "--iface", required = true, description = "interface, in the current network namespace")
    String iface;

    @Option(names = "--queue", description = "first RX queue (default ${DEFAULT-VALUE})")
    int queue = 0;

    @Option(names = "--queues", description = "RX queues from --queue on, a socket each (default ${DEFAULT-VALUE})")
    int queues = 1;

    @Option(names = "--cpu", description = "CPU to pin the receiving thread to (default: not pinned)")
    Integer cpu;

    @Option(names = "--batch", description = "frames per RX ring peek (default ${DEFAULT-VALUE})")
    int batch = 64;

    @Option(names = "--frame-size", description = "UMEM frame size, 2048 or 4096 (default ${DEFAULT-VALUE})")
    int frameSize = UmemConfig.FRAME_SIZE_DEFAULT;

    @Option(names = "--rx-ring", description = "RX ring slots (default ${DEFAULT-VALUE})")
    int rxRing = XskConfig.RX_RING_SIZE_DEFAULT;

    @Option(names = "--fill-ring", description = "fill ring slots (default ${DEFAULT-VALUE})")
    int fillRing = XskConfig.FILL_RING_SIZE_DEFAULT;

    @Option(names = "--multi-buffer", description = "bind with XDP_USE_SG and count whole packets, each one frame " +
        "or a chain, for packets larger than a frame")
    boolean multiBuffer;

    @Option(names = "--zero-copy", description = "require, prefer or copy (default ${DEFAULT-VALUE})")
    String zeroCopy = ZeroCopyPolicy.PREFER.label();

    @Option(names = "--hugepages", description = "off, prefer or require (default ${DEFAULT-VALUE})")
    String hugePages = HugePagePolicy.OFF.label();

    @Option(names = "--xdp-mode", description = "native or generic (default ${DEFAULT-VALUE})")
    String xdpMode = "native";

    @Option(names = "--duration", description = "seconds to run; 0 runs until SIGINT (default ${DEFAULT-VALUE})")
    int durationS = 0;

    private volatile boolean running = true;

    public Integer call()
    {
        final ZeroCopyPolicy zeroCopyPolicy = ZeroCopyPolicy.fromLabel(zeroCopy);
        final HugePagePolicy hugePagePolicy = HugePagePolicy.fromLabel(hugePages);
        final XdpMode mode = XdpMode.fromLabel(xdpMode);
        if (batch < 1 || batch > rxRing)
        {
            throw new IllegalArgumentException("--batch must be 1.." + rxRing + ", not " + batch);
        }
        // before the UMEM is sized by it
        QueueSockets.queues(queue, queues);

        final SignalHandler stop = (signal) -> running = false;
        Signal.handle(new Signal("INT"), stop);
        Signal.handle(new Signal("TERM"), stop);

        final UmemConfig umemConfig = UmemConfig.defaults().withFrameSize(frameSize)
            .withFrameCount(queues * (fillRing + rxRing)).withHugePages(hugePagePolicy);
        final XskConfig xskConfig = XskConfig.defaults().withRings(rxRing, 0, fillRing, 64)
            .withZeroCopy(zeroCopyPolicy).withMultiBuffer(multiBuffer);

        try (SteeringProgram program = SteeringProgram.open().attach(iface, mode);
            Umem umem = Umem.create(umemConfig);
            QueueSockets queueSockets = QueueSockets.open(umem, iface, queue, queues, xskConfig))
        {
            final XskSocket[] sockets = queueSockets.sockets();
            program.tables().steerAll(true);
            for (final XskSocket socket : sockets)
            {
                socket.registerWith(program);
            }
            if (null != cpu)
            {
                CpuAffinity.pinCurrentThread(cpu);
            }

            System.out.println("READY iface=" + iface + " queue=" + queue + " queues=" + queues + " driver=" +
                sockets[0].driver() + " mode=" + sockets[0].mode() + " xdp=" + mode.label() + " attach=" +
                program.attachment().name().toLowerCase(Locale.ROOT) + " frame_size=" + frameSize + " multi_buffer=" + sockets[0].multiBuffer() +
                " frames=" + umem.frameCount() + " rx_ring=" + rxRing + " fill_ring=" + fillRing +
                " hugepages=" + umem.hugePages() + " batch=" + batch + " cpu=" + (null == cpu ? "any" : cpu));
            System.out.flush();

            final AtomicLong received = new AtomicLong();
            final long[] perQueue = new long[queues];
            final PerSecondReporter reporter = new PerSecondReporter("rx", received::get,
                () -> " rx_lost=" + queueSockets.statistics().rxLost(), Thread.currentThread().threadId());
            final long startNs = System.nanoTime();
            final long endNs = durationS > 0 ? startNs + durationS * 1_000_000_000L : Long.MAX_VALUE;
            reporter.start();

            final long total = receive(sockets, perQueue, received, endNs);

            final long elapsedNs = System.nanoTime() - startNs;
            reporter.stop();
            System.out.println(String.format(Locale.ROOT,
                "TOTAL rx_packets=%d duration_s=%.3f rx_mpps_avg=%.3f %s alloc_bytes_per_pkt=%.4f " +
                "xdp_redirect=%d xdp_pass_no_socket=%d rx_empty_polls=%d rx_wakeups=%d rx_packets_per_queue=%s " +
                "alloc_bytes_warmup=%d mode=%s",
                total, elapsedNs / 1e9, total * 1e3 / elapsedNs, queueSockets.statistics().format(),
                reporter.steadyAllocationPerPacket(),
                program.counter(XdpCounter.REDIRECT).packets(), program.counter(XdpCounter.PASS_NO_SOCKET).packets(),
                queueSockets.sum(XskCounter.RX_EMPTY_POLLS), queueSockets.sum(XskCounter.RX_WAKEUPS),
                QueueSockets.format(perQueue), reporter.warmupAllocatedBytes(), sockets[0].mode()));
            System.out.flush();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return 1;
        }

        return 0;
    }

    /**
     * The hot loop: from each socket in turn, receive a batch and hand straight back to that socket's fill
     * ring. No allocation, no system call unless a fill ring asks for a wake-up. With {@code --multi-buffer} it
     * takes whole packets, and a chain's frames all go back to the fill ring while the packet counts once.
     */
    private long receive(
        final XskSocket[] sockets, final long[] perQueue, final AtomicLong published, final long endNs)
    {
        final int batch = this.batch;
        final boolean multiBuffer = this.multiBuffer;
        final int room = multiBuffer ? Math.max(batch, sockets[0].maxBuffers()) : batch;
        final long[] addresses = new long[room];
        final int[] lengths = new int[room];
        final int[] buffers = new int[batch];
        final int count = sockets.length;
        long total = 0;
        int polls = 0;
        while (running)
        {
            for (int q = 0; q < count; q++)
            {
                final XskSocket socket = sockets[q];
                final int packets = multiBuffer ? socket.receivePackets(addresses, lengths, buffers, batch) :
                    socket.receive(addresses, lengths, 0, batch);
                if (packets > 0)
                {
                    int frames = packets;
                    if (multiBuffer)
                    {
                        frames = 0;
                        for (int k = 0; k < packets; k++)
                        {
                            frames += buffers[k] & XskSocket.BUFFERS_MASK;
                        }
                    }
                    int placed = socket.fill(addresses, 0, frames);
                    while (placed < frames)
                    {
                        placed += socket.fill(addresses, placed, frames - placed);
                    }
                    perQueue[q] += packets;
                    total += packets;
                    published.lazySet(total);
                }
            }
            if (0 == (++polls & 0xFFFF) && System.nanoTime() >= endNs)
            {
                break;
            }
        }

        return total;
    }
}
