package io.sluice.pipeline.cli;

import io.sluice.xsk.xdp.Prefix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice blocks}: a running instance's blocks, listed with their remaining time and what each dropped in
 * XDP; and an operator's own blocks, added and removed, through the instance's control socket.
 */
@Command(name = "blocks", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"List a running instance's blocks, or add or remove one:",
        "  ./sluice blocks [list]",
        "  ./sluice blocks add PREFIX [--ttl SECONDS]",
        "  ./sluice blocks remove PREFIX"})
public final class BlocksCommand implements Callable<Integer>
{
    @Option(names = "--instance", paramLabel = "NAME",
        description = "instance to ask (default: the only one running)")
    String instance;

    @Option(names = "--ttl", paramLabel = "SECONDS", description = "add: how long the block lasts (default: until " +
        "removed)")
    Long ttlS;

    @Parameters(arity = "0..2", paramLabel = "ACTION [PREFIX]", description = "list (the default), add PREFIX or " +
        "remove PREFIX")
    List<String> words = List.of();

    @Override
    public Integer call() throws Exception
    {
        final String action = words.isEmpty() ? "list" : words.get(0);
        final String request = switch (action)
        {
            case "list" ->
            {
                if (words.size() > 1)
                {
                    throw new IllegalArgumentException("list takes no prefix");
                }
                yield "list";
            }
            case "add" ->
            {
                prefix("add");
                if (null != ttlS && (ttlS < 1 || ttlS > 7 * 24 * 3600))
                {
                    throw new IllegalArgumentException("--ttl " + ttlS + ": 1..604800 seconds");
                }
                yield "add " + words.get(1) + (null == ttlS ? "" : " " + ttlS);
            }
            case "remove" ->
            {
                prefix("remove");
                yield "remove " + words.get(1);
            }
            default -> throw new IllegalArgumentException("unknown action '" + action + "': list, add PREFIX, " +
                "remove PREFIX");
        };
        if (null != ttlS && !"add".equals(action))
        {
            throw new IllegalArgumentException("--ttl is for add");
        }

        return ControlClient.send("blocks", instance, request);
    }

    private void prefix(final String action)
    {
        expect(2, action + " needs a PREFIX, e.g. 198.51.100.0/24");
        try
        {
            Prefix.parse(words.get(1));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(action + " " + words.get(1) + ": " + ex.getMessage());
        }
    }

    private void expect(final int count, final String problem)
    {
        if (words.size() != count)
        {
            throw new IllegalArgumentException(problem);
        }
    }
}
