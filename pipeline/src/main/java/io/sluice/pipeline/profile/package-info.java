/**
 * NIC profiles: the YAML files in {@code nic-profiles/}, one per driver, that say how Sluice runs on that kind of
 * interface (queues, AF_XDP ring sizes, frame size, zero-copy, XDP mode, need_wakeup, busy poll, hugepages, and the
 * pipeline's threads). {@link io.sluice.pipeline.profile.ProfileFile} reads one into an immutable
 * {@link io.sluice.pipeline.profile.Profile} carrying the {@link io.sluice.xsk.socket.XskConfig},
 * {@link io.sluice.xsk.umem.UmemConfig} and {@link io.sluice.pipeline.PipelineConfig} it implies, and which fields
 * the file set, so command-line options can override the rest. A bad file is a
 * {@link io.sluice.pipeline.profile.ProfileException} of one line naming the file, line, field and allowed values.
 */
package io.sluice.pipeline.profile;
