package io.sluice.xsk.counters;

/**
 * The labels a series carries, in the form the counters file stores and Prometheus reads:
 * {@code iface="veth1",queue="0"}. Every place that names a series builds its labels here, so they are quoted and
 * escaped one way.
 */
public final class Labels
{
    private Labels()
    {
    }

    /**
     * One label.
     *
     * @param name  the label's name, {@code iface}.
     * @param value its value; a backslash, a double quote and a newline are escaped as the text format says.
     * @return {@code name="value"}.
     */
    public static String of(final String name, final Object value)
    {
        final String text = String.valueOf(value);
        final StringBuilder label = new StringBuilder(name.length() + text.length() + 3).append(name).append("=\"");
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '\\' -> label.append("\\\\");
                case '"' -> label.append("\\\"");
                case '\n' -> label.append("\\n");
                default -> label.append(c);
            }
        }

        return label.append('"').toString();
    }

    /**
     * Labels with one more.
     *
     * @param labels labels so far, or the empty string.
     * @param name   the label's name.
     * @param value  its value.
     * @return {@code labels,name="value"}, or {@code name="value"} when {@code labels} is empty.
     */
    public static String and(final String labels, final String name, final Object value)
    {
        return labels.isEmpty() ? of(name, value) : labels + "," + of(name, value);
    }
}
