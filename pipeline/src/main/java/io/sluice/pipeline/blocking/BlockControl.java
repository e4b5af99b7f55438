package io.sluice.pipeline.blocking;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The operators' way in to a running instance's {@link Blocker}: a Unix domain socket beside its counters file,
 * {@code /dev/shm/sluice/INSTANCE/control.sock}, mode 0600. It is a path, not an abstract name, so it is reachable
 * from every network namespace, as the counters file is.
 * <p>
 * One request per connection: the client writes a command line ({@code list}, {@code add PREFIX [TTL_S]},
 * {@code remove PREFIX}) and shuts its output; the reply is {@code ok} or {@code error}, a newline, then text for
 * people. A thread of its own ({@code sluice-control}) accepts and waits for the blocker's reply, so a slow client
 * never holds up the blocker.
 */
public final class BlockControl implements AutoCloseable
{
    /**
     * The socket's file name, beside the counters file.
     */
    public static final String SOCKET_NAME = "control.sock";

    private static final int MAX_REQUEST_BYTES = 4096;
    private static final long REPLY_TIMEOUT_MS = 5_000;

    private final Path path;
    private final Blocker blocker;
    private final ServerSocketChannel server;
    private final Thread thread;

    private BlockControl(final Path path, final Blocker blocker, final ServerSocketChannel server)
    {
        this.path = path;
        this.blocker = blocker;
        this.server = server;
        thread = new Thread(this::serve, "sluice-control");
        thread.setDaemon(true);
    }

    /**
     * Bind the socket and start serving.
     *
     * @param path    the socket's path; one left by a stopped instance is replaced.
     * @param blocker where commands go.
     * @return the running server.
     */
    public static BlockControl start(final Path path, final Blocker blocker)
    {
        try
        {
            Files.deleteIfExists(path);
            final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            final BlockControl control = new BlockControl(path, blocker, server);
            control.thread.start();

            return control;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot serve block commands at " + path + ": " + ex.getMessage());
        }
    }

    /**
     * Send one command to an instance and read its reply.
     *
     * @param path    the instance's socket.
     * @param command the command line.
     * @return the reply: {@code ok} or {@code error}, a newline, then text.
     * @throws IOException if the instance cannot be reached.
     */
    public static String request(final Path path, final String command) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            final ByteArrayOutputStream reply = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0)
            {
                reply.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }

            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * @return the socket's path.
     */
    public Path path()
    {
        return path;
    }

    private void serve()
    {
        while (server.isOpen())
        {
            try (SocketChannel client = server.accept())
            {
                final String request = readRequest(client);
                String reply;
                try
                {
                    reply = null == request ? "error\nrequest longer than " + MAX_REQUEST_BYTES + " bytes" :
                        blocker.submit(request).get(REPLY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
                catch (final TimeoutException ex)
                {
                    reply = "error\nthe blocker did not answer within " + REPLY_TIMEOUT_MS + " ms";
                }
                catch (final ExecutionException ex)
                {
                    reply = "error\n" + ex.getCause();
                }
                client.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
            }
            catch (final ClosedChannelException ex)
            {
                return;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            catch (final IOException ex)
            {
                // that client went away: serve the next
            }
        }
    }

    private static String readRequest(final SocketChannel client) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST_BYTES + 1);
        while (buffer.hasRemaining() && client.read(buffer) >= 0)
        {
            final int end = indexOfNewline(buffer);
            if (end >= 0)
            {
                return new String(buffer.array(), 0, end, StandardCharsets.UTF_8);
            }
        }
        if (!buffer.hasRemaining())
        {
            return null;
        }

        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }

    private static int indexOfNewline(final ByteBuffer buffer)
    {
        for (int i = 0; i < buffer.position(); i++)
        {
            if ('\n' == buffer.get(i))
            {
                return i;
            }
        }

        return -1;
    }

    /**
     * Stop serving and remove the socket.
     */
    @Override
    public void close()
    {
        try
        {
            server.close();
            thread.join(REPLY_TIMEOUT_MS);
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            // the socket file stays; the next instance of the name replaces it
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
