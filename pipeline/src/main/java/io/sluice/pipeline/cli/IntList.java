package io.sluice.pipeline.cli;

import java.util.Arrays;

/**
 * Lists of small numbers as the kernel writes CPU lists: {@code 0,2,4-7}.
 */
public final class IntList
{
    private IntList()
    {
    }

    /**
     * @param what  what the list names, for the error: {@code --cores}.
     * @param value the text.
     * @return the numbers in the order written, ranges expanded.
     * @throws IllegalArgumentException naming {@code what} and the bad element.
     */
    public static int[] parse(final String what, final String value)
    {
        if (null == value || value.isBlank())
        {
            throw new IllegalArgumentException(what + ": empty list");
        }
        int[] out = new int[8];
        int n = 0;
        for (final String part : value.split(",", -1))
        {
            final String item = part.strip();
            final int dash = item.indexOf('-');
            final int low = number(what, dash < 0 ? item : item.substring(0, dash), item);
            final int high = dash < 0 ? low : number(what, item.substring(dash + 1), item);
            if (high < low)
            {
                throw new IllegalArgumentException(what + ": range '" + item + "' runs backwards");
            }
            for (int i = low; i <= high; i++)
            {
                if (n == out.length)
                {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = i;
            }
        }

        return Arrays.copyOf(out, n);
    }

    /**
     * @param values numbers.
     * @return {@code 0,1,2}.
     */
    public static String format(final int[] values)
    {
        final StringBuilder text = new StringBuilder();
        for (final int value : values)
        {
            if (!text.isEmpty())
            {
                text.append(',');
            }
            text.append(value);
        }

        return text.toString();
    }

    private static int number(final String what, final String text, final String item)
    {
        try
        {
            final int value = Integer.parseInt(text.strip());
            if (value < 0 || value > 4095)
            {
                throw new IllegalArgumentException(what + ": " + value + " is not within 0-4095");
            }

            return value;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(what + ": '" + item + "' is not a number or range like 0,2-3");
        }
    }
}
