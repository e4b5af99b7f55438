package io.sluice.xsk.netlink;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.LinuxNetdev;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's {@code netdev} generic netlink family asked about a veth pair in a test namespace, and what the
 * answer reads as.
 */
class NetdevFamilyTest
{
    private static final String IF = "ndf0";
    private static final String PEER = "ndf1";
    /**
     * What veth sets for a device whose peer has no XDP program and no GRO (veth_set_xdp_features() in
     * drivers/net/veth.c): native XDP with redirect, multi-buffer receive, and no AF_XDP zero-copy, since veth has
     * no ndo_xsk_wakeup.
     */
    private static final long VETH_XDP_FEATURES = LinuxNetdev.NETDEV_XDP_ACT_BASIC |
        LinuxNetdev.NETDEV_XDP_ACT_REDIRECT | LinuxNetdev.NETDEV_XDP_ACT_RX_SG;
    /**
     * veth adds these once its peer can take redirected frames, which needs an XDP program (or GRO) on the peer.
     */
    private static final long VETH_XMIT_FEATURES = LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT |
        LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT_SG;

    private NetNs ns;

    @AfterEach
    void tearDown()
    {
        if (null != ns)
        {
            ns.close();
        }
    }

    @Test
    void shouldReportVethWithoutZeroCopyAndWithoutZcMaxSegs() throws Exception
    {
        vethPair();

        final XdpFeatures features = ns.call(() -> NetdevFamily.xdpFeatures(IF));

        System.out.println("NetdevFamilyTest: " + IF + " (veth) " + features);
        assertTrue(features.known(), features::toString);
        assertEquals(VETH_XDP_FEATURES, features.xdpFeatures(), features::toString);
        assertTrue(features.basic());
        assertTrue(features.redirect());
        assertTrue(features.rxSg());
        assertFalse(features.zeroCopy());
        assertFalse(features.ndoXmit(), "no XDP program on the peer yet");
        // the kernel puts NETDEV_A_DEV_XDP_ZC_MAX_SEGS in the reply only for a device with xsk-zerocopy
        // (netdev_nl_dev_fill() in net/core/netdev-genl.c), so for veth it is absent, which reads as 0
        assertEquals(0, features.zcMaxSegs());
        // veth fills in no AF_XDP TX metadata
        assertEquals(0, features.xskFeatures());
        assertEquals("xdp-features: basic,redirect,rx-sg; xsk-features: none", features.toString());
        assertEquals("xdp-features basic,redirect,rx-sg (no xsk-zerocopy)", features.summary());
    }

    @Test
    void shouldAddNdoXmitOnceThePeerHasAnXdpProgram() throws Exception
    {
        vethPair();

        try (SteeringProgram program = ns.call(() -> SteeringProgram.open().attach(PEER, XdpMode.NATIVE)))
        {
            final XdpFeatures features = ns.call(() -> NetdevFamily.xdpFeatures(IF));

            System.out.println("NetdevFamilyTest: " + IF + " (veth, XDP on " + PEER + " " +
                program.attachment().name().toLowerCase(Locale.ROOT) + ") " + features);
            assertEquals(VETH_XDP_FEATURES | VETH_XMIT_FEATURES, features.xdpFeatures(), features::toString);
            assertTrue(features.ndoXmit());
            assertTrue(features.ndoXmitSg());
            assertFalse(features.zeroCopy());
            assertEquals(0, features.zcMaxSegs());
        }

        assertEquals(VETH_XDP_FEATURES, ns.call(() -> NetdevFamily.xdpFeatures(IF)).xdpFeatures(),
            "the peer's program is gone, and so is ndo-xmit");
    }

    @Test
    void shouldAskByIfindexInTheCallersNamespace() throws Exception
    {
        vethPair();
        final int ifindex = ns.call(() -> LibC.ifIndex(IF));

        assertEquals(VETH_XDP_FEATURES, ns.call(() -> NetdevFamily.xdpFeatures(ifindex)).xdpFeatures());
        assertEquals(0, ns.call(() -> NetdevFamily.xdpFeatures(LibC.ifIndex("lo"))).xdpFeatures(),
            "loopback has no native XDP");
    }

    @Test
    void shouldNameAnInterfaceThatDoesNotExist() throws Exception
    {
        Privileged.require("asking the netdev family in a network namespace");
        ns = NetNs.create("netdev");

        final NativeException ex = assertThrows(NativeException.class,
            () -> ns.call(() -> NetdevFamily.xdpFeatures("nosuch0")));

        assertEquals("interface nosuch0 not found (if_nametoindex): No such device (ENODEV); check the name with " +
            "`ip link`, and that Sluice runs in the interface's network namespace", ex.getMessage());
    }

