/**
 * End-to-end operator tests, as Aeron keeps its {@code aeron-system-tests}: {@code ./sluice run}, {@code blocks},
 * {@code stats}, {@code demo} and the launcher driven as an operator drives them, between hosts in network
 * namespaces; faults (an interface deleted, a program replaced, a link down), least privilege, bad configuration,
 * and what the counters file, the Prometheus endpoint and the capture show. The benchmarks' own tests stay in
 * {@code perf-tests}.
 */
package io.sluice.systest;
