/**
 * UMEM: the off-heap, locked, optionally hugepage-backed memory AF_XDP sockets receive into and transmit from,
 * registered with the kernel; the free-frame pool; and the accounting of where every frame is.
 * <p>
 * Every frame is in exactly one place at any instant:
 * <ul>
 * <li>{@link io.sluice.xsk.umem.FrameOwnership#free() free}: in the {@link io.sluice.xsk.umem.FramePool};</li>
 * <li>{@link io.sluice.xsk.umem.FrameOwnership#fill() fill}: given to the kernel to receive into — on a fill
 * ring, taken by the kernel, or on an RX ring not yet read;</li>
 * <li>{@link io.sluice.xsk.umem.FrameOwnership#application() application}: read from an RX or completion ring or
 * taken from the pool, and not yet handed on;</li>
 * <li>{@link io.sluice.xsk.umem.FrameOwnership#tx() tx}: given to the kernel to send — on a TX ring, in flight,
 * or on a completion ring not yet read.</li>
 * </ul>
 * The four counts always add up to the number of frames; {@link io.sluice.xsk.umem.Umem#ownership()} computes
 * them, and a {@link io.sluice.xsk.umem.FrameTracker}, when enabled, checks every single move of every frame.
 */
package io.sluice.xsk.umem;
