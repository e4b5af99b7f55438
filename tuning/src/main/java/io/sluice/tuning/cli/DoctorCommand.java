package io.sluice.tuning.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.tuning.Doctor;
import io.sluice.tuning.Finding;
import io.sluice.tuning.host.HostFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./sluice doctor}: checks the host, and an interface on it, for Sluice with a profile; one pass, warn or
 * fail line per check, each with its fix. Exits 1 if any check fails.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Check the host (and an interface) for Sluice: pass, warn or fail, each with its fix")
public final class DoctorCommand implements Callable<Integer>
{
    @Option(names = "--iface", paramLabel = "IF", description = "interface to check, in this network namespace")
    String iface;

    @Option(names = "--profile", paramLabel = "FILE",
        description = "NIC profile (default: the shipped profile for the interface's driver)")
    Path profileFile;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Option(names = "--no-attach", description = "skip the throwaway XDP attach")
    boolean noAttach;

    @Override
    public Integer call() throws Exception
    {
        final ProfileOption profile = ProfileOption.resolve(profileFile, iface);
        final Doctor doctor = new Doctor(HostFiles.host(), profile.profile(), iface, !noAttach);
        final List<Finding> findings = doctor.run();
        final long fails = count(findings, Finding.Status.FAIL);
        if (json)
        {
            System.out.println(json(findings, profile));
        }
        else
        {
            System.out.println("sluice doctor: " + (null == iface ? "this host" : iface) + ", " + profile.reason());
            for (final Finding finding : findings)
            {
                System.out.printf("%-4s  %-13s %s%n", finding.status().name().toLowerCase(Locale.ROOT),
                    finding.check(), finding.detail());
                if (!finding.fix().isEmpty())
                {
                    System.out.printf("%-19s fix: %s%n", "", finding.fix());
                }
            }
            System.out.println("sluice doctor: " + count(findings, Finding.Status.PASS) + " pass, " +
                count(findings, Finding.Status.WARN) + " warn, " + fails + " fail");
        }

        return fails > 0 ? 1 : 0;
    }

    private String json(final List<Finding> findings, final ProfileOption profile) throws Exception
    {
        final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        final ObjectNode root = mapper.createObjectNode();
        root.put("iface", iface);
        root.put("profile", profile.profile().source());
        root.put("profile_reason", profile.reason());
        final ArrayNode checks = root.putArray("checks");
        for (final Finding finding : findings)
        {
            final ObjectNode node = checks.addObject();
            node.put("check", finding.check());
            node.put("status", finding.status().name().toLowerCase(Locale.ROOT));
            node.put("detail", finding.detail());
            node.put("fix", finding.fix());
        }
        final ObjectNode summary = root.putObject("summary");
        for (final Finding.Status status : Finding.Status.values())
        {
            summary.put(status.name().toLowerCase(Locale.ROOT), count(findings, status));
        }

        return mapper.writeValueAsString(root);
    }

    private static long count(final List<Finding> findings, final Finding.Status status)
    {
        return findings.stream().filter((f) -> status == f.status()).count();
    }
}
