package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.ControlSocket;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.NetNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live reloads of a running {@code ./sluice run} on veth, under the generator's traffic at a fixed rate.
 * <p>
 * The two rule sets tell apart, frame by frame, which set judged a frame at each level. The generator alternates
 * two sources, A for even sequence numbers and B for odd. Set A steers A's frames and its filter reflects them
 * (back to the generator's end, where a socket reads their sequence numbers); B's frames go to the kernel (where a
 * socket on the device's end reads theirs). Set B is the same with A and B swapped. A frame steered by one set and
 * filtered by the other matches no filter rule and is dropped by the default: it would be missing from both sockets
 * and counted in the default's hits.
 */
class RulesReloadTest
{
    private static final String GEN_A = "10.229.0.1";
    private static final String GEN_B = "10.229.0.2";
    private static final String DUT_ADDR = "10.229.0.9";
    private static final int PORT = 9;
    private static final int SRC_PORT = 4000;
    private static final int KEPT_PORT = 7;
    private static final int RATE_PPS = 10_000;
    private static final Pattern GENERATION = Pattern.compile("as generation (\\d+)");

    @TempDir
    Path dir;

    static String rules(final String steered, final String name)
    {
        return """
            steer:
              - {name: kept, proto: udp, dst_port: %d}
              - {name: steer-%s, proto: udp, src: %s/32, dst_port: %d}
            filter:
              - {name: kept-7, proto: udp, dst_port: %d, action: count}
              - {name: reflect-%s, proto: udp, src: %s/32, dst_port: %d, action: reflect, swap: [ip, ports]}
            default: drop
            """.formatted(KEPT_PORT, name, steered, PORT, KEPT_PORT, name, steered, PORT);
    }

    @Test
    void shouldJudgeEveryFrameByTheOldRulesOrTheNewAcrossAHundredReloadsWithNothingUnaccounted() throws Exception
    {
        Privileged.require("./sluice run reloaded on veth under traffic");
        final String instance = "rld-" + ProcessHandle.current().pid();
        final Path rulesA = write("a.yaml", rules(GEN_A, "a"));
        final Path rulesB = write("b.yaml", rules(GEN_B, "b"));
        final Path running = write("rules.yaml", Files.readString(rulesA));
        final ExecutorService executor = Executors.newCachedThreadPool();
        try (TestHosts hosts = hosts("rld");
            SeqSink reflected = SeqSink.open(hosts.genNs(), SRC_PORT);
            SeqSink kernel = SeqSink.open(hosts.dutNs(), PORT);
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                running.toString(), "--instance", instance, "--quiet"))
        {
            assertTrue(run.await("sluice: blocks: ", 120), run::output);
            final Path socket = CountersFile.fileOf(instance).resolveSibling(ControlSocket.SOCKET_NAME);
            assertEquals(1_000, Traffic.send(hosts, GEN_A, DUT_ADDR, KEPT_PORT, 1_000, RATE_PPS));

            // 100 reloads under traffic, alternating the two sets, each through the control socket as the CLI sends it
            final long frames = 60_000;
            final Future<Long> sent = executor.submit(() -> hosts.send(
                hosts.udpToDut(GEN_A, DUT_ADDR, SRC_PORT, PORT, 22), 2, frames, RATE_PPS));
            Thread.sleep(200);
            final List<Long> generations = new ArrayList<>();
            final long startNs = System.nanoTime();
            for (int i = 0; i < 100; i++)
            {
                final Path file = 0 == i % 2 ? rulesB : rulesA;
                final String reply = ControlSocket.request(socket, "rules reload " + file);
                assertTrue(reply.startsWith("ok\nreloaded " + file + " as generation "), reply);
                generations.add(generation(reply));
            }
            final long reloadsNs = System.nanoTime() - startNs;
            assertFalse(sent.isDone(), "the traffic went on through every reload (" + reloadsNs / 1e6 + " ms)");
            assertEquals(frames, sent.get(60, TimeUnit.SECONDS));
            for (int i = 1; i < generations.size(); i++)
            {
                assertEquals(generations.get(i - 1) + 1, generations.get(i), generations::toString);
            }

            // every frame once, at one socket or the other, as one set or the other judged it at both levels
            AdaptiveBlockingTest.await(() -> reflected.count() + kernel.count() >= frames, 10_000);
            Thread.sleep(200);
            assertEquals(0, reflected.duplicates() + kernel.duplicates());
            assertEquals(frames, reflected.count() + kernel.count(), () -> "reflected " + reflected.count() +
                ", to the kernel " + kernel.count() + ", " + TestHosts.run("ip", "netns", "exec", hosts.genNs(),
                "cat", "/proc/net/snmp") + TestHosts.run("ip", "-n", hosts.genNs(), "-s", "link") +
                TestHosts.run("ip", "netns", "exec", hosts.genNs(), "nstat", "-az"));
            final BitSet both = (BitSet)reflected.seen().clone();
            both.and(kernel.seen());
            assertEquals(0, both.cardinality(), "no frame both reflected and passed");
            // by sequence number the set that judged each frame changes only at a reload: at most one run per set
            // in force, and the traffic saw many of them
            final BitSet wereReflected = reflected.seen();
            int runs = 0;
            char last = 0;
            for (int seq = 0; seq < frames; seq++)
            {
                final boolean even = 0 == seq % 2;
                final char set = wereReflected.get(seq) == even ? 'A' : 'B';
                runs += set != last ? 1 : 0;
                last = set;
            }
            System.out.println("RulesReloadTest: 100 reloads in " + reloadsNs / 1_000_000 + " ms under " + RATE_PPS +
                " pps; " + reflected.count() + " frames reflected, " + kernel.count() + " passed to the kernel, in " +
                runs + " runs of one set by sequence number");
            assertTrue(runs <= 101, runs + " runs of frames judged by one set, for 100 reloads");
            assertTrue(runs >= 20, runs + " runs: the reloads came during the traffic");

            final List<String> shown = rules(0, "show", "--instance", instance);
            assertTrue(shown.contains("  - {name: kept, proto: udp, dst_port: 7, action: steer}  # matched 1000"),
                () -> "a steering rule kept by name keeps its counter: " + shown);
            assertTrue(shown.contains("  - {name: kept-7, proto: udp, dst_port: 7, action: count}  # hits 1000"),
                () -> "a filter rule kept by name keeps its counter: " + shown);
            assertTrue(shown.contains("default: drop  # hits 0"), () -> "no frame was judged by a mix: " + shown);
            assertTrue(shown.get(0).endsWith("; reloaded 100 times, rules since removed matched " +
                retiredMatched(shown) + " in XDP and hit " + retiredMatched(shown) + " in the filter"),
                () -> shown.get(0));

            // the series: the removed rules' gone, the running ones' and the retired totals there
            try (CountersView view = CountersView.open(CountersFile.fileOf(instance)))
            {
                final List<String> series = view.series().stream()
                    .filter((one) -> one.metric().name().equals("sluice_rule_hits_total") ||
                        one.metric().name().equals("sluice_xdp_rule_packets_total"))
                    .map((one) -> one.metric().name() + "{" + one.labels().replaceAll("iface=\"[^\"]*\",?", "") +
                        "}")
                    .sorted().toList();
                assertEquals(List.of(
                    "sluice_rule_hits_total{agent=\"handler-0\",rule=\"(default)\"}",
                    "sluice_rule_hits_total{agent=\"handler-0\",rule=\"(retired)\"}",
                    "sluice_rule_hits_total{agent=\"handler-0\",rule=\"kept-7\"}",
                    "sluice_rule_hits_total{agent=\"handler-0\",rule=\"reflect-a\"}",
                    "sluice_xdp_rule_packets_total{rule=\"(retired)\"}",
                    "sluice_xdp_rule_packets_total{rule=\"kept\"}",
                    "sluice_xdp_rule_packets_total{rule=\"steer-a\"}"), series);
            }

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertEquals(frames + 1_000, run.row("offered to XDP"), run::output);
            assertEquals(0, run.row("    dropped by the kernel"), run::output);
            assertEquals(1_000, run.row("      count"), run::output);
            assertEquals(reflected.count(), run.row("      reflect"), run::output);
            assertEquals(0, run.row("      drop"), run::output);
            assertEquals(100, run.lines().stream().filter((line) -> line.startsWith("sluice: rules: reloaded "))
                .count(), run::output);
            assertTrue(run.lines().contains(Accounting.STAMPED_LINE), run::output);
        }
        finally
        {
            executor.shutdownNow();
            CountersFile.remove(instance);
        }
    }

    @Test
    void shouldRefuseABadFileWholeAndSerialiseReloadsFromTwoProcessesAndReloadOnSighup() throws Exception
    {
        Privileged.require("./sluice rules reload on veth");
        final String instance = "rlb-" + ProcessHandle.current().pid();
        final Path rulesA = write("a.yaml", rules(GEN_A, "a"));
        final Path rulesB = write("b.yaml", rules(GEN_B, "b"));
        final Path running = write("rules.yaml", Files.readString(rulesA));
        final String reflect = "action: reflect, swap: [ip, ports]";
        final Path bad = write("bad.yaml", Files.readString(rulesB).replace(reflect, "action: teleport"));
        final Path unknownForward = write("forward.yaml", Files.readString(rulesB).replace(reflect,
            "action: forward, to: nosuch0"));
        try (TestHosts hosts = hosts("rlb");
            // started with SIGHUP ignored, as under nohup: run takes it all the same
            SluiceProcess run = SluiceProcess.startCommand(List.of("ip", "netns", "exec", hosts.dutNs(), "nohup",
                SluiceProcess.sluiceHome().resolve("sluice").toString(), "run", "--iface", hosts.dutIf(), "--rules",
                running.toString(), "--instance", instance, "--quiet")))
        {
            assertTrue(run.await("sluice: blocks: ", 120), run::output);
            final List<String> before = rules(0, "show", "--instance", instance);

            // a bad file: one line naming the file, the line and the problem, to the caller and to the log
            final List<String> refused = rules(1, "reload", "--instance", instance, "--file", bad.toString());
            assertEquals(1, refused.size(), refused::toString);
            assertTrue(refused.get(0).startsWith("sluice rules: reload refused, the running rules unchanged: " + bad +
                ":6: "), refused::toString);
            assertTrue(refused.get(0).contains("teleport"), refused::toString);
            awaitTrue(() -> run.lines().contains("sluice: " + refused.get(0).substring("sluice ".length())), 5_000);
            final List<String> forward =
                rules(1, "reload", "--instance", instance, "--file", unknownForward.toString());
            assertEquals(List.of("sluice rules: reload refused, the running rules unchanged: " + unknownForward +
                ":6: filter rule 'reflect-b': forward to nosuch0: the instance has no socket on it (it opened none " +
                "at the start); a new forward interface needs a restart"), forward);
            assertEquals(before, rules(0, "show", "--instance", instance), "nothing changed");
            assertEquals(300, Traffic.send(hosts, GEN_A, DUT_ADDR, PORT, 300, RATE_PPS));
            awaitShown(instance, "  - {name: reflect-a, proto: udp, src: 10.229.0.1/32, dst_port: 9, " +
                "action: reflect, swap: [ip, ports]}  # hits 300");

            // two processes at once: the conductor takes one, then the other, each a generation of its own
            final CompletableFuture<List<String>> first = CompletableFuture.supplyAsync(() ->
                reload(instance, rulesB));
            final CompletableFuture<List<String>> second = CompletableFuture.supplyAsync(() ->
                reload(instance, rulesA));
            final long one = generation(first.get(120, TimeUnit.SECONDS).get(0));
            final long two = generation(second.get(120, TimeUnit.SECONDS).get(0));
            assertEquals(1, Math.abs(one - two), first.get() + " " + second.get());
            final Path lastFile = one > two ? rulesB : rulesA;
            assertEquals("# " + lastFile + " as instance " + instance + " runs it; counts since it started; " +
                "reloaded 2 times, rules since removed matched", rules(0, "show", "--instance", instance).get(0)
                .replaceAll(" [0-9]+ in XDP.*", ""));

            // SIGHUP reads the file the instance started with again, now set B
            Files.writeString(running, Files.readString(rulesB));
            run.signal("HUP");
            AdaptiveBlockingTest.await(() -> run.lines().stream().anyMatch((line) -> line.startsWith("sluice: " +
                "rules: reloaded " + running + " as generation " + (Math.max(one, two) + 1) + ": steer 2 rules (")),
                10_000);
            assertTrue(run.lines().stream().anyMatch((line) -> line.startsWith("sluice: rules: reloaded " + running +
                " as generation " + (Math.max(one, two) + 1) + ": steer 2 rules (")), run::output);
            final List<String> shown = rules(0, "show", "--instance", instance);
            assertTrue(shown.contains("  - {name: reflect-b, proto: udp, src: 10.229.0.2/32, dst_port: 9, " +
                "action: reflect, swap: [ip, ports]}  # hits 0"), shown::toString);
            assertEquals("# " + running + " as instance " + instance, shown.get(0).substring(0,
                shown.get(0).indexOf(" runs it")));

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertEquals(300, run.row("  (retired) rules a reload removed"), run::output);
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    @Test
    void shouldKeepTheDetectorsBlocksAcrossAReloadAndGiveNewBlocksTheNewBlockingSection() throws Exception
    {
        Privileged.require("./sluice run blocking, reloaded, on veth");
        final String instance = "rlk-" + ProcessHandle.current().pid();
        final String flood = "10.229.0.66";
        final String secondFlood = "10.229.0.67";
        final String rules = """
            steer:
              - {name: to-sluice, proto: udp, dst: %s/32, dst_port: %d}
            filter:
              - {name: legit, src: %s/32, action: count}
              - {name: udp-flood, proto: udp, action: count, block_if: {pps: 10000, window_ms: 100}}
            blocking:
              ttl_s: 60
            """.formatted(DUT_ADDR, PORT, GEN_A);
        final Path running = write("rules.yaml", rules);
        final Path next = write("next.yaml", rules
            .replace("  - {name: udp-flood", "  - {name: legit-b, src: %s/32, action: count}\n  - {name: udp-flood"
            .formatted(GEN_B))
            .replace("pps: 10000", "pps: 8000")
            .replace("ttl_s: 60", "ttl_s: 30"));
        try (TestHosts hosts = hosts("rlk");
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                running.toString(), "--instance", instance, "--quiet"))
        {
            assertTrue(run.await("sluice: blocks: ", 120), run::output);
            assertEquals(20_000, Traffic.send(hosts, flood, DUT_ADDR, PORT, 20_000, 50_000));
            assertTrue(run.await("sluice: blocked " + flood + "/32 for 60 s: rule udp-flood saw ", 10), run::output);

            // the reload, with the flood still blocked: the block stays, and drops the flood in XDP as before
            final List<String> reloaded = rules(0, "reload", "--instance", instance, "--file", next.toString());
            assertTrue(reloaded.get(0).startsWith("reloaded " + next + " as generation "), reloaded::toString);
            assertTrue(reloaded.get(0).contains("filter 3 rules (2 kept, 1 added, 0 removed), 1 block_if"),
                reloaded::toString);
            final List<String> listed = SluiceCommand.lines(0, "blocks", "list", "--instance", instance);
            assertEquals(flood + "/32", listed.get(2).trim().split("\\s+")[0], listed::toString);
            assertEquals("detector", listed.get(2).trim().split("\\s+")[1], listed::toString);
            assertEquals(5_000, Traffic.send(hosts, flood, DUT_ADDR, PORT, 5_000, 20_000));

            // a new flood is blocked by the new trigger, for the new section's TTL
            assertEquals(20_000, Traffic.send(hosts, secondFlood, DUT_ADDR, PORT, 20_000, 50_000));
            assertTrue(run.await("sluice: blocked " + secondFlood + "/32 for 30 s: rule udp-flood saw ", 10),
                run::output);
            assertTrue(run.line("sluice: blocked " + secondFlood).contains("(over 8,000 pps in 100 ms)"),
                run::output);
            assertEquals(100, Traffic.send(hosts, GEN_B, DUT_ADDR, PORT, 100, 10_000));
            awaitShown(instance, "  - {name: legit-b, src: 10.229.0.2/32, action: count}  # hits 100");

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertEquals(45_100, run.row("offered to XDP"), run::output);
            // every frame blocked in XDP, or steered and counted, or steered and dropped by the kernel at a full ring
            assertEquals(45_100, run.row("    by blocks") + run.row("      count") +
                run.row("    dropped by the kernel"), run::output);
            assertTrue(run.row("    by blocks") >= 5_000, run::output);
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    private static List<String> reload(final String instance, final Path file)
    {
        try
        {
            return rules(0, "reload", "--instance", instance, "--file", file.toString());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static long generation(final String reply)
    {
        final Matcher matcher = GENERATION.matcher(reply);
        assertTrue(matcher.find(), reply);

        return Long.parseLong(matcher.group(1));
    }

    private static long retiredMatched(final List<String> shown)
    {
        final Matcher matcher = Pattern.compile("removed matched (\\d+) in XDP").matcher(shown.get(0));
        assertTrue(matcher.find(), shown.get(0));

        return Long.parseLong(matcher.group(1));
    }

    private static void awaitShown(final String instance, final String line) throws Exception
    {
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        List<String> shown = rules(0, "show", "--instance", instance);
        while (!shown.contains(line) && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(100);
            shown = rules(0, "show", "--instance", instance);
        }
        assertTrue(shown.contains(line), shown.toString());
    }

    private Path write(final String name, final String text) throws Exception
    {
        final Path path = dir.resolve(name);
        Files.writeString(path, text);

        return path;
    }

    private static TestHosts hosts(final String tag)
    {
        final TestHosts hosts = new TestHosts(tag, tag + "0", GEN_A + "/24", tag + "1", DUT_ADDR + "/24");
        TestHosts.run("ip", "-n", hosts.genNs(), "addr", "add", GEN_B + "/24", "dev", hosts.genIf());

        return hosts;
    }

    private static List<String> rules(final int exitCode, final String... args) throws Exception
    {
        return SluiceCommand.lines(exitCode, "rules", args);
    }

    static void awaitTrue(final java.util.function.BooleanSupplier condition, final long timeoutMs)
        throws InterruptedException
    {
        AdaptiveBlockingTest.awaitTrue(condition, timeoutMs);
    }

    /**
     * A UDP socket in a namespace that records the generator's sequence numbers of the datagrams it receives.
     */
    static final class SeqSink implements AutoCloseable
    {
        private final DatagramChannel channel;
        private final BitSet seen = new BitSet();
        private final Thread reader;
        private volatile long count;
        private volatile long duplicates;

        private SeqSink(final DatagramChannel channel)
        {
            this.channel = channel;
            reader = new Thread(this::read, "seq-sink");
            reader.setDaemon(true);
            reader.start();
        }

        static SeqSink open(final String namespace, final int port) throws Exception
        {
            return new SeqSink(NetNamespace.call(namespace, () ->
            {
                final DatagramChannel channel = DatagramChannel.open();
                channel.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 20);
                channel.bind(new InetSocketAddress(port));
                return channel;
            }));
        }

        private void read()
        {
            final ByteBuffer buffer = ByteBuffer.allocate(2048).order(ByteOrder.LITTLE_ENDIAN);
            try
            {
                while (true)
                {
                    buffer.clear();
                    channel.receive(buffer);
                    buffer.flip();
                    final int seq = (int)buffer.getLong(0);
                    synchronized (seen)
                    {
                        if (seen.get(seq))
                        {
                            duplicates++;
                        }
                        seen.set(seq);
                    }
                    count++;
                }
            }
            catch (final Exception ex)
            {
                // closed
            }
        }

        long count()
        {
            return count;
        }

        long duplicates()
        {
            return duplicates;
        }

        BitSet seen()
        {
            synchronized (seen)
            {
                return (BitSet)seen.clone();
            }
        }

        @Override
        public void close() throws Exception
        {
            channel.close();
            reader.join(1_000);
        }
    }
}
