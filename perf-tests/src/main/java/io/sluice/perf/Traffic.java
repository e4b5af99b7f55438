package io.sluice.perf;

import java.time.Duration;

/**
 * One sending thread's traffic for a measured run: the live-frame generator, or {@link XskSender} for frames larger
 * than a page.
 */
interface Traffic extends AutoCloseable
{
    /**
     * Send as fast as possible, in the calling thread, which is in the generator's namespace.
     *
     * @param duration how long.
     * @return frames sent.
     * @throws Exception as the sender fails.
     */
    long run(Duration duration) throws Exception;

    @Override
    void close();
}
