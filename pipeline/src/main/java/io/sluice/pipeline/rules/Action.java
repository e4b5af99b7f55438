package io.sluice.pipeline.rules;

/**
 * What Sluice does with a frame the filter has classified; the id is what {@link Filter} writes to
 * {@link io.sluice.pipeline.FrameEvent#action}.
 */
public enum Action
{
    /**
     * Release the frame: it goes back to the fill ring and is not transmitted.
     */
    DROP(0, "drop"),
    /**
     * Release the frame as {@link #DROP} does; the rule exists for its hit counter, so the traffic is reported as
     * counted rather than dropped.
     */
    COUNT(1, "count"),
    /**
     * Transmit the frame back out of the port it arrived on, with MACs swapped and optionally IPs and ports.
     */
    REFLECT(2, "reflect"),
    /**
     * Transmit the frame unchanged out of another interface, the rule's {@link FilterRule#forwardInterface()}.
     */
    FORWARD(3, "forward"),
    /**
     * Copy the frame to a capture and then release it. Not available yet: packet capture comes later, and the
     * rules file rejects it.
     */
    MIRROR(4, "mirror");

    private static final Action[] BY_ID;

    static
    {
        final Action[] values = values();
        BY_ID = new Action[values.length];
        for (final Action action : values)
        {
            BY_ID[action.id] = action;
        }
    }

    private final int id;
    private final String label;

    Action(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    /**
     * @return the id, 0..4, stored in {@link io.sluice.pipeline.FrameEvent#action}.
     */
    public int id()
    {
        return id;
    }

    /**
     * @return the name used in the rules file and in reports, e.g. {@code reflect}.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param id an action id.
     * @return the action with that id.
     * @throws IllegalArgumentException if no action has that id.
     */
    public static Action get(final int id)
    {
        if (id < 0 || id >= BY_ID.length)
        {
            throw new IllegalArgumentException("no action has id " + id);
        }

        return BY_ID[id];
    }

    /**
     * @param label a label as written in the rules file.
     * @return the action, or null if no action has that label.
     */
    public static Action byLabel(final String label)
    {
        for (final Action action : BY_ID)
        {
            if (action.label.equals(label))
            {
                return action;
            }
        }

        return null;
    }
}
