package io.sluice.pipeline;

import io.sluice.pipeline.rules.Action;
import io.sluice.pipeline.rules.FilterRule;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.pipeline.rules.Rules;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a {@link PacketProcessor} runs, as Aeron's {@code MediaDriver.Context} carries a media driver's
 * configuration: set fluently, then {@link #conclude()} validates it and derives what follows from it (the UMEM's
 * frame count, each socket's prefill, the capture rule's index, the series' labels). A processor concludes its
 * context at launch; a context is concluded once.
 * <pre>{@code
 * PacketProcessor.launch(new SluiceContext()
 *     .iface("veth1")
 *     .queues(0, 1)
 *     .rules(RulesFile.load(path))
 *     .instance("veth1"));
 * }</pre>
 */
public final class SluiceContext
{
    /**
     * How long a stop waits for the RX rings to empty after the sockets leave the XSKMAP, and then for the pipeline
     * to drain: generous against a 2,048-slot ring at any rate the pipeline keeps up with.
     */
    public static final long DRAIN_TIMEOUT_NS_DEFAULT = 2_000_000_000L;

    /**
     * The detector's outbox: 64 KiB, room for about 1,300 flags the conductor has not taken yet.
     */
    public static final int OUTBOX_BYTES_DEFAULT = 64 * 1024;

    /**
     * Frames a capture keeps unless told otherwise: a million full-size frames is 1.5 GB of pcap.
     */
    public static final long CAPTURE_MAX_FRAMES_DEFAULT = 1_000_000;

    /**
     * No metrics endpoint: {@link #metricsPort(int)} unset.
     */
    public static final int NO_METRICS_PORT = 0;

    /**
     * Where the blocker's lines go unless {@link #log(Consumer)} says: stdout, as {@code run} prints.
     */
    public static final Consumer<String> STDOUT_LOG = (line) ->
    {
        System.out.println("sluice: " + line);
        System.out.flush();
    };

    private boolean concluded;
    private String iface;
    private int[] queues = { 0 };
    private Rules rules;
    private XdpMode xdpMode = XdpMode.NATIVE;
    private XskConfig xskConfig = XskConfig.defaults();
    private UmemConfig umemConfig = UmemConfig.defaults();
    private PipelineConfig pipelineConfig = PipelineConfig.defaults();
    private String instance;
    private Path captureFile;
    private String captureRule;
    private long captureMaxFrames = CAPTURE_MAX_FRAMES_DEFAULT;
    private int metricsPort = NO_METRICS_PORT;
    private Consumer<String> log = STDOUT_LOG;
    private long drainTimeoutNs = DRAIN_TIMEOUT_NS_DEFAULT;
    private int outboxBytes = OUTBOX_BYTES_DEFAULT;

    private int captureRuleIndex = FrameEvent.ABSENT;
    private XskConfig ingressXskConfig;
    private XskConfig egressXskConfig;
    private String labels;

    /**
     * Validate and derive. The processor calls it at launch; call it earlier to check options before anything is
     * opened.
     *
     * @return this.
     * @throws IllegalArgumentException naming the option and the problem.
     * @throws IllegalStateException    if concluded already.
     */
    public SluiceContext conclude()
    {
        if (concluded)
        {
            throw new IllegalStateException("this context is concluded already: a processor needs one of its own");
        }
        checkOptions();
        if (null == iface || iface.isEmpty())
        {
            throw new IllegalArgumentException("an interface is needed (--iface)");
        }
        if (null == rules)
        {
            throw new IllegalArgumentException("rules are needed (--rules)");
        }
        if (0 == queues.length)
        {
            throw new IllegalArgumentException("at least one queue is needed");
        }
        captureRuleIndex = captureRuleIndex(rules.filter(), captureFile, captureRule);

        // the transmitter fills the fill rings, to a budget (see XskTransmitter.receiveBudget); a receiving socket
        // that may bind in zero-copy is stocked before bind too, as the driver takes its buffers then (igb) or
        // counts an empty ring until the first refill (virtio_net): its budget is the whole fill ring
        egressXskConfig = xskConfig.withPrefill(false);
        ingressXskConfig = egressXskConfig.withPrefill(ZeroCopyPolicy.COPY != egressXskConfig.zeroCopy());
        umemConfig = umemFor(umemConfig, sockets(), egressXskConfig, pipelineConfig.ringSize());
        labels = Labels.of("iface", iface);
        concluded = true;

        return this;
    }

    /**
     * Check what needs neither the rules nor the interface: the metrics port, the capture's options, the instance's
     * name. {@link #conclude()} checks them first; {@code run} checks them before it reads any file.
     *
     * @return this.
     * @throws IllegalArgumentException naming the option and the problem.
     */
    public SluiceContext checkOptions()
    {
        if (NO_METRICS_PORT != metricsPort && (metricsPort < 1 || metricsPort > 65535))
        {
            throw new IllegalArgumentException("--metrics-port " + metricsPort + ": 1..65535");
        }
        if (captureMaxFrames < 1)
        {
            throw new IllegalArgumentException("--capture-max " + captureMaxFrames + ": at least 1");
        }
        if (null == captureFile && (null != captureRule || CAPTURE_MAX_FRAMES_DEFAULT != captureMaxFrames))
        {
            throw new IllegalArgumentException((null != captureRule ? "--capture-rule" : "--capture-max") +
                " needs --capture FILE");
        }
        if (null != instance)
        {
            CountersFile.checkName(instance);
        }

        return this;
    }

    /**
     * The UMEM a processor allocates: at least enough frames for every socket's fill and TX rings full and the
     * pipeline's ring full at once, so no ring ever waits for a frame another holds.
     *
     * @param umem             the configured UMEM.
     * @param sockets          AF_XDP sockets sharing it (queues times interfaces).
     * @param xsk              their ring sizes.
     * @param pipelineRingSize slots in the pipeline's ring.
     * @return the configured UMEM, its frame count raised if too small.
     */
    public static UmemConfig umemFor(
        final UmemConfig umem, final int sockets, final XskConfig xsk, final int pipelineRingSize)
    {
        final int framesWanted = sockets * (xsk.fillRingSize() + xsk.txRingSize()) + pipelineRingSize;
        return umem.frameCount() >= framesWanted ? umem : umem.withFrameCount(framesWanted);
    }

    private static int captureRuleIndex(final RuleSet filter, final Path captureFile, final String captureRule)
    {
        final boolean mirrors = filter.rules().stream().anyMatch((rule) -> Action.MIRROR == rule.action());
        if (null == captureFile)
        {
            if (mirrors)
            {
                throw new IllegalArgumentException("the rules file has mirror rules: give --capture FILE for their " +
                    "frames");
            }
            return FrameEvent.ABSENT;
        }
        if (null == captureRule)
        {
            if (!mirrors)
            {
                throw new IllegalArgumentException("--capture " + captureFile + ": name the frames " +
                    "with --capture-rule RULE, or give a filter rule action: mirror");
            }
            return FrameEvent.ABSENT;
        }
        final int index = filter.indexOf(captureRule);
        if (index < 0)
        {
            throw new IllegalArgumentException("--capture-rule " + captureRule + ": no filter rule of " +
                "that name (rules: " + String.join(", ", filter.rules().stream().map(FilterRule::name).toList()) +
                ")");
        }

        return index;
    }

    private void checkNotConcluded()
    {
        if (concluded)
        {
            throw new IllegalStateException("this context is concluded: it can no longer change");
        }
    }

    /**
     * @param iface interface to attach to and receive from, in the launching thread's network namespace.
     * @return this.
     */
    public SluiceContext iface(final String iface)
    {
        checkNotConcluded();
        this.iface = iface;
        return this;
    }

    /**
     * @return interface to attach to and receive from.
     */
    public String iface()
    {
        return iface;
    }

    /**
     * @param queues its RX queues to receive from (default: 0).
     * @return this.
     */
    public SluiceContext queues(final int... queues)
    {
        checkNotConcluded();
        this.queues = queues.clone();
        return this;
    }

    /**
     * @return its RX queues to receive from.
     */
    public int[] queues()
    {
        return queues.clone();
    }

    /**
     * @param rules the rules file: steering, filter, block_if triggers and blocking policy.
     * @return this.
     */
    public SluiceContext rules(final Rules rules)
    {
        checkNotConcluded();
        this.rules = rules;
        return this;
    }

    /**
     * @return the rules.
     */
    public Rules rules()
    {
        return rules;
    }

    /**
     * @param xdpMode native or generic attachment (default: native).
     * @return this.
     */
    public SluiceContext xdpMode(final XdpMode xdpMode)
    {
        checkNotConcluded();
        this.xdpMode = xdpMode;
        return this;
    }

    /**
     * @return native or generic attachment.
     */
    public XdpMode xdpMode()
    {
        return xdpMode;
    }

    /**
     * @param xskConfig socket ring sizes, zero-copy policy, wake-ups (default: {@link XskConfig#defaults()}).
     * @return this.
     */
    public SluiceContext xskConfig(final XskConfig xskConfig)
    {
        checkNotConcluded();
        this.xskConfig = xskConfig;
        return this;
    }

    /**
     * @return socket ring sizes, zero-copy policy, wake-ups, as configured.
     */
    public XskConfig xskConfig()
    {
        return xskConfig;
    }

    /**
     * @return concluded: the ingress sockets' configuration, stocked before bind unless copy mode is forced.
     */
    public XskConfig ingressXskConfig()
    {
        return ingressXskConfig;
    }

    /**
     * @return concluded: the forward targets' sockets' configuration, never stocked before bind.
     */
    public XskConfig egressXskConfig()
    {
        return egressXskConfig;
    }

    /**
     * @param umemConfig frame size and hugepages (default: {@link UmemConfig#defaults()}); {@link #conclude()} raises
     *                   the frame count to what the rings can hold.
     * @return this.
     */
    public SluiceContext umemConfig(final UmemConfig umemConfig)
    {
        checkNotConcluded();
        this.umemConfig = umemConfig;
        return this;
    }

    /**
     * @return the UMEM's configuration; once concluded, with the frame count {@link #umemFor} derives.
     */
    public UmemConfig umemConfig()
    {
        return umemConfig;
    }

    /**
     * @param pipelineConfig threads, cores and ring sizes (default: {@link PipelineConfig#defaults()}).
     * @return this.
     */
    public SluiceContext pipelineConfig(final PipelineConfig pipelineConfig)
    {
        checkNotConcluded();
        this.pipelineConfig = pipelineConfig;
        return this;
    }

    /**
     * @return threads, cores and ring sizes.
     */
    public PipelineConfig pipelineConfig()
    {
        return pipelineConfig;
    }

    /**
     * @param instance the name of the instance's counters file ({@link CountersFile#fileOf(String)}) and control
     *                 socket, or null (the default) to keep the counters in memory only, without a socket.
     * @return this.
     */
    public SluiceContext instance(final String instance)
    {
        checkNotConcluded();
        this.instance = instance;
        return this;
    }

    /**
     * @return the instance's name, or null.
     */
    public String instance()
    {
        return instance;
    }

    /**
     * Capture frames to a pcap file: {@code run --capture FILE [--capture-rule RULE] [--capture-max N]}.
     *
     * @param file      the pcap file, or null for no capture (the default).
     * @param rule      a filter rule whose frames are captured whatever its action, or null for the frames of the
     *                  rules whose action is {@code mirror}.
     * @param maxFrames most frames to capture.
     * @return this.
     */
    public SluiceContext capture(final Path file, final String rule, final long maxFrames)
    {
        checkNotConcluded();
        captureFile = file;
        captureRule = rule;
        captureMaxFrames = maxFrames;
        return this;
    }

    /**
     * @return the pcap file, or null.
     */
    public Path captureFile()
    {
        return captureFile;
    }

    /**
     * @return the capture rule's name, or null.
     */
    public String captureRule()
    {
        return captureRule;
    }

    /**
     * @return most frames to capture.
     */
    public long captureMaxFrames()
    {
        return captureMaxFrames;
    }

    /**
     * @return concluded: the index of the capture rule, or {@link FrameEvent#ABSENT}.
     */
    public int captureRuleIndex()
    {
        return captureRuleIndex;
    }

    /**
     * @param port TCP port of the Prometheus endpoint {@code http://HOST:PORT/metrics}, or {@link #NO_METRICS_PORT}.
     * @return this.
     */
    public SluiceContext metricsPort(final int port)
    {
        checkNotConcluded();
        metricsPort = port;
        return this;
    }

    /**
     * @return TCP port of the metrics endpoint, or {@link #NO_METRICS_PORT}.
     */
    public int metricsPort()
    {
        return metricsPort;
    }

    /**
     * @param log where the conductor's lines go: a block added or removed (default: {@link #STDOUT_LOG}).
     * @return this.
     */
    public SluiceContext log(final Consumer<String> log)
    {
        checkNotConcluded();
        this.log = log;
        return this;
    }

    /**
     * @return where the conductor's lines go.
     */
    public Consumer<String> log()
    {
        return log;
    }

    /**
     * @param drainTimeoutNs how long a stop waits for the RX rings, then the pipeline, to drain.
     * @return this.
     */
    public SluiceContext drainTimeoutNs(final long drainTimeoutNs)
    {
        checkNotConcluded();
        this.drainTimeoutNs = drainTimeoutNs;
        return this;
    }

    /**
     * @return how long a stop waits for each drain.
     */
    public long drainTimeoutNs()
    {
        return drainTimeoutNs;
    }

    /**
     * @param outboxBytes the detector's outbox to the conductor, in bytes, a power of two.
     * @return this.
     */
    public SluiceContext outboxBytes(final int outboxBytes)
    {
        checkNotConcluded();
        this.outboxBytes = outboxBytes;
        return this;
    }

    /**
     * @return the detector's outbox, in bytes.
     */
    public int outboxBytes()
    {
        return outboxBytes;
    }

    /**
     * @return the interfaces the rules forward to, each with a socket per queue beside the ingress sockets.
     */
    public List<String> forwardInterfaces()
    {
        return rules.filter().forwardInterfaces();
    }

    /**
     * @return AF_XDP sockets on the UMEM: the ingress queues', then per forward target one per queue.
     */
    public int sockets()
    {
        return queues.length * (1 + forwardInterfaces().size());
    }

    /**
     * @return concluded: labels every series of the instance carries, {@code iface="veth1"}.
     */
    public String labels()
    {
        return labels;
    }

    /**
     * @return whether {@link #conclude()} ran.
     */
    public boolean isConcluded()
    {
        return concluded;
    }
}
