package io.sluice.perf;

import io.sluice.perf.TestpmdOutput.FinalStats;
import io.sluice.perf.TestpmdOutput.PortStats;
import io.sluice.xsk.util.ChildProcess;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

/**
 * DPDK's {@code dpdk-testpmd} on the {@code net_af_xdp} PMD, run as a child process inside a network namespace: the
 * peer Sluice's receive path is benchmarked against on the same interface and queue. It is started with
 * {@link #start(TestpmdConfig, long)}, which returns once forwarding runs, reports what its {@code --stats-period 1}
 * output says each second, and is stopped by SIGINT so that it prints its final forward statistics; a SIGKILL
 * follows when it does not exit in time, so no process is ever left behind. {@link TestpmdConfig} builds the command
 * it runs, {@link TestpmdOutput} reads what it prints and {@link TestpmdHost} probes and repairs the host around it.
 * <p>
 * The PMD loads its own XDP program through libxdp. Inside {@code ip netns exec} there is no bpffs, so libxdp
 * falls back to attaching that one program without its dispatcher, which is all a single queue needs. The PMD
 * detaches it on a clean exit; after a SIGKILL {@link #stop()} detaches it, or the next bind on the queue would fail.
 * It needs root, like the namespaces it runs in. The output is kept whole, about 520 bytes a second.
 */
public final class Testpmd implements AutoCloseable
{
    /**
     * Startup takes well under a second here; the margin is for a loaded CI machine.
     */
    public static final long READY_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(30);

    /**
     * A SIGINT stops forwarding, prints the totals and closes the port within a second here.
     */
    public static final long STOP_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(10);

    private static final String FILE_PREFIX = "sluice-testpmd-";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final TestpmdConfig config;
    private final List<String> command;
    private final String filePrefix;
    private final TestpmdHost.Link linkBefore;
    private final StringBuilder output = new StringBuilder();
    private final List<PortStats> samples = new ArrayList<>();
    private ChildProcess process;
    private Thread shutdownHook;
    private boolean outputClosed;
    private FinalStats finalStats;

    private Testpmd(
        final TestpmdConfig config, final List<String> command, final String filePrefix,
        final TestpmdHost.Link linkBefore)
    {
        this.config = config;
        this.command = command;
        this.filePrefix = filePrefix;
        this.linkBefore = linkBefore;
    }

    /**
     * Start testpmd with {@link #READY_TIMEOUT_NS_DEFAULT}.
     *
     * @param config where and how it runs.
     * @return the running testpmd.
     */
    public static Testpmd start(final TestpmdConfig config)
    {
        return start(config, READY_TIMEOUT_NS_DEFAULT);
    }

    /**
     * Start testpmd and return once its forwarding lcore runs, which it shows by printing its first statistics
     * block: the port, its AF_XDP socket and the XDP program are all set up before forwarding starts.
     *
     * @param config         where and how it runs.
     * @param readyTimeoutNs how long to wait for that.
     * @return the running testpmd; stop or close it.
     * @throws IllegalStateException when testpmd is not installed, the interface is missing, or testpmd exits or
     *                               is not ready in time; the message has a hint, the command and its output.
     */
    public static Testpmd start(final TestpmdConfig config, final long readyTimeoutNs)
    {
        final String binary = TestpmdHost.binary();
        TestpmdHost.requireInstalled(binary);
        final TestpmdHost.Link link = TestpmdHost.link(config.namespace(), config.iface());

        final String filePrefix = FILE_PREFIX + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        final Testpmd testpmd = new Testpmd(config, config.command(binary, filePrefix), filePrefix, link);
        testpmd.launch();
        testpmd.awaitReady(readyTimeoutNs);

        return testpmd;
    }

    /**
     * @return the command and arguments this run uses.
     */
    public List<String> command()
    {
        return command;
    }

    /**
     * @return the command as one line a shell would run, for a benchmark to print.
     */
    public String commandLine()
    {
        return TestpmdConfig.commandLine(command);
    }

    public TestpmdConfig config()
    {
        return config;
    }

    /**
     * @return process id of testpmd ({@code ip netns exec} execs it, so the pid is the same).
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * @return every statistics block so far, one per port per second, oldest first.
     */
    public List<PortStats> samples()
    {
        synchronized (samples)
        {
            return List.copyOf(samples);
        }
    }

