package io.sluice.xsk.xdp;

import io.sluice.xsk.counters.CounterDescriptor;

import java.util.Locale;

import static io.sluice.xsk.ffi.Ffi.constant;

/**
 * The XDP program's per-CPU counters ({@code enum sluice_counter}). Every packet the program sees is counted in
 * exactly one outcome, so the outcomes sum to the packets offered; the observations overlap them.
 */
public enum XdpCounter implements CounterDescriptor
{
    PASS_NO_MATCH("SLUICE_PASS_NO_MATCH", 0, "passed: no rule matched"),
    PASS_RULE("SLUICE_PASS_RULE", 1, "passed: a pass rule matched"),
    PASS_NO_SOCKET("SLUICE_PASS_NO_SOCKET", 2, "passed: steered, but no AF_XDP socket on the queue"),
    PASS_NOT_IP("SLUICE_PASS_NOT_IP", 3, "passed: not IPv4 or IPv6"),
    PASS_MALFORMED("SLUICE_PASS_MALFORMED", 4, "passed: header cut short or invalid"),
    DROP_BLOCKLIST("SLUICE_DROP_BLOCKLIST", 5, "dropped: source on the blocklist"),
    DROP_RULE("SLUICE_DROP_RULE", 6, "dropped: a drop rule matched"),
    REDIRECT("SLUICE_REDIRECT", 7, "redirected to an AF_XDP socket"),
    L4_UNKNOWN("SLUICE_L4_UNKNOWN", 8, "matched on addresses only: fragment or IPv6 extension header"),
    VLAN_TAGGED("SLUICE_VLAN_TAGGED", 9, "carried one or two VLAN tags"),
    BLOCK_EXEMPT("SLUICE_BLOCK_EXEMPT", 10, "blocked source on the allowlist: not dropped"),
    BLOCK_STALE("SLUICE_BLOCK_STALE", 11, "blocked source whose block had expired: not dropped");

    private final int id;
    private final String description;

    XdpCounter(final String cName, final int id, final String description)
    {
        this.id = (int)constant(SteeringDescriptor.H, cName, id);
        this.description = description;
    }

    /**
     * @return the index in the program's counter array.
     */
    @Override
    public int id()
    {
        return id;
    }

    /**
     * @return the counter's name in lower case: its {@code counter} label.
     */
    @Override
    public String key()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @return a description for people.
     */
    @Override
    public String description()
    {
        return description;
    }

    /**
     * @return true if this counter is one of the mutually exclusive outcomes.
     */
    @Override
    public boolean isOutcome()
    {
        return id < SteeringDescriptor.OUTCOMES;
    }
}
