package io.sluice.pipeline.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice rules show}: a running instance's rules, printed as a rules file in the file's own keys, each rule's
 * line ending in what it counted: the packets each steering rule decided in XDP, the frames each filter rule and the
 * default took. The text reads back as a rules file.
 */
@Command(name = "rules", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Show a running instance's rules, with each rule's count:",
        "  ./sluice rules show [--instance NAME]"})
public final class RulesCommand implements Callable<Integer>
{
    @Option(names = "--instance", paramLabel = "NAME",
        description = "instance to ask (default: the only one running)")
    String instance;

    @Parameters(arity = "1", paramLabel = "ACTION", description = "show")
    List<String> words = List.of();

    @Override
    public Integer call()
    {
        final String action = words.get(0);
        if (!"show".equals(action))
        {
            throw new IllegalArgumentException("unknown action '" + action + "': show");
        }

        return ControlClient.send("rules", instance, "rules show");
    }
}
