package io.sluice.tuning.cli;

import io.sluice.pipeline.cli.SluiceCli;
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
        return SluiceCli.oneLineErrors(new CommandLine(new TuningCli())).execute(args);
    }
}
