/**
 * Benchmarks: they print figures and the exact command that produced them, and never assert wall-clock times.
 */
package io.sluice.perf;
