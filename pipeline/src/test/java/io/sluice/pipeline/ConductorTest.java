package io.sluice.pipeline;

import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.xdp.SteeringProgram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control plane on one thread: a processor on veth runs its sampler, watchdog, blocker, control socket and
 * metrics snapshots as the conductor's duties, on {@value Conductor#ROLE_NAME} and no other thread of its own; a
 * client that never sends does not hold up the next; the endpoint serves through the stop. Idle, it waits until a
 * duty is due, and wakes at once for a command, a scrape, a blocker command from another thread and a hangup.
 */
class ConductorTest
{
    private static final String DUT_IF = "cnd0";
    private static final String PEER_IF = "cnp0";
    private static final String RULES = """
        steer:
          - {name: in, proto: udp, dst_port: 7000, action: steer}
        filter:
          - name: back
            proto: udp
            dst_port: 7000
            action: reflect
            block_if: {pps: 1000000, window_ms: 1000}
        """;

    private static final String IDLE_RULES = """
        steer:
          - {name: in, proto: udp, dst_port: 7000, action: steer}
        filter:
          - {name: %s, proto: udp, dst_port: 7000, action: reflect}
        """;

    private final Resources resources = new Resources();

    @TempDir
    Path dir;
    private final String instance = "conductor-test-" + ProcessHandle.current().pid();

    @AfterEach
    void tearDown() throws Exception
    {
        try
        {
            resources.close();
        }
        finally
        {
            // the counters file stays after a stop, for ./sluice stats; a test's goes with it
            CountersFile.remove(instance);
        }
    }

    @Test
    void shouldRunEveryControlDutyOnTheConductorsOneThread() throws Exception
    {
        Privileged.require("a processor on veth, for its conductor");
        final NetNs peer = resources.keep(NetNs.create("cndp"));
        final NetNs dut = resources.keep(NetNs.create("cndd"));
        NetNs.veth(peer, PEER_IF, "10.231.0.1/24", dut, DUT_IF, "10.231.0.2/24");
        final int metricsPort = 20_000 + (int)(ProcessHandle.current().pid() % 20_000);

        final Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        final PacketProcessor processor = resources.keep(dut.call(() -> PacketProcessor.launch(new SluiceContext()
            .iface(DUT_IF)
            .rules(RulesFile.parse("conductor rules", RULES))
            .instance(instance)
            .metricsPort(metricsPort)
            .log((line) -> { }))));

        final List<String> started = new ArrayList<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (!before.contains(thread) && thread.getName().contains("sluice-"))
            {
                started.add(thread.getName());
            }
        }
        // shared mode: the data plane's one thread (a composite of rx, handler, tx, detector), and the conductor
        assertEquals(2, started.size(), started.toString());
        assertTrue(started.contains(processor.pipeline().threads()[0].getName()), started.toString());
        assertTrue(started.contains(Conductor.ROLE_NAME), started.toString());
        assertEquals(processor.conductor().thread().getName(), Conductor.ROLE_NAME);
        for (final String gone : List.of("sluice-stats", "sluice-blocks", "sluice-control", "sluice-metrics"))
        {
            assertTrue(!started.contains(gone), gone + " in " + started);
        }

        // the watchdog, a conductor duty, sees the program go
        assertEquals(SteeringProgram.Presence.ATTACHED, processor.health().presence());

