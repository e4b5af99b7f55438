package io.sluice.perf;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the side-by-side benchmarks summarise their runs: min, median and max of the per-run rates, and the ratio of
 * medians.
 */
final class Medians
{
    private Medians()
    {
    }

    /**
     * @param values at least one.
     * @return the median; the mean of the middle two for an even count.
     */
    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int n = sorted.length;

        return 0 == n % 2 ? (sorted[n / 2 - 1] + sorted[n / 2]) / 2 : sorted[n / 2];
    }

    /**
     * Print {@code name  min  median  max} in Mpps.
     *
     * @param name the system.
     * @param pps  its runs' rates, frames per second.
     */
    static void printRow(final String name, final double[] pps)
    {
        final double[] sorted = pps.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%-14s %10.3f %10.3f %10.3f%n", name, sorted[0] / 1e6, median(sorted) / 1e6,
            sorted[sorted.length - 1] / 1e6);
    }
}
