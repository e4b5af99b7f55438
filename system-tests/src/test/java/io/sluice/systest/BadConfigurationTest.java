package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corpus of bad rules files, profiles and command lines, each given to {@code ./sluice} as an operator would:
 * one line naming the file, line and problem (or the option), exit status 2, never a stack trace, and nothing
 * attached.
 */
class BadConfigurationTest
{
    @TempDir
    static Path dir;

    private static final String GOOD_RULES = "filter:\n  - {name: a, proto: udp, dst_port: 9, action: count}\n";

    @BeforeAll
    static void files() throws Exception
    {
        Files.writeString(dir.resolve("good.yaml"), GOOD_RULES);
        Files.writeString(dir.resolve("syntax.yaml"), "filter:\n  - name: a\n     action: drop\n");
        Files.writeString(dir.resolve("unknown-key.yaml"), "filters:\n  - {name: a, action: drop}\n");
        Files.writeString(dir.resolve("port.yaml"), "filter:\n  - name: a\n    dst_port: 70000\n    action: drop\n");
        Files.writeString(dir.resolve("action.yaml"), "filter:\n  - {name: a, action: reflct}\n");
        Files.writeString(dir.resolve("duplicate.yaml"), "filter:\n  - {name: a, action: drop}\n" +
            "  - {name: a, action: count}\n");
        Files.writeString(dir.resolve("ring.yaml"), "driver: veth\nrings:\n  rx: 3000\n");
        Files.writeString(dir.resolve("zero-copy.yaml"), "zero_copy: always\n");
        Files.writeString(dir.resolve("extends.yaml"), "extends: nosuch\n");
        Files.writeString(dir.resolve("profile-key.yaml"), "queue: 1\n");
        Files.writeString(dir.resolve("empty.yaml"), "");
    }

    static Stream<Arguments> corpus()
    {
        final String good = dir.resolve("good.yaml").toString();
        return Stream.of(
            bad("rules: YAML syntax", "syntax.yaml:3: YAML: ", "run", "--iface", "lo", "--rules", f("syntax.yaml")),
            bad("rules: unknown key", "unknown-key.yaml:1: unknown key 'filters'", "run", "--iface", "lo",
                "--rules", f("unknown-key.yaml")),
            bad("rules: port out of range", "port.yaml:3: filter rule 'a': dst_port 70000", "run", "--iface", "lo",
                "--rules", f("port.yaml")),
            bad("rules: unknown action", "action.yaml:2: filter rule 'a': action 'reflct'", "run", "--iface", "lo",
                "--rules", f("action.yaml")),
            bad("rules: duplicate name", "duplicate.yaml:3: ", "run", "--iface", "lo", "--rules",
                f("duplicate.yaml")),
            bad("rules: empty file", "empty.yaml:1: ", "run", "--iface", "lo", "--rules", f("empty.yaml")),
            bad("rules: missing file", "nosuch.yaml: cannot read: no such file", "run", "--iface", "lo", "--rules",
                f("nosuch.yaml")),
            bad("profile: ring size", "ring.yaml:3: rings.rx: 3000 is not a power of two", "run", "--iface", "lo",
                "--rules", good, "--profile", f("ring.yaml")),
            bad("profile: zero-copy policy", "zero-copy.yaml:1: zero_copy: unknown value 'always'", "run",
                "--iface", "lo", "--rules", good, "--profile", f("zero-copy.yaml")),
            bad("profile: extends nothing", "extends.yaml:1: extends: no profile 'nosuch'", "run", "--iface", "lo",
                "--rules", good, "--profile", f("extends.yaml")),
            bad("profile: unknown key", "profile-key.yaml:1: unknown key 'queue'", "run", "--iface", "lo",
                "--rules", good, "--profile", f("profile-key.yaml")),
            bad("option: unknown", "Unknown option: '--bogus'", "run", "--iface", "lo", "--rules", good, "--bogus"),
            bad("option: missing --iface", "Missing required option: '--iface=IF'", "run", "--rules", good),
            bad("option: cores", "--cores: 'x' is not a number", "run", "--iface", "lo", "--rules", good,
                "--cores", "1,x"),
            bad("option: queues", "--queues: '0-a' is not a number or range", "run", "--iface", "lo", "--rules", good,
                "--queues", "0-a"),
            bad("option: threading", "threading mode 'fast' is not one of", "run", "--iface", "lo", "--rules", good,
                "--threading", "fast"),
            bad("option: metrics port", "--metrics-port 70000: 1..65535", "run", "--iface", "lo", "--rules", good,
                "--metrics-port", "70000"),
            bad("option: capture-rule alone", "--capture-rule needs --capture FILE", "run", "--iface", "lo",
                "--rules", good, "--capture-rule", "a"),
            bad("option: capture rule unknown", "--capture-rule b: no filter rule of that name (rules: a)", "run",
                "--iface", "lo", "--rules", good, "--capture", f("c.pcap"), "--capture-rule", "b"),
            bad("option: capture max", "--capture-max 0: at least 1", "run", "--iface", "lo", "--rules", good,
                "--capture", f("c.pcap"), "--capture-max", "0"),
            bad("option: instance name", "instance name '../x'", "run", "--iface", "lo", "--rules", good,
                "--instance", "../x"),
            bad("tune: no action", "Missing required argument", "tune", "--iface", "lo"),
            bad("doctor: bad profile", "ring.yaml:3: rings.rx: 3000 is not a power of two", "doctor", "--profile",
                f("ring.yaml")),
            bad("stats: no such instance", "cannot read", "stats", "--instance", "no-such-instance"),
            bad("perf: frame size", "--frame-size 63: 64..9018", "perf", "--frame-size", "63"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void shouldAnswerEachBadInputWithOneLineAndNoStackTrace(
        final String name, final String expected, final String[] args) throws Exception
    {
        Privileged.require("./sluice commands");
        try (SluiceProcess sluice = SluiceProcess.start(null, args))
        {
            assertEquals(2, sluice.waitFor(120), sluice::output);
            final List<String> errors = new ArrayList<>(sluice.lines().stream()
                .filter((line) -> line.startsWith("sluice " + args[0] + ": ")).toList());
            assertEquals(1, errors.size(), sluice::output);
            assertTrue(errors.get(0).contains(expected), errors.get(0));
            assertTrue(sluice.lines().stream().noneMatch((line) -> line.startsWith("\tat ") ||
                line.contains("Exception")), "no stack trace:\n" + sluice.output());
        }
    }

    private static Arguments bad(final String name, final String expected, final String... args)
    {
        return Arguments.of(name, expected, args);
    }

    private static String f(final String name)
    {
        return dir.resolve(name).toString();
    }
}
