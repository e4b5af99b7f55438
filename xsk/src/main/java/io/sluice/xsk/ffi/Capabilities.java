package io.sluice.xsk.ffi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The calling process's effective capabilities, to say exactly which are missing when the kernel says EPERM.
 */
public final class Capabilities
{
    public static final int CAP_NET_ADMIN = 12;
    public static final int CAP_NET_RAW = 13;
    public static final int CAP_IPC_LOCK = 14;
    public static final int CAP_SYS_ADMIN = 21;
    public static final int CAP_PERFMON = 38;
    public static final int CAP_BPF = 39;

    private Capabilities()
    {
    }

    /**
     * @return the effective capability mask, or -1 if it cannot be read.
     */
    public static long effective()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("CapEff:"))
                {
                    return Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                }
            }
        }
        catch (final IOException | NumberFormatException ignore)
        {
            // unknown
        }

        return -1;
    }

    /**
     * A hint for an EPERM from loading or attaching an XDP program: which capabilities are missing and how to
     * get them. CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON, as the kernel allows.
     *
     * @return the hint.
     */
    public static String xdpHint()
    {
        final long effective = effective();
        final List<String> missing = missingForXdp(effective);
        final String fix = "run as root, or grant them: setcap cap_bpf,cap_perfmon,cap_net_admin,cap_net_raw+ep " +
            "on the java binary";

        return missing.isEmpty() ?
            "the process has CAP_BPF and CAP_NET_ADMIN, so a security module (lockdown, SELinux) or " +
                "kernel.unprivileged_bpf_disabled refused it" :
            "missing " + String.join(", ", missing) + " (effective capabilities 0x" +
                Long.toHexString(Math.max(0, effective)) + "): " + fix;
    }

    /**
     * @param effective an effective capability mask, as {@link #effective()} reads it.
     * @return what loading and attaching the XDP program needs and the mask lacks, by name: CAP_BPF, CAP_PERFMON
     * (CAP_SYS_ADMIN stands in for both, as the kernel allows) and CAP_NET_ADMIN.
     */
    public static List<String> missingForXdp(final long effective)
    {
        final List<String> missing = new ArrayList<>();
        final boolean sysAdmin = has(effective, CAP_SYS_ADMIN);
        if (!sysAdmin && !has(effective, CAP_BPF))
        {
            missing.add("CAP_BPF");
        }
        if (!sysAdmin && !has(effective, CAP_PERFMON))
        {
            missing.add("CAP_PERFMON");
        }
        if (!has(effective, CAP_NET_ADMIN))
        {
            missing.add("CAP_NET_ADMIN");
        }

        return missing;
    }

    /**
     * @return the hint for a verifier refusal (EACCES) to a loader without CAP_PERFMON.
     */
    public static String perfmonHint()
    {
        return "missing CAP_PERFMON: the verifier lets only a loader with CAP_PERFMON add a variable offset to a " +
            "packet pointer (its Spectre v1 guard), which the program's header parsing does; grant cap_perfmon as " +
            "the others are";
    }

    /**
     * @param capability a capability number, e.g. {@link #CAP_SYS_ADMIN}.
     * @return true if the process has it in its effective set.
     */
    public static boolean effective(final int capability)
    {
        return has(effective(), capability);
    }

    /**
     * @param mask       an effective set, as {@link #effective()} reads it (negative: unknown, so none).
     * @param capability a capability number.
     * @return true if the set holds it.
     */
    public static boolean has(final long mask, final int capability)
    {
        return mask >= 0 && (mask & (1L << capability)) != 0;
    }
}
