package io.sluice.tuning;

import io.sluice.tuning.host.Ethtool;
import io.sluice.tuning.host.HostFiles;
import io.sluice.tuning.host.Shell;
import io.sluice.xsk.util.CpuList;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies a {@link TunePlan} to the host after saving the prior state, and reverts to exactly that state. A setting
 * the interface refuses is a warning naming it, not a failure of the whole run.
 */
public final class Tuner
{
    private final HostFiles files;
    private final PrintStream out;
    private int failures;

    /**
     * @param files the host's {@code /proc} and {@code /sys}.
     * @param out   where the commands and warnings go.
     */
    public Tuner(final HostFiles files, final PrintStream out)
    {
        this.files = files;
        this.out = out;
    }

    /**
     * Print what {@link #apply} would do: each command with what it changes, from what to what.
     *
     * @param plan the plan.
     */
    public void dryRun(final TunePlan plan)
    {
        out.println("sluice tune: dry run for " + plan.iface() + " with " + plan.profile().source() +
            ": nothing is changed");
        for (final Setting setting : plan.settings())
        {
            out.println("  " + setting.command() + "    # " + setting.change());
        }
        if (plan.settings().isEmpty())
        {
            out.println("  (nothing to change)");
        }
        for (final String line : plan.unchanged())
        {
            out.println("  unchanged: " + line);
        }
        for (final String line : plan.warnings())
        {
            out.println("  warning: " + line);
        }
    }

    /**
     * Save the prior state, then apply the plan: the channels first, then the rest worked out again against the
     * queues they made (a driver may renumber its interrupts when its channels change).
     *
     * @param plan       the plan, as built with the channels.
     * @param stateFile  where the prior state goes.
     * @param onlineCpus the host's online CPUs, for the plan worked out again.
     * @return the number of settings that failed; 0 when all applied.
     */
    public int apply(final TunePlan plan, final Path stateFile, final int[] onlineCpus)
    {
        failures = 0;
        if (plan.settings().isEmpty())
        {
            plan.unchanged().forEach((line) -> out.println("unchanged: " + line));
            plan.warnings().forEach((line) -> out.println("warning: " + line));
            out.println("sluice tune: " + plan.iface() + " already as " + plan.profile().source() + " says; " +
                "nothing changed" + (Files.exists(stateFile) ? ", and the prior state saved earlier stays in " +
                stateFile : ", nothing saved"));
            return 0;
        }
        final TuneState state = startState(plan, stateFile);
        boolean channelsChanged = false;
        for (final Setting setting : plan.settings())
        {
            if (Setting.Kind.CHANNELS == setting.kind())
            {
                channelsChanged |= apply(setting, state, stateFile);
            }
        }
        final TunePlan rest = channelsChanged ?
            TunePlan.build(plan.profile(), plan.iface(), files, onlineCpus, false) : plan;
        for (final Setting setting : rest.settings())
        {
            if (Setting.Kind.CHANNELS != setting.kind())
            {
                apply(setting, state, stateFile);
            }
        }
        for (final String line : rest.unchanged())
        {
            out.println("unchanged: " + line);
        }
        for (final String line : rest.warnings())
        {
            out.println("warning: " + line);
        }
        out.println("sluice tune: " + plan.iface() + " tuned with " + plan.profile().source() +
            (failures > 0 ? ", " + failures + " setting(s) refused (warnings above)" : "") +
            "; prior state saved in " + stateFile + " (./sluice tune --iface " + plan.iface() + " --revert)");

        return failures;
    }

    /**
     * Restore every setting in the state file to its saved value, newest first, check each, and delete the file
     * once all are restored.
     *
     * @param stateFile the state {@link #apply} saved.
     * @return the number of settings that could not be restored; 0 when the host is as it was.
     */
    public int revert(final Path stateFile)
    {
        failures = 0;
        if (!Files.exists(stateFile))
        {
            throw new IllegalArgumentException("nothing to revert: no saved state " + stateFile +
                " (was the interface tuned with --apply, in this network namespace?)");
        }
        final TuneState state = TuneState.read(stateFile);
        final String address = address(state.iface());
        if (!address.equals(state.address()))
        {
            throw new IllegalArgumentException(stateFile + " is for " + state.iface() + " with address " +
                state.address() + ", not this one's " + address + " (the interface was deleted and made again): " +
                "nothing to restore here; delete the file");
        }
        final List<Setting> settings = new ArrayList<>(state.settings());
        for (int i = settings.size() - 1; i >= 0; i--)
        {
            revert(settings.get(i));
        }
        if (0 == failures)
        {
            try
            {
                Files.delete(stateFile);
            }
            catch (final IOException ex)
            {
                out.println("warning: restored, but cannot delete " + stateFile + ": " + ex.getMessage());
            }
            out.println("sluice tune: " + state.iface() + " restored to its state before " + state.profile() +
                " was applied (" + settings.size() + " setting" + (1 == settings.size() ? "" : "s") + ")");
        }
        else
        {
            out.println("sluice tune: " + failures + " setting(s) of " + state.iface() + " not restored " +
                "(warnings above); the state stays in " + stateFile + " for another --revert");
        }

        return failures;
    }

    // ---------------------------------------------------------------- apply

