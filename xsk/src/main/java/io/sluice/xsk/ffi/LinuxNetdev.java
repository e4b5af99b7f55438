package io.sluice.xsk.ffi;

import static io.sluice.xsk.ffi.Ffi.constant;

/**
 * The kernel's {@code linux/netdev.h}: the generic netlink {@code netdev} family (Linux 6.3), which answers what
 * XDP and AF_XDP features a device's driver has. The header grew after 6.3: {@code NETDEV_A_DEV_XDP_ZC_MAX_SEGS}
 * arrived in 6.6, {@code NETDEV_A_DEV_XSK_FEATURES} and the {@code NETDEV_XSK_FLAGS_*} in 6.8,
 * {@code NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO} in 6.15. Older uapi headers lack them (Debian 12's 6.1 lacks the
 * header), so the values here are the kernel's, checked against the headers where they are new enough and against
 * the running kernel's BTF otherwise.
 */
public final class LinuxNetdev
{
    private static final String H = "linux/netdev.h";

    /**
     * {@code NETDEV_FAMILY_NAME}: the name {@code CTRL_CMD_GETFAMILY} resolves to the family's id.
     */
    public static final String NETDEV_FAMILY_NAME = "netdev";
    public static final int NETDEV_FAMILY_VERSION = (int)constant(H, "NETDEV_FAMILY_VERSION", 1);

    public static final int NETDEV_CMD_DEV_GET = (int)constant(H, "NETDEV_CMD_DEV_GET", 1);

    public static final int NETDEV_A_DEV_IFINDEX = (int)constant(H, "NETDEV_A_DEV_IFINDEX", 1);
    public static final int NETDEV_A_DEV_XDP_FEATURES = (int)constant(H, "NETDEV_A_DEV_XDP_FEATURES", 3);
    public static final int NETDEV_A_DEV_XDP_ZC_MAX_SEGS = (int)constant(H, "NETDEV_A_DEV_XDP_ZC_MAX_SEGS", 4);
    public static final int NETDEV_A_DEV_XSK_FEATURES = (int)constant(H, "NETDEV_A_DEV_XSK_FEATURES", 6);

    public static final long NETDEV_XDP_ACT_BASIC = constant(H, "NETDEV_XDP_ACT_BASIC", 1);
    public static final long NETDEV_XDP_ACT_REDIRECT = constant(H, "NETDEV_XDP_ACT_REDIRECT", 2);
    public static final long NETDEV_XDP_ACT_NDO_XMIT = constant(H, "NETDEV_XDP_ACT_NDO_XMIT", 4);
    public static final long NETDEV_XDP_ACT_XSK_ZEROCOPY = constant(H, "NETDEV_XDP_ACT_XSK_ZEROCOPY", 8);
    public static final long NETDEV_XDP_ACT_HW_OFFLOAD = constant(H, "NETDEV_XDP_ACT_HW_OFFLOAD", 16);
    public static final long NETDEV_XDP_ACT_RX_SG = constant(H, "NETDEV_XDP_ACT_RX_SG", 32);
    public static final long NETDEV_XDP_ACT_NDO_XMIT_SG = constant(H, "NETDEV_XDP_ACT_NDO_XMIT_SG", 64);

    public static final long NETDEV_XSK_FLAGS_TX_TIMESTAMP = constant(H, "NETDEV_XSK_FLAGS_TX_TIMESTAMP", 1);
    public static final long NETDEV_XSK_FLAGS_TX_CHECKSUM = constant(H, "NETDEV_XSK_FLAGS_TX_CHECKSUM", 2);
    public static final long NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO =
        constant(H, "NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO", 4);

    private LinuxNetdev()
    {
    }
}
