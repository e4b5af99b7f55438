package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attach and detach against the real kernel: a killed process leaves nothing, SIGTERM detaches, a leftover
 * sluice_xdp is replaced, anything else is refused with a clear error.
 */
class AttachLifecycleTest
{
    private static final Pattern PROG_ID = Pattern.compile("prog/xdp id (\\d+) name (\\S+)");
    private static final String IF_A = "slc0";
    private static final String IF_B = "slc1";
    private static final String IF_C = "slc2";
    private static final String IF_D = "slc3";

    @TempDir
    Path tempDir;

    private NetNs ns;
    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void createNamespace()
    {
        Privileged.require("attaching XDP programs in a network namespace");
        ns = NetNs.create("life");
        NetNs.veth(ns, IF_A, "10.212.0.1/24", ns, IF_B, "10.212.0.2/24");
        NetNs.veth(ns, IF_C, "10.212.1.1/24", ns, IF_D, "10.212.1.2/24");
    }

    @AfterEach
    void cleanUp()
    {
        children.forEach(Process::destroyForcibly);
        if (null != ns)
        {
            ns.close();
        }
    }

    @Test
    void shouldReleaseTheProgramWhenItsProcessIsKilled() throws Exception
    {
        final Process child = startAttached(IF_B);
        assertTrue(attachedName(IF_B).contains(SteeringProgram.PROGRAM_NAME));

        child.destroyForcibly(); // SIGKILL: no shutdown hook runs, only the kernel can clean up
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        assertEquals("", awaitDetached(IF_B), "the BPF link died with the process");
        try (SteeringProgram program = ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.NATIVE)))
        {
            assertEquals(SteeringProgram.Attachment.LINK, program.attachment());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "TERM", "INT" })
    void shouldDetachOnSigtermAndSigint(final String signal) throws Exception
    {
        final Process child = startAttached(IF_B);

        NetNs.run("kill", "-" + signal, Long.toString(child.pid()));
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        assertEquals("", awaitDetached(IF_B));
        final String log = Files.readString(childLog());
        assertTrue(log.contains("sluice_xdp detached from " + IF_B + " on shutdown"), "the hook detached it: " + log);
    }

    @Test
    void shouldSayOnceThatTheDispatcherIsUnavailableAndAttachThroughLinks() throws Exception
    {
        final Process child = startAttached(IF_B, IF_D);
        assertTrue(attachedName(IF_B).contains(SteeringProgram.PROGRAM_NAME));
        assertTrue(attachedName(IF_D).contains(SteeringProgram.PROGRAM_NAME));

        child.toHandle().destroy();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        final String log = Files.readString(childLog());
        assertEquals(1, log.split("dispatcher is unavailable", -1).length - 1, log);
        // with a bpffs libxdp tries the dispatcher and the kernel refuses it; without one it does not try
        final boolean bpffs = Files.readString(Path.of("/proc/mounts")).contains(" /sys/fs/bpf bpf ");
        assertTrue(log.contains(bpffs ? "Operation not permitted" : "mount -t bpf bpf /sys/fs/bpf"),
            "names libxdp's reason (bpffs mounted: " + bpffs + "): " + log);
        assertEquals("", awaitDetached(IF_B));
        assertEquals("", awaitDetached(IF_D));
    }

    @Test
    void shouldReplaceASluiceProgramLeftAttachedByAnEarlierProcess() throws Exception
    {
        final Path object = tempDir.resolve("sluice_xdp.o");
        try (InputStream in = SteeringProgram.class.getResourceAsStream(StampPlacement.detect().objectResource()))
        {
            Files.copy(in, object);
        }
        // a netlink attach, as an older tool or libxdp's own fallback leaves it: it outlives its process
        ns.ip("link", "set", "dev", IF_B, "xdpdrv", "obj", object.toString(), "sec", SteeringProgram.SECTION);
        final String leftover = attachedName(IF_B);
        assertTrue(leftover.endsWith(SteeringProgram.PROGRAM_NAME), leftover);

        try (SteeringProgram program = ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.NATIVE)))
        {
            final String now = attachedName(IF_B);
            assertTrue(now.endsWith(SteeringProgram.PROGRAM_NAME), now);
            assertNotEquals(leftover, now, "a new program replaced the leftover");
            assertEquals(SteeringProgram.Attachment.LINK, program.attachment());
        }
        assertEquals("", attachedName(IF_B));
    }

    @Test
    void shouldRefuseToReplaceAProgramItDidNotLoad() throws Exception
    {
        final Path source = tempDir.resolve("foreign.c");
        Files.writeString(source, """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>
            SEC("xdp") int foreign_pass(struct xdp_md *ctx) { return XDP_PASS; }
            char LICENSE[] SEC("license") = "GPL";
            """);
        final Path object = tempDir.resolve("foreign.o");
        NetNs.run("clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/" + NetNs.run("gcc", "-dumpmachine").strip(),
            "-c", source.toString(), "-o", object.toString());
        ns.ip("link", "set", "dev", IF_B, "xdpdrv", "obj", object.toString(), "sec", "xdp");

        final NativeException ex = assertThrows(NativeException.class,
            () -> ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.NATIVE)));

        assertTrue(ex.getMessage().contains(IF_B) && ex.getMessage().contains("foreign_pass") &&
            ex.getMessage().contains("another XDP program"), ex.getMessage());
        assertTrue(attachedName(IF_B).endsWith("foreign_pass"), "the foreign program is untouched");
    }

    @Test
    void shouldAttachInGenericModeWhenAskedTo() throws Exception
    {
        try (SteeringProgram program = ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.GENERIC)))
        {
            assertEquals(SteeringProgram.Attachment.LINK, program.attachment());
            assertTrue(ns.ip("link", "show", "dev", IF_B).contains(" xdpgeneric "), "generic (skb) mode");
        }
        assertEquals("", attachedName(IF_B));
    }

    @Test
    void shouldSayWhichCapabilitiesAreMissing() throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set=-all", "--inh-caps=-all"));
        command.addAll(javaCommand(LoadProgram.class));
        final Process child = new ProcessBuilder(command).redirectError(childLog().toFile()).start();
        children.add(child);
        final String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        assertEquals(LoadProgram.REFUSED, child.exitValue(), out + Files.readString(childLog()));
        assertTrue(out.startsWith("loading XDP program sluice_xdp: Operation not permitted (EPERM); missing " +
            "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (effective capabilities 0x0): run as root"), out);
    }

    @Test
    void shouldNameAMissingInterface()
    {
        final NativeException ex = assertThrows(NativeException.class,
            () -> ns.call(() -> SteeringProgram.open().attach("nosuch0", XdpMode.NATIVE)));

        assertTrue(ex.getMessage().startsWith("interface nosuch0 not found"), ex.getMessage());
        assertTrue(ex.getMessage().contains("ENODEV"), ex.getMessage());
    }

    @Test
    void shouldRefuseASecondAttachOfTheSameInterfaceByAnotherInstance() throws Exception
    {
        try (SteeringProgram first = ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.NATIVE)))
        {
            final NativeException ex = assertThrows(NativeException.class,
                () -> ns.call(() -> SteeringProgram.open().attach(IF_B, XdpMode.NATIVE)));
            assertTrue(ex.getMessage().contains(IF_B) && ex.getMessage().contains("stop the other Sluice"),
                ex.getMessage());
            assertEquals(SteeringProgram.Attachment.LINK, first.attachment());
        }
    }

    private Process startAttached(final String... interfaces) throws IOException
    {
        final List<String> command = javaCommand(AttachAndWait.class, ns.name());
        command.addAll(List.of(interfaces));
        final Process child = new ProcessBuilder(command).redirectError(childLog().toFile()).start();
        children.add(child);

        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        assertTrue(null != line && line.startsWith(AttachAndWait.READY + " " + interfaces.length + " LINK"),
            "child attached: " + line + (null == line ? Files.readString(childLog()) : ""));

        return child;
    }

    /**
     * @return "id N name X" of the program attached to an interface, or "" if none.
     */
    private String attachedName(final String ifname)
    {
        final Matcher matcher = PROG_ID.matcher(ns.ip("link", "show", "dev", ifname));
        return matcher.find() ? "id " + matcher.group(1) + " name " + matcher.group(2) : "";
    }

    private String awaitDetached(final String ifname) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String name = attachedName(ifname);
        while (!name.isEmpty() && System.nanoTime() < deadlineNs)
        {
            // the kernel releases a dead process's link from a work queue, a moment after exit
            Thread.sleep(50);
            name = attachedName(ifname);
        }

        return name;
    }

    /**
     * @return a command that runs {@code main} in a JVM like this one, on this classpath.
     */
    private static List<String> javaCommand(final Class<?> main, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            ProcessHandle.current().info().command().orElseThrow(),
            "--enable-native-access=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            main.getName()));
        command.addAll(List.of(args));

        return command;
    }

    private Path childLog()
    {
        return tempDir.resolve("child.stderr");
    }
}
