package io.sluice.pipeline.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.xsk.counters.CountersView;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code run --metrics-port N}: the instance's counters at {@code http://HOST:N/metrics}, in Prometheus text
 * exposition format 0.0.4, built from the counters file on each scrape by the JDK's HTTP server on one thread of its
 * own, never the data path's.
 */
public final class MetricsServer implements AutoCloseable
{
    /**
     * The content type Prometheus expects of the text format.
     */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private MetricsServer(final HttpServer server)
    {
        this.server = server;
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
                    reply(exchange, 200, CONTENT_TYPE, counters.prometheus());
                }
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor((task) ->
        {
            final Thread thread = new Thread(task, "sluice-metrics");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();

        return new MetricsServer(server);
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
