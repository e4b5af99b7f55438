package io.sluice.pipeline.profile;

import io.sluice.xsk.ffi.LinuxEthtool;
import io.sluice.xsk.ffi.NativeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a profile is checked against: an interface's driver, MTU and queues, read from sysfs and the driver.
 *
 * @param name         interface name.
 * @param driver       the driver, as {@code ethtool -i} names it.
 * @param driverSource where the driver name came from, for the log.
 * @param mtu          MTU in bytes.
 * @param rxQueues     RX queues in use ({@code /sys/class/net/IF/queues/rx-*}), which {@code ethtool -L} sets.
 */
public record NetDevice(String name, String driver, String driverSource, int mtu, int rxQueues)
{
    /**
     * {@link #driver()} of an interface whose driver neither ethtool nor sysfs names (loopback): no profile names
     * it, so the generic one is chosen.
     */
    public static final String UNKNOWN_DRIVER = "unknown";

    private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");

    /**
     * Read an interface in the calling thread's network namespace. The driver comes from {@code ETHTOOL_GDRVINFO},
     * what {@code ethtool -i} asks, else from the {@code device/driver} link in sysfs.
     *
     * @param name the interface.
     * @return its facts.
     * @throws IllegalArgumentException naming the interface and how to list the ones there are, if it is not here.
     */
    public static NetDevice read(final String name)
    {
        final Path dir = SYS_CLASS_NET.resolve(name);
        if (!Files.isDirectory(dir))
        {
            throw new IllegalArgumentException("no interface " + name + " in this network namespace (" + dir +
                " is missing; `ip link show` lists them)");
        }
        String driver;
        String source;
        try
        {
            driver = LinuxEthtool.driver(name);
            source = "ETHTOOL_GDRVINFO, as ethtool -i " + name + " shows";
        }
        catch (final NativeException ex)
        {
            final Path link = dir.resolve("device/driver");
            driver = driverFromSysfs(dir);
            source = UNKNOWN_DRIVER.equals(driver) ? "no ETHTOOL_GDRVINFO answer and no " + link : link.toString();
        }

        return new NetDevice(name, driver, source, (int)readLong(dir.resolve("mtu")), rxQueues(dir));
    }

    /**
     * @return the driver's name, or {@link #UNKNOWN_DRIVER} for a device with none (loopback).
     */
    private static String driverFromSysfs(final Path dir)
    {
        try
        {
            return Files.readSymbolicLink(dir.resolve("device/driver")).getFileName().toString();
        }
        catch (final IOException ex)
        {
            return UNKNOWN_DRIVER;
        }
    }

    private static int rxQueues(final Path dir)
    {
        try (Stream<Path> entries = Files.list(dir.resolve("queues")))
        {
            return (int)Math.max(1, entries.filter((p) -> p.getFileName().toString().startsWith("rx-")).count());
        }
        catch (final IOException ex)
        {
            return 1;
        }
    }

    static long readLong(final Path file)
    {
        try
        {
            return Long.parseLong(Files.readString(file).strip());
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalArgumentException("cannot read " + file + ": " + ex.getMessage());
        }
    }
}
