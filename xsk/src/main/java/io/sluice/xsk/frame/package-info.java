/**
 * Building Ethernet frames byte by byte (VLAN, IPv4 with options, IPv6 with extension headers, fragments, TCP,
 * UDP, ICMP) for generators, benchmarks and tests. Not for the data path: it allocates.
 */
package io.sluice.xsk.frame;
