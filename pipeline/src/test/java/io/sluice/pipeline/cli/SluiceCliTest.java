package io.sluice.pipeline.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A bad command line or rules file ends {@code ./sluice run} with one line on stderr naming what is wrong, and exit
 * status 2, before anything is attached.
 */
class SluiceCliTest
{
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedErr;
    private Path rules;

    @BeforeEach
    void setUp() throws Exception
    {
        savedErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        rules = Files.createTempFile("cli", ".yaml");
        Files.writeString(rules, "filter:\n  - {name: all, action: drop}\n");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        System.setErr(savedErr);
        Files.deleteIfExists(rules);
    }

    @Test
    void shouldRejectAnUnknownOptionInOneLine()
    {
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(), "--bogus"));
        assertEquals("sluice run: Unknown option: '--bogus' (see ./sluice run --help)", error());
    }

    @Test
    void shouldRejectAMissingInterfaceInOneLine()
    {
        assertEquals(2, SluiceCli.execute("run", "--rules", rules.toString()));
        assertEquals("sluice run: Missing required option: '--iface=IF' (see ./sluice run --help)", error());
    }

    @Test
    void shouldNameTheRulesFileLineAndProblem() throws Exception
    {
        Files.writeString(rules, "filter:\n  - name: a\n    dst_port: 70000\n    action: drop\n");
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString()));
        final String line = error();
        assertEquals("sluice run: " + rules + ":3: filter rule 'a': dst_port 70000 is not within 0-65535", line);
    }

    @Test
    void shouldNameAMissingRulesFile()
    {
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", "/nonexistent/rules.yaml"));
        assertEquals("sluice run: /nonexistent/rules.yaml: cannot read: no such file", error());
    }

    @Test
    void shouldRejectABadCoreList()
    {
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(), "--cores", "1,x"));
        assertEquals("sluice run: --cores: 'x' is not a number or range like 0,2-3", error());
    }

    @Test
    void shouldRejectACoreListThatDoesNotFitTheMode()
    {
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(),
            "--threading", "dedicated", "--cores", "0,1"));
        assertEquals("sluice run: dedicated mode with 1 handler(s) needs 3 core(s) (receiver, handlers..., " +
            "transmitter), not [0, 1]", error());
    }

    @Test
    void shouldRejectAnUnknownThreadingMode()
    {
        assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(), "--threading", "fast"));
        assertEquals("sluice run: threading mode 'fast' is not one of dedicated, shared", error());
    }

    @Test
    void shouldNameTheProfileLineAndProblem() throws Exception
    {
        final Path profile = Files.createTempFile("profile", ".yaml");
        try
        {
            Files.writeString(profile, "driver: veth\nrings:\n  rx: 3000\n");
            assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(), "--profile",
                profile.toString()));
            assertEquals("sluice run: " + profile + ":3: rings.rx: 3000 is not a power of two (allowed: powers of " +
                "two 64..16384)", error());
        }
        finally
        {
            Files.deleteIfExists(profile);
        }
    }

    @Test
    void shouldCheckTheCoresTheOptionsLeaveAgainstTheProfilesMode() throws Exception
    {
        final Path profile = Files.createTempFile("profile", ".yaml");
        try
        {
            Files.writeString(profile, "threading: {mode: dedicated, cores: [0, 1, 2], idle: spin}\n");
            assertEquals(2, SluiceCli.execute("run", "--iface", "x", "--rules", rules.toString(), "--profile",
                profile.toString(), "--handlers", "2", "--cores", "0,1"));
            assertEquals("sluice run: dedicated mode with 2 handler(s) needs 4 core(s) (receiver, handlers..., " +
                "transmitter), not [0, 1]", error());
        }
        finally
        {
            Files.deleteIfExists(profile);
        }
    }

    private String error()
    {
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), "exactly one line: " + text);

        return text.strip();
    }
}
