/**
 * Applying a NIC profile to a host and checking a host for Sluice: {@link io.sluice.tuning.TunePlan} works out what
 * {@code ./sluice tune} would change, {@link io.sluice.tuning.Tuner} applies it after saving the prior state and
 * reverts to exactly that state, and {@link io.sluice.tuning.Doctor} checks the kernel, privileges, limits, driver
 * and placement.
 */
package io.sluice.tuning;
