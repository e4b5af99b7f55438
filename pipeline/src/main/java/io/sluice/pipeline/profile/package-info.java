/**
 * NIC profiles: the YAML files in {@code nic-profiles/}, one per driver, that say how Sluice runs on that kind of
 * interface (queues, AF_XDP ring sizes, frame size, zero-copy, XDP mode, need_wakeup, busy poll, hugepages, the
 * pipeline's threads, and what {@code ./sluice tune} sets on the host); every key is in
 * {@code docs/profile-format.md}. {@link io.sluice.pipeline.profile.ProfileFile} reads one, with
 * {@code HostTuningReader} for the host's keys, into an immutable {@link io.sluice.pipeline.profile.Profile}
 * carrying the {@link io.sluice.xsk.socket.XskConfig}, {@link io.sluice.xsk.umem.UmemConfig} and
 * {@link io.sluice.pipeline.PipelineConfig} it implies, and which fields the file set, so command-line options can
 * override the rest. A bad file is a {@link io.sluice.pipeline.profile.ProfileException} of one line naming the file,
 * line, field and allowed values.
 */
package io.sluice.pipeline.profile;
