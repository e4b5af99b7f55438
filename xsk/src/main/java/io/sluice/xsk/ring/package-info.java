/**
 * The four AF_XDP rings over their mmapped memory, with libxdp's protocol re-implemented in Java: producers
 * {@code reserve}/{@code submit} (fill, TX), consumers {@code peek}/{@code release} (RX, completion). Indices are
 * free-running unsigned 32-bit counters that wrap; only the masked value indexes a slot.
 */
package io.sluice.xsk.ring;
