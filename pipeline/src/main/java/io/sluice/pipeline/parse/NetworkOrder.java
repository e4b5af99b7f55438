package io.sluice.pipeline.parse;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The layouts every flyweight reads and writes with: network byte order (big-endian) and unaligned, because a
 * header starts wherever the headers before it ended (a 14 byte Ethernet header leaves IPv4 on a 2 byte boundary).
 */
final class NetworkOrder
{
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NetworkOrder()
    {
    }
}
