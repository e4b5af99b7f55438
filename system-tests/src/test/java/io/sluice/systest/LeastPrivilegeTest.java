package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sluice as user {@code nobody} with only the capabilities it needs, {@link #CAPABILITIES}, given as ambient
 * capabilities by {@code setpriv} and a memlock limit far below the UMEM: the end-to-end exact count holds, no XDP
 * program is left behind, and without any one of them it stops with one line naming it.
 */
class LeastPrivilegeTest
{
    /**
     * The minimum, found by removing each in turn: loading a networking BPF program needs CAP_BPF and
     * CAP_NET_ADMIN, and the program's variable packet offsets CAP_PERFMON (the verifier's Spectre v1 guard);
     * attaching it CAP_NET_ADMIN; an AF_XDP socket CAP_NET_RAW; locking the UMEM CAP_IPC_LOCK (or a memlock limit
     * above the UMEM). CAP_SYS_ADMIN is not needed.
     */
    static final List<String> CAPABILITIES = List.of("net_admin", "net_raw", "bpf", "perfmon", "ipc_lock");

    private static final String NOBODY = "65534";

    private static Path root;
    private static String classpath;

    /**
     * A copy of the runtime class path and the profiles that {@code nobody} may read: Maven's repository under
     * {@code /root} is not, nor need the checkout be.
     */
    @BeforeAll
    static void copyClassPath() throws IOException
    {
        Privileged.require("Sluice as nobody with ambient capabilities");
        root = Files.createTempDirectory("sluice-least-privilege");
        final Path jars = Files.createDirectories(root.resolve("cp"));
        final List<String> entries = new ArrayList<>();
        int n = 0;
        for (final String entry : Files.readString(SluiceProcess.sluiceHome().resolve("target/sluice-classpath.txt"))
            .strip().split(":"))
        {
            final Path source = Path.of(entry);
            final Path target = jars.resolve((n++) + "-" + source.getFileName());
            if (Files.isDirectory(source))
            {
                try (Stream<Path> files = Files.walk(source))
                {
                    for (final Path file : files.toList())
                    {
                        final Path copy = target.resolve(source.relativize(file).toString());
                        if (Files.isDirectory(file))
                        {
                            Files.createDirectories(copy);
                        }
                        else
                        {
                            Files.copy(file, copy);
                        }
                    }
                }
            }
            else
            {
                Files.copy(source, target);
            }
            entries.add(target.toString());
        }
        classpath = String.join(":", entries);
        // the profiles too: a checkout may sit below a folder only root may enter (mktemp -d makes one)
        final Path profiles = Files.createDirectories(root.resolve("nic-profiles"));
        try (Stream<Path> shipped = Files.list(SluiceProcess.sluiceHome().resolve("nic-profiles")))
        {
            for (final Path profile : shipped.toList())
            {
                Files.copy(profile, profiles.resolve(profile.getFileName()));
            }
        }
        Files.writeString(root.resolve("rules.yaml"), RunCommandTest.RULES);
        final Path counters = Files.createDirectories(root.resolve("counters"));
        final UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(counters, users.lookupPrincipalByName("nobody"));
        try (Stream<Path> all = Files.walk(root))
        {
            for (final Path path : all.toList())
            {
                if (!path.equals(counters))
                {
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                        Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }

    @AfterAll
    static void removeCopy() throws IOException
    {
        if (null != root)
        {
            try (Stream<Path> all = Files.walk(root))
            {
                for (final Path path : all.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(path);
                }
            }
        }
    }

    @Test
    void shouldCountEveryFrameExactlyAsNobodyWithOnlyTheNeededCapabilities() throws Exception
    {
        final int frames = 20_000;
        try (TestHosts hosts = new TestHosts("lpv", "lpv0", "10.225.0.1/24", "lpv1", "10.225.0.2/24");
            SluiceProcess run = SluiceProcess.startCommand(command(hosts.dutNs(), hosts.dutIf(), CAPABILITIES)))
        {
            assertTrue(run.await("sluice: counters in ", 120), run::output);
            assertTrue(run.output().contains("sluice_xdp attached to " + hosts.dutIf() + " (native mode, link)"),
                run::output);
            assertEquals(frames, Traffic.send(hosts, "10.225.0.1", "10.225.0.2", frames, 20_000));
            Thread.sleep(1500);
            run.signal("TERM");

            assertEquals(0, run.waitFor(30), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            final long received = RunCommandTest.count(run, "    received by Sluice");
            assertEquals(frames, RunCommandTest.count(run, "  steered to AF_XDP"), run::output);
            assertEquals(frames, received + RunCommandTest.count(run, "    dropped by the kernel"), run::output);
            assertEquals(received, RunCommandTest.count(run, "  count-9"), run::output);
            assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
                "nothing left attached");
            assertEquals("nobody", Files.getOwner(root.resolve("counters/least-privilege/counters.dat")).getName(),
                "the counters file is the nobody process's");
        }
    }

    @ParameterizedTest(name = "without {0}")
    @CsvSource(delimiter = '|', value = {
        "net_admin | loading XDP program sluice_xdp: Operation not permitted (EPERM); missing CAP_NET_ADMIN",
        "bpf       | loading XDP program sluice_xdp: Operation not permitted (EPERM); missing CAP_BPF",
        "perfmon   | loading XDP program sluice_xdp: Permission denied (EACCES); missing CAP_PERFMON",
        "net_raw   | Operation not permitted (EPERM); creating an AF_XDP socket needs CAP_NET_RAW",
        "ipc_lock  | raise RLIMIT_MEMLOCK (`ulimit -l`, LimitMEMLOCK= in a systemd unit) or grant CAP_IPC_LOCK",
    })
    void shouldStopWithOneLineNamingEachMissingCapability(final String missing, final String expected)
        throws Exception
    {
        final List<String> capabilities = new ArrayList<>(CAPABILITIES);
        capabilities.remove(missing);
        try (TestHosts hosts = new TestHosts("lpm", "lpm0", "10.226.0.1/24", "lpm1", "10.226.0.2/24");
            SluiceProcess run = SluiceProcess.startCommand(command(hosts.dutNs(), hosts.dutIf(), capabilities)))
        {
            assertEquals(1, run.waitFor(120), run::output);
            final String error = run.line("sluice run: ");
            assertTrue(error.contains(expected), run::output);
            assertEquals(1, run.lines().stream().filter((l) -> l.startsWith("sluice run: ")).count(), run::output);
            assertTrue(run.lines().stream().noneMatch((l) -> l.startsWith("\tat ")), "no stack trace\n" +
                run.output());
            assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
                "nothing left attached");
        }
    }

    /**
     * {@code ip netns exec NS prlimit --memlock=64K setpriv --reuid=nobody ... java ... run}.
     */
    private static List<String> command(final String netns, final String iface, final List<String> capabilities)
    {
        final String caps = "-all," + String.join(",", capabilities.stream().map((c) -> "+" + c).toList());
        return List.of("ip", "netns", "exec", netns,
            "prlimit", "--memlock=65536:65536",
            "setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
            "--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=" + caps,
            ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-D" + CountersFile.DIRECTORY_PROP_NAME + "=" + root.resolve("counters"),
            "-Dsluice.profiles.dir=" + root.resolve("nic-profiles"),
            "-cp", classpath, "io.sluice.pipeline.cli.SluiceCli", "run", "--iface", iface, "--rules",
            root.resolve("rules.yaml").toString(), "--instance", "least-privilege", "--quiet");
    }
}
