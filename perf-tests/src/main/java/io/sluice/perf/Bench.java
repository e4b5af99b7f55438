package io.sluice.perf;

import io.sluice.xsk.ffi.NativeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./sluice bench SCENARIO ...}: the benchmarks users run themselves.
 */
@Command(name = "sluice bench", mixinStandardHelpOptions = true,
    description = "Sluice benchmarks",
    subcommands = {RxDropBench.class, RxDropVsDpdk.class, L2FwdBench.class, L2FwdVsDpdk.class, TxOnlyBench.class,
        JmhBench.class, SoakBench.class, ReactionBench.class})
public final class Bench implements Runnable
{
    public static void main(final String[] args)
    {
        final CommandLine commandLine = new CommandLine(new Bench());
        // JMH's options are not declared here: from jmh's first argument on, everything is JMH's, -h included
        commandLine.getSubcommands().get("jmh").setStopAtUnmatched(true);
        commandLine.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            if (ex instanceof IllegalArgumentException || ex instanceof NativeException ||
                ex instanceof IllegalStateException)
            {
                cmd.getErr().println("sluice bench " + cmd.getCommandName() + ": " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        System.exit(commandLine.execute(args));
    }

    public void run()
    {
        new CommandLine(this).usage(System.out);
    }
}