    /**
     * @return RX-packets of the newest statistics block, all ports; 0 before the first.
     */
    public long rxPackets()
    {
        synchronized (samples)
        {
            return latestRxPackets();
        }
    }

    /**
     * Wait until testpmd has printed at least a number of statistics blocks.
     *
     * @param count     blocks, counting every port's.
     * @param timeoutNs how long to wait.
     * @return whether there are that many.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitSamples(final int count, final long timeoutNs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        synchronized (samples)
        {
            while (samples.size() < count && !outputClosed && waitUntil(deadlineNs))
            {
                // woken by a new block or the end of output
            }

            return samples.size() >= count;
        }
    }

    /**
     * Wait until a statistics block shows at least a number of packets received. Blocks come once a second.
     *
     * @param packets   RX-packets, all ports.
     * @param timeoutNs how long to wait.
     * @return whether a block showed that many.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitRxPackets(final long packets, final long timeoutNs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        synchronized (samples)
        {
            while (latestRxPackets() < packets && !outputClosed && waitUntil(deadlineNs))
            {
                // woken by a new block or the end of output
            }

            return latestRxPackets() >= packets;
        }
    }

    /**
     * @param counter which count.
     * @return the count summed over the ports of the newest statistics block; 0 before the first.
     */
    public long latest(final ToLongFunction<PortStats> counter)
    {
        synchronized (samples)
        {
            // the newest block holds one entry per port, the ports in ascending order
            long total = 0;
            int previousPort = Integer.MAX_VALUE;
            for (int i = samples.size() - 1; i >= 0 && samples.get(i).port() < previousPort; i--)
            {
                total += counter.applyAsLong(samples.get(i));
                previousPort = samples.get(i).port();
            }

            return total;
        }
    }

    /**
     * @return everything testpmd printed so far, escape sequences removed.
     */
    public String output()
    {
        synchronized (output)
        {
            return output.toString();
        }
    }

    /**
     * Stop with {@link #STOP_TIMEOUT_NS_DEFAULT}.
     *
     * @return how the run ended.
     */
    public FinalStats stop()
    {
        return stop(STOP_TIMEOUT_NS_DEFAULT);
    }

    /**
     * Stop testpmd with SIGINT so that it prints its forward statistics and detaches its XDP program; SIGKILL it if
     * it has not exited in time. Then restore the interface's promiscuous flag (testpmd sets it and leaves it set)
     * and remove EAL's runtime directory. Calling it again returns the same result.
     *
     * @param timeoutNs how long to wait after SIGINT.
     * @return how the run ended.
     */
    public synchronized FinalStats stop(final long timeoutNs)
    {
        if (null != finalStats)
        {
            return finalStats;
        }

        boolean killed = false;
        boolean interrupted = false;
        try
        {
            if (process.isAlive())
            {
                // by pid: ip netns exec has exec'd testpmd, so this is testpmd itself
                TestpmdHost.interrupt(process.pid());
                if (!process.waitFor(timeoutNs))
                {
                    killed = kill();
                }
            }
        }
        catch (final InterruptedException ex)
        {
            interrupted = true;
            killed = kill();
        }

        interrupted |= joinReader();
        cleanUp(killed);
        finalStats = new FinalStats(TestpmdOutput.parseForwardStats(output()), process.exitStatus(), killed);
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        return finalStats;
    }

    /**
     * Stop, ignoring the result.
     */
    public void close()
    {
        stop();
    }

