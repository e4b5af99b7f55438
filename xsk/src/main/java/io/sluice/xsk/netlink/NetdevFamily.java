package io.sluice.xsk.netlink;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxNetdev;
import io.sluice.xsk.ffi.NativeException;

/**
 * The kernel's generic netlink {@code netdev} family (Linux 6.3): asks it, with {@code NETDEV_CMD_DEV_GET}, what
 * XDP and AF_XDP features a device's driver has. Each call opens a socket, resolves the family and asks once; the
 * device is looked up in the calling thread's network namespace.
 */
public final class NetdevFamily
{
    /**
     * Why a kernel cannot be asked: CTRL_CMD_GETFAMILY found no {@code netdev}.
     */
    public static final String NO_FAMILY = "this kernel has no netdev generic netlink family; Linux 6.3 or later " +
        "reports xdp-features";

    private NetdevFamily()
    {
    }

    /**
     * @param ifname an interface in the calling thread's network namespace.
     * @return what the kernel reports for it, or {@link XdpFeatures#unknown} if the kernel has no netdev family.
     * @throws NativeException naming the interface if it does not exist or the kernel refuses the request.
     */
    public static XdpFeatures xdpFeatures(final String ifname)
    {
        return query(LibC.ifIndex(ifname), ifname);
    }

    /**
     * @param ifindex an interface index in the calling thread's network namespace.
     * @return what the kernel reports for it, or {@link XdpFeatures#unknown} if the kernel has no netdev family.
     * @throws NativeException if no interface has that index or the kernel refuses the request.
     */
    public static XdpFeatures xdpFeatures(final int ifindex)
    {
        return query(ifindex, null);
    }

    /**
     * For error paths: what the kernel reports, or why it could not say, without throwing.
     *
     * @param ifindex an interface index in the calling thread's network namespace.
     * @return the kernel's answer, or an unknown result carrying the failure.
     */
    public static XdpFeatures xdpFeaturesOrUnknown(final int ifindex)
    {
        try
        {
            return query(ifindex, null);
        }
        catch (final RuntimeException ex)
        {
            return XdpFeatures.unknown(ex.getMessage());
        }
    }

    private static XdpFeatures query(final int ifindex, final String ifname)
    {
        final String operation = "NETDEV_CMD_DEV_GET for " + (null == ifname ? "" : ifname + " ") + "ifindex " +
            ifindex;
        try (GenericNetlink netlink = GenericNetlink.open())
        {
            final int family;
            try
            {
                family = netlink.familyId(LinuxNetdev.NETDEV_FAMILY_NAME);
            }
            catch (final NativeException ex)
            {
                if (Errno.ENOENT == ex.errno())
                {
                    return XdpFeatures.unknown(NO_FAMILY);
                }
                throw ex;
            }

            final NetlinkAttributes reply = netlink.request(operation, family, LinuxNetdev.NETDEV_CMD_DEV_GET,
                LinuxNetdev.NETDEV_FAMILY_VERSION,
                NetlinkAttributes.u32(LinuxNetdev.NETDEV_A_DEV_IFINDEX, ifindex));
            if (!reply.has(LinuxNetdev.NETDEV_A_DEV_XDP_FEATURES))
            {
                throw new NativeException(operation + ": the reply has no NETDEV_A_DEV_XDP_FEATURES (attributes " +
                    reply.types() + ")");
            }

            return new XdpFeatures(
                reply.u64(LinuxNetdev.NETDEV_A_DEV_XDP_FEATURES),
                reply.has(LinuxNetdev.NETDEV_A_DEV_XDP_ZC_MAX_SEGS) ?
                    reply.u32(LinuxNetdev.NETDEV_A_DEV_XDP_ZC_MAX_SEGS) : 0,
                reply.has(LinuxNetdev.NETDEV_A_DEV_XSK_FEATURES) ?
                    reply.u64(LinuxNetdev.NETDEV_A_DEV_XSK_FEATURES) : 0,
                null);
        }
    }
}
