package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Ffi;
import io.sluice.xsk.ffi.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Waits out an RCU grace period, which every XDP program run in progress completes within: after it no run can
 * still act on a map entry or a config value it read before the wait began.
 */
final class GracePeriod
{
    private GracePeriod()
    {
    }

    /**
     * Wait with {@code membarrier(MEMBARRIER_CMD_GLOBAL)}, or sleep 10 ms where there is no membarrier.
     */
    static void await()
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(Ffi.CALL_STATE_LAYOUT);
            if (LibC.syscall(state, LibC.SYS_MEMBARRIER, LibC.MEMBARRIER_CMD_GLOBAL, 0) < 0)
            {
                // no membarrier: an XDP run lasts microseconds, so this outlasts any run that saw the old bank
                try
                {
                    Thread.sleep(10);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
