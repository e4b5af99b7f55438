package io.sluice.pipeline.profile;

/**
 * One {@code flow_steering} entry: a flow the NIC's ntuple filters send to one queue, as
 * {@code ethtool -N IF flow-type FLOW [src-ip A] [dst-ip A] [src-port P] [dst-port P] action QUEUE} adds it. A
 * socket receives only from the queue it is bound to, so without such a rule an RSS NIC spreads the flow over every
 * queue.
 *
 * @param flowType {@code udp4}, {@code tcp4}, {@code udp6} or {@code tcp6}.
 * @param srcIp    source address, or null for any.
 * @param dstIp    destination address, or null for any.
 * @param srcPort  source port, or -1 for any.
 * @param dstPort  destination port, or -1 for any.
 * @param queue    the RX queue.
 * @param line     line of the entry in its file, for messages.
 */
public record FlowSteering(String flowType, String srcIp, String dstIp, int srcPort, int dstPort, int queue, int line)
{
    /**
     * @return the arguments after {@code ethtool -N IF}, e.g. {@code flow-type udp4 dst-port 4789 action 0}.
     */
    public String ethtoolArguments()
    {
        final StringBuilder args = new StringBuilder("flow-type ").append(flowType);
        if (null != srcIp)
        {
            args.append(" src-ip ").append(srcIp);
        }
        if (null != dstIp)
        {
            args.append(" dst-ip ").append(dstIp);
        }
        if (srcPort >= 0)
        {
            args.append(" src-port ").append(srcPort);
        }
        if (dstPort >= 0)
        {
            args.append(" dst-port ").append(dstPort);
        }

        return args.append(" action ").append(queue).toString();
    }
}
