package io.sluice.pipeline.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice rules show}: a running instance's rules, printed as a rules file in the file's own keys, each rule's
 * line ending in what it counted: the packets each steering rule decided in XDP, the frames each filter rule and the
 * default took. The text reads back as a rules file.
 * <p>
 * {@code ./sluice rules reload [--file FILE]}: the instance reads its rules file again, or another, and applies it
 * whole to both levels at once, or refuses it whole with the file's line and problem (as SIGHUP does).
 */
@Command(name = "rules", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Show a running instance's rules, with each rule's count, or reload them:",
        "  ./sluice rules show [--instance NAME]",
        "  ./sluice rules reload [--instance NAME] [--file FILE]   (or kill -HUP the ./sluice run)"})
public final class RulesCommand implements Callable<Integer>
{
    @Option(names = "--instance", paramLabel = "NAME",
        description = "instance to ask (default: the only one running)")
    String instance;

    @Option(names = "--file", paramLabel = "FILE",
        description = "reload: apply this rules file once (default: the instance's own, given to run --rules)")
    Path file;

    @Parameters(arity = "1", paramLabel = "ACTION", description = "show | reload")
    List<String> words = List.of();

    @Override
    public Integer call()
    {
        final String action = words.get(0);
        if ("show".equals(action))
        {
            if (null != file)
            {
                throw new IllegalArgumentException("--file is for reload, not show");
            }
            return ControlClient.send("rules", instance, "rules show");
        }
        if ("reload".equals(action))
        {
            // the instance has its own working directory: it is given the file's absolute path
            return ControlClient.send("rules", instance,
                "rules reload" + (null == file ? "" : " " + file.toAbsolutePath().normalize()));
        }

        throw new IllegalArgumentException("unknown action '" + action + "': show, reload");
    }
}
