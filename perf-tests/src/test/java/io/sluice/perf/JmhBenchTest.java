package io.sluice.perf;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How {@code ./sluice bench jmh} builds JMH's command line; runs no benchmark.
 */
class JmhBenchTest
{
    @Test
    void shouldRunQuickSettingsWithTheGcProfilerAndNativeAccessWhenGivenNothing()
    {
        assertEquals(
            List.of("-f", "1", "-wi", "3", "-i", "5", "-w", "1s", "-r", "1s", "-prof", "gc",
                "-jvmArgsAppend", JmhBench.FORK_JVM_ARGS),
            List.of(JmhBench.jmhArguments(List.of())));
    }

    @Test
    void shouldAddOnlyTheQuickSettingsTheCallerDidNotGiveAndKeepTheCallersInOrder()
    {
        assertEquals(
            List.of("-wi", "3", "-w", "1s", "-r", "1s", "-prof", "gc",
                "-f", "3", "-i", "10", "ParserBenchmark", "-p", "shape=arp",
                "-jvmArgsAppend", JmhBench.FORK_JVM_ARGS),
            List.of(JmhBench.jmhArguments(List.of("-f", "3", "-i", "10", "ParserBenchmark", "-p", "shape=arp"))));
    }

    @Test
    void shouldJoinNativeAccessToALoneJvmArgsAppendWhichJmhSplitsAtSpaces()
    {
        assertEquals(
            List.of("-f", "1", "-wi", "3", "-i", "5", "-w", "1s", "-r", "1s",
                "-prof", "stack", "-jvmArgsAppend", "-Xmx1g -Xms1g " + JmhBench.FORK_JVM_ARGS),
            List.of(JmhBench.jmhArguments(List.of("-prof", "stack", "-jvmArgsAppend", "-Xmx1g -Xms1g"))));
    }

    @Test
    void shouldAddEachForkArgumentAsItsOwnValueBesideSeveralJvmArgsAppendWhichJmhTakesVerbatim()
    {
        assertEquals(
            List.of("-f", "1", "-wi", "3", "-i", "5", "-w", "1s", "-r", "1s", "-prof", "gc",
                "-jvmArgsAppend", "-Xmx1g", "-jvmArgsAppend", "-Xms1g",
                "-jvmArgsAppend", "--enable-native-access=ALL-UNNAMED",
                "-jvmArgsAppend", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"),
            List.of(JmhBench.jmhArguments(List.of("-jvmArgsAppend", "-Xmx1g", "-jvmArgsAppend", "-Xms1g"))));
    }
}
