package io.sluice.tuning.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files tuning reads and writes under {@code /proc} and {@code /sys}, below a root: {@code /} on a host, a
 * folder holding a copy of those trees where a test needs a device this machine lacks (a NIC with per-queue
 * interrupts).
 */
public final class HostFiles
{
    private static final HostFiles HOST = new HostFiles(Path.of("/"));

    private final Path root;

    private HostFiles(final Path root)
    {
        this.root = root;
    }

    /**
     * @return the running host's {@code /proc} and {@code /sys}.
     */
    public static HostFiles host()
    {
        return HOST;
    }

    /**
     * @param root a folder standing for {@code /}.
     * @return files below it.
     */
    public static HostFiles under(final Path root)
    {
        return new HostFiles(root);
    }

    /**
     * @param absolute a path as on a host, e.g. {@code /proc/irq/38/smp_affinity_list}.
     * @return where it is below the root.
     */
    public Path path(final String absolute)
    {
        return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    /**
     * @param absolute a path as on a host.
     * @return true if it exists.
     */
    public boolean exists(final String absolute)
    {
        return Files.exists(path(absolute));
    }

    /**
     * @param absolute a path as on a host.
     * @return its text, stripped.
     * @throws IllegalStateException naming the file and why.
     */
    public String read(final String absolute)
    {
        try
        {
            return Files.readString(path(absolute), StandardCharsets.UTF_8).strip();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read " + absolute + ": " + reason(ex));
        }
    }

    /**
     * @param absolute a path as on a host.
     * @return its text, stripped, or null if it cannot be read.
     */
    public String readOrNull(final String absolute)
    {
        try
        {
            return Files.readString(path(absolute), StandardCharsets.UTF_8).strip();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Write a value as {@code echo VALUE > FILE} does.
     *
     * @param absolute a path as on a host.
     * @param value    the value.
     * @throws IllegalStateException naming the file, the value and the kernel's answer.
     */
    public void write(final String absolute, final String value)
    {
        try
        {
            Files.writeString(path(absolute), value + "\n", StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("echo " + value + " > " + absolute + ": " + reason(ex));
        }
    }

    private static String reason(final IOException ex)
    {
        final String message = ex.getMessage();
        final int colon = null == message ? -1 : message.lastIndexOf(": ");
        return colon < 0 ? String.valueOf(message) : message.substring(colon + 2);
    }
}
