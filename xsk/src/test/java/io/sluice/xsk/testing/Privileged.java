package io.sluice.xsk.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need root: network namespaces, XDP, AF_XDP. Without privilege they are skipped on a
 * developer's machine, but fail when {@code SLUICE_REQUIRE_PRIVILEGED=1} (CI), so CI can never pass by skipping.
 */
public final class Privileged
{
    public static final String REQUIRE_ENV = "SLUICE_REQUIRE_PRIVILEGED";

    private Privileged()
    {
    }

    /**
     * Skip or fail the calling test if the process is not root.
     *
     * @param what what the test exercises, for the message.
     */
    public static void require(final String what)
    {
        final String missing = isRoot() ? null : "the test JVM is not root";
        if (null != missing)
        {
            final String message = what + " needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN): " + missing;
            if ("1".equals(System.getenv(REQUIRE_ENV)))
            {
                Assertions.fail(message + "; " + REQUIRE_ENV + "=1 forbids skipping it");
            }
            Assumptions.abort(message);
        }
    }

    static boolean isRoot()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Uid:"))
                {
                    return "0".equals(line.split("\\s+")[2]);
                }
            }
        }
        catch (final IOException ignore)
        {
            // treated as unprivileged
        }

        return false;
    }
}