    private TuneState startState(final TunePlan plan, final Path stateFile)
    {
        final List<Setting> kept = new ArrayList<>();
        final String address = address(plan.iface());
        if (Files.exists(stateFile))
        {
            final TuneState earlier = TuneState.read(stateFile);
            if (address.equals(earlier.address()))
            {
                kept.addAll(earlier.settings());
                out.println("sluice tune: " + plan.iface() + " was tuned before (" + stateFile +
                    "); a revert will still restore the state before that");
            }
            else
            {
                out.println("warning: " + stateFile + " is for an interface " + earlier.iface() + " with address " +
                    earlier.address() + ", gone since (this one's is " + address + "); its state is replaced");
            }
        }
        final TuneState state = new TuneState(plan.iface(), address, TuneState.currentNetns(),
            plan.profile().source(), kept);
        state.write(stateFile);

        return state;
    }

    /**
     * @return true if the setting was applied.
     */
    private boolean apply(final Setting planned, final TuneState state, final Path stateFile)
    {
        final Setting earlier = earlier(state, planned);
        // a setting tuned before keeps its first prior value: the one a revert must return to
        final Setting setting = null == earlier ? planned :
            new Setting(planned.kind(), planned.target(), planned.field(), earlier.before(), planned.after());
        if (null != earlier)
        {
            state.settings().remove(earlier);
        }
        state.settings().add(setting);
        state.write(stateFile);
        try
        {
            switch (setting.kind())
            {
                case FILE -> files.write(setting.target(), setting.after().get(Setting.VALUE));
                case NTUPLE ->
                {
                    final Ethtool ethtool = new Ethtool(setting.target());
                    final int id = ethtool.addNtupleRule(setting.after().get("rule"));
                    if (id < 0)
                    {
                        throw new IllegalStateException(setting.command() + ": " + ethtool.lastError());
                    }
                    setting.after().put("id", Integer.toString(id));
                    state.write(stateFile);
                }
                default ->
                {
                    final Shell.Result result = new Ethtool(setting.target()).set(setting.kind().ethtoolOption(),
                        setting.arguments());
                    if (!result.ok())
                    {
                        throw new IllegalStateException(setting.command() + ": " + result.why());
                    }
                }
            }
            // the change as it is now, from what the plan read; the state keeps the first prior value
            out.println("applied: " + setting.command() + "    # " + planned.change());
            return true;
        }
        catch (final IllegalStateException ex)
        {
            failures++;
            out.println("warning: " + setting.field() + " not applied: " + ex.getMessage());
            // nothing changed, so nothing to revert
            state.settings().remove(setting);
            if (null != earlier)
            {
                state.settings().add(earlier);
            }
            state.write(stateFile);
            return false;
        }
    }

    private static Setting earlier(final TuneState state, final Setting setting)
    {
        if (Setting.Kind.NTUPLE == setting.kind())
        {
            return null;
        }
        for (final Setting saved : state.settings())
        {
            if (saved.kind() == setting.kind() && saved.target().equals(setting.target()))
            {
                return saved;
            }
        }

        return null;
    }

    // ---------------------------------------------------------------- revert

    private void revert(final Setting setting)
    {
        try
        {
            switch (setting.kind())
            {
                case FILE ->
                {
                    final String before = setting.before().get(Setting.VALUE);
                    files.write(setting.target(), before);
                    final String now = files.read(setting.target());
                    if (!sameFileValue(before, now))
                    {
                        throw new IllegalStateException(setting.target() + " reads " + now + " after writing " +
                            before);
                    }
                    out.println("restored: echo " + before + " > " + setting.target());
                }
                case NTUPLE ->
                {
                    final String id = setting.after().get("id");
                    if (null == id)
                    {
                        return;
                    }
                    run(setting.target(), "-N", List.of("delete", id));
                }
                case FEATURES -> revertFeatures(setting);
                default ->
                {
                    // what it was, for each key the setting changed
                    final List<String> arguments = new ArrayList<>();
                    for (final String key : setting.after().keySet())
                    {
                        arguments.add(key);
                        arguments.add(setting.before().get(key));
                    }
                    run(setting.target(), setting.kind().ethtoolOption(), arguments);
                }
            }
        }
        catch (final IllegalStateException ex)
        {
            failures++;
            out.println("warning: " + setting.field() + " not restored: " + ex.getMessage());
        }
    }

    private void revertFeatures(final Setting setting)
    {
        final Ethtool ethtool = new Ethtool(setting.target());
        final Map<String, Ethtool.Feature> now = ethtool.features();
        if (null == now)
        {
            throw new IllegalStateException("ethtool -k " + setting.target() + ": " + ethtool.lastError());
        }
        final List<String> arguments = new ArrayList<>();
        for (final Map.Entry<String, String> entry : setting.before().entrySet())
        {
            final Ethtool.Feature feature = now.get(entry.getKey());
            if (null != feature && !feature.group() && !feature.fixed() &&
                feature.on() != "on".equals(entry.getValue()))
            {
                arguments.add(entry.getKey());
                arguments.add(entry.getValue());
            }
        }
        if (!arguments.isEmpty())
        {
            run(setting.target(), "-K", arguments);
        }
    }

    private void run(final String iface, final String option, final List<String> arguments)
    {
        final Shell.Result result = new Ethtool(iface).set(option, arguments);
        if (!result.ok())
        {
            throw new IllegalStateException(result.line() + ": " + result.why());
        }
        out.println("restored: " + result.line());
    }

    private static boolean sameFileValue(final String written, final String read)
    {
        // smp_affinity_list reads back folded ("0-3" for "0,1,2,3"); other files as written
        if (written.strip().equals(read.strip()))
        {
            return true;
        }
        try
        {
            return CpuList.format(CpuList.parseKernel(written)).equals(CpuList.format(CpuList.parseKernel(read)));
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    private String address(final String iface)
    {
        final String address = files.readOrNull("/sys/class/net/" + iface + "/address");
        return null == address ? "unknown" : address;
    }
}
