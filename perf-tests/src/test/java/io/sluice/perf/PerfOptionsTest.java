package io.sluice.perf;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PerfOptionsTest
{
    @Test
    void shouldSendForEachQueueFromACpuNumberedAsTheQueueModuloTheCount()
    {
        assertArrayEquals(new int[]{0}, Perf.generatorCpus(0, 1, 2));
        assertArrayEquals(new int[]{1}, Perf.generatorCpus(1, 1, 2));
        assertArrayEquals(new int[]{0, 1}, Perf.generatorCpus(0, 2, 2));
        assertArrayEquals(new int[]{0, 1}, Perf.generatorCpus(1, 2, 2));
        // 8 CPUs, 3 queues, from CPU 4 on: 6 % 3 = 0, 4 % 3 = 1, 5 % 3 = 2
        assertArrayEquals(new int[]{6, 4, 5}, Perf.generatorCpus(4, 3, 8));
    }

    @Test
    void shouldRefuseEachBadArgumentWithOneLineNamingItAndStatusTwo()
    {
        assertRefused("sluice perf: --frame-size 63: 64..9018 (bytes on the wire, FCS included)", "--frame-size", "63");
        assertRefused("sluice perf: --frame-size 9019: 64..9018 (bytes on the wire, FCS included)", "--frame-size",
            "9019");
        assertRefused("sluice perf: --frame-size 9000 is a jumbo frame: rxdrop and l2fwd only (name them), not " +
            "rxdrop, l2fwd, txonly, latency, reaction", "--frame-size", "9000");
        assertRefused("sluice perf: --frame-size 1519 is a jumbo frame: rxdrop and l2fwd only (name them), not " +
            "l2fwd, latency", "--frame-size", "1519", "latency", "l2fwd");
        assertRefused("sluice perf: --runs 0: at least 1", "--runs", "0");
        assertRefused("sluice perf: --duration 3: at least --warmup + 2 (4), for two measured seconds", "--duration",
            "3", "--warmup", "2");
        assertRefused("sluice perf: scenario 'rxdorp' is not one of rxdrop, l2fwd, txonly, latency, reaction",
            "rxdorp");
        assertRefused("sluice perf: --reaction-trials 0: 1..60000", "--reaction-trials", "0");
        assertRefused("sluice perf: --rate '50x' is neither a share of the measured maximum (50%) nor frames per " +
            "second (250000, 250k, 1.2M)", "--rate", "50x");
        assertRefused("sluice perf: --rate 150%: a share must be above 0% and at most 100%", "--rate", "150%");
        final int cpus = Runtime.getRuntime().availableProcessors();
        assertRefused("sluice perf: --queues " + (cpus + 1) + ": 1.." + cpus + " (the generator sends from one CPU " +
            "per queue, and this machine has " + cpus + ")", "--queues", Integer.toString(cpus + 1));
    }

    private static void assertRefused(final String line, final String... args)
    {
        final StringWriter err = new StringWriter();
        final picocli.CommandLine commandLine = Perf.commandLine();
        commandLine.setErr(new PrintWriter(err));

        assertEquals(2, commandLine.execute(args), err::toString);
        assertEquals(line, err.toString().strip());
    }
}
