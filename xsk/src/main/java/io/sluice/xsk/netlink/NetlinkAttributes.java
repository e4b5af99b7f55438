package io.sluice.xsk.netlink;

import io.sluice.xsk.ffi.LinuxNetlink;
import io.sluice.xsk.ffi.LinuxNetlink.Nlattr;
import io.sluice.xsk.ffi.NativeException;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The top-level attributes of a netlink message, copied out of the receive buffer: each {@code struct nlattr}'s
 * payload by its type, read in the host's byte order as netlink carries them. Nested attributes are left unparsed.
 * Also builds a request's attributes.
 */
public final class NetlinkAttributes
{
    private final Map<Integer, MemorySegment> payloads;

    private NetlinkAttributes(final Map<Integer, MemorySegment> payloads)
    {
        this.payloads = payloads;
    }

    /**
     * Parse a run of attributes: the payload of a message after its family header.
     *
     * @param attributes the attributes' bytes; copied, so the buffer may be reused.
     * @return the attributes by type; of a type given twice, the last.
     * @throws NativeException if an attribute's length runs past the end.
     */
    public static NetlinkAttributes parse(final MemorySegment attributes)
    {
        final MemorySegment bytes = MemorySegment.ofArray(attributes.toArray(JAVA_BYTE));
        final Map<Integer, MemorySegment> payloads = new TreeMap<>();
        final int header = (int)Nlattr.LAYOUT.byteSize();
        long at = 0;
        while (at + header <= bytes.byteSize())
        {
            final int length = Short.toUnsignedInt(bytes.get(JAVA_SHORT_UNALIGNED, at + Nlattr.NLA_LEN));
            final int type =
                Short.toUnsignedInt(bytes.get(JAVA_SHORT_UNALIGNED, at + Nlattr.NLA_TYPE)) & LinuxNetlink.NLA_TYPE_MASK;
            if (length < header || at + length > bytes.byteSize())
            {
                throw new NativeException("malformed netlink attribute: type " + type + ", nla_len " + length +
                    " at " + at + " of " + bytes.byteSize() + " bytes");
            }
            payloads.put(type, bytes.asSlice(at + header, length - header));
            at += LinuxNetlink.align(length);
        }

        return new NetlinkAttributes(payloads);
    }

    /**
     * @param type an attribute type.
     * @param value its value.
     * @return a {@code u32} attribute, unpadded.
     */
    public static byte[] u32(final int type, final int value)
    {
        final MemorySegment attribute = MemorySegment.ofArray(new byte[(int)Nlattr.LAYOUT.byteSize() + 4]);
        attribute.set(JAVA_SHORT_UNALIGNED, Nlattr.NLA_LEN, (short)attribute.byteSize());
        attribute.set(JAVA_SHORT_UNALIGNED, Nlattr.NLA_TYPE, (short)type);
        attribute.set(JAVA_INT_UNALIGNED, Nlattr.LAYOUT.byteSize(), value);

        return attribute.toArray(JAVA_BYTE);
    }

    /**
     * @param type an attribute type.
     * @param value its value.
     * @return a NUL-terminated string attribute, unpadded.
     */
    public static byte[] string(final int type, final String value)
    {
        final byte[] text = value.getBytes(StandardCharsets.UTF_8);
        final int header = (int)Nlattr.LAYOUT.byteSize();
        final MemorySegment attribute = MemorySegment.ofArray(new byte[header + text.length + 1]);
        attribute.set(JAVA_SHORT_UNALIGNED, Nlattr.NLA_LEN, (short)attribute.byteSize());
        attribute.set(JAVA_SHORT_UNALIGNED, Nlattr.NLA_TYPE, (short)type);
        MemorySegment.copy(text, 0, attribute, JAVA_BYTE, header, text.length);

        return attribute.toArray(JAVA_BYTE);
    }

    /**
     * @return the types present.
     */
    public Set<Integer> types()
    {
        return Collections.unmodifiableSet(payloads.keySet());
    }

    public boolean has(final int type)
    {
        return payloads.containsKey(type);
    }

    public int u16(final int type)
    {
        return Short.toUnsignedInt(payload(type, 2).get(JAVA_SHORT_UNALIGNED, 0));
    }

    public int u32(final int type)
    {
        return payload(type, 4).get(JAVA_INT_UNALIGNED, 0);
    }

    public long u64(final int type)
    {
        return payload(type, 8).get(JAVA_LONG_UNALIGNED, 0);
    }

    /**
     * @param type a string attribute.
     * @return its text, up to the first NUL.
     */
    public String string(final int type)
    {
        final byte[] bytes = payload(type, 0).toArray(JAVA_BYTE);
        int end = 0;
        while (end < bytes.length && 0 != bytes[end])
        {
            end++;
        }

        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private MemorySegment payload(final int type, final int minBytes)
    {
        final MemorySegment payload = payloads.get(type);
        if (null == payload)
        {
            throw new IllegalArgumentException("no attribute of type " + type + " (present: " + types() + ")");
        }
        if (payload.byteSize() < minBytes)
        {
            throw new NativeException("netlink attribute " + type + " has " + payload.byteSize() + " bytes, " +
                "fewer than the " + minBytes + " its type needs");
        }

        return payload;
    }
}
