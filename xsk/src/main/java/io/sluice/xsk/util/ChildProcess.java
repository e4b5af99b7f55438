package io.sluice.xsk.util;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the control path or of a test: a host tool ({@code ip}, {@code ethtool}, {@code kill}), DPDK's
 * testpmd, or {@code ./sluice} itself. Built with {@link #builder(String...)}, it is either run to the end with
 * {@link Builder#run(long)}, which returns its exit status and output, or started with {@link Builder#start()} and
 * watched while it runs.
 * <p>
 * Its output is always drained by daemon reader threads, so a chatty child never blocks on a full pipe: standard
 * output is kept whole, or handed line by line to a {@link LineHandler}; standard error is kept whole unless it is
 * merged into standard output. Its input is the JVM's pipe, which nothing writes, or {@code /dev/null}.
 * <p>
 * A process that overstays its deadline, or is {@link #close() closed} while it runs, is destroyed with its whole
 * tree: SIGTERM to itself and then its descendants, and SIGKILL to whatever is left after a grace period
 * ({@link #destroyTree(long)}), so no grandchild outlives it holding the pipe or the interface it used. Linux only.
 */
public final class ChildProcess implements AutoCloseable
{
    /**
     * A timeout that never expires, for {@link Builder#run(long)}, {@link #waitFor(long)} and
     * {@link #awaitOutput(long)}.
     */
    public static final long NO_TIMEOUT = Long.MAX_VALUE;

    /**
     * Between SIGTERM and SIGKILL: a tool exits at once and a JVM runs its shutdown hooks well within it, while a
     * child that ignores SIGTERM costs its caller no more than this.
     */
    public static final long DESTROY_GRACE_NS_DEFAULT = TimeUnit.SECONDS.toNanos(5);

    private static final File DEV_NULL = new File("/dev/null");

    /**
     * Takes a child's output line by line, on the reader thread, in the order printed.
     */
    @FunctionalInterface
    public interface LineHandler
    {
        /**
         * One line, without its line terminator. It must not block for long: the child waits on a full pipe
         * meanwhile.
         *
         * @param line the line.
         */
        void onLine(String line);

        /**
         * The output ended: the child and every process holding its pipe exited, or reading failed. Called once,
         * after the last line, on the reader thread.
         *
         * @param failure why reading failed, or null at the end of the output.
         */
        default void onEnd(final IOException failure)
        {
        }
    }

    /**
     * A finished run.
     *
     * @param command    the program and its arguments.
     * @param exitStatus its exit status; 128 plus the signal's number when a signal ended it.
     * @param stdout     its standard output, with standard error when merged; empty when handed to a
     *                   {@link LineHandler}.
     * @param stderr     its standard error; empty when merged.
     * @param timedOut   whether the deadline passed first, so that the process tree was destroyed and the output
     *                   may be cut short.
     */
    public record Result(List<String> command, int exitStatus, String stdout, String stderr, boolean timedOut)
    {
        public Result
        {
            command = List.copyOf(command);
        }

        /**
         * @return true if it exited 0 in time.
         */
        public boolean ok()
        {
            return !timedOut && 0 == exitStatus;
        }
    }

    /**
     * How to run a command. Not thread safe; each {@link #start()} makes a new process.
     */
    public static final class Builder
    {
        private final List<String> command;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path directory;
        private boolean nullStdin;
        private boolean mergeStderr;
        private LineHandler lineHandler;
        private String name;
        private long destroyGraceNs = DESTROY_GRACE_NS_DEFAULT;

        private Builder(final List<String> command)
        {
            if (command.isEmpty())
            {
                throw new IllegalArgumentException("a command needs a program");
            }
            this.command = List.copyOf(command);
            this.name = Path.of(command.getFirst()).getFileName().toString();
        }

        /**
         * Set or remove one variable of the environment, which is otherwise the JVM's.
         *
         * @param variable the variable's name.
         * @param value    its value, or null to remove it.
         * @return this builder.
         */
        public Builder environment(final String variable, final String value)
        {
            environment.put(variable, value);
            return this;
        }

        /**
         * @param directory the working directory; the JVM's by default.
         * @return this builder.
         */
        public Builder directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        /**
         * Give the child {@code /dev/null} for input, so that reading it ends at once rather than waiting on a pipe
         * nothing writes.
         *
         * @return this builder.
         */
        public Builder nullStdin()
        {
            this.nullStdin = true;
            return this;
        }

        /**
         * Merge standard error into standard output, in the order written.
         *
         * @return this builder.
         */
        public Builder mergeStderr()
        {
            this.mergeStderr = true;
            return this;
        }

        /**
         * Hand standard output to a handler line by line instead of keeping it.
         *
         * @param handler takes each line, then the end.
         * @return this builder.
         */
        public Builder lines(final LineHandler handler)
        {
            this.lineHandler = handler;
            return this;
        }

        /**
         * @param name what the reader threads are named after, with the pid: {@code NAME-PID-stdout}. The
         *             program's file name by default.
         * @return this builder.
         */
        public Builder name(final String name)
        {
            this.name = name;
            return this;
        }

        /**
         * @param graceNs between SIGTERM and SIGKILL when {@link Builder#run(long)} times out or the process is
         *                closed; 0 for SIGKILL at once.
         * @return this builder.
         */
        public Builder destroyGraceNs(final long graceNs)
        {
            this.destroyGraceNs = graceNs;
            return this;
        }

        /**
         * Start the process and its reader threads.
         *
         * @return the running process; close it, or wait for it.
         * @throws IOException when it cannot start, naming the program and why: {@code cannot run ethtool: ...
         *                     (No such file or directory)}.
         */
        public ChildProcess start() throws IOException
        {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(mergeStderr);
            if (null != directory)
            {
                builder.directory(directory.toFile());
            }
            if (nullStdin)
            {
                builder.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
            }
            for (final Map.Entry<String, String> variable : environment.entrySet())
            {
                if (null == variable.getValue())
                {
                    builder.environment().remove(variable.getKey());
                }
                else
                {
                    builder.environment().put(variable.getKey(), variable.getValue());
                }
            }

            final Process process;
            try
            {
                process = builder.start();
            }
            catch (final IOException ex)
            {
                // the JDK's message wraps the reason, worded by how it launched, in "Cannot run program ..."
                final String reason = null != ex.getCause() ? ex.getCause().getMessage() : ex.getMessage();
                throw new IOException("cannot run " + command.getFirst() +
                    (null == directory ? "" : " in " + directory) + ": " + reason.strip(), ex);
            }

            return new ChildProcess(this, process);
        }

        /**
         * Start the process and wait for it to exit and its output to end. At the deadline, or when interrupted,
         * the process tree is destroyed with the grace period of {@link #destroyGraceNs(long)}.
         *
         * @param timeoutNs how long it may take, or {@link #NO_TIMEOUT}.
         * @return its exit status and output.
         * @throws IOException          when it cannot start.
         * @throws InterruptedException when interrupted, after destroying the process tree.
         */
        public Result run(final long timeoutNs) throws IOException, InterruptedException
        {
            final long deadlineNs = deadline(timeoutNs);
            final ChildProcess child = start();
            try
            {
                final boolean finished = child.waitFor(remaining(deadlineNs, timeoutNs)) &&
                    child.awaitOutput(remaining(deadlineNs, timeoutNs));
                if (!finished)
                {
                    child.destroyTree(destroyGraceNs);
                    // the tree is gone, so the pipes close; unless an orphan it left behind holds them
                    child.awaitOutput(destroyGraceNs);
                }

                return new Result(command, child.exitStatus(), child.stdout(), child.stderr(), !finished);
            }
            catch (final InterruptedException ex)
            {
                child.destroyTree(destroyGraceNs);
                throw ex;
            }
        }
    }

    private final List<String> command;
    private final Process process;
    private final long destroyGraceNs;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private ChildProcess(final Builder builder, final Process process)
    {
        this.command = builder.command;
        this.process = process;
        this.destroyGraceNs = builder.destroyGraceNs;

        final String prefix = builder.name + "-" + process.pid() + "-";
        final LineHandler lines = builder.lineHandler;
        final InputStream out = process.getInputStream();
        stdoutReader = Thread.ofPlatform().daemon().name(prefix + "stdout")
            .start(null == lines ? () -> capture(out, stdout) : () -> readLines(out, lines));
        if (builder.mergeStderr)
        {
            stderrReader = null;
        }
        else
        {
            final InputStream err = process.getErrorStream();
            stderrReader = Thread.ofPlatform().daemon().name(prefix + "stderr").start(() -> capture(err, stderr));
        }
    }

    /**
     * Start a builder.
     *
     * @param command the program and its arguments.
     * @return a builder for it.
     */
    public static Builder builder(final List<String> command)
    {
        return new Builder(command);
    }

    /**
     * Start a builder.
     *
     * @param command the program and its arguments.
     * @return a builder for it.
     */
    public static Builder builder(final String... command)
    {
        return new Builder(List.of(command));
    }

    /**
     * @return the process id.
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * @return true while the process runs.
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Wait for the process to exit.
     *
     * @param timeoutNs how long to wait, or {@link #NO_TIMEOUT}.
     * @return whether it exited.
     * @throws InterruptedException when interrupted.
     */
    public boolean waitFor(final long timeoutNs) throws InterruptedException
    {
        if (NO_TIMEOUT == timeoutNs)
        {
            process.waitFor();
            return true;
        }

        return process.waitFor(timeoutNs, TimeUnit.NANOSECONDS);
    }

    /**
     * @return the exit status; 128 plus the signal's number when a signal ended it.
     * @throws IllegalStateException while the process runs.
     */
    public int exitStatus()
    {
        try
        {
            return process.exitValue();
        }
        catch (final IllegalThreadStateException ex)
        {
            throw new IllegalStateException(String.join(" ", command) + ": still running (pid " + pid() + ")", ex);
        }
    }

    /**
     * Wait for the output to end: the process and every descendant holding its pipes have exited.
     *
     * @param timeoutNs how long to wait, or {@link #NO_TIMEOUT}.
     * @return whether it ended, the last line handed over.
     * @throws InterruptedException when interrupted.
     */
    public boolean awaitOutput(final long timeoutNs) throws InterruptedException
    {
        final long deadlineNs = deadline(timeoutNs);
        join(stdoutReader, remaining(deadlineNs, timeoutNs));
        if (null != stderrReader)
        {
            join(stderrReader, remaining(deadlineNs, timeoutNs));
        }

        return !stdoutReader.isAlive() && (null == stderrReader || !stderrReader.isAlive());
    }

    /**
     * @return standard output so far, with standard error when merged; empty when handed to a {@link LineHandler}.
     */
    public String stdout()
    {
        return text(stdout);
    }

    /**
     * @return standard error so far; empty when merged.
     */
    public String stderr()
    {
        return text(stderr);
    }

    /**
     * Destroy the process and its descendants, the process first: SIGTERM, then SIGKILL to whatever is left after
     * the grace period; then wait until the process has exited. An interrupt cuts the grace period short and is
     * kept for the caller.
     *
     * @param graceNs between SIGTERM and SIGKILL; 0 or less for SIGKILL at once.
     * @return whether the process was still running.
     */
    public boolean destroyTree(final long graceNs)
    {
        return ProcessTree.destroy(process, graceNs);
    }

    /**
     * Destroy the process tree, if it still runs, with the builder's grace period.
     */
    @Override
    public void close()
    {
        destroyTree(destroyGraceNs);
    }

    private static void capture(final InputStream in, final ByteArrayOutputStream sink)
    {
        final byte[] buffer = new byte[8192];
        try (in)
        {
            int read;
            while ((read = in.read(buffer)) >= 0)
            {
                synchronized (sink)
                {
                    sink.write(buffer, 0, read);
                }
            }
        }
        catch (final IOException ex)
        {
            // the process ended while its pipe was being read: what arrived is kept
        }
    }

    private static void readLines(final InputStream in, final LineHandler handler)
    {
        IOException failure = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                handler.onLine(line);
            }
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        finally
        {
            handler.onEnd(failure);
        }
    }

    private static String text(final ByteArrayOutputStream sink)
    {
        synchronized (sink)
        {
            return sink.toString(StandardCharsets.UTF_8);
        }
    }

    private static void join(final Thread thread, final long timeoutNs) throws InterruptedException
    {
        if (NO_TIMEOUT == timeoutNs)
        {
            thread.join();
        }
        else if (timeoutNs > 0)
        {
            thread.join(TimeUnit.NANOSECONDS.toMillis(timeoutNs) + 1);
        }
    }

    private static long deadline(final long timeoutNs)
    {
        return NO_TIMEOUT == timeoutNs ? 0 : System.nanoTime() + timeoutNs;
    }

    private static long remaining(final long deadlineNs, final long timeoutNs)
    {
        return NO_TIMEOUT == timeoutNs ? NO_TIMEOUT : Math.max(0, deadlineNs - System.nanoTime());
    }
}
