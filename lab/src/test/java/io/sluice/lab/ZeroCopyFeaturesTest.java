package io.sluice.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.perf.SluiceProcess;
import io.sluice.xsk.netlink.NetdevFamily;
import io.sluice.xsk.netlink.XdpFeatures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the guest's kernel says about its NICs through the netlink {@code netdev} family, and the doctor asking it:
 * on virtio_net and igb {@code xdp-features} has {@code xsk-zerocopy}, where veth (in {@code DoctorTest}) has not,
 * and the shipped profile's {@code zero_copy_since} agrees with the guest's kernel.
 */
@Tag("lab")
class ZeroCopyFeaturesTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldReportXskZeroCopyWithOneBufferPerFrameForTheLabsNic()
    {
        final String driver = LabGuest.require();

        final XdpFeatures features = NetdevFamily.xdpFeatures(DUT_IF);

        System.out.println(DUT_IF + " (" + driver + "): " + features);
        assertTrue(features.known(), features.toString());
        assertTrue(features.zeroCopy(), DUT_IF + " (" + driver + ") should report xsk-zerocopy: " + features);
        assertTrue(features.basic() && features.redirect(), features.toString());
        assertEquals(1, features.zcMaxSegs(), "neither driver chains buffers in zero-copy: " + features);
        assertEquals(expectedXdpFeatures(driver), features.xdpFeatureNames(), features.toString());
    }

    @Test
    void shouldHaveTheDoctorPassZeroCopyWithTheKernelAgreeingWithTheShippedProfile() throws Exception
    {
        final String driver = LabGuest.require();
        final Path profile = SluiceProcess.sluiceHome().resolve("nic-profiles").resolve(driver + ".yaml");
        final Path out = Files.createTempFile("doctor", ".json");
        try
        {
            final Process doctor = new ProcessBuilder(SluiceProcess.sluiceHome().resolve("sluice").toString(),
                "doctor", "--iface", DUT_IF, "--profile", profile.toString(), "--json")
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertTrue(doctor.waitFor(300, TimeUnit.SECONDS), "./sluice doctor finished");
            final String text = Files.readString(out);
            final JsonNode report = JSON.readTree(text);

            final JsonNode zeroCopy = check(report, "zero_copy");
            final JsonNode features = check(report, "xdp_features");
            assertEquals("pass", zeroCopy.get("status").asText(), text);
            assertTrue(zeroCopy.get("detail").asText().startsWith(driver + " has AF_XDP zero-copy since " +
                sinceOf(driver)), text);
            assertEquals("pass", features.get("status").asText(), text);
            assertEquals("the kernel reports xsk-zerocopy for " + DUT_IF + " (driver " + driver + "): " +
                expectedXdpFeatures(driver) + "; zc max segs 1 (one buffer per zero-copy frame); rx-sg " +
                ("virtio_net".equals(driver) ? "set" : "not set") + "; policy prefer", features.get("detail").asText(), text);
            assertFalse(text.contains("disagrees"), text);
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /**
     * @return what Linux 6.18's driver sets in {@code xdp_features} with no XDP program attached, by netlink name, as
     * seen in the lab: neither reports {@code ndo-xmit} then, and virtio_net takes multi-buffer frames in XDP
     * ({@code rx-sg}), though not in zero-copy (zc max segs 1).
     */
    private static String expectedXdpFeatures(final String driver)
    {
        return "virtio_net".equals(driver) ? "basic,redirect,xsk-zerocopy,rx-sg" : "basic,redirect,xsk-zerocopy";
    }

    /**
     * @return the release the shipped profile says brought the driver zero-copy.
     */
    private static String sinceOf(final String driver)
    {
        return "igb".equals(driver) ? "6.14" : "6.11";
    }

    private static JsonNode check(final JsonNode report, final String name)
    {
        for (final JsonNode check : report.get("checks"))
        {
            if (name.equals(check.get("check").asText()))
            {
                return check;
            }
        }

        throw new AssertionError("no check " + name + " in " + report);
    }
}
