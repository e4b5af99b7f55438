/**
 * Small host utilities shared by the data-path modules: pinning threads to CPUs
 * ({@link io.sluice.xsk.util.CpuAffinity}) and reading the CPU and queue
 * lists people and the kernel write ({@link io.sluice.xsk.util.CpuList}).
 */
package io.sluice.xsk.util;