    private void launch()
    {
        try
        {
            process = ChildProcess.builder(command).name("testpmd").mergeStderr().nullStdin()
                .lines(new OutputReader()).start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("testpmd: cannot run " + commandLine() + ": " + ex.getMessage(), ex);
        }

        final ChildProcess child = process;
        shutdownHook = new Thread(() -> child.destroyTree(0), "testpmd-" + child.pid() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private void awaitReady(final long readyTimeoutNs)
    {
        final long deadlineNs = System.nanoTime() + readyTimeoutNs;
        boolean interrupted = false;
        boolean ready;
        synchronized (samples)
        {
            try
            {
                while (samples.isEmpty() && !outputClosed && waitUntil(deadlineNs))
                {
                    // woken by the first block or the end of output
                }
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
            ready = !samples.isEmpty();
        }
        if (ready)
        {
            return;
        }

        // the output ends a moment before the process does: wait for the exit, or a failed start reads as a hang
        final boolean exited = outputClosed() && awaitExit();
        final boolean killed = kill();
        interrupted |= joinReader();
        cleanUp(killed);
        finalStats = new FinalStats(List.of(), process.exitStatus(), killed);
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }

        final String text = output();
        final String what = exited ? "exited with status " + process.exitStatus() + " before it was ready" :
            interrupted ? "was interrupted before it was ready" :
            "was not ready within " + TimeUnit.NANOSECONDS.toSeconds(readyTimeoutNs) + " s and was killed";
        throw new IllegalStateException("testpmd on " + config.iface() + " queue " + config.queue() +
            " in namespace " + config.namespace() + " " + what + ": " + TestpmdOutput.diagnose(text) +
            "\n  command: " + commandLine() + "\n  output:\n" + TestpmdOutput.excerpt(text));
    }

    /**
     * Keeps the output, escape sequences removed, and parses each statistics block as it completes, on the reader
     * thread.
     */
    private final class OutputReader implements ChildProcess.LineHandler
    {
        private StringBuilder block;

        @Override
        public void onLine(final String line)
        {
            final String clean = TestpmdOutput.stripAnsi(line);
            synchronized (output)
            {
                output.append(clean).append('\n');
            }
            if (TestpmdOutput.startsPortStats(clean))
            {
                block = new StringBuilder();
            }
            if (null != block)
            {
                block.append(clean).append('\n');
                if (TestpmdOutput.endsPortStats(clean))
                {
                    final List<PortStats> parsed = TestpmdOutput.parsePortStats(block);
                    block = null;
                    synchronized (samples)
                    {
                        samples.addAll(parsed);
                        samples.notifyAll();
                    }
                }
            }
        }

        @Override
        public void onEnd(final IOException failure)
        {
            if (null != failure)
            {
                synchronized (output)
                {
                    output.append("[reading testpmd's output failed: ").append(failure.getMessage()).append("]\n");
                }
            }
            synchronized (samples)
            {
                outputClosed = true;
                samples.notifyAll();
            }
        }
    }

    private long latestRxPackets()
    {
        return latest(PortStats::rxPackets);
    }

    private boolean waitUntil(final long deadlineNs) throws InterruptedException
    {
        final long remainingNs = deadlineNs - System.nanoTime();
        if (remainingNs <= 0)
        {
            return false;
        }
        TimeUnit.NANOSECONDS.timedWait(samples, remainingNs);

        return true;
    }

    private boolean outputClosed()
    {
        synchronized (samples)
        {
            return outputClosed;
        }
    }

    private boolean awaitExit()
    {
        try
        {
            return process.waitFor(STOP_TIMEOUT_NS_DEFAULT);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /**
     * SIGKILL at once, waiting for the exit: a SIGTERM would ask testpmd to stop as the SIGINT it did not act on did.
     *
     * @return whether it was still running.
     */
    private boolean kill()
    {
        return process.destroyTree(0);
    }

    private boolean joinReader()
    {
        try
        {
            // the pipe closes when testpmd exits: nothing else holds its write end
            process.awaitOutput(STOP_TIMEOUT_NS_DEFAULT);
            return false;
        }
        catch (final InterruptedException ex)
        {
            return true;
        }
    }

    private void cleanUp(final boolean killed)
    {
        if (killed)
        {
            // a killed testpmd leaves libxdp's program attached, and the next bind on this queue would fail; a
            // program that was there before it started is someone else's
            final long program = TestpmdHost.xdpProgramId(config.namespace(), config.iface());
            if (program >= 0 && program != linkBefore.xdpProgramId())
            {
                TestpmdHost.detachXdp(config.namespace(), config.iface());
            }
        }
        if (!linkBefore.promiscuous())
        {
            TestpmdHost.promiscuousOff(config.namespace(), config.iface());
        }
        TestpmdHost.deleteRuntimeDirectory(filePrefix);
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is shutting down and the hook runs anyway; testpmd has exited already
        }
    }
}
