package io.sluice.xsk.netlink;

import io.sluice.xsk.ffi.LinuxNetdev;

import java.util.ArrayList;
import java.util.List;

/**
 * What the kernel's {@code netdev} family reports of a device's XDP and AF_XDP features
 * ({@code NETDEV_CMD_DEV_GET}), as {@code ynl --family netdev --do dev-get} prints it: whether the driver has AF_XDP
 * zero-copy is {@link #zeroCopy()}.
 *
 * @param xdpFeatures   {@code NETDEV_A_DEV_XDP_FEATURES}: {@code NETDEV_XDP_ACT_*} bits.
 * @param zcMaxSegs     {@code NETDEV_A_DEV_XDP_ZC_MAX_SEGS}: the most buffers one zero-copy frame may span (1: no
 *                      multi-buffer zero-copy); 0 when not reported, as the kernel reports it only for a device with
 *                      xsk-zerocopy, and only since 6.6.
 * @param xskFeatures   {@code NETDEV_A_DEV_XSK_FEATURES}: {@code NETDEV_XSK_FLAGS_*} bits, the TX metadata the
 *                      driver fills in; 0 when none or not reported (before 6.8).
 * @param unknownReason why the kernel could not be asked (a kernel before 6.3 has no {@code netdev} family), or null
 *                      when it answered.
 */
public record XdpFeatures(long xdpFeatures, int zcMaxSegs, long xskFeatures, String unknownReason)
{
    private static final long[] XDP_BITS = {
        LinuxNetdev.NETDEV_XDP_ACT_BASIC,
        LinuxNetdev.NETDEV_XDP_ACT_REDIRECT,
        LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT,
        LinuxNetdev.NETDEV_XDP_ACT_XSK_ZEROCOPY,
        LinuxNetdev.NETDEV_XDP_ACT_HW_OFFLOAD,
        LinuxNetdev.NETDEV_XDP_ACT_RX_SG,
        LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT_SG };
    /**
     * The netlink spec's names for {@link #XDP_BITS} ({@code Documentation/netlink/specs/netdev.yaml}).
     */
    private static final String[] XDP_NAMES = {
        "basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg" };
    private static final long[] XSK_BITS = {
        LinuxNetdev.NETDEV_XSK_FLAGS_TX_TIMESTAMP,
        LinuxNetdev.NETDEV_XSK_FLAGS_TX_CHECKSUM,
        LinuxNetdev.NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO };
    private static final String[] XSK_NAMES = { "tx-timestamp", "tx-checksum", "tx-launch-time-fifo" };

    /**
     * @param reason why the kernel could not be asked.
     * @return a result that knows nothing.
     */
    public static XdpFeatures unknown(final String reason)
    {
        return new XdpFeatures(0, 0, 0, reason);
    }

    /**
     * @return true if the kernel answered.
     */
    public boolean known()
    {
        return null == unknownReason;
    }

    /**
     * @return XDP_ABORTED, XDP_DROP, XDP_PASS and XDP_TX in the driver (native XDP).
     */
    public boolean basic()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_BASIC);
    }

    /**
     * @return XDP_REDIRECT in the driver, which AF_XDP receives through.
     */
    public boolean redirect()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_REDIRECT);
    }

    /**
     * @return {@code ndo_xdp_xmit}: frames can be redirected out of this device.
     */
    public boolean ndoXmit()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT);
    }

    /**
     * @return AF_XDP zero-copy: a bind with {@code XDP_ZEROCOPY} can succeed.
     */
    public boolean zeroCopy()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_XSK_ZEROCOPY);
    }

    public boolean hwOffload()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_HW_OFFLOAD);
    }

    /**
     * @return multi-buffer (non-linear) frames on receive.
     */
    public boolean rxSg()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_RX_SG);
    }

    public boolean ndoXmitSg()
    {
        return has(LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT_SG);
    }

    /**
     * @return the set {@code xdp-features} by their netlink names, comma-separated ("basic,redirect,rx-sg"), bits
     * without a name in hex; "none" if none is set.
     */
    public String xdpFeatureNames()
    {
        return names(xdpFeatures, XDP_BITS, XDP_NAMES);
    }

    /**
     * @return the set {@code xsk-features} by their netlink names, "none" if none is set.
     */
    public String xskFeatureNames()
    {
        return names(xskFeatures, XSK_BITS, XSK_NAMES);
    }

    /**
     * What the kernel reports, for a message: "xdp-features basic,redirect,rx-sg (no xsk-zerocopy)", or with
     * zero-copy "xdp-features basic,redirect,ndo-xmit,xsk-zerocopy, zc max segs 1".
     *
     * @return the summary; for an unknown result, why it is unknown.
     */
    public String summary()
    {
        if (!known())
        {
            return "xdp-features unknown (" + unknownReason + ")";
        }

        return "xdp-features " + xdpFeatureNames() + (zeroCopy() ?
            (zcMaxSegs > 0 ? ", zc max segs " + zcMaxSegs : "") : " (no xsk-zerocopy)");
    }

    /**
     * @return "xdp-features: basic,redirect,rx-sg; xsk-features: none", with "; zc-max-segs: N" when reported.
     */
    public String toString()
    {
        if (!known())
        {
            return "xdp-features: unknown (" + unknownReason + ")";
        }

        return "xdp-features: " + xdpFeatureNames() + (zcMaxSegs > 0 ? "; zc-max-segs: " + zcMaxSegs : "") +
            "; xsk-features: " + xskFeatureNames();
    }

    private boolean has(final long bit)
    {
        return 0 != (xdpFeatures & bit);
    }

    private static String names(final long bits, final long[] known, final String[] names)
    {
        final List<String> set = new ArrayList<>();
        long rest = bits;
        for (int i = 0; i < known.length; i++)
        {
            if (0 != (bits & known[i]))
            {
                set.add(names[i]);
                rest &= ~known[i];
            }
        }
        if (0 != rest)
        {
            set.add("0x" + Long.toHexString(rest));
        }

        return set.isEmpty() ? "none" : String.join(",", set);
    }
}
