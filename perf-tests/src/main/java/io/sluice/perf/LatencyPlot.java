package io.sluice.perf;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The latency scenario's picture: HdrHistogram percentile distributions drawn with XChart, one panel per rate and
 * one curve per system. The x axis is {@code log10(1 / (1 - percentile))}, labelled 90%, 99%, 99.9%..., as
 * HdrHistogram's own plotter draws it, so that the tail gets the room (XChart's logarithmic axis cannot carry custom
 * labels, so the logarithm is taken here and the axis is linear); the y axis is the round trip in microseconds,
 * logarithmic, so that a system's spikes do not flatten the others' curves.
 */
final class LatencyPlot
{
    static final int PANEL_WIDTH = 640;
    static final int PANEL_HEIGHT = 480;

    /**
     * Points per halving of the distance to 100%.
     */
    private static final int TICKS_PER_HALF_DISTANCE = 5;

    private LatencyPlot()
    {
    }

    /**
     * @param png        the file to write.
     * @param rates      the rate labels, one panel each, in order.
     * @param titles     each panel's title.
     * @param bySystem   per system (a curve), per rate label: the round trips in ns.
     */
    static void write(
        final Path png,
        final List<String> rates,
        final List<String> titles,
        final Map<String, Map<String, Histogram>> bySystem) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final List<XYChart> panels = new ArrayList<>();
        for (int r = 0; r < rates.size(); r++)
        {
            panels.add(panel(titles.get(r), rates.get(r), bySystem));
        }
        try (OutputStream out = Files.newOutputStream(png))
        {
            BitmapEncoder.saveBitmap(panels, 1, panels.size(), out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static XYChart panel(final String title, final String rate, final Map<String, Map<String, Histogram>> bySystem)
    {
        final XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
            .xAxisTitle("percentile").yAxisTitle("round trip (us)").build();
        chart.getStyler()
            .setYAxisLogarithmic(true)
            .setxAxisTickLabelsFormattingFunction(LatencyPlot::percentileLabel)
            .setXAxisMin(0.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(0);

        for (final Map.Entry<String, Map<String, Histogram>> system : bySystem.entrySet())
        {
            final Histogram histogram = system.getValue().get(rate);
            if (null == histogram || 0 == histogram.getTotalCount())
            {
                continue;
            }
            final double[][] curve = curve(histogram);
            final XYSeries series = chart.addSeries(system.getKey(), curve[0], curve[1]);
            series.setMarker(SeriesMarkers.NONE);
        }

        return chart;
    }

    /**
     * @return x: {@code log10(1 / (1 - percentile))}; y: microseconds, at least 0.01 for the log axis. The last
     * point, at 100%, goes at {@code log10(n)}: as far right as n samples reach.
     */
    static double[][] curve(final Histogram histogram)
    {
        final List<double[]> points = new ArrayList<>();
        final double furthest = histogram.getTotalCount();
        for (final HistogramIterationValue value : histogram.percentiles(TICKS_PER_HALF_DISTANCE))
        {
            final double fraction = value.getPercentileLevelIteratedTo() / 100.0;
            final double x = fraction >= 1.0 ? furthest : Math.min(furthest, 1.0 / (1.0 - fraction));
            final double us = Math.max(0.01, histogram.highestEquivalentValue(value.getValueIteratedTo()) / 1000.0);
            points.add(new double[] {Math.log10(x), us});
            if (fraction >= 1.0)
            {
                break;
            }
        }
        final double[][] curve = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++)
        {
            curve[0][i] = points.get(i)[0];
            curve[1][i] = points.get(i)[1];
        }

        return curve;
    }

    /**
     * @param nines {@code log10(1 / (1 - percentile))}: 0, 1, 2...
     * @return 0%, 90%, 99%, 99.9%...; distinct for distinct ticks, which XChart needs (it loops for ever
     * otherwise, knowm/XChart#799).
     */
    static String percentileLabel(final double nines)
    {
        if (0.0 == nines)
        {
            return "0%";
        }
        final double percentile = 100.0 * (1.0 - Math.pow(10, -nines));
        final long whole = Math.round(nines);

        return Math.abs(nines - whole) < 1e-9 ?
            String.format(Locale.ROOT, "%." + Math.max(0, whole - 2) + "f%%", percentile) :
            String.format(Locale.ROOT, "%.4g%%", percentile);
    }
}
