package io.sluice.lab;

import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The host's half of the zero-copy lab: boots {@code ./sluice lab} once per NIC kind with the {@code tests}
 * scenario, which runs every test class tagged {@code lab} inside the guest, then reports each of the guest's test
 * cases here as a test of its own, failing with the guest's message. A guest test that was skipped fails: in the
 * lab nothing may skip.
 */
class ZeroCopyLabTest
{
    private static final long RUN_TIMEOUT_S = 1_200;

    @TestFactory
    Stream<DynamicTest> virtioNet() throws Exception
    {
        return guestTests("virtio");
    }

    @TestFactory
    Stream<DynamicTest> igb() throws Exception
    {
        return guestTests("igb");
    }

    private static Stream<DynamicTest> guestTests(final String nic) throws Exception
    {
        Privileged.require("the zero-copy lab (QEMU guest, XDP and AF_XDP inside it)");
        final Path home = sluiceHome();
        final Path out = home.resolve("lab/target/lab-runs/" + nic);
        Files.createDirectories(out);
        final File log = out.resolve("lab.log").toFile();
        final Process lab = new ProcessBuilder(home.resolve("sluice").toString(), "lab", "--nic", nic,
            "--traffic", "0", "--timeout", Long.toString(RUN_TIMEOUT_S - 60), "--out", out.toString(),
            "--scenario", "tests")
            .redirectErrorStream(true).redirectOutput(log).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
        if (!lab.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS))
        {
            lab.destroyForcibly();
            fail("./sluice lab --nic " + nic + " ran past " + RUN_TIMEOUT_S + " s; " + tail(log));
        }
        final int exit = lab.exitValue();

        final List<DynamicTest> tests = new ArrayList<>();
        final Path report = out.resolve("reports/TEST-junit-jupiter.xml");
        if (!Files.exists(report))
        {
            fail("./sluice lab --nic " + nic + " exited " + exit + " with no test report: " + tail(log));
        }
        final NodeList cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile())
            .getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++)
        {
            final Element testCase = (Element)cases.item(i);
            final String name = "[" + nic + "] " + testCase.getAttribute("classname").replace("io.sluice.lab.", "") +
                "." + testCase.getAttribute("name");
            final String problem = problem(testCase);
            tests.add(DynamicTest.dynamicTest(name, () ->
            {
                if (null != problem)
                {
                    fail(problem);
                }
            }));
        }
        tests.add(DynamicTest.dynamicTest("[" + nic + "] the guest ran " + cases.getLength() + " tests and exited 0",
            () ->
            {
                if (0 == cases.getLength())
                {
                    fail("the guest ran no test: " + tail(log));
                }
                assertEquals(0, exit, "./sluice lab --nic " + nic + " exit status; " + tail(log));
            }));

        return tests.stream();
    }

    private static String problem(final Element testCase)
    {
        for (final String kind : new String[] { "failure", "error", "skipped" })
        {
            final NodeList nodes = testCase.getElementsByTagName(kind);
            if (nodes.getLength() > 0)
            {
                final Element node = (Element)nodes.item(0);
                final String message = node.getAttribute("message");
                final String text = node.getTextContent().strip();
                return "in the guest, " + kind + ": " + (message.isEmpty() ? "" : message + "\n") +
                    text.substring(0, Math.min(text.length(), 4_000));
            }
        }

        return null;
    }

    private static String tail(final File log) throws Exception
    {
        final List<String> lines = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
        return "last lines of " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30),
            lines.size()));
    }

    private static Path sluiceHome()
    {
        final String home = System.getenv("SLUICE_HOME");
        if (null != home)
        {
            return Path.of(home);
        }

        return Path.of("").toAbsolutePath().getParent();
    }
}
