package io.sluice.pipeline.cli;

import io.sluice.pipeline.ControlSocket;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client side of a running instance's {@link ControlSocket}, for the commands that talk to one
 * ({@code ./sluice blocks}, {@code ./sluice rules}): find the instance, send the command, print the reply.
 */
final class ControlClient
{
    private ControlClient()
    {
    }

    /**
     * Send one command and print its reply: its text to stdout when it is {@code ok}, else one line to stderr,
     * {@code sluice COMMAND: problem}.
     *
     * @param command  the {@code ./sluice} command, for messages: {@code blocks}.
     * @param instance the instance to ask, or null for the only one running.
     * @param request  the command line to send.
     * @return the exit status: 0 for {@code ok}, 1 for {@code error}.
     * @throws IllegalStateException if no instance, or more than one, could be meant, or it is not running.
     */
    static int send(final String command, final String instance, final String request)
    {
        final String name = null != instance ? instance : only();
        final Path socket = CountersFile.fileOf(name).resolveSibling(ControlSocket.SOCKET_NAME);
        final String reply;
        try
        {
            reply = ControlSocket.request(socket, request);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("instance " + name + " is not running (" + socket + ": " +
                (Files.exists(socket) ? ex.getMessage() : "no such socket") + "); start it with ./sluice run");
        }
        final int newline = reply.indexOf('\n');
        final String status = newline < 0 ? reply : reply.substring(0, newline);
        final String text = newline < 0 ? "" : reply.substring(newline + 1);
        if ("ok".equals(status))
        {
            System.out.print(text);
            System.out.flush();
            return 0;
        }
        System.err.println("sluice " + command + ": " + text.strip());

        return 1;
    }

    private static String only()
    {
        return Instances.only(CountersView.instances().stream()
            .filter((name) -> Files.exists(CountersFile.fileOf(name).resolveSibling(ControlSocket.SOCKET_NAME)))
            .toList(), "no running instance in " + CountersFile.directory() + ": start one with ./sluice run",
            "several running instances: ");
    }
}
