package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

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
 * one duty that waits on a disk, the pcap capture's writer, keeps a thread of its own ({@link FrameCapture}). The conductor's thread is the
 * only writer of the blocklist and of the series the sampler and the blocker keep; once {@link #close()} has ended it,
 * the stopping thread takes the last samples.
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
     * Idle sleep without one: operators' commands, scrapes, expiry and the watchdog do not need a millisecond.
     */
    public static final long IDLE_SLEEP_MS_DEFAULT = 10;

    private final Blocker blocker;
    private final ControlSocket control;
    private final StatsSampler sampler;
    private final MetricsServer metrics;
    private final RulesReloader reloader;
    private final long idleSleepMs;
    private AgentRunner runner;
    private volatile Thread thread;
    private boolean closed;

    /**
     * @param blocker     the blocker.
     * @param control     the operators' socket, or null.
     * @param sampler     the sampler.
     * @param metrics     the metrics endpoint, or null.
     * @param idleSleepMs how long an idle duty cycle sleeps.
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
    }

    /**
     * Start the duty cycle on its own thread, which inherits the calling thread's network namespace.
     *
     * @return this.
     */
    public Conductor start()
    {
        blocker.onConductor(true);
        if (null != metrics)
        {
            metrics.onConductor(true);
        }
        runner = new AgentRunner(new SleepingMillisIdleStrategy(idleSleepMs), (error) ->
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
        if (null != runner)
        {
            runner.close();
        }
        if (null != control)
        {
            control.close();
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
