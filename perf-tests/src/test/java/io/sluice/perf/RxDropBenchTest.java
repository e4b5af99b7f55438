package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.NetNamespace;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice bench rxdrop} as a user runs it: inside a namespace with {@code ip netns exec}, on the already-built
 * project, fed by the generator; READY, STAT lines, and on SIGINT a TOTAL line with exactly what was sent, and
 * exit status 0.
 */
class RxDropBenchTest
{
    private static final Pattern TOTAL = Pattern.compile(
        "^TOTAL rx_packets=(\\d+) duration_s=[0-9.]+ rx_mpps_avg=[0-9.]+ rx_dropped=(\\d+) rx_invalid_descs=0 " +
        "tx_invalid_descs=0 rx_ring_full=(\\d+) rx_fill_ring_empty_descs=\\d+ tx_ring_empty_descs=0 " +
        "alloc_bytes_per_pkt=[0-9.]+ xdp_redirect=(\\d+) .*mode=copy$");

    @Test
    void shouldReceiveExactlyWhatWasSentAndReportItOnSigint() throws Exception
    {
        Privileged.require("./sluice bench rxdrop in a network namespace");
        final int frames = 200_000;
        try (TestHosts hosts = new TestHosts("rxt", "rbt0", "10.215.0.1/24", "rbt1", "10.215.0.2/24"))
        {
            final Path sluice = sluiceHome().resolve("sluice");
            final Process process = new ProcessBuilder("ip", "netns", "exec", hosts.dutNs(), sluice.toString(),
                "bench", "rxdrop", "--iface", hosts.dutIf(), "--queue", "0", "--cpu", "1")
                .redirectErrorStream(true).start();
            final List<String> lines = new ArrayList<>();
            final Thread reader = new Thread(() ->
            {
                try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
                {
                    String line;
                    while (null != (line = in.readLine()))
                    {
                        synchronized (lines)
                        {
                            lines.add(line);
                            lines.notifyAll();
                        }
                    }
                }
                catch (final java.io.IOException ignore)
                {
                    // process ended
                }
            });
            reader.start();
            try
            {
                assertTrue(await(lines, "READY", 120), () -> "no READY line: " + lines);
                final byte[] template = Frames.ethernet()
                    .macs(TestHosts.mac(hosts.dutNs(), hosts.dutIf()), TestHosts.mac(hosts.genNs(), hosts.genIf()))
                    .ipv4("10.215.0.1", "10.215.0.2").udp(4000, 9).payload(new byte[22]).build();
                final long sent = NetNamespace.call(hosts.genNs(), () ->
                {
                    try (TrafficGenerator generator = TrafficGenerator.builder().egress(hosts.genIf())
                        .template(template).cpu(0).open())
                    {
                        return generator.send(frames, 200_000);
                    }
                });
                assertEquals(frames, sent);
                assertTrue(await(lines, "STAT t=", 10), () -> "no STAT line: " + lines);
                Thread.sleep(1500); // a STAT line after the last frame

                TestHosts.run("kill", "-INT", Long.toString(process.pid()));
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exits on SIGINT");
                reader.join(5000);
                assertEquals(0, process.exitValue(), () -> String.join("\n", lines));

                final String total;
                synchronized (lines)
                {
                    assertTrue(lines.stream().anyMatch((l) -> l.matches("^STAT t=\\d+ rx_mpps=[0-9.]+ .*")), lines::toString);
                    total = lines.stream().filter((l) -> l.startsWith("TOTAL")).findFirst().orElse("");
                }
                final Matcher m = TOTAL.matcher(total);
                assertTrue(m.matches(), total);
                final long received = Long.parseLong(m.group(1));
                final long lost = Long.parseLong(m.group(2)) + Long.parseLong(m.group(3));
                assertEquals(frames, received + lost, "every frame received or counted by the kernel: " + total);
                assertEquals(frames, Long.parseLong(m.group(4)), "the XDP program steered every frame: " + total);
                assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
                    "detached on exit");
            }
            finally
            {
                process.destroyForcibly();
            }
        }
    }

    private static boolean await(final List<String> lines, final String prefix, final int seconds)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + seconds * 1_000_000_000L;
        synchronized (lines)
        {
            while (lines.stream().noneMatch((l) -> l.startsWith(prefix)))
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

    private static Path sluiceHome()
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
