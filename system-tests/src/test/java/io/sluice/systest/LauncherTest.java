package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher as an operator meets it: {@code help}, {@code stats} and a command's {@code --help} need no root,
 * every other command says it does, and once the packages are recorded no command touches dpkg or apt until dpkg's
 * database changes.
 * <p>
 * The tests run the launcher of a copy of the built checkout that {@code nobody} may read: the checkout itself may
 * sit below a folder only root may enter (CI clones into {@code mktemp -d}), and the copy's class path file is
 * pointed at the copy. The build's stamp still matches, so nothing is rebuilt.
 */
class LauncherTest
{
    private static final String NOBODY = "65534";
    private static final String INSTANCE = "launcher-test-" + ProcessHandle.current().pid();

    private static Path copy;

    @BeforeAll
    static void copyCheckout() throws IOException
    {
        Privileged.require("the launcher as root and as nobody");
        final Path home = SluiceProcess.sluiceHome().toAbsolutePath().normalize();
        copy = Files.createTempDirectory("sluice-launcher");
        try (Stream<Path> all = Files.walk(home))
        {
            for (final Path path : (Iterable<Path>)all::iterator)
            {
                final Path relative = home.relativize(path);
                if (relative.startsWith(".git") || relative.toString().contains("surefire"))
                {
                    continue;
                }
                final Path target = copy.resolve(relative.toString());
                if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    Files.createDirectories(target);
                }
                else if (Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        final Path classpath = copy.resolve("target/sluice-classpath.txt");
        Files.writeString(classpath, Files.readString(classpath).replace(home.toString(), copy.toString()));
        try (Stream<Path> all = Files.walk(copy))
        {
            for (final Path path : (Iterable<Path>)all::iterator)
            {
                final boolean executable = Files.isDirectory(path) || Files.isExecutable(path);
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                    executable ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    @AfterAll
    static void removeCopy() throws IOException
    {
        CountersFile.remove(INSTANCE);
        if (null != copy)
        {
            try (Stream<Path> all = Files.walk(copy))
            {
                for (final Path path : all.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(path);
                }
            }
        }
    }

    @Test
    void shouldShowHelpWithoutRoot() throws Exception
    {
        final Result help = asNobody("help");
        assertEquals(0, help.exit(), help.output());
        assertTrue(help.output().startsWith("Usage: ./sluice COMMAND [ARGS...]"), help.output());

        final Result stats = asNobody("stats", "--help");
        assertEquals(0, stats.exit(), stats.output());
        assertTrue(stats.output().startsWith("Usage: sluice stats"), stats.output());

        final Result run = asNobody("run", "--help");
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("Usage: sluice run"), run.output());
    }

    @Test
    void shouldPrintAnInstancesCountersWithoutRoot() throws Exception
    {
        try (CountersFile file = CountersFile.create(INSTANCE, 32))
        {
            file.allocate("iface=\"veth1\",agent=\"rx\"", CountersFile.Metric.counter(
                "sluice_pipeline_received_total", "frames read from the RX rings")).add(0, 1_234_567);

            final Result stats = asNobody("stats", "--instance", INSTANCE);
            assertEquals(0, stats.exit(), stats.output());
            final List<String> lines = stats.output().lines().toList();
            assertEquals(2, lines.size(), stats.output());
            assertTrue(lines.get(0).startsWith("sluice stats: instance " + INSTANCE + ", pid "), lines.get(0));
            assertEquals("sluice_pipeline_received_total{iface=\"veth1\",agent=\"rx\"}            1,234,567",
                lines.get(1));
        }
    }

    @Test
    void shouldSayRootIsNeededForTheOtherCommands() throws Exception
    {
        for (final String command : List.of("run", "blocks", "doctor", "demo", "build"))
        {
            final Result result = asNobody(command);
            assertEquals(1, result.exit(), result.output());
            assertTrue(result.output().startsWith("sluice: must run as root: XDP and AF_XDP need CAP_BPF, " +
                "CAP_NET_ADMIN and CAP_NET_RAW (try: sudo ./sluice " + command), result.output());
        }
    }

    @Test
    void shouldNotTouchDpkgOrAptOnceThePackagesAreRecorded() throws Exception
    {
        final Path shims = Files.createDirectories(copy.resolve("shims"));
        final Path calls = shims.resolve("calls");
        for (final String tool : List.of("dpkg-query", "apt-get"))
        {
            final Path shim = shims.resolve(tool);
            Files.writeString(shim, "#!/bin/sh\necho \"" + tool + " $*\" >>" + calls + "\nexec /usr/bin/" + tool +
                " \"$@\"\n");
            Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        final Path stamp = copy.resolve("target/sluice-packages.stamp");

        // the first command records what it verified
        Files.deleteIfExists(stamp);
        final Result first = asRoot(shims, "stats", "--help");
        assertEquals(0, first.exit(), first.output());
        assertTrue(Files.readString(calls).contains("dpkg-query"), "the first command checks the packages");
        assertTrue(Files.exists(stamp));
        assertFalse(Files.readString(calls).contains("apt-get"), "every package is installed: nothing to install");

        // the next finds them recorded: neither dpkg-query nor apt-get
        Files.delete(calls);
        final Result second = asRoot(shims, "stats", "--help");
        assertEquals(0, second.exit(), second.output());
        assertFalse(Files.exists(calls), () -> "called: " + read(calls));

        // a stamp from another dpkg state vouches for nothing
        final List<String> lines = Files.readAllLines(stamp);
        Files.write(stamp, List.of("1", lines.get(1)));
        final Result third = asRoot(shims, "stats", "--help");
        assertEquals(0, third.exit(), third.output());
        assertTrue(Files.readString(calls).contains("dpkg-query"), "a changed dpkg database is checked again");
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    private static Result asNobody(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
            "--clear-groups", "--inh-caps=-all", copy.resolve("sluice").toString()));
        command.addAll(List.of(args));

        return execute(command, null);
    }

    private static Result asRoot(final Path shims, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(copy.resolve("sluice").toString()));
        command.addAll(List.of(args));

        return execute(command, shims);
    }

    private static Result execute(final List<String> command, final Path pathFirst) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).directory(copy.toFile()).redirectErrorStream(true);
        builder.environment().remove("SLUICE_HOME");
        if (null != pathFirst)
        {
            builder.environment().put("PATH", pathFirst + ":" + builder.environment().get("PATH"));
        }
        final Process process = builder.start();
        process.getOutputStream().close();
        final byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not end within 60 s");
        }

        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private record Result(int exit, String output)
    {
    }
}
