package io.sluice.tuning.host;

import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthtoolTest
{
    @Test
    void shouldReadMaximaAndCurrentValuesWithNaAsMinusOne()
    {
        final Ethtool.Pair channels = Ethtool.parsePair("""
            Channel parameters for eth0:
            Pre-set maximums:
            RX:		n/a
            TX:		n/a
            Other:		1
            Combined:	63
            Current hardware settings:
            RX:		n/a
            TX:		n/a
            Other:		1
            Combined:	8
            """, List.of("rx", "tx", "other", "combined"));

        assertEquals(63, channels.max("combined"));
        assertEquals(8, channels.current("combined"));
        assertEquals(-1, channels.current("rx"));
        assertEquals(1, channels.current("other"));
    }

    @Test
    void shouldReadRingsWithoutMistakingRxMiniForRx()
    {
        final Ethtool.Pair rings = Ethtool.parsePair("""
            Ring parameters for ens1f0:
            Pre-set maximums:
            RX:			8160
            RX Mini:		n/a
            RX Jumbo:		n/a
            TX:			8160
            Current hardware settings:
            RX:			2048
            RX Mini:		n/a
            RX Jumbo:		n/a
            TX:			2048
            RX Buf Len:		n/a
            """, List.of("rx", "rx mini", "rx jumbo", "tx"));

        assertEquals(8160, rings.max("rx"));
        assertEquals(2048, rings.current("rx"));
        assertEquals(2048, rings.current("tx"));
        assertEquals(-1, rings.current("rx mini"));
    }

    @Test
    void shouldMarkFixedFeaturesAndGroupsOfAVethsRealFeatureList()
    {
        Privileged.require("ethtool -k on a veth in a network namespace");
        try (NetNs ns = NetNs.create("ethtool"))
        {
            ns.ip("link", "add", "eth1k", "type", "veth", "peer", "name", "eth0k");
            final String output = ns.exec("ethtool", "-k", "eth1k");
            final Map<String, Ethtool.Feature> features = Ethtool.parseFeatures(output);

            assertTrue(features.get("tcp-segmentation-offload").group(), "the line summing up tx-tcp-segmentation");
            assertFalse(features.get("tx-tcp-segmentation").group());
            assertFalse(features.get("generic-receive-offload").fixed());
            assertTrue(features.get("large-receive-offload").fixed());
            assertTrue(features.get("ntuple-filters").fixed());
            assertEquals(output.contains("generic-receive-offload: on"), features.get("generic-receive-offload").on());
            assertEquals(output.lines().filter((l) -> l.contains(": on") || l.contains(": off")).count(),
                features.size());
            assertEquals("generic-receive-offload", Ethtool.longName("GRO"));
            assertEquals("rx-gro-hw", Ethtool.longName("rx-gro-hw"));
        }
    }
}
