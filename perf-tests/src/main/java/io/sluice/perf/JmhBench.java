package io.sluice.perf;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice bench jmh [JMH options] [benchmark regexps]}: the JMH micro-benchmarks of {@code io.sluice.perf.jmh}
 * through {@code org.openjdk.jmh.Main}, on the class path this JVM was started with. Every argument goes to JMH
 * unchanged ({@code ./sluice bench jmh -h} prints JMH's help, {@code -l} lists the benchmarks), with two additions:
 * <ul>
 * <li>each of the quick settings in {@link #QUICK_DEFAULTS} the caller did not give is added, so a bare run takes
 * minutes, not the hours of JMH's own defaults, and reports allocation;</li>
 * <li>{@code -jvmArgsAppend --enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED},
 * so the forked JVMs may use the restricted FFM methods the benchmarked code calls, and Agrona's buffers under the
 * counters, as the launcher's own JVM may.</li>
 * </ul>
 * The arguments are passed through by {@link Bench}, which stops option parsing at this command's first argument.
 */
@Command(name = "jmh",
    description = "JMH micro-benchmarks of the parser, filter and rings; arguments go to JMH (-h: its help), " +
        "adding any of -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc not given")
public final class JmhBench implements Callable<Integer>
{
    /**
     * Options added unless the caller gives them, as option/value pairs: one fork, 3 warm-up and 5 measured
     * iterations of 1 s each (about 10 s a case, where JMH's defaults take over 8 minutes), and the GC profiler,
     * whose {@code gc.alloc.rate.norm} shows whether the hot path allocates.
     */
    static final List<String> QUICK_DEFAULTS = List.of("-f", "1", "-wi", "3", "-i", "5", "-w", "1s", "-r", "1s",
        "-prof", "gc");

    /**
     * What every forked JVM needs: the benchmarked code uses restricted FFM methods, as the launcher's JVM does.
     */
    static final String FORK_JVM_ARGS =
        "--enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final String JVM_ARGS_APPEND = "-jvmArgsAppend";

    @Unmatched
    List<String> jmhArgs = new ArrayList<>();

    public Integer call() throws Exception
    {
        org.openjdk.jmh.Main.main(jmhArguments(jmhArgs));

        return 0;
    }

    /**
     * @param given the caller's arguments, in order.
     * @return them, after the {@link #QUICK_DEFAULTS} they do not override and the fork's JVM arguments.
     */
    static String[] jmhArguments(final List<String> given)
    {
        final List<String> args = new ArrayList<>();
        for (int i = 0; i < QUICK_DEFAULTS.size(); i += 2)
        {
            final String option = QUICK_DEFAULTS.get(i);
            if (!given.contains(option))
            {
                args.add(option);
                args.add(QUICK_DEFAULTS.get(i + 1));
            }
        }

        // JMH splits a lone -jvmArgsAppend value at spaces but takes each of several verbatim: join a lone one,
        // add to several
        final long appends = given.stream().filter(JVM_ARGS_APPEND::equals).count();
        final boolean lone = 1 == appends;
        for (int i = 0; i < given.size(); i++)
        {
            final String arg = given.get(i);
            args.add(arg);
            if (lone && JVM_ARGS_APPEND.equals(arg) && i + 1 < given.size())
            {
                args.add(given.get(++i) + " " + FORK_JVM_ARGS);
            }
        }
        if (0 == appends)
        {
            args.add(JVM_ARGS_APPEND);
            args.add(FORK_JVM_ARGS);
        }
        else if (!lone)
        {
            for (final String jvmArg : FORK_JVM_ARGS.split(" "))
            {
                args.add(JVM_ARGS_APPEND);
                args.add(jvmArg);
            }
        }

        return args.toArray(new String[0]);
    }
}
