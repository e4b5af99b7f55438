package io.sluice.pipeline.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code ./sluice} commands that run Sluice itself. A bad argument, rules file or missing
 * privilege ends in one line on stderr, naming what is wrong, and a non-zero exit: 2 for usage, 1 otherwise.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true,
    subcommands = { RunCommand.class, StatsCommand.class, BlocksCommand.class, RulesCommand.class },
    description = "AF_XDP packet processing in Java")
public final class SluiceCli
{
    private SluiceCli()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /**
     * Run a command line.
     *
     * @param args arguments, the subcommand first.
     * @return the exit code.
     */
    public static int execute(final String... args)
    {
        return oneLineErrors(new CommandLine(new SluiceCli())).execute(args);
    }

    /**
     * Make a command line end a bad argument or a failure in one line on stderr, {@code sluice COMMAND: problem},
     * with exit status 2 for usage and a bad file or argument ({@link IllegalArgumentException}), 1 otherwise.
     *
     * @param commandLine the command line.
     * @return it.
     */
    public static CommandLine oneLineErrors(final CommandLine commandLine)
    {
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            final String command = ex.getCommandLine().getCommandName();
            System.err.println("sluice " + command + ": " + ex.getMessage() + " (see ./sluice " + command +
                " --help)");
            return 2;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            System.err.println("sluice " + cmd.getCommandName() + ": " + oneLine(ex));
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });

        return commandLine;
    }

    private static String oneLine(final Throwable ex)
    {
        final String message = null == ex.getMessage() ? ex.toString() : ex.getMessage();
        final int newline = message.indexOf('\n');

        return newline < 0 ? message : message.substring(0, newline);
    }
}
