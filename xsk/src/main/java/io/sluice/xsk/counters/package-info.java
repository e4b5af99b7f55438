/**
 * Every counter Sluice keeps, in one memory-mapped counters file per instance, as Aeron keeps its counters in its
 * CnC file: {@link io.sluice.xsk.counters.CountersFile} lays it out and allocates counters with Agrona's
 * {@code CountersManager}; the data path adds to them through a {@link io.sluice.xsk.counters.CounterSet} with plain
 * loads and release stores; {@link io.sluice.xsk.counters.CountersView} reads them from another process.
 */
package io.sluice.xsk.counters;
