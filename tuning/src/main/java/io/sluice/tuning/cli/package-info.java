/**
 * {@code ./sluice doctor} and {@code ./sluice tune}: the commands that check a host and apply a profile to it.
 */
package io.sluice.tuning.cli;
