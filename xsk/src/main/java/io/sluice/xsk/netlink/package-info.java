/**
 * A small generic netlink client over the FFM bindings: one request and its reply at a time
 * ({@link io.sluice.xsk.netlink.GenericNetlink}), and the kernel's {@code netdev} family, which reports a driver's
 * XDP and AF_XDP features ({@link io.sluice.xsk.netlink.NetdevFamily}, {@link io.sluice.xsk.netlink.XdpFeatures}).
 */
package io.sluice.xsk.netlink;
