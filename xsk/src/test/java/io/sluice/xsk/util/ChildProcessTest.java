package io.sluice.xsk.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real children of {@code /bin/sh}: what they print and how they end, and that a deadline or a close leaves none of
 * their processes behind.
 */
class ChildProcessTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldReturnTheExitStatus() throws Exception
    {
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c", "exit 3").run(TIMEOUT_NS);

        assertEquals(3, result.exitStatus());
        assertFalse(result.timedOut());
        assertFalse(result.ok());
        assertTrue(ChildProcess.builder("/bin/sh", "-c", "true").run(TIMEOUT_NS).ok());
        assertEquals(List.of("/bin/sh", "-c", "exit 3"), result.command());
    }

    @Test
    void shouldKeepStandardOutputAndStandardErrorApart() throws Exception
    {
        final ChildProcess.Result result =
            ChildProcess.builder("/bin/sh", "-c", "echo out; echo err >&2; echo more").run(TIMEOUT_NS);

        assertEquals("out\nmore\n", result.stdout());
        assertEquals("err\n", result.stderr());
    }

    @Test
    void shouldMergeStandardErrorIntoStandardOutputInTheOrderWritten() throws Exception
    {
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c", "echo one; echo two >&2; echo three")
            .mergeStderr().run(TIMEOUT_NS);

        assertEquals("one\ntwo\nthree\n", result.stdout());
        assertEquals("", result.stderr());
    }

    @Test
    void shouldKeepAllOfAnOutputLargerThanAPipeHolds() throws Exception
    {
        // 1 MiB on each stream: a pipe holds 64 KiB, so a child nobody drains would block on its first write
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c",
            "head -c 1048576 /dev/zero | tr '\\0' o; head -c 1048576 /dev/zero | tr '\\0' e >&2").run(TIMEOUT_NS);

        assertTrue(result.ok(), result.stderr());
        assertEquals("o".repeat(1 << 20), result.stdout());
        assertEquals("e".repeat(1 << 20), result.stderr());
    }

    @Test
    void shouldHandLinesOverInOrderThenTheEnd() throws Exception
    {
        final List<String> lines = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final ChildProcess.LineHandler handler = new ChildProcess.LineHandler()
        {
            @Override
            public void onLine(final String line)
            {
                lines.add(line);
            }

            @Override
            public void onEnd(final IOException failure)
            {
                events.add("end after " + lines.size() + (null == failure ? "" : ": " + failure));
            }
        };

        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c",
            "i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i + 1)); done; echo oops >&2")
            .mergeStderr().lines(handler).run(TIMEOUT_NS);

        assertTrue(result.ok());
        assertEquals("", result.stdout(), "lines go to the handler, not to the result");
        assertEquals(20_001, lines.size());
        for (int i = 0; i < 20_000; i++)
        {
            assertEquals("line " + i, lines.get(i));
        }
        assertEquals("oops", lines.getLast());
        assertEquals(List.of("end after 20001"), events);
    }

    @Test
    void shouldGiveLinesToTheHandlerWhileTheChildRuns() throws Exception
    {
        final CountDownLatch first = new CountDownLatch(1);
        try (ChildProcess child = ChildProcess.builder("/bin/sh", "-c", "echo ready; exec sleep 60")
            .lines((line) -> first.countDown()).destroyGraceNs(0).start())
        {
            assertTrue(first.await(30, TimeUnit.SECONDS), "the line arrived before the child ended");
            assertTrue(child.isAlive());
            assertThrows(IllegalStateException.class, child::exitStatus);
        }
    }

    @Test
    void shouldKillTheChildAndItsGrandchildAtTheDeadline() throws Exception
    {
        final long startNs = System.nanoTime();
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c", "echo $$; sleep 60 & echo $!; wait")
            .run(TimeUnit.MILLISECONDS.toNanos(500));
        final long tookNs = System.nanoTime() - startNs;

        assertTrue(result.timedOut());
        assertFalse(result.ok());
        assertEquals(128 + 15, result.exitStatus(), "ended by SIGTERM");
        assertTrue(tookNs < TimeUnit.SECONDS.toNanos(30), "did not wait for sleep 60");
        final List<Long> pids = pids(result.stdout());
        assertEquals(2, pids.size(), result.stdout());
        assertGone(pids.get(0), "the child");
        assertGone(pids.get(1), "the grandchild");
    }

    @Test
    void shouldSigkillATreeThatIgnoresSigterm() throws Exception
    {
        // an ignored signal stays ignored across fork and exec, so the grandchild ignores it too
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c",
            "trap '' TERM; echo $$; sleep 60 & echo $!; wait").destroyGraceNs(TimeUnit.MILLISECONDS.toNanos(200))
            .run(TimeUnit.MILLISECONDS.toNanos(500));

        assertTrue(result.timedOut());
        assertEquals(128 + 9, result.exitStatus(), "ended by SIGKILL");
        final List<Long> pids = pids(result.stdout());
        assertEquals(2, pids.size(), result.stdout());
        assertGone(pids.get(0), "the child");
        assertGone(pids.get(1), "the grandchild");
    }

    @Test
    void shouldDestroyTheTreeOnClose() throws Exception
    {
        final List<Long> pids = new ArrayList<>();
        final CountDownLatch started = new CountDownLatch(2);
        final ChildProcess child = ChildProcess.builder("/bin/sh", "-c", "echo $$; sleep 60 & echo $!; wait")
            .lines((line) ->
            {
                synchronized (pids)
                {
                    pids.add(Long.parseLong(line.strip()));
                }
                started.countDown();
            })
            .start();
        assertTrue(started.await(30, TimeUnit.SECONDS));
        assertEquals(child.pid(), pids.get(0));
        assertTrue(ProcessHandle.of(pids.get(1)).map(ProcessHandle::isAlive).orElse(false), "grandchild runs");

        child.close();

        assertFalse(child.isAlive());
        assertEquals(128 + 15, child.exitStatus());
        assertGone(pids.get(0), "the child");
        assertGone(pids.get(1), "the grandchild");
        assertTrue(child.awaitOutput(TIMEOUT_NS), "the pipe closed with the tree");
        assertFalse(child.destroyTree(0), "nothing left to destroy");
    }

    @Test
    void shouldNameAMissingProgram()
    {
        final IOException byPath = assertThrows(IOException.class,
            () -> ChildProcess.builder("/nonexistent/sluice-no-such-tool", "--flag").start());
        final IOException byName = assertThrows(IOException.class,
            () -> ChildProcess.builder("sluice-no-such-tool", "--flag").run(TIMEOUT_NS));

        // the reason is the JDK's, worded by how it launched: "error=2, No such file or directory" or "Exec failed,
        // error: 2 (No such file or directory)"
        assertTrue(byPath.getMessage().startsWith("cannot run /nonexistent/sluice-no-such-tool: "),
            byPath.getMessage());
        assertTrue(byPath.getMessage().contains("No such file or directory"), byPath.getMessage());
        assertTrue(byName.getMessage().startsWith("cannot run sluice-no-such-tool: "), byName.getMessage());
        assertTrue(byName.getMessage().contains("No such file or directory"), byName.getMessage());
    }

    @Test
    void shouldRunInTheDirectoryAndEnvironmentGiven(@TempDir final Path directory) throws Exception
    {
        final ChildProcess.Result result = ChildProcess.builder("/bin/sh", "-c",
            "echo \"$SLUICE_CHILD_TEST\"; pwd; echo \"${HOME-unset}\"")
            .directory(directory).environment("SLUICE_CHILD_TEST", "a value").environment("HOME", null)
            .run(TIMEOUT_NS);

        assertEquals("a value\n" + directory.toRealPath() + "\nunset\n", result.stdout());
        assertNull(System.getenv("SLUICE_CHILD_TEST"), "the JVM's own environment is left alone");
    }

    @Test
    void shouldEndAChildReadingInputAtOnceWhenItIsDevNull() throws Exception
    {
        final ChildProcess.Result fromNull = ChildProcess.builder("cat").nullStdin().run(TIMEOUT_NS);
        final ChildProcess.Result fromPipe = ChildProcess.builder("cat").destroyGraceNs(0)
            .run(TimeUnit.MILLISECONDS.toNanos(300));

        assertTrue(fromNull.ok());
        assertEquals("", fromNull.stdout());
        assertTrue(fromPipe.timedOut(), "nothing writes the pipe, so cat waits on it");
        assertEquals(128 + 9, fromPipe.exitStatus());
    }

    private static List<Long> pids(final String output)
    {
        return output.lines().map(String::strip).map(Long::parseLong).toList();
    }

    /**
     * Gone: no such process, or a zombie waiting for whoever inherited it to reap it, which is dead all the same.
     */
    private static void assertGone(final long pid, final String what) throws IOException
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            final char state = stat.charAt(stat.lastIndexOf(')') + 2);
            assertTrue('Z' == state || 'X' == state, what + " (pid " + pid + ") still runs: " + stat);
        }
        catch (final NoSuchFileException ex)
        {
            // reaped
        }
    }
}
