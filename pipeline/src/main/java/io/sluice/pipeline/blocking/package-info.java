/**
 * The adaptive fast path: a detector stage that finds floods in what the pipeline receives, and a control-plane
 * agent that pushes blocks for them down into the XDP program, with expiry, an allowlist and a cap.
 */
package io.sluice.pipeline.blocking;
