package io.sluice.tuning.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./sluice doctor} and {@code ./sluice tune}. A bad argument or profile ends in one line on
 * stderr and exit status 2; a failed check or setting in exit status 1.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true, subcommands = { DoctorCommand.class, TuneCommand.class },
    description = "Check a host for Sluice and apply NIC profiles to it")
public final class TuningCli
{
    private TuningCli()
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
        final CommandLine commandLine = new CommandLine(new TuningCli());
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            final String command = ex.getCommandLine().getCommandName();
            System.err.println("sluice " + command + ": " + ex.getMessage() + " (see ./sluice " + command +
                " --help)");
            return 2;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final String message = null == ex.getMessage() ? ex.toString() : ex.getMessage();
            final int newline = message.indexOf('\n');
            System.err.println("sluice " + cmd.getCommandName() + ": " +
                (newline < 0 ? message : message.substring(0, newline)));
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });

        return commandLine.execute(args);
    }
}
