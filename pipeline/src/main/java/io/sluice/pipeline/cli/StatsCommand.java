package io.sluice.pipeline.cli;

import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice stats}: an instance's counters, read from its counters file by another process, with no
 * connection to the instance; with {@code --watch}, again each interval with rates.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Print a running (or stopped) instance's counters from its counters file")
public final class StatsCommand implements Callable<Integer>
{
    @Option(names = "--instance", paramLabel = "NAME",
        description = "instance to read (default: the only one in " + CountersFile.DIRECTORY_DEFAULT + ")")
    String instance;

    @Option(names = "--watch", description = "print again each interval, with rates, until the instance stops")
    boolean watch;

    @Option(names = "--interval", paramLabel = "SECONDS", description = "--watch interval (default: ${DEFAULT-VALUE})")
    double intervalS = 1.0;

    @Option(names = "--prometheus", description = "print in Prometheus text exposition format")
    boolean prometheus;

    @Override
    public Integer call() throws Exception
    {
        if (intervalS < 0.1 || intervalS > 3600)
        {
            throw new IllegalArgumentException("--interval " + intervalS + ": 0.1..3600 seconds");
        }
        final String name = null != instance ? instance : only();
        try (CountersView view = CountersView.open(CountersFile.fileOf(name)))
        {
            final PrintStream out = System.out;
            List<CountersView.Series> last = view.series();
            long lastNs = System.nanoTime();
            print(out, view, last, null, 0);
            while (watch && view.running())
            {
                Thread.sleep((long)(intervalS * 1000));
                final List<CountersView.Series> now = view.series();
                final long nowNs = System.nanoTime();
                print(out, view, now, last, (nowNs - lastNs) / 1e9);
                last = now;
                lastNs = nowNs;
            }
        }

        return 0;
    }

    private void print(
        final PrintStream out,
        final CountersView view,
        final List<CountersView.Series> series,
        final List<CountersView.Series> before,
        final double seconds)
    {
        if (prometheus)
        {
            out.print(view.prometheus());
            out.flush();
            return;
        }
        final long stopMs = view.stopMs();
        out.println("sluice stats: instance " + view.instance() + ", pid " + view.pid() + ", started " +
            Instant.ofEpochMilli(view.startMs()) + (0 == stopMs ? (view.running() ? ", running" :
            ", not running (the process ended without stopping)") : ", stopped " + Instant.ofEpochMilli(stopMs)) +
            " (" + view.file() + ")");
        int width = 0;
        for (final CountersView.Series one : series)
        {
            width = Math.max(width, one.name().length());
        }
        // series come and go (a block's), so match them by name, not position
        final Map<String, Long> earlier = new HashMap<>();
        if (null != before)
        {
            before.forEach((one) -> earlier.put(one.name(), one.value()));
        }
        for (final CountersView.Series one : series)
        {
            final Long was = earlier.get(one.name());
            if (null == was || one.metric().gauge())
            {
                out.printf(Locale.ROOT, "%-" + width + "s %,20d%n", one.name(), one.value());
            }
            else
            {
                out.printf(Locale.ROOT, "%-" + width + "s %,20d %,16.0f/s%n", one.name(), one.value(),
                    (one.value() - was) / seconds);
            }
        }
        out.flush();
    }

    private static String only()
    {
        return Instances.only(CountersView.instances(), "no instances in " + CountersFile.directory() + ": start " +
            "one with ./sluice run (its --instance, the interface's name by default)",
            "several instances in " + CountersFile.directory() + ": ");
    }
}
