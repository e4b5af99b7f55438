package io.sluice.tuning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./sluice doctor} and {@code ./sluice tune} as an operator runs them inside a namespace,
 * {@code ip netns exec NS ...}: a child JVM on this test's classpath, so {@code /sys} is the namespace's and the
 * interface's sysfs files are there to read and write.
 *
 * @param exitCode the exit status.
 * @param stdout   standard output.
 * @param stderr   standard error.
 */
record TuningCliProcess(int exitCode, String stdout, String stderr)
{
    static final Path PROFILES = Path.of("..", "nic-profiles").toAbsolutePath().normalize();

    static TuningCliProcess run(final String netns, final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns,
            ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Dsluice.profiles.dir=" + PROFILES, "-cp", System.getProperty("java.class.path"),
            "io.sluice.tuning.cli.TuningCli"));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).start();
        final byte[][] out = new byte[2][];
        final Thread err = Thread.ofVirtual().start(() ->
        {
            try
            {
                out[1] = process.getErrorStream().readAllBytes();
            }
            catch (final IOException ex)
            {
                out[1] = ex.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        out[0] = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", args) + ": no exit in 120 s");
        }
        err.join();

        return new TuningCliProcess(process.exitValue(), new String(out[0], StandardCharsets.UTF_8),
            new String(out[1], StandardCharsets.UTF_8));
    }

    List<String> lines()
    {
        return stdout.lines().toList();
    }

    @Override
    public String toString()
    {
        return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
