package io.sluice.perf;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyPlotTest
{
    @Test
    void shouldLabelTheAxisInNines()
    {
        assertEquals("0%", LatencyPlot.percentileLabel(0));
        assertEquals("90%", LatencyPlot.percentileLabel(1));
        assertEquals("99%", LatencyPlot.percentileLabel(2));
        assertEquals("99.9%", LatencyPlot.percentileLabel(3));
        assertEquals("99.99%", LatencyPlot.percentileLabel(4));
        assertEquals("99.999%", LatencyPlot.percentileLabel(5));
        assertEquals("68.38%", LatencyPlot.percentileLabel(0.5));
        assertEquals("-216.2%", LatencyPlot.percentileLabel(-0.5), "distinct below 0 too, or XChart never returns");
    }

    @Test
    void shouldPlaceEachPercentileAtItsNinesAndEndAtTheSampleCount()
    {
        final Histogram histogram = new Histogram(LatencyRecorder.HIGHEST_TRACKABLE_NS, 3);
        for (int i = 1; i <= 10_000; i++)
        {
            histogram.recordValue(i * 1000L);
        }
        final double[][] curve = LatencyPlot.curve(histogram);
        final int last = curve[0].length - 1;

        assertEquals(0.0, curve[0][0], 1e-9);
        assertEquals(4.0, curve[0][last], 1e-9, "100% sits where 10,000 samples reach: log10(10,000)");
        assertEquals(10_000.0, curve[1][last], 10_000 / 1000.0, "max 10 ms in us");
        for (int i = 1; i <= last; i++)
        {
            assertTrue(curve[0][i] >= curve[0][i - 1] && curve[1][i] >= curve[1][i - 1], "monotonic at " + i);
        }
        // the point at 99%: x = 2, y = the 9,900th value, 9.9 ms
        for (int i = 0; i <= last; i++)
        {
            if (Math.abs(curve[0][i] - 2.0) < 1e-9)
            {
                assertEquals(9_900.0, curve[1][i], 9_900 / 500.0);
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldDrawOnePanelPerRate(@TempDir final Path dir) throws Exception
    {
        final Map<String, Map<String, Histogram>> bySystem = new LinkedHashMap<>();
        for (final String system : List.of("sluice", "dpdk-af_xdp"))
        {
            final Map<String, Histogram> byRate = new LinkedHashMap<>();
            for (final String rate : List.of("10%", "50%"))
            {
                final Histogram histogram = new Histogram(LatencyRecorder.HIGHEST_TRACKABLE_NS, 3);
                for (int i = 0; i < 100_000; i++)
                {
                    histogram.recordValue(5_000 + (i % 1000) * 20L + (0 == i % 9973 ? 2_000_000 : 0));
                }
                byRate.put(rate, histogram);
            }
            bySystem.put(system, byRate);
        }
        final Path png = dir.resolve("latency.png");

        LatencyPlot.write(png, List.of("10%", "50%"), List.of("at 10%", "at 50%"), bySystem);

        final BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(2 * LatencyPlot.PANEL_WIDTH, image.getWidth());
        assertEquals(LatencyPlot.PANEL_HEIGHT, image.getHeight());
    }
}
