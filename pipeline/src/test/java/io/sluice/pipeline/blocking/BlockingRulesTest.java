package io.sluice.pipeline.blocking;

import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.pipeline.rules.RulesFileException;
import io.sluice.xsk.xdp.Prefix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The rules file's {@code block_if} and {@code blocking}: read as written, defaults where not, and every mistake
 * one line naming the file, the line and the problem.
 */
class BlockingRulesTest
{
    @Test
    void shouldReadTriggersAndThePolicy()
    {
        final Rules rules = RulesFile.parse("rules.yaml", """
            filter:
              - name: legit
                src: 10.0.0.1
                action: count
              - name: udp-flood
                proto: udp
                action: count
                block_if: {pps: 50000, window_ms: 100, prefix: 24, ttl_s: 30}
              - name: syn-flood
                proto: tcp
                tcp_flags: syn
                action: drop
                block_if:
                  pps: 2000
                  syn_ratio: 8
                  prefix6: 64
            blocking:
              ttl_s: 120
              max_blocks: 16
              track: 1024
              allow: [10.0.0.0/8, "fd00::/16"]
            """);

        assertEquals(List.of(
            new BlockTrigger(1, "udp-flood", 50_000, 100_000_000L, 0, 24, 128, 30_000_000_000L),
            new BlockTrigger(2, "syn-flood", 2_000, 1_000_000_000L, 8, 32, 64, 0)), rules.triggers());
        assertEquals(new BlockingPolicy(120_000_000_000L, 16, 1024,
            List.of(Prefix.parse("10.0.0.0/8"), Prefix.parse("fd00::/16"))), rules.blocking());
        assertEquals(5_000, rules.triggers().get(0).limit(), "50,000 pps over 100 ms");
    }

    @Test
    void shouldDefaultThePolicy()
    {
        final Rules rules = RulesFile.parse("rules.yaml", "filter:\n  - action: count\n    block_if: {pps: 10}\n");

        assertEquals(BlockingPolicy.DEFAULTS, rules.blocking());
        assertEquals(10, rules.triggers().get(0).limit());
        assertEquals(BlockingPolicy.DEFAULTS, RulesFile.parse("rules.yaml", "default: drop\n").blocking());
    }

    @Test
    void shouldFindTheAllowlistedPrefixThatCoversABlock()
    {
        final BlockingPolicy policy = new BlockingPolicy(BlockingPolicy.TTL_NS_DEFAULT, 4, 64,
            List.of(Prefix.parse("10.1.0.0/16")));

        assertEquals(Prefix.parse("10.1.0.0/16"), policy.allowlisted(Prefix.parse("10.1.2.3/32")));
        assertEquals(Prefix.parse("10.1.0.0/16"), policy.allowlisted(Prefix.parse("10.1.0.0/16")));
        assertNull(policy.allowlisted(Prefix.parse("10.0.0.0/8")), "only overlaps: the XDP program exempts the rest");
        assertNull(policy.allowlisted(Prefix.parse("10.2.0.1/32")));
    }

    static Stream<Arguments> invalid()
    {
        return Stream.of(
            arguments("block_if not a mapping", "filter:\n  - name: a\n    action: count\n    block_if: 5\n",
                "rules.yaml:4: filter rule 'a': block_if must be a mapping such as {pps: 50000, window_ms: 100}, " +
                "not '5'"),
            arguments("block_if without pps", "filter:\n  - name: a\n    action: count\n    block_if: {window_ms: 5}\n",
                "rules.yaml:4: filter rule 'a': block_if: pps is required: the rate above which a source is blocked"),
            arguments("unknown block_if key", "filter:\n  - name: a\n    action: count\n    block_if: {pps: 5, " +
                "rate: 2}\n", "rules.yaml:4: filter rule 'a': block_if: unknown key 'rate'; allowed keys are pps, " +
                "window_ms, syn_ratio, prefix, prefix6, ttl_s"),
            arguments("pps zero", "filter:\n  - name: a\n    action: count\n    block_if: {pps: 0}\n",
                "rules.yaml:4: filter rule 'a': block_if.pps 0 is not within 1-1000000000"),
            arguments("window too long", "filter:\n  - name: a\n    action: count\n    block_if:\n      pps: 5\n" +
                "      window_ms: 60001\n", "rules.yaml:6: filter rule 'a': block_if.window_ms 60001 is not within " +
                "1-60000"),
            arguments("window holds no frame", "filter:\n  - name: a\n    action: count\n    block_if:\n" +
                "      pps: 5\n      window_ms: 100\n", "rules.yaml:5: filter rule 'a': block_if: at 5 pps a 100 ms " +
                "window holds less than one frame; raise pps or window_ms"),
            arguments("syn_ratio without tcp", "filter:\n  - name: a\n    proto: udp\n    action: count\n" +
                "    block_if: {pps: 5, syn_ratio: 4}\n", "rules.yaml:5: filter rule 'a': block_if.syn_ratio counts " +
                "TCP SYNs: the rule needs proto tcp"),
            arguments("prefix too long", "filter:\n  - name: a\n    action: count\n    block_if: {pps: 5, prefix: 33}\n",
                "rules.yaml:4: filter rule 'a': block_if.prefix 33 is not within 1-32"),
            arguments("blocking not a mapping", "blocking: [1]\n", "rules.yaml:1: blocking must be a mapping of " +
                "ttl_s, max_blocks, track, allow, not a list"),
            arguments("unknown blocking key", "blocking:\n  cap: 5\n", "rules.yaml:2: blocking: unknown key 'cap'; " +
                "allowed keys are ttl_s, max_blocks, track, allow"),
            arguments("cap past the blocklist", "blocking:\n  max_blocks: 16385\n", "rules.yaml:2: " +
                "blocking.max_blocks 16385 is not within 1-16384"),
            arguments("track not a power of two", "blocking:\n  track: 1000\n", "rules.yaml:2: blocking.track 1000 " +
                "is not a power of two"),
            arguments("ttl zero", "blocking:\n  ttl_s: 0\n", "rules.yaml:2: blocking.ttl_s 0 is not within 1-604800"),
            arguments("allowlist entry not a prefix", "blocking:\n  allow:\n    - 10.0.0.0/8\n    - 10.0.0.300\n",
                "rules.yaml:4: blocking.allow: not an IPv4 or IPv6 address: '10.0.0.300'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void shouldRejectAMistakeInOneLineNamingFileAndLine(final String description, final String yaml,
        final String expected)
    {
        final RulesFileException ex = assertThrows(RulesFileException.class, () -> RulesFile.parse("rules.yaml", yaml));

        assertEquals(expected, ex.getMessage());
    }
}
