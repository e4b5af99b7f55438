package io.sluice.xsk.testing;

import io.sluice.xsk.util.ChildProcess;
import io.sluice.xsk.util.NetNamespace;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network namespace a test creates and always deletes. Names carry the test JVM's pid, so namespaces left by
 * a killed run are recognised and reaped by the next one. Code runs inside it on a thread that has entered it
 * with {@code setns(2)}; sockets created there stay in the namespace.
 */
public final class NetNs implements AutoCloseable
{
    private static final String PREFIX = "sluicet-";
    private static final Pattern NAME = Pattern.compile(PREFIX + "[a-z0-9]+-(\\d+)-\\d+");
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static boolean reaped;

    private final String name;

    private NetNs(final String name)
    {
        this.name = name;
    }

    /**
     * Create a namespace with loopback up and IPv6 off, so nothing but a test's own traffic crosses its links.
     *
     * @param tag short lowercase tag naming the test.
     * @return the namespace; close it to delete it.
     */
    public static NetNs create(final String tag)
    {
        reapStale();
        final String name = PREFIX + tag + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        run("ip", "netns", "add", name);
        final NetNs ns = new NetNs(name);
        try
        {
            ns.ip("link", "set", "lo", "up");
            ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        }
        catch (final RuntimeException ex)
        {
            ns.close();
            throw ex;
        }

        return ns;
    }

    /**
     * Create a veth pair between two namespaces, addressed and up.
     *
     * @param a     first namespace.
     * @param nameA interface name in {@code a}.
     * @param cidrA address of {@code nameA}, e.g. 10.211.0.1/24.
     * @param b     second namespace.
     * @param nameB interface name in {@code b}.
     * @param cidrB address of {@code nameB}.
     */
    public static void veth(
        final NetNs a, final String nameA, final String cidrA, final NetNs b, final String nameB, final String cidrB)
    {
        a.ip("link", "add", nameA, "type", "veth", "peer", "name", nameB, "netns", b.name);
        a.ip("addr", "add", cidrA, "dev", nameA);
        b.ip("addr", "add", cidrB, "dev", nameB);
        a.ip("link", "set", nameA, "up");
        b.ip("link", "set", nameB, "up");
    }

    public String name()
    {
        return name;
    }

    /**
     * Run {@code ip -n NAME args...}.
     *
     * @param args ip arguments.
     * @return its standard output.
     */
    public String ip(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));

        return run(command.toArray(String[]::new));
    }

    /**
     * Run a command inside the namespace with {@code ip netns exec}.
     *
     * @param args command and arguments.
     * @return its standard output.
     */
    public String exec(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(List.of(args));

        return run(command.toArray(String[]::new));
    }

    /**
     * Call a task on a new thread that has entered this namespace.
     *
     * @param task to call.
     * @param <T>  result type.
     * @return the task's result.
     * @throws Exception what the task threw.
     */
    public <T> T call(final Callable<T> task) throws Exception
    {
        return NetNamespace.call(name, task);
    }

    /**
     * @param ifname interface in this namespace.
     * @return its MAC address, as {@code ip link} prints it.
     */
    public String mac(final String ifname)
    {
        final String out = ip("link", "show", "dev", ifname);
        final int at = out.indexOf("link/ether ");
        return out.substring(at + 11, at + 28);
    }

    /**
     * Move the calling thread into a named namespace; for threads that stay there.
     *
     * @param name namespace name under /var/run/netns.
     */
    public static void enter(final String name)
    {
        NetNamespace.enter(name);
    }

    public void close()
    {
        try
        {
            run("ip", "netns", "del", name);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("warning: could not delete namespace " + name + ": " + ex.getMessage());
        }
    }

    /**
     * Delete namespaces of earlier test JVMs that no longer run.
     */
    public static synchronized void reapStale()
    {
        if (reaped)
        {
            return;
        }
        reaped = true;
        for (final String line : run("ip", "netns", "list").split("\n"))
        {
            final String candidate = line.split(" ")[0];
            final Matcher matcher = NAME.matcher(candidate);
            if (matcher.matches() && ProcessHandle.of(Long.parseLong(matcher.group(1))).isEmpty())
            {
                run("ip", "netns", "del", candidate);
            }
        }
    }

    /**
     * Run a command and return its standard output.
     *
     * @param command command and arguments.
     * @return standard output.
     * @throws IllegalStateException with the command's output if it exits non-zero.
     */
    public static String run(final String... command)
    {
        try
        {
            final ChildProcess.Result result = ChildProcess.builder(command).mergeStderr().run(ChildProcess.NO_TIMEOUT);
            if (0 != result.exitStatus())
            {
                throw new IllegalStateException(String.join(" ", command) + " exited " + result.exitStatus() + ": " +
                    result.stdout().strip());
            }

            return result.stdout();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + " interrupted", ex);
        }
    }
}
