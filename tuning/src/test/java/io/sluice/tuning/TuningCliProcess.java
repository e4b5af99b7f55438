package io.sluice.tuning;

import io.sluice.xsk.util.ChildProcess;

import java.io.IOException;
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
        final ChildProcess.Result result = ChildProcess.builder(command).run(TimeUnit.SECONDS.toNanos(120));
        if (result.timedOut())
        {
            throw new AssertionError(String.join(" ", args) + ": no exit in 120 s");
        }

        return new TuningCliProcess(result.exitStatus(), result.stdout(), result.stderr());
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
