package io.sluice.tuning;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ./sluice tune --apply} saved before it changed anything: every setting with its prior value, written
 * as JSON before the first change and again after each, so that {@code --revert} restores exactly the prior state
 * even after an apply cut short.
 * <p>
 * The file is per interface and network namespace: {@value #DIRECTORY_DEFAULT}{@code /IF@net-INODE.json}, where
 * INODE identifies the namespace ({@code readlink /proc/self/ns/net}), so two namespaces' {@code veth0} do not share
 * one. A second apply keeps the first one's prior values, so a revert still returns to the host as it was before
 * Sluice touched it.
 *
 * @param iface    the interface.
 * @param address  its MAC address when the state was saved: a namespace's inode can be reused once it is gone, so
 *                 the address tells a state file of an interface since deleted (a veth's is random) from this one's.
 * @param netns    the network namespace, as {@code net:[INODE]}.
 * @param profile  the profile applied.
 * @param settings the settings, in the order applied.
 */
public record TuneState(String iface, String address, String netns, String profile, List<Setting> settings)
{
    /**
     * Where state files go: {@code /run} is cleared at boot, when the settings they restore are gone too.
     */
    public static final String DIRECTORY_DEFAULT = "/run/sluice/tune";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public TuneState
    {
        settings = new ArrayList<>(settings);
    }

    /**
     * @param iface the interface.
     * @return the default state file for it in the current network namespace.
     */
    public static Path defaultFile(final String iface)
    {
        return Path.of(DIRECTORY_DEFAULT, iface + "@" + currentNetns().replaceAll("[^0-9]", "") + ".json");
    }

    /**
     * @return the current network namespace, as {@code readlink /proc/self/ns/net} shows it: {@code net:[4026531840]}.
     */
    public static String currentNetns()
    {
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        }
        catch (final IOException ex)
        {
            return "net:[unknown]";
        }
    }

    /**
     * @param file a state file.
     * @return the state.
     * @throws IllegalStateException naming the file if it cannot be read.
     */
    public static TuneState read(final Path file)
    {
        try
        {
            return JSON.readValue(file.toFile(), new TypeReference<TuneState>()
            {
            });
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(file + ": cannot read the saved state: " + ex.getMessage());
        }
    }

    /**
     * Write the state: to a temporary file, then renamed over the old, so a crash leaves one whole state file.
     *
     * @param file where.
     * @throws IllegalStateException naming the file if it cannot be written.
     */
    public void write(final Path file)
    {
        try
        {
            Files.createDirectories(file.toAbsolutePath().getParent());
            final Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(temporary.toFile(), this);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(file + ": cannot save the prior state: " + ex.getMessage());
        }
    }
}
