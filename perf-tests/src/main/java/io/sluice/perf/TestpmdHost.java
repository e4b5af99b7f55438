package io.sluice.perf;

import io.sluice.xsk.util.ChildProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link Testpmd} needs of the host and what it leaves there: the binary on the PATH, the interface in its
 * namespace with its promiscuous flag and XDP program, and EAL's runtime directory. Each probe or repair is a short
 * {@code ip} or {@code kill}; a repair that fails is reported in a warning or left for the next probe, never thrown.
 */
public final class TestpmdHost
{
    /**
     * System property naming the testpmd binary.
     */
    public static final String BINARY_PROP_NAME = "sluice.testpmd.binary";

    /**
     * Debian's {@code dpdk-dev} puts it on the PATH; a DPDK built elsewhere can be named by its path.
     */
    public static final String BINARY_DEFAULT = "dpdk-testpmd";

    /**
     * What provides testpmd and the AF_XDP PMD on Debian 12: {@code dpdk-dev} ships {@code dpdk-testpmd} (and pulls
     * in the mempool and bus drivers it loads), {@code librte-net-af-xdp23} ships the {@code net_af_xdp} PMD.
     */
    public static final String INSTALL_HINT =
        "apt-get install -y --no-install-recommends dpdk-dev librte-net-af-xdp23";

    /**
     * EAL's runtime directory for root; each run's {@code --file-prefix} names a directory under it.
     */
    static final String RUNTIME_DIR = "/var/run/dpdk/";

    private static final Pattern XDP_PROGRAM = Pattern.compile("prog/xdp\\S* id (\\d+)");

    /**
     * What testpmd changes on its interface, read before it starts so that only its own changes are undone.
     *
     * @param promiscuous  whether the interface was promiscuous; testpmd sets the flag and leaves it set.
     * @param xdpProgramId the XDP program attached, or -1 for none.
     */
    record Link(boolean promiscuous, long xdpProgramId)
    {
    }

    private TestpmdHost()
    {
    }

    /**
     * @return the binary {@link #BINARY_PROP_NAME} names, {@link #BINARY_DEFAULT} by default.
     */
    static String binary()
    {
        return System.getProperty(BINARY_PROP_NAME, BINARY_DEFAULT);
    }

    /**
     * @param binary a path, or a name to look up on the PATH.
     * @throws IllegalStateException when it is not there or not executable, with {@link #INSTALL_HINT}.
     */
    static void requireInstalled(final String binary)
    {
        if (binary.contains("/"))
        {
            if (Files.isExecutable(Path.of(binary)))
            {
                return;
            }
        }
        else
        {
            final String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
            for (final String directory : path.split(":"))
            {
                if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, binary)))
                {
                    return;
                }
            }
        }

        throw new IllegalStateException("testpmd: " + binary + " not found (PATH " + System.getenv("PATH") +
            "): DPDK's testpmd with the net_af_xdp PMD is needed; install it with: " + INSTALL_HINT);
    }

    /**
     * @param namespace network namespace.
     * @param iface     interface in it.
     * @return its promiscuous flag and XDP program.
     * @throws IllegalStateException when there is no such interface there, with what {@code ip} said.
     */
    static Link link(final String namespace, final String iface)
    {
        final ChildProcess.Result link = showLink(namespace, iface);
        if (!link.ok())
        {
            throw new IllegalStateException("testpmd: no interface " + iface + " in namespace " + namespace + ": " +
                link.stdout().strip());
        }

        return new Link(linkFlags(link.stdout()).contains("PROMISC"), xdpProgramId(link.stdout()));
    }

    /**
     * @param namespace network namespace.
     * @param iface     interface in it.
     * @return the id of the XDP program attached to it, or -1 for none or no such interface.
     */
    static long xdpProgramId(final String namespace, final String iface)
    {
        return xdpProgramId(showLink(namespace, iface).stdout());
    }

    /**
     * Detach the XDP program from an interface, as a testpmd killed before it could detach its own leaves it.
     *
     * @param namespace network namespace.
     * @param iface     interface in it.
     */
    static void detachXdp(final String namespace, final String iface)
    {
        run("ip", "-n", namespace, "link", "set", "dev", iface, "xdp", "off");
    }

    /**
     * @param namespace network namespace.
     * @param iface     interface in it.
     */
    static void promiscuousOff(final String namespace, final String iface)
    {
        run("ip", "-n", namespace, "link", "set", "dev", iface, "promisc", "off");
    }

    /**
     * Send SIGINT, by pid: testpmd stops forwarding, prints its totals and exits.
     *
     * @param pid testpmd's process id.
     */
    static void interrupt(final long pid)
    {
        run("kill", "-s", "INT", Long.toString(pid));
    }

    /**
     * Remove a run's directory under {@link #RUNTIME_DIR}, warning when it cannot.
     *
     * @param filePrefix the run's {@code --file-prefix}.
     */
    static void deleteRuntimeDirectory(final String filePrefix)
    {
        final Path directory = Path.of(RUNTIME_DIR, filePrefix);
        try
        {
            if (Files.isDirectory(directory))
            {
                try (var files = Files.list(directory))
                {
                    for (final Path file : files.toList())
                    {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(directory);
            }
        }
        catch (final IOException ex)
        {
            System.err.println("warning: could not remove testpmd's runtime directory " + directory + ": " + ex);
        }
    }

    private static ChildProcess.Result showLink(final String namespace, final String iface)
    {
        return run("ip", "-n", namespace, "-o", "link", "show", "dev", iface);
    }

    private static long xdpProgramId(final String link)
    {
        final Matcher matcher = XDP_PROGRAM.matcher(link);

        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    private static Set<String> linkFlags(final String link)
    {
        final int open = link.indexOf('<');
        final int close = link.indexOf('>', open + 1);

        return open < 0 || close < 0 ? Set.of() : Set.of(link.substring(open + 1, close).split(","));
    }

    /**
     * Run a short command; failures are reported in its result, never thrown.
     *
     * @return its exit status and output, stderr merged; exit status -1 and the reason when it could not run.
     */
    private static ChildProcess.Result run(final String... command)
    {
        try
        {
            return ChildProcess.builder(command).mergeStderr().run(ChildProcess.NO_TIMEOUT);
        }
        catch (final IOException ex)
        {
            return new ChildProcess.Result(List.of(command), -1, String.join(" ", command) + ": " + ex.getMessage(),
                "", false);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return new ChildProcess.Result(List.of(command), -1, String.join(" ", command) + ": interrupted", "",
                false);
        }
    }
}
