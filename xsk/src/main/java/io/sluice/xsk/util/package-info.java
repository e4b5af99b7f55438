/**
 * Small host utilities shared by the data-path modules: pinning threads to CPUs
 * ({@link io.sluice.xsk.util.CpuAffinity}).
 */
package io.sluice.xsk.util;
