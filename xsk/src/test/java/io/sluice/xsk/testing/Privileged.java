package io.sluice.xsk.testing;

import io.sluice.xsk.ffi.Capabilities;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.List;

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
     * Skip or fail the calling test if the process lacks what namespaces, XDP and AF_XDP need.
     *
     * @param what what the test exercises, for the message.
     */
    public static void require(final String what)
    {
        final String missing = missingCapabilities();
        if (null != missing)
        {
            final String message = what + " needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF): missing " + missing;
            if ("1".equals(System.getenv(REQUIRE_ENV)))
            {
                Assertions.fail(message + "; " + REQUIRE_ENV + "=1 forbids skipping it");
            }
            Assumptions.abort(message);
        }
    }

    private static String missingCapabilities()
    {
        final long effective = Capabilities.effective();
        final List<String> missing = new ArrayList<>();
        for (final int capability : new int[] { Capabilities.CAP_SYS_ADMIN, Capabilities.CAP_NET_ADMIN,
            Capabilities.CAP_BPF })
        {
            if (effective < 0 || 0 == (effective & (1L << capability)))
            {
                missing.add(switch (capability)
                {
                    case Capabilities.CAP_SYS_ADMIN -> "CAP_SYS_ADMIN";
                    case Capabilities.CAP_NET_ADMIN -> "CAP_NET_ADMIN";
                    default -> "CAP_BPF";
                });
            }
        }

        return missing.isEmpty() ? null : String.join(", ", missing);
    }
}
