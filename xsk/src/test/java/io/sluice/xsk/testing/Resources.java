package io.sluice.xsk.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened (namespaces, programs, sockets, UMEMs), closed in reverse order when the test ends, whether it
 * passed or not.
 */
public final class Resources implements AutoCloseable
{
    private final List<AutoCloseable> opened = new ArrayList<>();

    /**
     * @param resource something to close at the end.
     * @return it.
     */
    public <T extends AutoCloseable> T keep(final T resource)
    {
        opened.add(resource);
        return resource;
    }

    /**
     * Close everything kept, last first.
     */
    @Override
    public void close() throws Exception
    {
        Exception failure = null;
        for (int i = opened.size() - 1; i >= 0; i--)
        {
            try
            {
                opened.get(i).close();
            }
            catch (final Exception ex)
            {
                if (null == failure)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        opened.clear();
        if (null != failure)
        {
            throw failure;
        }
    }
}
