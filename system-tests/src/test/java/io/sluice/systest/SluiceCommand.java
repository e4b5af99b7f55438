package io.sluice.systest;

import io.sluice.perf.SluiceProcess;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One {@code ./sluice} command run to its end from the root namespace, as an operator types it beside a running
 * instance: {@code ./sluice blocks list}, {@code ./sluice rules show}.
 */
final class SluiceCommand
{
    private SluiceCommand()
    {
    }

    /**
     * @param exitCode the exit status the command must end with.
     * @param command  the command: {@code blocks}.
     * @param args     its arguments.
     * @return what it printed, stdout and stderr, a line each.
     * @throws Exception if it cannot be started or does not end within two minutes.
     */
    static List<String> lines(final int exitCode, final String command, final String... args) throws Exception
    {
        final String[] commandLine = new String[args.length + 1];
        commandLine[0] = command;
        System.arraycopy(args, 0, commandLine, 1, args.length);
        try (SluiceProcess process = SluiceProcess.start(null, commandLine))
        {
            assertEquals(exitCode, process.waitFor(120), process::output);
            return process.lines();
        }
    }
}
