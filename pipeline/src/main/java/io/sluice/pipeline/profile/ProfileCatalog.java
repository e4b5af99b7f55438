package io.sluice.pipeline.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The profiles Sluice ships in {@code nic-profiles/}, one per driver, and the choice of one for an interface: the
 * profile whose {@code driver} is the interface's driver, else {@value #GENERIC}.
 */
public final class ProfileCatalog
{
    /**
     * System property naming the folder of shipped profiles; without it, {@code $SLUICE_HOME/nic-profiles}, then a
     * {@code nic-profiles} folder in the working folder or one of its parents.
     */
    public static final String DIRECTORY_PROP_NAME = "sluice.profiles.dir";

    /**
     * The conservative fallback for a driver no profile names: copy mode, generic XDP, defaults everywhere else.
     */
    public static final String GENERIC = "generic";

    private final Path directory;
    private final List<Profile> profiles;

    private ProfileCatalog(final Path directory, final List<Profile> profiles)
    {
        this.directory = directory;
        this.profiles = profiles;
    }

    /**
     * @return the folder of shipped profiles, or null if none is found.
     */
    public static Path shippedDirectory()
    {
        final String property = System.getProperty(DIRECTORY_PROP_NAME);
        if (null != property && !property.isBlank())
        {
            return Path.of(property);
        }
        final String home = System.getenv("SLUICE_HOME");
        if (null != home && Files.isDirectory(Path.of(home, "nic-profiles")))
        {
            return Path.of(home, "nic-profiles");
        }
        for (Path dir = Path.of("").toAbsolutePath(); null != dir; dir = dir.getParent())
        {
            if (Files.isDirectory(dir.resolve("nic-profiles")))
            {
                return dir.resolve("nic-profiles");
            }
        }

        return null;
    }

    /**
     * @return the shipped profiles, every one loaded and checked.
     * @throws ProfileException if there are none, or one is invalid.
     */
    public static ProfileCatalog shipped()
    {
        final Path directory = shippedDirectory();
        if (null == directory)
        {
            throw new ProfileException("nic-profiles", 0, "no folder of shipped profiles found: set SLUICE_HOME to " +
                "Sluice's folder, or -D" + DIRECTORY_PROP_NAME + "=DIR");
        }

        return of(directory);
    }

    /**
     * @param directory a folder of {@code *.yaml} profiles.
     * @return its profiles, every one loaded and checked, in file name order.
     * @throws ProfileException if there are none, or one is invalid.
     */
    public static ProfileCatalog of(final Path directory)
    {
        final List<Path> files;
        try (Stream<Path> entries = Files.list(directory))
        {
            files = entries.filter((p) -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new ProfileException(directory.toString(), 0, "cannot list profiles: " + ex.getMessage());
        }
        if (files.isEmpty())
        {
            throw new ProfileException(directory.toString(), 0, "no *.yaml profiles here");
        }
        final List<Profile> profiles = new ArrayList<>();
        for (final Path file : files)
        {
            profiles.add(ProfileFile.load(file, directory));
        }

        return new ProfileCatalog(directory, List.copyOf(profiles));
    }

    /**
     * @return the folder the profiles came from.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * @return every profile, in file name order.
     */
    public List<Profile> profiles()
    {
        return profiles;
    }

    /**
     * @param name a profile's file name without {@code .yaml}.
     * @return the profile, or null.
     */
    public Profile byName(final String name)
    {
        for (final Profile profile : profiles)
        {
            if (name(profile).equals(name))
            {
                return profile;
            }
        }

        return null;
    }

    /**
     * @param driver as {@code ethtool -i} names it.
     * @return the profile for the driver, or null if none names it.
     */
    public Profile forDriver(final String driver)
    {
        for (final Profile profile : profiles)
        {
            if (null != profile.driver() && profile.driver().equalsIgnoreCase(driver))
            {
                return profile;
            }
        }

        return null;
    }

    /**
     * The profile for an interface: the one naming its driver, else {@value #GENERIC}.
     *
     * @param device the interface.
     * @return the choice, with the reason to log.
     * @throws ProfileException if neither exists.
     */
    public Choice choose(final NetDevice device)
    {
        final Profile exact = forDriver(device.driver());
        if (null != exact)
        {
            return new Choice(exact, "profile " + exact.source() + ": " + device.name() + "'s driver is " +
                device.driver() + " (" + device.driverSource() + ")");
        }
        final Profile generic = byName(GENERIC);
        if (null == generic)
        {
            throw new ProfileException(directory.toString(), 0, "no profile for " + device.name() + "'s driver " +
                device.driver() + ", and no " + GENERIC + ".yaml to fall back to");
        }

        return new Choice(generic, "profile " + generic.source() + ": no profile names " + device.name() +
            "'s driver " + device.driver() + " (" + device.driverSource() + "), so the conservative fallback");
    }

    /**
     * @param profile a profile.
     * @return its file name without {@code .yaml}, lower case.
     */
    public static String name(final Profile profile)
    {
        final String file = Path.of(profile.source()).getFileName().toString();
        return (file.endsWith(".yaml") ? file.substring(0, file.length() - ".yaml".length()) : file)
            .toLowerCase(Locale.ROOT);
    }

    /**
     * A profile chosen for an interface.
     *
     * @param profile the profile.
     * @param reason  why, for the log: {@code profile nic-profiles/veth.yaml: veth0's driver is veth (...)}.
     */
    public record Choice(Profile profile, String reason)
    {
    }
}
