/**
 * Parsing frames in place in the UMEM, on the data path: one flyweight per header (Ethernet, VLAN, IPv4, IPv6 and
 * its extension headers, TCP, UDP, ICMP/ICMPv6) reading big-endian fields straight from the {@code MemorySegment},
 * the {@link io.sluice.pipeline.parse.PacketParser} that walks them and fills a
 * {@link io.sluice.pipeline.FrameEvent}, and the {@link io.sluice.pipeline.parse.ParseError} reasons it counts
 * instead of throwing. Every length is checked before it is read, nothing is copied to the heap and nothing is
 * allocated per frame.
 * <p>
 * {@link io.sluice.pipeline.parse.Checksums} is the exception: it verifies and computes Internet checksums for tests
 * and demos, off the hot path.
 */
package io.sluice.pipeline.parse;
