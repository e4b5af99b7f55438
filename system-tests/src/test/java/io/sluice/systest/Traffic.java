package io.sluice.systest;

import io.sluice.perf.TestHosts;

/**
 * The traffic the operator tests offer: UDP from the generator's end to the device under test, on port 9 unless
 * a test names another.
 */
final class Traffic
{
    private Traffic()
    {
    }

    /**
     * Send UDP frames from port 4000 to port 9, with Sluice's generator, paced.
     *
     * @param hosts   the generator's and the device's ends.
     * @param genAddr the source address.
     * @param dutAddr the destination address.
     * @param frames  how many.
     * @param ratePps frames per second, 0 for as fast as possible.
     * @return frames sent.
     * @throws Exception if the generator cannot be opened.
     */
    static long send(final TestHosts hosts, final String genAddr, final String dutAddr, final long frames,
        final long ratePps) throws Exception
    {
        return send(hosts, genAddr, dutAddr, 9, frames, ratePps);
    }

    /**
     * Send UDP frames from port 4000 to a port, with Sluice's generator, paced.
     *
     * @param hosts   the generator's and the device's ends.
     * @param genAddr the source address.
     * @param dutAddr the destination address.
     * @param port    the destination port.
     * @param frames  how many.
     * @param ratePps frames per second, 0 for as fast as possible.
     * @return frames sent.
     * @throws Exception if the generator cannot be opened.
     */
    static long send(final TestHosts hosts, final String genAddr, final String dutAddr, final int port,
        final long frames, final long ratePps) throws Exception
    {
        return hosts.send(hosts.udpToDut(genAddr, dutAddr, 4000, port, 22), 1, frames, ratePps);
    }
}