        // a client that connects and sends nothing holds up neither the conductor nor the next client
        final Path socket = CountersFile.fileOf(instance).resolveSibling(ControlSocket.SOCKET_NAME);
        try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            silent.connect(UnixDomainSocketAddress.of(socket));
            final long startNs = System.nanoTime();
            assertEquals("ok\nblocked 10.232.0.0/24 for 60 s\n", ControlSocket.request(socket, "add 10.232.0.0/24 60"));
            assertTrue(ControlSocket.request(socket, "list").startsWith("ok\n1 blocks (cap "));
            assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(2));
        }
        assertEquals(1, processor.blocker().blocks().size());
        assertEquals("ok\nunblocked 10.232.0.0/24: it dropped 0 packets in XDP\n",
            processor.blocker().submit("remove 10.232.0.0/24").get(2, TimeUnit.SECONDS));

        // a scrape, whose snapshot the conductor takes
        final String running = dut.call(() -> get(metricsPort, "/metrics"));
        assertTrue(running.startsWith("HTTP/1.1 200"), running);
        assertTrue(running.contains("\nsluice_blocks_removed_total{iface=\"" + DUT_IF + "\"} 1\n"), running);
        assertTrue(dut.call(() -> get(metricsPort, "/nosuch")).startsWith("HTTP/1.1 404"));

        final Accounting accounting = processor.stop();
        assertTrue(accounting.balanced(), String.join("\n", accounting.lines()));
        // the conductor has ended; the control socket with it, and the endpoint serves the final counts
        assertTrue(!processor.conductor().thread().isAlive());
        assertTrue(!socket.toFile().exists(), socket + " is left");
        final String stopped = dut.call(() -> get(metricsPort, "/metrics"));
        assertTrue(stopped.startsWith("HTTP/1.1 200"), stopped);
        assertTrue(stopped.contains("\nsluice_blocks_removed_total{iface=\"" + DUT_IF + "\"} 1\n"), stopped);
        processor.close();
        assertNull(findThread(Conductor.ROLE_NAME));
    }

    @Test
    void shouldWaitIdleUntilADutyIsDueAndWakeAtOnceForEachRequest() throws Exception
    {
        Privileged.require("a processor on veth, for its conductor");
        final NetNs peer = resources.keep(NetNs.create("cnip"));
        final NetNs dut = resources.keep(NetNs.create("cnid"));
        NetNs.veth(peer, PEER_IF, "10.231.1.1/24", dut, DUT_IF, "10.231.1.2/24");
        final int metricsPort = 20_000 + (int)((ProcessHandle.current().pid() + 1) % 20_000);
        final Path rulesFile = dir.resolve("rules.yaml");
        Files.writeString(rulesFile, IDLE_RULES.formatted("first"));
        final PacketProcessor processor = resources.keep(dut.call(() -> PacketProcessor.launch(new SluiceContext()
            .iface(DUT_IF)
            .rules(RulesFile.load(rulesFile))
            .instance(instance)
            .metricsPort(metricsPort)
            .log((line) -> { }))));
        final Path socket = CountersFile.fileOf(instance).resolveSibling(ControlSocket.SOCKET_NAME);

        // no detector, nothing blocked, nobody connected: the sampler's once a second is all that is due, where a
        // fixed 10 ms sleep went to sleep 200 times in 2 s (preemptions, which depend on the host, are not counted)
        final String tid = conductorTid();
        Thread.sleep(300);
        final long sleepsBefore = voluntarySwitches(tid);
        Thread.sleep(2_000);
        final long sleeps = voluntarySwitches(tid) - sleepsBefore;
        assertTrue(sleeps <= 10, "the idle conductor went to sleep " + sleeps + " times in 2 s");

        // each request wakes it: waiting out the idle instead, 40 of them would take about 20 s
        final long startNs = System.nanoTime();
        for (int i = 0; i < 10; i++)
        {
            assertTrue(ControlSocket.request(socket, "list").startsWith("ok\n0 blocks (cap "));
            assertTrue(dut.call(() -> get(metricsPort, "/metrics")).startsWith("HTTP/1.1 200"));
            assertTrue(processor.blocker().submit("list").get(2, TimeUnit.SECONDS).startsWith("ok\n0 blocks"));
            final String name = 0 == (i & 1) ? "second" : "first";
            Files.writeString(rulesFile, IDLE_RULES.formatted(name));
            processor.reloadRules();
            while (!name.equals(processor.rules().filter().rule(0).name()))
            {
                assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(10), "reload to " + name);
                Thread.sleep(1);
            }
        }
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(elapsedMs < 5_000, "10 each of commands, scrapes, blocker commands and reloads took " +
            elapsedMs + " ms");

        final Accounting accounting = processor.stop();
        assertTrue(accounting.balanced(), String.join("\n", accounting.lines()));
        assertTrue(!processor.conductor().thread().isAlive());
    }

    /**
     * @return the conductor thread's kernel task id, found by its name.
     */
    private static String conductorTid() throws IOException
    {
        try (var tasks = Files.list(Path.of("/proc/self/task")))
        {
            for (final Path task : (Iterable<Path>)tasks::iterator)
            {
                // the kernel keeps 15 characters of a thread's name
                if (Conductor.ROLE_NAME.startsWith(Files.readString(task.resolve("comm")).strip()))
                {
                    return task.getFileName().toString();
                }
            }
        }
        throw new IllegalStateException("no " + Conductor.ROLE_NAME + " thread in /proc/self/task");
    }

    /**
     * @return the times the thread has gone to sleep (its voluntary context switches) so far.
     */
    private static long voluntarySwitches(final String tid) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/task", tid, "status")))
        {
            if (line.startsWith("voluntary_ctxt_switches:"))
            {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }

        throw new IllegalStateException("no voluntary_ctxt_switches for task " + tid);
    }

    private static Thread findThread(final String name)
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (name.equals(thread.getName()) && thread.isAlive())
            {
                return thread;
            }
        }

        return null;
    }

    /**
     * A scrape on a socket this thread opens, so it is in the thread's network namespace.
     */
    private static String get(final int port, final String path) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(5_000);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
