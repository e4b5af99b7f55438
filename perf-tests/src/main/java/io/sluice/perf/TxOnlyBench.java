package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.FramePool;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuAffinity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The txonly benchmark: send from an AF_XDP socket (one per queue, on one UMEM, all served by one thread) as fast
 * as the kernel takes frames, as {@code xdpsock -t} and testpmd's {@code txonly} do. Every UMEM frame holds the same UDP frame, written once at start; the loop reaps
 * completions into the pool and puts the pool's frames on the TX ring, so it writes no packet byte and allocates
 * nothing. Same contract as {@code rxdrop}: {@code READY}, a {@code STAT} line a second, a {@code TOTAL} line on
 * SIGINT or after {@code --duration}.
 * <pre>
 * ip netns exec NS ./sluice bench txonly --iface veth1 --queue 0 --cpu 1
 * </pre>
 */
@Command(name = "txonly", mixinStandardHelpOptions = true,
    description = "Send UDP frames from one or more queues as fast as the kernel takes them; print Mpps each second")
public final class TxOnlyBench implements Callable<Integer>
{
    @Option(names = "--iface", required = true, description = "interface, in the current network namespace")
    String iface;

    @Option(names = "--queue", description = "first TX queue (default ${DEFAULT-VALUE})")
    int queue = 0;

    @Option(names = "--queues", description = "TX queues from --queue on, a socket each (default ${DEFAULT-VALUE})")
    int queues = 1;

    @Option(names = "--cpu", description = "CPU to pin the sending thread to (default: not pinned)")
    Integer cpu;

    @Option(names = "--batch", description = "frames per TX ring batch (default ${DEFAULT-VALUE})")
    int batch = 64;

    @Option(names = "--frame-bytes", description = "frame size without FCS, 60..1514 (default ${DEFAULT-VALUE})")
    int frameBytes = 60;

    @Option(names = "--dst-mac", description = "destination MAC (default ${DEFAULT-VALUE})")
    String dstMac = "02:00:00:00:00:02";

    @Option(names = "--duration", description = "seconds to run; 0 runs until SIGINT (default ${DEFAULT-VALUE})")
    int durationS = 0;

    /**
     * A TX ring's 2,048 slots full, as many again in flight between completion and refill.
     */
    private static final int FRAMES_PER_QUEUE = 4096;

    private volatile boolean running = true;

    @Override
    public Integer call() throws InterruptedException
    {
        if (frameBytes < 60 || frameBytes > 1514 || batch < 1 || batch > 1024)
        {
            throw new IllegalArgumentException("--frame-bytes 60..1514 and --batch 1..1024 please");
        }
        // before the UMEM is sized by it
        QueueSockets.queues(queue, queues);
        final SignalHandler stop = (signal) -> running = false;
        Signal.handle(new Signal("INT"), stop);
        Signal.handle(new Signal("TERM"), stop);

        final XskConfig xskConfig = XskConfig.defaults().withRings(0, 2048, 64, 2048).withPrefill(false)
            .withZeroCopy(ZeroCopyPolicy.PREFER);
        final UmemConfig umemConfig = UmemConfig.defaults().withFrameSize(2048)
            .withFrameCount(FRAMES_PER_QUEUE * queues);
        try (Umem umem = Umem.create(umemConfig);
            QueueSockets queueSockets = QueueSockets.open(umem, iface, queue, queues, xskConfig))
        {
            final XskSocket[] sockets = queueSockets.sockets();
            final byte[] frame = Frames.ethernet().macs(dstMac, "02:00:00:00:00:01").ipv4("10.0.0.1", "10.0.0.2")
                .udp(40_000, 9).payload(new byte[frameBytes - 42]).build();
            final MemorySegment memory = umem.memory();
            for (int i = 0; i < umem.frameCount(); i++)
            {
                MemorySegment.copy(frame, 0, memory, ValueLayout.JAVA_BYTE, (long)i * umem.frameSizeBytes(),
                    frame.length);
            }
            if (null != cpu)
            {
                CpuAffinity.pinCurrentThread(cpu);
            }
            System.out.println("READY iface=" + iface + " queue=" + queue + " queues=" + queues + " driver=" +
                sockets[0].driver() + " mode=" + sockets[0].mode() + " frame_bytes=" + frameBytes + " batch=" +
                batch + " cpu=" + (null == cpu ? "any" : cpu));
            System.out.flush();

            final AtomicLong sent = new AtomicLong();
            final long[] perQueue = new long[queues];
            final PerSecondReporter reporter = new PerSecondReporter("tx", sent::get, () -> "",
                Thread.currentThread().threadId());
            final long startNs = System.nanoTime();
            final long endNs = durationS > 0 ? startNs + durationS * 1_000_000_000L : Long.MAX_VALUE;
            reporter.start();
            final long total = send(sockets, umem.pool(), frame.length, perQueue, sent, endNs);
            final long elapsedNs = System.nanoTime() - startNs;
            reporter.stop();
            System.out.println(String.format(Locale.ROOT,
                "TOTAL tx_packets=%d duration_s=%.3f tx_mpps_avg=%.3f alloc_bytes_per_pkt=%.4f tx_kicks=%d " +
                "tx_kick_eagain=%d mode=%s tx_packets_per_queue=%s alloc_bytes_warmup=%d", total, elapsedNs / 1e9,
                total * 1e3 / elapsedNs, reporter.steadyAllocationPerPacket(), queueSockets.sum(XskCounter.TX_KICKS),
                queueSockets.sum(XskCounter.TX_KICK_EAGAIN), sockets[0].mode(), QueueSockets.format(perQueue),
                reporter.warmupAllocatedBytes()));
            System.out.flush();
        }

        return 0;
    }

    /**
     * The hot loop, over each socket in turn: completed frames back to the pool, free frames onto the TX ring;
     * counted when completed.
     */
    private long send(
        final XskSocket[] sockets,
        final FramePool pool,
        final int length,
        final long[] perQueue,
        final AtomicLong published,
        final long endNs)
    {
        final long[] addresses = new long[batch];
        final int[] lengths = new int[batch];
        Arrays.fill(lengths, length);
        final int batch = this.batch;
        final int count = sockets.length;
        long total = 0;
        int loops = 0;
        while (running)
        {
            for (int q = 0; q < count; q++)
            {
                final XskSocket socket = sockets[q];
                final int completed = socket.completeToPool(Integer.MAX_VALUE);
                if (completed > 0)
                {
                    perQueue[q] += completed;
                    total += completed;
                    published.lazySet(total);
                }
                final int n = pool.allocate(addresses, 0, batch);
                if (n > 0)
                {
                    final int placed = socket.transmit(addresses, lengths, 0, n);
                    if (placed < n)
                    {
                        pool.release(addresses, placed, n - placed);
                    }
                }
                socket.flushTx();
            }
            if (0 == (++loops & 0xFFF) && System.nanoTime() >= endNs)
            {
                break;
            }
        }
        // let what is on the rings complete, so the total is what left
        final long drainEndNs = System.nanoTime() + 500_000_000L;
        for (int q = 0; q < count; q++)
        {
            final XskSocket socket = sockets[q];
            while (socket.txFrames() > 0 && System.nanoTime() < drainEndNs)
            {
                socket.flushTx();
                final int completed = socket.completeToPool(Integer.MAX_VALUE);
                perQueue[q] += completed;
                total += completed;
            }
        }

        return total;
    }
}
