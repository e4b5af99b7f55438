package io.sluice.tuning.cli;

import io.sluice.pipeline.profile.HostTuning;
import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.ProfileCheck;
import io.sluice.pipeline.profile.ProfileException;
import io.sluice.tuning.TunePlan;
import io.sluice.tuning.TuneState;
import io.sluice.tuning.Tuner;
import io.sluice.tuning.host.HostFiles;
import io.sluice.xsk.util.CpuList;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice tune}: applies a profile to the host (channels, rings, offloads, ntuple steering, NAPI and
 * busy-poll knobs, IRQ affinity, hugepages), prints it first with {@code --dry-run}, and restores the saved prior
 * state with {@code --revert}.
 */
@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Apply a NIC profile to the host, with dry run and exact revert")
public final class TuneCommand implements Callable<Integer>
{
    @Option(names = "--iface", required = true, paramLabel = "IF", description = "interface, in this network namespace")
    String iface;

    @Option(names = "--profile", paramLabel = "FILE",
        description = "NIC profile (default: the shipped profile for the interface's driver)")
    Path profileFile;

    @Option(names = "--state", paramLabel = "FILE",
        description = "state file of --apply and --revert (default: " + TuneState.DIRECTORY_DEFAULT +
            "/IF@NETNS.json)")
    Path stateFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    static final class Action
    {
        @Option(names = "--dry-run", required = true, description = "print the commands and what they change; change nothing")
        boolean dryRun;

        @Option(names = "--apply", required = true, description = "save the prior state, then apply")
        boolean apply;

        @Option(names = "--revert", required = true, description = "restore the saved prior state")
        boolean revert;
    }

    @Override
    public Integer call()
    {
        final Path state = null == stateFile ? TuneState.defaultFile(iface) : stateFile;
        final Tuner tuner = new Tuner(HostFiles.host(), System.out);
        if (action.revert)
        {
            return 0 == tuner.revert(state) ? 0 : 1;
        }

        final ProfileOption profile = ProfileOption.resolve(profileFile, iface);
        System.out.println("sluice tune: " + iface + ", " + profile.reason());
        final NetDevice device = NetDevice.read(iface);
        final int[] online = CpuList.online();
        // queues beyond the current channels are what tune is for; every other misfit stops it
        final List<ProfileException> problems = ProfileCheck.check(profile.profile(), device, online).stream()
            .filter((p) -> !"queues".equals(p.field()) || HostTuning.LEAVE == profile.profile().hostTuning().channels()).toList();
        if (!problems.isEmpty())
        {
            throw problems.get(0);
        }
        final TunePlan plan = TunePlan.build(profile.profile(), iface, HostFiles.host(), online, true);
        if (action.dryRun)
        {
            tuner.dryRun(plan);
            return 0;
        }

        return 0 == tuner.apply(plan, state, online) ? 0 : 1;
    }
}
