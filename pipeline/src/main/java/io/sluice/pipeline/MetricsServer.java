package io.sluice.pipeline;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.xsk.counters.CountersView;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code run --metrics-port N}: the instance's counters at {@code http://HOST:N/metrics}, in Prometheus text
 * exposition format 0.0.4. Each scrape's snapshot of the counters file is taken by the {@link Conductor}, a duty
 * among its others; the HTTP exchange itself is the JDK's server's, on its dispatcher thread, so a slow scraper
 * holds up neither the conductor nor the data path. Once the conductor has stopped, the counters are final and the
 * dispatcher takes the snapshot itself.
 */
public final class MetricsServer implements AutoCloseable
{
    /**
     * The content type Prometheus expects of the text format.
     */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * How long a scrape waits for the conductor's snapshot before it is answered 503.
     */
    static final long SNAPSHOT_TIMEOUT_MS = 5_000;

    private final HttpServer server;
    private final CountersView counters;
    private final ManyToOneConcurrentArrayQueue<CompletableFuture<String>> snapshots =
        new ManyToOneConcurrentArrayQueue<>(16);
    private volatile boolean onConductor;
    private volatile Runnable wake = () -> {};

    private MetricsServer(final HttpServer server, final CountersView counters)
    {
        this.server = server;
        this.counters = counters;
    }

    /**
     * Serve the counters.
     *
     * @param port     TCP port, on every address.
     * @param counters the counters to serve.
     * @return the running server.
     * @throws IllegalArgumentException naming the port if it cannot be bound.
     */
    public static MetricsServer start(final int port, final CountersView counters)
    {
        final MetricsServer metrics;
        final HttpServer server;
        try
        {
            server = HttpServer.create(new InetSocketAddress(port), 16);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("--metrics-port " + port + ": cannot listen: " + ex.getMessage() +
                " (is another process on it? `ss -ltnp sport = :" + port + "`)");
        }
        metrics = new MetricsServer(server, counters);
        server.createContext("/", (exchange) ->
        {
            try (exchange)
            {
                if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod()))
                {
                    reply(exchange, 405, "text/plain; charset=utf-8", "GET /metrics\n");
                }
                else if (!"/metrics".equals(exchange.getRequestURI().getPath()))
                {
                    reply(exchange, 404, "text/plain; charset=utf-8", "the counters are at /metrics\n");
                }
                else
                {
                    final String snapshot = metrics.snapshot();
                    if (null == snapshot)
                    {
                        reply(exchange, 503, "text/plain; charset=utf-8", "the conductor did not take a snapshot " +
                            "within " + SNAPSHOT_TIMEOUT_MS + " ms\n");
                    }
                    else
                    {
                        reply(exchange, 200, CONTENT_TYPE, snapshot);
                    }
                }
            }
        });
        // no executor: each exchange runs on the server's own dispatcher thread
        server.setExecutor(null);
        server.start();

        return metrics;
    }

    /**
     * @param on whether a running conductor takes the snapshots; without one, the dispatcher thread does.
     */
    void onConductor(final boolean on)
    {
        onConductor = on;
        if (!on)
        {
            doWork();
        }
    }

    /**
     * @param wake wakes the conductor, run after each scrape's request is queued.
     */
    void wakeWith(final Runnable wake)
    {
        this.wake = wake;
    }

    /**
     * The conductor's duty: a snapshot for each scrape waiting.
     *
     * @return scrapes answered.
     */
    int doWork()
    {
        int work = 0;
        CompletableFuture<String> snapshot;
        while (null != (snapshot = snapshots.poll()))
        {
            snapshot.complete(counters.prometheus());
            work++;
        }

        return work;
    }

    private String snapshot()
    {
        if (!onConductor)
        {
            return counters.prometheus();
        }
        final CompletableFuture<String> snapshot = new CompletableFuture<>();
        if (!snapshots.offer(snapshot))
        {
            return null;
        }
        wake.run();
        try
        {
            // the conductor may have stopped since the check: its last duty took what was queued by then
            return onConductor ? snapshot.get(SNAPSHOT_TIMEOUT_MS, TimeUnit.MILLISECONDS) :
                snapshot.getNow(counters.prometheus());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            return null;
        }
    }

    /**
     * @return the port it listens on.
     */
    public int port()
    {
        return server.getAddress().getPort();
    }

    @Override
    public void close()
    {
        server.stop(0);
    }

    private static void reply(final HttpExchange exchange, final int status, final String type, final String body)
        throws IOException
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        final boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head)
        {
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(bytes);
            }
        }
    }
}
