package io.sluice.perf;

import io.sluice.xsk.util.ChildProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./sluice ...} run as a user runs it, usually under {@code ip netns exec}, with its output collected line by
 * line (stdout and stderr merged), each with the time it arrived, for a benchmark or a test to wait on and read.
 * Killed on close if still running, with any process it started.
 */
public final class SluiceProcess implements AutoCloseable
{
    /**
     * An output line and when it arrived ({@code System.nanoTime()}).
     */
    public record Line(long arrivalNs, String text)
    {
    }

    private final List<Line> lines = new ArrayList<>();
    private final ChildProcess process;

    private SluiceProcess(final List<String> command) throws IOException
    {
        // close is SIGKILL at once: a test that wants Sluice's shutdown hooks to run signals it first, signal("INT")
        process = ChildProcess.builder(command).name("sluice").mergeStderr().destroyGraceNs(0)
            .lines((line) ->
            {
                final long nowNs = System.nanoTime();
                synchronized (lines)
                {
                    lines.add(new Line(nowNs, line));
                    lines.notifyAll();
                }
            })
            .start();
    }

    /**
     * @param namespace network namespace to run in, or null for this one.
     * @param args      arguments to {@code ./sluice}.
     * @return the running process.
     */
    public static SluiceProcess start(final String namespace, final String... args) throws IOException
    {
        return startOn(namespace, -1, args);
    }

    /**
     * @param namespace network namespace to run in, or null for this one.
     * @param cpu       the CPU the process starts on ({@code taskset}), or -1 for any: threads it makes inherit
     *                  it, and a datapath thread that pins itself elsewhere leaves it.
     * @param args      arguments to {@code ./sluice}.
     * @return the running process.
     */
    public static SluiceProcess startOn(final String namespace, final int cpu, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        if (null != namespace)
        {
            command.addAll(List.of("ip", "netns", "exec", namespace));
        }
        if (cpu >= 0)
        {
            command.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
        }
        command.add(sluiceHome().resolve("sluice").toString());
        command.addAll(List.of(args));

        return new SluiceProcess(command);
    }

    /**
     * @param label an accounting table row's label as {@code run} prints it, indent included.
     * @return the row's value.
     * @throws IllegalStateException with the output if there is no such row.
     */
    public long row(final String label)
    {
        final String line = lines().stream().filter((l) -> l.startsWith(label + " ")).findFirst()
            .orElseThrow(() -> new IllegalStateException("no '" + label + "' row:\n" + output()));

        return Long.parseLong(line.substring(label.length()).strip().replace(",", ""));
    }

    /**
     * @param command a command line of its own, for a run {@code ./sluice} cannot make (another user, other
     *                capabilities).
     * @return the running process.
     */
    public static SluiceProcess startCommand(final List<String> command) throws IOException
    {
        return new SluiceProcess(command);
    }

    /**
     * @param prefix  start of the line wanted.
     * @param seconds how long to wait.
     * @return true if such a line arrived in time.
     */
    public boolean await(final String prefix, final int seconds) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + seconds * 1_000_000_000L;
        synchronized (lines)
        {
            while (lines.stream().noneMatch((l) -> l.text().startsWith(prefix)))
            {
                final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0)
                {
                    return false;
                }
                lines.wait(leftMs);
            }
            return true;
        }
    }

    /**
     * Send a signal, by PID.
     *
     * @param signal e.g. {@code INT}.
     */
    public void signal(final String signal)
    {
        TestHosts.run("kill", "-" + signal, Long.toString(process.pid()));
    }

    /**
     * Wait for the exit and the last line.
     *
     * @param seconds how long to wait.
     * @return the exit status.
     * @throws IllegalStateException with the output if it did not exit in time.
     */
    public int waitFor(final int seconds) throws InterruptedException
    {
        if (!process.waitFor(TimeUnit.SECONDS.toNanos(seconds)))
        {
            throw new IllegalStateException("./sluice did not exit within " + seconds + " s:\n" + output());
        }
        process.awaitOutput(TimeUnit.SECONDS.toNanos(5));

        return process.exitStatus();
    }

    /**
     * @return the process id; {@code ./sluice} execs the JVM, so this is the JVM's.
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * @return the lines so far.
     */
    public List<String> lines()
    {
        synchronized (lines)
        {
            return lines.stream().map(Line::text).toList();
        }
    }

    /**
     * @return the lines so far, with their arrival times.
     */
    public List<Line> timedLines()
    {
        synchronized (lines)
        {
            return new ArrayList<>(lines);
        }
    }

    /**
     * @return true while the process runs.
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * @param prefix start of the line wanted.
     * @return the first line so far starting with it, or "".
     */
    public String line(final String prefix)
    {
        return lines().stream().filter((l) -> l.startsWith(prefix)).findFirst().orElse("");
    }

    /**
     * @return the output so far, for failure messages.
     */
    public String output()
    {
        return String.join("\n", lines());
    }

    @Override
    public void close()
    {
        process.close();
    }

    public static Path sluiceHome()
    {
        final String home = System.getenv("SLUICE_HOME");
        if (null != home)
        {
            return Path.of(home);
        }
        final Path parent = Path.of("").toAbsolutePath().getParent();
        if (Files.exists(parent.resolve("sluice")))
        {
            return parent;
        }

        return Path.of("").toAbsolutePath();
    }
}
