package io.sluice.xsk.umem;

import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * UMEM creation against the real kernel: locked memory, registration, hugepages with and without free pages, the
 * pool and the ownership accounting, and clear errors for bad layouts.
 */
class UmemTest
{
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");

    @Test
    void shouldMapAndLockAndPutEveryFrameInThePool() throws IOException
    {
        Privileged.require("AF_XDP UMEM registration");
        final long lockedBefore = lockedKb();
        final UmemConfig config = UmemConfig.defaults().withFrameSize(2048).withFrameCount(4096);
        try (Umem umem = Umem.create(config))
        {
            assertEquals(2048L * 4096, umem.memory().byteSize());
            assertFalse(umem.hugePages());
            assertEquals(-1, umem.fd(), "registered by its first socket, in that socket's namespace");
            assertEquals(lockedBefore + 2048L * 4096 / 1024, lockedKb(), "the UMEM is mlocked");
            assertEquals(new FrameOwnership(4096, 0, 0, 0, 4096), umem.ownership());

            umem.memory().set(JAVA_LONG, umem.memory().byteSize() - 8, 0x5eed);
            assertEquals(0x5eed, umem.memory().get(JAVA_LONG, umem.memory().byteSize() - 8));

            final long[] frames = new long[3];
            assertEquals(3, umem.pool().allocate(frames, 0, 3));
            assertEquals(0L, frames[0], "frames come out in address order");
            assertEquals(2048L, frames[1]);
            assertEquals(new FrameOwnership(4093, 0, 3, 0, 4096), umem.ownership());
            frames[1] += 300; // any address inside a frame returns the frame
            umem.pool().release(frames, 0, 3);
            assertEquals(new FrameOwnership(4096, 0, 0, 0, 4096), umem.ownership());
        }
        assertEquals(lockedBefore, lockedKb(), "closing unlocks and unmaps");
    }

    @Test
    void shouldInvalidateTheSegmentOnClose()
    {
        Privileged.require("AF_XDP UMEM registration");
        final Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(16));
        umem.close();
        assertThrows(IllegalStateException.class, () -> umem.memory().get(JAVA_LONG, 0));
    }

    @Test
    void shouldFallBackToNormalPagesWhenHugepagesArePreferredButNoneAreFree() throws IOException
    {
        Privileged.require("AF_XDP UMEM registration");
        final long saved = hugePagesTotal();
        try
        {
            Files.writeString(NR_HUGEPAGES, "0");
            try (Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(1024)
                .withHugePages(HugePagePolicy.PREFER)))
            {
                assertFalse(umem.hugePages());
                assertEquals(1024L * 4096, umem.memory().byteSize());
            }

            final NativeException ex = assertThrows(NativeException.class, () -> Umem.create(
                UmemConfig.defaults().withFrameCount(1024).withHugePages(HugePagePolicy.REQUIRE)
                    .withProfileSource("nic-profiles/veth.yaml")));
            assertTrue(ex.getMessage().contains("no 2 free 2 MiB hugepages"), ex.getMessage());
            assertTrue(ex.getMessage().contains("vm.nr_hugepages"), ex.getMessage());
            assertTrue(ex.getMessage().contains("nic-profiles/veth.yaml"), ex.getMessage());
        }
        finally
        {
            Files.writeString(NR_HUGEPAGES, Long.toString(saved));
        }
    }

    @Test
    void shouldBackTheUmemWithHugepagesWhenTheyAreFree() throws IOException
    {
        Privileged.require("AF_XDP UMEM registration");
        final long saved = hugePagesTotal();
        try
        {
            Files.writeString(NR_HUGEPAGES, Long.toString(saved + 4));
            final long freeBefore = meminfo("HugePages_Free");
            // 3 MiB of frames: rounded up to two hugepages
            try (Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(768)
                .withHugePages(HugePagePolicy.REQUIRE)))
            {
                assertTrue(umem.hugePages());
                assertEquals(4L << 20, umem.mappedBytes());
                assertEquals(freeBefore - 2, meminfo("HugePages_Free"));
                umem.memory().set(JAVA_LONG, (3L << 20) - 8, 42);
            }
            // the kernel unpins a released UMEM's pages from a work item, after the close returns
            final long deadlineNs = System.nanoTime() + 5_000_000_000L;
            while (meminfo("HugePages_Free") != freeBefore && System.nanoTime() < deadlineNs)
            {
                Thread.onSpinWait();
            }
            assertEquals(freeBefore, meminfo("HugePages_Free"), "the hugepages are free again after close");
        }
        finally
        {
            Files.writeString(NR_HUGEPAGES, Long.toString(saved));
        }
    }

    @Test
    void shouldRefuseBadLayoutsNamingTheValueAndTheProfile()
    {
        final IllegalArgumentException frame = assertThrows(IllegalArgumentException.class,
            () -> UmemConfig.defaults().withProfileSource("p.yaml").withFrameSize(3000));
        assertEquals("frame size must be 2048 or 4096 bytes, not 3000 (p.yaml)", frame.getMessage());

        final IllegalArgumentException headroom = assertThrows(IllegalArgumentException.class,
            () -> UmemConfig.defaults().withFrameSize(2048).withHeadroom(2000));
        assertEquals("headroom must be 0 to 1728 bytes with 2048-byte frames, not 2000", headroom.getMessage());

        assertThrows(IllegalArgumentException.class, () -> UmemConfig.defaults().withFrameCount(0));
        assertThrows(IllegalArgumentException.class, () -> HugePagePolicy.fromLabel("always"));
    }

    @Test
    void shouldCountAFrameMovedFromWhereItIsNotAsAViolation()
    {
        final FrameTracker tracker = new FrameTracker(4, 2048);
        tracker.move(2048, FrameTracker.FREE, FrameTracker.FILL);
        assertEquals(0, tracker.violations());
        tracker.move(2048 + 256, FrameTracker.FREE, FrameTracker.FILL);
        assertEquals(1, tracker.violations());
        assertEquals("frame 1 (address 2304) moved free -> fill but it was in fill", tracker.firstViolation());
        tracker.move(1 << 20, FrameTracker.TX, FrameTracker.FREE);
        assertEquals(2, tracker.violations());
        assertEquals(1, tracker.count(FrameTracker.FILL));
        assertEquals(3, tracker.count(FrameTracker.FREE));
    }

    private static long lockedKb() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("VmLck:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmLck in /proc/self/status");
    }

    private static long hugePagesTotal() throws IOException
    {
        return Long.parseLong(Files.readString(NR_HUGEPAGES).trim());
    }

    private static long meminfo(final String key) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/meminfo")))
        {
            if (line.startsWith(key + ":"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + key + " in /proc/meminfo");
    }
}
