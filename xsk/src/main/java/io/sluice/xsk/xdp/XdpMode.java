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
}
