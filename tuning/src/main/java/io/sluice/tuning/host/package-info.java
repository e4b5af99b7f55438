/**
 * The host as tuning sees it: {@code ethtool} run and its output parsed, files under {@code /proc} and {@code /sys},
 * and the interrupts of an interface's queues.
 */
package io.sluice.tuning.host;
