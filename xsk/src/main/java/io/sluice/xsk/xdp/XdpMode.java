package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.LibXdp;
import io.sluice.xsk.ffi.LinuxBpf;

/**
 * Where the XDP program runs.
 */
public enum XdpMode
{
    /**
     * In the driver, before an skb exists: the fast path. The default.
     */
    NATIVE(LinuxBpf.XDP_FLAGS_DRV_MODE, LibXdp.XDP_MODE_NATIVE),
    /**
     * After the skb is built, for drivers without native XDP. Explicit only: it is much slower.
     */
    GENERIC(LinuxBpf.XDP_FLAGS_SKB_MODE, LibXdp.XDP_MODE_SKB);

    private final int linkFlags;
    private final int libxdpMode;

    XdpMode(final int linkFlags, final int libxdpMode)
    {
        this.linkFlags = linkFlags;
        this.libxdpMode = libxdpMode;
    }

    int linkFlags()
    {
        return linkFlags;
    }

    int libxdpMode()
    {
        return libxdpMode;
    }

    /**
     * @return the name used in profiles and on the command line: {@code native} or {@code generic}.
     */
    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * @param label {@code native} or {@code generic}.
     * @return the mode.
     * @throws IllegalArgumentException naming the allowed values.
     */
    public static XdpMode fromLabel(final String label)
    {
        for (final XdpMode mode : values())
        {
            if (mode.label().equals(label))
            {
                return mode;
            }
        }

        throw new IllegalArgumentException("XDP mode must be native or generic, not '" + label + "'");
    }
}
