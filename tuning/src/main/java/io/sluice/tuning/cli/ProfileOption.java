package io.sluice.tuning.cli;

import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.Profile;
import io.sluice.pipeline.profile.ProfileCatalog;
import io.sluice.pipeline.profile.ProfileFile;

import java.nio.file.Path;

/**
 * The profile a command uses: the file given, else the shipped profile for the interface's driver.
 *
 * @param profile the profile.
 * @param reason  how it was chosen, for the log.
 */
record ProfileOption(Profile profile, String reason)
{
    /**
     * @param file  {@code --profile}, or null.
     * @param iface {@code --iface}, or null.
     * @return the profile and why.
     */
    static ProfileOption resolve(final Path file, final String iface)
    {
        if (null != file)
        {
            return new ProfileOption(ProfileFile.load(file), "profile " + file + " (--profile)");
        }
        if (null == iface)
        {
            final Profile generic = ProfileCatalog.shipped().byName(ProfileCatalog.GENERIC);
            return new ProfileOption(null == generic ? Profile.defaults() : generic,
                "profile " + (null == generic ? Profile.DEFAULTS_SOURCE : generic.source()) +
                    " (no --iface or --profile)");
        }
        final ProfileCatalog.Choice choice = ProfileCatalog.shipped().choose(NetDevice.read(iface));

        return new ProfileOption(choice.profile(), choice.reason());
    }
}
