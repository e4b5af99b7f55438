package io.sluice.tuning.host;

import io.sluice.xsk.util.ChildProcess;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's tools ({@code ethtool}) as child processes, on the control path only.
 */
public final class Shell
{
    /**
     * How long one command may take: ethtool answers in milliseconds, but a driver reconfiguring its channels or rings
     * (mlx5, ice) can take seconds.
     */
    public static final long TIMEOUT_MS_DEFAULT = 30_000;

    private Shell()
    {
    }

    /**
     * Run a command and wait for it.
     *
     * @param command the program and its arguments.
     * @return its exit status and output.
     * @throws IllegalStateException if it cannot start (not installed) or does not finish in time.
     */
    public static Result run(final List<String> command)
    {
        final ChildProcess.Result result;
        try
        {
            result = ChildProcess.builder(command).nullStdin().run(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS_DEFAULT));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(String.join(" ", command) + ": " + ex.getMessage() +
                "; install it: apt-get install " + command.get(0));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + ": interrupted");
        }
        if (result.timedOut())
        {
            throw new IllegalStateException(String.join(" ", command) + ": no answer in " +
                TIMEOUT_MS_DEFAULT / 1000 + " s");
        }

        return new Result(command, result.exitStatus(), result.stdout(), result.stderr());
    }

    /**
     * Run a command and wait for it.
     *
     * @param command the program and its arguments.
     * @return its exit status and output.
     */
    public static Result run(final String... command)
    {
        return run(List.of(command));
    }

    /**
     * A finished command.
     *
     * @param command  what ran.
     * @param exitCode its exit status.
     * @param stdout   its standard output.
     * @param stderr   its standard error.
     */
    public record Result(List<String> command, int exitCode, String stdout, String stderr)
    {
        /**
         * @return true if it exited 0.
         */
        public boolean ok()
        {
            return 0 == exitCode;
        }

        /**
         * @return the command as typed: {@code ethtool -L veth0 rx 2}.
         */
        public String line()
        {
            return String.join(" ", command);
        }

        /**
         * @return its error output's last non-empty line, or its exit status: what to put in a one-line message.
         */
        public String why()
        {
            final String[] lines = (stderr.isBlank() ? stdout : stderr).strip().split("\n");
            final String last = lines[lines.length - 1].strip();
            return last.isEmpty() ? "exit status " + exitCode : last;
        }
    }
}
