/**
 * Small host utilities shared by the data-path modules: pinning threads to CPUs
 * ({@link io.sluice.xsk.util.CpuAffinity}), reading the CPU and queue
 * lists people and the kernel write ({@link io.sluice.xsk.util.CpuList}),
 * entering network namespaces ({@link io.sluice.xsk.util.NetNamespace}) and
 * running the host's tools as child processes ({@link io.sluice.xsk.util.ChildProcess}).
 */
package io.sluice.xsk.util;
