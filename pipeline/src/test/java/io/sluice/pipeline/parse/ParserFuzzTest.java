package io.sluice.pipeline.parse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.rules.Filter;
import io.sluice.pipeline.rules.RulesFile;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer over the parser and the filter: any bytes, any length up to a frame, parsed where reading past the frame
 * faults, matched against a rule set using every kind of constraint. No exception may escape, no byte outside the
 * frame may be read or matter, and every error is a known reason.
 */
class ParserFuzzTest
{
    private static final FrameHarness HARNESS = new FrameHarness();
    private static final Filter FILTER = filter();

    @FuzzTest(maxDuration = "45s")
    void shouldParseAndFilterAnyFrameWithinItsBytes(final byte[] frame)
    {
        if (0 == frame.length || frame.length > FrameHarness.PAGE_BYTES)
        {
            return;
        }
        final FrameEvent event = HARNESS.parse(frame, frame.length);
        assertTrue(event.parseError >= 0 && event.parseError < ParseError.values().length, "a known reason");
        if (0 == event.parseError)
        {
            FILTER.match(event);
        }
    }

    private static Filter filter()
    {
        try
        {
            final Path rules = Files.createTempFile("fuzz", ".yaml");
            Files.writeString(rules, """
                filter:
                  - {name: v, vlan: 7, proto: udp, dst_port: 53, action: count}
                  - {name: s, ip: 6, src: "fd00::/8", proto: tcp, tcp_flags: "syn,!ack", action: drop}
                  - {name: i, proto: icmp, icmp_type: 8, icmp_code: 0, action: count}
                  - {name: f, ip: 4, fragment: true, action: drop}
                  - {name: p, src: 10.0.0.0/8, dst: 192.168.0.0/16, src_port: 1-1023, dst_port: 80-90, action: count}
                  - {name: e, ether_type: 0x0806, action: drop}
                default: drop
                """);
            final Filter filter = new Filter(RulesFile.load(rules).filter());
            Files.delete(rules);
            return filter;
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
