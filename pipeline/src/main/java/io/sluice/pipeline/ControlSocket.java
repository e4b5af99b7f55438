package io.sluice.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The operators' way in to a running instance: a Unix domain socket beside its counters file,
 * {@code /dev/shm/sluice/INSTANCE/control.sock}, mode 0600. It is a path, not an abstract name, so it is reachable
 * from every network namespace, as the counters file is.
 * <p>
 * One request per connection: the client writes a command line ({@code ./sluice blocks}' {@code list},
 * {@code add PREFIX [TTL_S]}, {@code remove PREFIX}; {@code ./sluice rules}' {@code rules show}) and shuts its
 * output; the reply is {@code ok} or {@code error}, a newline, then text for people. What a command does is the
 * {@link Handler}'s ({@link ControlCommands}). A duty of the {@link Conductor}: every socket is non-blocking, so a
 * slow client never holds up the conductor; one that has not sent its command within {@value #CLIENT_TIMEOUT_MS} ms
 * is closed.
 */
public final class ControlSocket implements AutoCloseable
{
    /**
     * The socket's file name, beside the counters file.
     */
    public static final String SOCKET_NAME = "control.sock";

    static final long CLIENT_TIMEOUT_MS = 5_000;

    /**
     * Runs one command, on the conductor's thread.
     */
    @FunctionalInterface
    public interface Handler
    {
        /**
         * @param line the command line, without its newline.
         * @return the reply: {@code ok} or {@code error}, a newline, then text for people.
         */
        String command(String line);
    }

    private static final int MAX_REQUEST_BYTES = 4096;
    private static final int MAX_CLIENTS = 16;

    private final Path path;
    private final Handler handler;
    private final ServerSocketChannel server;
    private final List<Client> clients = new ArrayList<>();
    private Selector selector;

    private ControlSocket(final Path path, final Handler handler, final ServerSocketChannel server)
    {
        this.path = path;
        this.handler = handler;
        this.server = server;
    }

    /**
     * Bind the socket; the conductor serves it.
     *
     * @param path    the socket's path; one left by a stopped instance is replaced.
     * @param handler what runs the commands.
     * @return the bound socket.
     */
    public static ControlSocket bind(final Path path, final Handler handler)
    {
        try
        {
            Files.deleteIfExists(path);
            final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            server.configureBlocking(false);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));

            return new ControlSocket(path, handler, server);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot serve operators' commands at " + path + ": " + ex.getMessage());
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

    /**
     * Let a selector wake on a connection and on each client's bytes: the conductor waits on it when idle, so a
     * command is answered at once however long the conductor would otherwise sleep. From the conductor's thread,
     * or before it starts.
     *
     * @param selector the conductor's.
     * @throws IllegalStateException if the socket cannot be registered.
     */
    void register(final Selector selector)
    {
        try
        {
            server.register(selector, SelectionKey.OP_ACCEPT);
            this.selector = selector;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot wait on the operators' socket " + path + ": " + ex.getMessage());
        }
    }

    /**
     * @return true while a client is connected: its reply may wait on a socket with room, which no selector
     * announces here, so the conductor keeps its cycles short meanwhile.
     */
    boolean hasClients()
    {
        return !clients.isEmpty();
    }

    /**
     * The conductor's duty: accept what connected, read what clients sent, run each complete command on the
     * handler (on this thread), write what replies the sockets take.
     *
     * @param nowNs {@code System.nanoTime()} of the duty cycle.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        int work = 0;
        try
        {
            SocketChannel accepted;
            while (clients.size() < MAX_CLIENTS && null != (accepted = server.accept()))
            {
                accepted.configureBlocking(false);
                if (null != selector)
                {
                    accepted.register(selector, SelectionKey.OP_READ);
                }
                clients.add(new Client(accepted, nowNs + CLIENT_TIMEOUT_MS * 1_000_000L));
                work++;
            }
        }
        catch (final IOException ex)
        {
            // closed under us at stop, or a client gone before its accept: the next cycle tries again
        }
        for (int i = clients.size() - 1; i >= 0; i--)
        {
            final Client client = clients.get(i);
            try
            {
                work += client.progress(handler);
                if (!client.done() && nowNs - client.deadlineNs < 0)
                {
                    continue;
                }
            }
            catch (final IOException ex)
            {
                // that client went away: serve the rest
            }
            clients.remove(i);
            client.close();
        }

        return work;
    }

    /**
     * Stop serving and remove the socket.
     */
    @Override
    public void close()
    {
        for (final Client client : clients)
        {
            client.close();
        }
        clients.clear();
        try
        {
            server.close();
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            // the socket file stays; the next instance of the name replaces it
        }
    }

    private static final class Client
    {
        private final SocketChannel channel;
        private final long deadlineNs;
        private final ByteBuffer request = ByteBuffer.allocate(MAX_REQUEST_BYTES + 1);
        private ByteBuffer reply;

        Client(final SocketChannel channel, final long deadlineNs)
        {
            this.channel = channel;
            this.deadlineNs = deadlineNs;
        }

        int progress(final Handler handler) throws IOException
        {
            if (null == reply)
            {
                final int read = channel.read(request);
                final int end = indexOfNewline(request);
                if (end < 0 && read >= 0 && request.hasRemaining())
                {
                    return read > 0 ? 1 : 0;
                }
                final String text = end >= 0 ? new String(request.array(), 0, end, StandardCharsets.UTF_8) :
                    !request.hasRemaining() ? null : new String(request.array(), 0, request.position(),
                    StandardCharsets.UTF_8);
                final String answer = null == text ? "error\nrequest longer than " + MAX_REQUEST_BYTES + " bytes" :
                    handler.command(text);
                reply = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
            }
            channel.write(reply);

            return 1;
        }

        boolean done()
        {
            return null != reply && !reply.hasRemaining();
        }

        void close()
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                // closing: nothing is left to tell it
            }
        }
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
}
