package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The control plane's one agent, on one thread ({@value #ROLE_NAME}), as Aeron's {@code DriverConductor} owns every
 * control duty cycle of a media driver. Each duty cycle it does what is due of:
 * <ul>
 *     <li>the {@link Blocker}: the detector's flags, operators' commands, block expiry, the blocks' drop counts;</li>
 *     <li>the {@link ControlSocket}: accepting and answering {@code ./sluice blocks} and {@code ./sluice rules};</li>
 *     <li>the {@link RulesReloader}: a reload SIGHUP asked for (one from the control socket runs as its command);</li>
 *     <li>the {@link StatsSampler}: the watchdog (interface, link, program) and the kernel's statistics;</li>
 *     <li>the {@link MetricsServer}: a snapshot of the counters for each scrape waiting.</li>
 * </ul>
 * None of it is on the data path, and none of it blocks but a reload, which waits (bounded) for the pipeline to take
 * up the new rules and drain the old, serialising reloads from every source. The sockets are non-blocking, and the
 * one duty that waits on a disk, the pcap capture's writer, keeps a thread of its own ({@link FrameCapture}). The
 * conductor's thread is the only writer of the blocklist and of the series the sampler and the blocker keep; once
 * {@link #close()} has ended it, the stopping thread takes the last samples.
 * <p>
 * <b>Idle.</b> The conductor shares a core with the rest of the host (the data path has its own), so an idle duty
 * cycle waits until its next duty is due, not a fixed short time: on a {@link Selector} that the operators' socket
 * and its clients wake, and that a scrape, a blocker command from another thread and SIGHUP wake too. Nothing but a
 * duty's own clock is waited for: the sampler's next sample (once a second), expiry and drop counts every
 * {@value Blocker#EXPIRY_PERIOD_MS} ms while a source is blocked, a connected client's next step within a
 * millisecond, and with a detector the flags every {@value #IDLE_SLEEP_MS_DETECTING} ms. With nothing blocked and
 * nobody connected it wakes once a second, where a fixed 10 ms sleep woke a hundred times and took about 0.7% of
 * the core in slices of 60 us (measured with {@code perf sched} under {@code ./sluice perf latency}).
 */
public final class Conductor implements Agent, AutoCloseable
{
    /**
     * The conductor's role and thread name.
     */
    public static final String ROLE_NAME = "sluice-conductor";

    /**
     * Idle sleep with a detector: a flag waits at most this long to become a block.
     */
    public static final long IDLE_SLEEP_MS_DETECTING = 1;

    /**
     * The longest an idle duty cycle waits without one, the sampler's period: operators' commands, scrapes and
     * SIGHUP wake it at once, and blocks shorten it to their expiry period.
     */
    public static final long IDLE_SLEEP_MS_DEFAULT = StatsSampler.PERIOD_MS;

    /**
     * The longest an idle duty cycle waits while an operator's client is connected.
     */
    static final long IDLE_SLEEP_MS_CLIENT = 1;

    private final Blocker blocker;
    private final ControlSocket control;
    private final StatsSampler sampler;
    private final MetricsServer metrics;
    private final RulesReloader reloader;
    private final long idleSleepMs;
    private final Selector selector;
    private AgentRunner runner;
    private volatile Thread thread;
    private volatile boolean closing;
    private boolean closed;

    /**
     * @param blocker     the blocker.
     * @param control     the operators' socket, or null.
     * @param sampler     the sampler.
     * @param metrics     the metrics endpoint, or null.
     * @param idleSleepMs the longest an idle duty cycle waits; less when a duty is due sooner.
     * @throws IllegalStateException if the selector it waits on cannot be opened.
     */
    public Conductor(
        final Blocker blocker,
        final ControlSocket control,
        final StatsSampler sampler,
        final MetricsServer metrics,
        final long idleSleepMs)
    {
        this(blocker, control, sampler, metrics, null, idleSleepMs);
    }

    Conductor(
        final Blocker blocker,
        final ControlSocket control,
        final StatsSampler sampler,
        final MetricsServer metrics,
        final RulesReloader reloader,
        final long idleSleepMs)
    {
        this.reloader = reloader;
        this.blocker = blocker;
        this.control = control;
        this.sampler = sampler;
        this.metrics = metrics;
        this.idleSleepMs = idleSleepMs;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("the conductor cannot open a selector to wait on: " + ex.getMessage());
        }
    }

    /**
     * Start the duty cycle on its own thread, which inherits the calling thread's network namespace.
     *
     * @return this.
     */
    public Conductor start()
    {
        final Runnable wake = this::wake;
        blocker.wakeWith(wake);
        blocker.onConductor(true);
        if (null != metrics)
        {
            metrics.wakeWith(wake);
            metrics.onConductor(true);
        }
        if (null != reloader)
        {
            reloader.wakeWith(wake);
        }
        if (null != control)
        {
            control.register(selector);
        }
        runner = new AgentRunner(new DutyIdle(), (error) ->
            System.err.println("sluice: conductor: " + error), null, this);
        // kept here: the runner's own thread() is null until the thread has begun to run
        thread = AgentRunner.startOnThread(runner, (task) ->
        {
            final Thread thread = new Thread(task, ROLE_NAME);
            thread.setDaemon(true);
            return thread;
        });

        return this;
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        int work = blocker.doWork(nowNs);
        if (null != control)
        {
            work += control.doWork(nowNs);
        }
        if (null != reloader)
        {
            work += reloader.doWork();
        }
        work += sampler.doWork(nowNs);
        if (null != metrics)
        {
            work += metrics.doWork();
        }

        return work;
    }

    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }

    /**
     * End an idle wait now: work for the conductor was queued from another thread. Any thread.
     */
    public void wake()
    {
        selector.wakeup();
    }

    /**
     * @param nowNs {@code System.nanoTime()}.
     * @return how long an idle duty cycle may wait before a duty is due, in ms, at least 1.
     */
    long idleMs(final long nowNs)
    {
        long ms = idleSleepMs;
        if (null != control && control.hasClients())
        {
            ms = Math.min(ms, IDLE_SLEEP_MS_CLIENT);
        }
        if (blocker.hasBlocks())
        {
            ms = Math.min(ms, Blocker.EXPIRY_PERIOD_MS);
        }
        final long untilSampleMs = TimeUnit.NANOSECONDS.toMillis(sampler.nextSampleNs() - nowNs);

        return Math.max(1, Math.min(ms, untilSampleMs + 1));
    }

    /**
     * Waits on the selector until the next duty is due or something wakes it.
     */
    private final class DutyIdle implements IdleStrategy
    {
        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            if (closing)
            {
                // close() has woken the selector once: the runner stops on its next check
                LockSupport.parkNanos(100_000);
                return;
            }
            try
            {
                selector.select(idleMs(System.nanoTime()));
                selector.selectedKeys().clear();
            }
            catch (final IOException ex)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(IDLE_SLEEP_MS_CLIENT));
            }
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "duty";
        }
    }

    /**
     * End the duty cycle, close the operators' socket, and take the blocker's and the sampler's last samples on the
     * calling thread. The metrics endpoint keeps serving, from the final counts, until it is closed. Idempotent.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closing = true;
        selector.wakeup();
        if (null != runner)
        {
            runner.close();
        }
        if (null != control)
        {
            control.close();
        }
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            // nothing waits on it any more
        }
        if (null != metrics)
        {
            metrics.onConductor(false);
        }
        blocker.close();
        sampler.sampleLast();
    }

    /**
     * @return the conductor's thread, null until started.
     */
    public Thread thread()
    {
        return thread;
    }
}
