package io.sluice.pipeline.profile;

import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShippedProfilesTest
{
    private static final Path DIR = Path.of("..", "nic-profiles");

    /**
     * Driver names as {@code ethtool -i} prints them, for the profiles the project promises.
     */
    private static final Map<String, String> DRIVERS = Map.ofEntries(
        Map.entry("veth", "veth"),
        Map.entry("virtio_net", "virtio_net"),
        Map.entry("mlx5", "mlx5_core"),
        Map.entry("ice", "ice"),
        Map.entry("i40e", "i40e"),
        Map.entry("ixgbe", "ixgbe"),
        Map.entry("igc", "igc"),
        Map.entry("igb", "igb"),
        Map.entry("ena", "ena"),
        Map.entry("bnxt", "bnxt_en"));

    @Test
    void shouldParseAndValidateEveryShippedProfile()
    {
        final ProfileCatalog catalog = ProfileCatalog.of(DIR);

        final List<String> names = catalog.profiles().stream().map(ProfileCatalog::name).sorted().toList();
        final List<String> expected = new java.util.ArrayList<>(DRIVERS.keySet());
        expected.add(ProfileCatalog.GENERIC);
        assertEquals(expected.stream().sorted().toList(), names);
    }

    @Test
    void shouldSayWhereEveryShippedProfilesValuesComeFrom() throws Exception
    {
        for (final Profile profile : ProfileCatalog.of(DIR).profiles())
        {
            final String text = java.nio.file.Files.readString(Path.of(profile.source()));
            assertTrue(text.startsWith("# "), profile.source());
            assertTrue(text.contains("\n# Where the values come from:\n"), profile.source());
        }
    }

    @Test
    void shouldNameEachDriverOnceSoDetectionIsUnambiguous()
    {
        final ProfileCatalog catalog = ProfileCatalog.of(DIR);

        for (final Map.Entry<String, String> entry : DRIVERS.entrySet())
        {
            final Profile profile = catalog.forDriver(entry.getValue());
            assertNotNull(profile, entry.getValue());
            assertEquals(entry.getKey(), ProfileCatalog.name(profile));
            assertEquals(1, catalog.profiles().stream().filter((p) -> entry.getValue().equals(p.driver())).count());
        }
        assertNull(catalog.byName(ProfileCatalog.GENERIC).driver());
    }

    @Test
    void shouldRunCopyOnlyDriversInCopyModeAndSayTheyHaveNoZeroCopy()
    {
        final ProfileCatalog catalog = ProfileCatalog.of(DIR);

        for (final String name : List.of("veth", "ena", "bnxt", "generic"))
        {
            final Profile profile = catalog.byName(name);
            assertEquals(ZeroCopyPolicy.COPY, profile.xskConfig().zeroCopy(), name);
        }
        for (final String name : List.of("veth", "ena", "bnxt"))
        {
            assertTrue(catalog.byName(name).hostTuning().noZeroCopy(), name);
        }
        assertEquals(XdpMode.GENERIC, catalog.byName(ProfileCatalog.GENERIC).xdpMode());
    }

    @Test
    void shouldGiveEveryZeroCopyDriverTheReleaseItGainedZeroCopyIn()
    {
        final ProfileCatalog catalog = ProfileCatalog.of(DIR);
        final Map<String, String> since = Map.of("i40e", "4.20", "ixgbe", "4.20", "mlx5", "5.3", "ice", "5.5",
            "igc", "5.14", "virtio_net", "6.11", "igb", "6.14");

        for (final Map.Entry<String, String> entry : since.entrySet())
        {
            assertEquals(entry.getValue(), catalog.byName(entry.getKey()).hostTuning().zeroCopySince(),
                entry.getKey());
        }
    }
}