    @Test
    void shouldPassOnTheKernelsErrnoForAnIfindexNoInterfaceHas() throws Exception
    {
        Privileged.require("asking the netdev family in a network namespace");
        ns = NetNs.create("netdev");

        final NativeException ex = assertThrows(NativeException.class,
            () -> ns.call(() -> NetdevFamily.xdpFeatures(999_999)));

        assertEquals(Errno.ENODEV, ex.errno(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith("NETDEV_CMD_DEV_GET for ifindex 999999: No such device (ENODEV)"),
            ex.getMessage());
        final XdpFeatures quiet = ns.call(() -> NetdevFamily.xdpFeaturesOrUnknown(999_999));
        assertFalse(quiet.known());
        assertEquals(ex.getMessage(), quiet.unknownReason());
    }

    @Test
    void shouldAnswerEnoentForAFamilyTheKernelDoesNotHave()
    {
        // the path a kernel before 6.3 takes for "netdev", which NetdevFamily turns into an unknown result
        try (GenericNetlink netlink = GenericNetlink.open())
        {
            final NativeException ex = assertThrows(NativeException.class,
                () -> netlink.familyId("sluice-nosuch"));

            assertEquals(Errno.ENOENT, ex.errno(), ex.getMessage());
            assertTrue(ex.getMessage().startsWith("CTRL_CMD_GETFAMILY sluice-nosuch: No such file or directory " +
                "(ENOENT)"), ex.getMessage());
            assertTrue(netlink.familyId(LinuxNetdev.NETDEV_FAMILY_NAME) > 0, "the same socket still answers");
        }
    }

    @Test
    void shouldNameEveryFeatureBitAndShowUnknownOnesInHex()
    {
        final XdpFeatures zeroCopy = new XdpFeatures(LinuxNetdev.NETDEV_XDP_ACT_BASIC |
            LinuxNetdev.NETDEV_XDP_ACT_REDIRECT | LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT |
            LinuxNetdev.NETDEV_XDP_ACT_XSK_ZEROCOPY | LinuxNetdev.NETDEV_XDP_ACT_RX_SG, 17,
            LinuxNetdev.NETDEV_XSK_FLAGS_TX_TIMESTAMP | LinuxNetdev.NETDEV_XSK_FLAGS_TX_CHECKSUM, null);

        assertTrue(zeroCopy.zeroCopy());
        assertEquals("xdp-features: basic,redirect,ndo-xmit,xsk-zerocopy,rx-sg; zc-max-segs: 17; " +
            "xsk-features: tx-timestamp,tx-checksum", zeroCopy.toString());
        assertEquals("xdp-features basic,redirect,ndo-xmit,xsk-zerocopy,rx-sg, zc max segs 17", zeroCopy.summary());
        assertEquals("hw-offload,ndo-xmit-sg,0x180", new XdpFeatures(
            LinuxNetdev.NETDEV_XDP_ACT_HW_OFFLOAD | LinuxNetdev.NETDEV_XDP_ACT_NDO_XMIT_SG | 0x180, 0, 0, null)
            .xdpFeatureNames());
        assertEquals("none", new XdpFeatures(0, 0, 0, null).xdpFeatureNames());
        assertEquals("xdp-features: unknown (" + NetdevFamily.NO_FAMILY + ")",
            XdpFeatures.unknown(NetdevFamily.NO_FAMILY).toString());
    }

    @Test
    void shouldParseAttributesAtFourByteStridesWithTheFlagBitsMasked()
    {
        final byte[] name = NetlinkAttributes.string(2, "netdev");
        final byte[] index = NetlinkAttributes.u32(1 | 0x8000, 7);
        final byte[] run = new byte[12 + 8];
        System.arraycopy(name, 0, run, 0, name.length);
        System.arraycopy(index, 0, run, 12, index.length);

        final NetlinkAttributes attributes = NetlinkAttributes.parse(MemorySegment.ofArray(run));

        assertEquals(11, name.length, "a 4-byte header, six letters and a NUL, padded by the caller");
        assertEquals("netdev", attributes.string(2));
        assertEquals(7, attributes.u32(1), "NLA_F_NESTED is not part of the type");
        assertThrows(NativeException.class, () -> attributes.u64(1), "a u32 is not a u64");
    }

    private void vethPair()
    {
        Privileged.require("asking the netdev family about a veth in a network namespace");
        ns = NetNs.create("netdev");
        ns.ip("link", "add", IF, "type", "veth", "peer", "name", PEER);
        ns.ip("link", "set", IF, "up");
        ns.ip("link", "set", PEER, "up");
    }
}
