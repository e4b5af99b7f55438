package io.sluice.xsk.ffi;

import io.sluice.xsk.gen.GeneratorCounter;
import io.sluice.xsk.gen.GeneratorDescriptor;
import io.sluice.xsk.util.ChildProcess;
import io.sluice.xsk.xdp.SteeringDescriptor;
import io.sluice.xsk.xdp.XdpCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the hand-written FFM layouts and constants against the C headers they mirror, by compiling a program with
 * gcc that prints {@code sizeof}, {@code offsetof} and the constants' values (constants newer than the installed
 * uapi headers against the running kernel's BTF); and checks the jextract argument files in {@code src/main/jextract}
 * list exactly what the bindings bind.
 */
class NativeLayoutTest
{
    /**
     * Headers in the order they are included; a registered header missing from this list is included after them.
     */
    private static final List<String> HEADER_ORDER = List.of(
        "stddef.h",
        "stdio.h",
        "fcntl.h",
        "sched.h",
        "sys/mman.h",
        "sys/syscall.h",
        "sys/socket.h",
        "sys/ioctl.h",
        "poll.h",
        "net/if.h",
        "linux/membarrier.h",
        "linux/sockios.h",
        "linux/ethtool.h",
        "linux/bpf.h",
        "linux/if_link.h",
        "linux/if_xdp.h",
        "linux/netlink.h",
        "linux/genetlink.h",
        "linux/netdev.h",
        "bpf/bpf.h",
        "bpf/libbpf.h",
        "xdp/libxdp.h",
        "xdp/xsk.h");
    /**
     * The project's own headers, copied from the bpf module's jar next to the generated program: header to resource.
     */
    private static final Map<String, String> PROJECT_HEADERS = Map.of(
        "sluice_xdp.h", "/io/sluice/bpf/sluice_xdp.h",
        "sluice_gen.h", "/io/sluice/bpf/sluice_gen.h");

    /**
     * Headers and constants newer than uapi headers this test meets, with the kernel release that added them:
     * Debian 12's linux-libc-dev is 6.1, which has no {@code linux/netdev.h} at all, and a 6.3 to 6.5 one lacks
     * {@code NETDEV_A_DEV_XDP_ZC_MAX_SEGS}. The C program includes and prints them only where
     * {@code linux/version.h} is at least that release; the Java values of those it skips are checked against the
     * running kernel's BTF instead (enumerators only: a macro such as {@code NETDEV_FAMILY_VERSION} is not in BTF,
     * so it is reported as skipped, not failed). A header or constant missing from this map fails to compile.
     */
    private static final Map<String, int[]> UAPI_SINCE = Map.of(
        "linux/netdev.h", new int[] { 6, 3 },
        "NETDEV_A_DEV_XDP_ZC_MAX_SEGS", new int[] { 6, 6 },
        "NETDEV_A_DEV_XSK_FEATURES", new int[] { 6, 8 },
        "NETDEV_XSK_FLAGS_TX_TIMESTAMP", new int[] { 6, 8 },
        "NETDEV_XSK_FLAGS_TX_CHECKSUM", new int[] { 6, 8 },
        "NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO", new int[] { 6, 15 },
        "XDP_USE_SG", new int[] { 6, 6 },
        "XDP_PKT_CONTD", new int[] { 6, 6 });
    private static final Path VMLINUX_BTF = Path.of("/sys/kernel/btf/vmlinux");
    private static final Pattern BTF_ENUMERATOR = Pattern.compile("^\\s+([A-Z][A-Z0-9_]*) = (-?[0-9]+),?$");

    private static final Set<String> REQUIRED_STRUCTS = Set.of(
        "bpf_test_run_opts",
        "bpf_link_create_opts",
        "bpf_xdp_attach_opts",
        "bpf_xdp_query_opts",
        "bpf_prog_info",
        "xdp_md",
        "sockaddr_xdp",
        "xdp_ring_offset",
        "xdp_mmap_offsets",
        "xdp_umem_reg",
        "xdp_statistics",
        "xdp_options",
        "xdp_desc",
        "pollfd",
        "ifreq",
        "ethtool_drvinfo",
        "sockaddr_nl",
        "nlmsghdr",
        "nlmsgerr",
        "nlattr",
        "genlmsghdr",
        "xsk_ring_prod",
        "xsk_ring_cons",
        "xsk_umem_config",
        "xsk_socket_config",
        "sluice_config",
        "sluice_meta",
        "sluice_stat",
        "sluice_lpm_key",
        "sluice_rule_lpm_key",
        "sluice_rule_action",
        "sluice_gen_config");

    private static final Path JEXTRACT_DIR = Path.of("src/main/jextract");
    private static final Map<String, String> ARGS_FILE_FOR_LIBRARY = Map.of(
        "libc", "libc.args",
        "libbpf.so.1", "libbpf.args",
        "libxdp.so.1", "libxdp.args");
    private static final List<String> ARGS_FILES = List.of("libc.args", "libbpf.args", "libxdp.args", "linux.args");

    @Test
    void shouldMatchEveryStructLayoutAndConstantToTheCHeaders(@TempDir final Path dir) throws Exception
    {
        loadAll();

        final List<Ffi.Struct> structs = new ArrayList<>();
        Ffi.structs().values().forEach(structs::addAll);

        final Report report = check(structs, Ffi.constants(), dir);

        System.out.println("NativeLayoutTest: checked " + report.structs().size() + " structs, " +
            report.fields() + " fields and " + report.constants() + " constants against the C headers (uapi " +
            report.uapiRelease() + ")" + (0 == report.btfConstants() ? "" : ", " + report.btfConstants() +
            " constants newer than those headers against the running kernel's BTF") +
            (report.skipped().isEmpty() ? "" : "; skipped " + report.skipped()));

        final Set<String> missing = new TreeSet<>(REQUIRED_STRUCTS);
        missing.removeAll(report.structs());
        final List<String> problems = new ArrayList<>(report.mismatches());
        if (!missing.isEmpty())
        {
            problems.add("structs expected in the registry but not checked: " + missing);
        }
        if (!problems.isEmpty())
        {
            fail(problems.size() + " mismatch(es) between the Java layouts and the C headers:\n  " +
                String.join("\n  ", problems));
        }
    }

    @Test
    void shouldFailWhenALayoutIsWrong(@TempDir final Path dir) throws Exception
    {
        // len narrowed to a short with padding in its place: same sizeof, wrong member size
        final StructLayout wrongDesc = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_SHORT.withName("len"),
            MemoryLayout.paddingLayout(2),
            JAVA_INT.withName("options")).withName("xdp_desc");
        // trailing padding missing: 28 bytes where C has 32
        final StructLayout wrongUmemReg = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_LONG.withName("len"),
            JAVA_INT.withName("chunk_size"),
            JAVA_INT.withName("headroom"),
            JAVA_INT.withName("flags")).withName("xdp_umem_reg");
        // padding missing before a member: every later offset is off by four
        final StructLayout wrongLinkCreateOpts = MemoryLayout.structLayout(
            JAVA_LONG.withName("sz"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("iter_info").withByteAlignment(4)).withName("bpf_link_create_opts");
        // and one newer than Debian 12's headers, which then meets the kernel's BTF instead
        final Map<String, Map<String, Long>> constants = Map.of(
            "linux/if_xdp.h", Map.of("XDP_COPY", 3L, "XDP_ZEROCOPY", 4L),
            "linux/netdev.h", Map.of("NETDEV_XDP_ACT_XSK_ZEROCOPY", 16L));

        final Report report = check(
            List.of(
                new Ffi.Struct("linux/if_xdp.h", wrongDesc),
                new Ffi.Struct("linux/if_xdp.h", wrongUmemReg),
                new Ffi.Struct("bpf/bpf.h", wrongLinkCreateOpts)),
            constants,
            dir);

        final List<String> mismatches = report.mismatches();
        assertEquals(Set.of("xdp_desc", "xdp_umem_reg", "bpf_link_create_opts"), report.structs());
        assertTrue(mismatches.contains("xdp_desc.len: sizeof Java 2, C 4"), mismatches::toString);
        assertTrue(mismatches.contains("xdp_umem_reg: sizeof Java 28, C 32"), mismatches::toString);
        assertTrue(mismatches.contains("bpf_link_create_opts.iter_info: offsetof Java 12, C 16"),
            mismatches::toString);
        assertTrue(mismatches.contains("XDP_COPY (linux/if_xdp.h): Java 3, C 2"), mismatches::toString);
        final boolean checkable = report.skipped().isEmpty();
        if (checkable)
        {
            assertTrue(mismatches.contains("NETDEV_XDP_ACT_XSK_ZEROCOPY (linux/netdev.h): Java 16, C 8") ||
                mismatches.contains("NETDEV_XDP_ACT_XSK_ZEROCOPY (linux/netdev.h, kernel BTF): Java 16, C 8"),
                mismatches::toString);
        }
        assertEquals(checkable ? 6 : 5, mismatches.size(), mismatches::toString);
    }

    @Test
    void shouldListEveryBoundSymbolInTheJextractArgFiles() throws IOException, ClassNotFoundException
    {
        loadAll();

        final Map<String, ArgsFile> argsFiles = new TreeMap<>();
        for (final String name : ARGS_FILES)
        {
            argsFiles.put(name, ArgsFile.parse(JEXTRACT_DIR.resolve(name)));
        }

        final List<String> problems = new ArrayList<>();

        final Map<String, TreeSet<String>> bound = Ffi.boundSymbols();
        for (final String library : bound.keySet())
        {
            if (!ARGS_FILE_FOR_LIBRARY.containsKey(library))
            {
                problems.add("library " + library + " has no jextract argument file");
            }
        }
        for (final Map.Entry<String, String> e : ARGS_FILE_FOR_LIBRARY.entrySet())
        {
            compare(problems, e.getValue() + " --include-function", bound.getOrDefault(e.getKey(), new TreeSet<>()),
                argsFiles.get(e.getValue()).functions());
        }
        compare(problems, "linux.args --include-function", Set.of(), argsFiles.get("linux.args").functions());

        final Map<String, Set<String>> expectedStructs = new TreeMap<>();
        final Map<String, Set<String>> expectedConstants = new TreeMap<>();
        for (final String name : ARGS_FILES)
        {
            expectedStructs.put(name, new TreeSet<>());
            expectedConstants.put(name, new TreeSet<>());
        }
        for (final Map.Entry<String, List<Ffi.Struct>> e : Ffi.structs().entrySet())
        {
            final String argsFile = argsFileForHeader(e.getKey());
            if (null != argsFile)
            {
                e.getValue().forEach((s) -> expectedStructs.get(argsFile).add(structName(s.layout())));
            }
        }
        for (final Map.Entry<String, Map<String, Long>> e : Ffi.constants().entrySet())
        {
            final String argsFile = argsFileForHeader(e.getKey());
            if (null != argsFile)
            {
                expectedConstants.get(argsFile).addAll(e.getValue().keySet());
            }
        }
        for (final String name : ARGS_FILES)
        {
            compare(problems, name + " --include-struct", expectedStructs.get(name), argsFiles.get(name).structs());
            compare(problems, name + " --include-constant", expectedConstants.get(name),
                argsFiles.get(name).constants());
        }

        if (!problems.isEmpty())
        {
            fail("the jextract argument files in " + JEXTRACT_DIR.toAbsolutePath() +
                " disagree with the bindings:\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * What the gcc-compiled program found.
     *
     * @param mismatches one line per disagreement, empty if the Java side matches C.
     * @param structs    names of the structs checked.
     * @param fields     number of members checked.
     * @param constants  number of constants checked.
     * @param uapiRelease the release of the installed uapi headers ({@code linux/version.h}), e.g. 6.1.192.
     * @param btfConstants number of constants newer than those headers checked against the kernel's BTF instead.
     * @param skipped    constants newer than the headers that could not be checked, each with why.
     */
    record Report(
        List<String> mismatches,
        Set<String> structs,
        int fields,
        int constants,
        String uapiRelease,
        int btfConstants,
        List<String> skipped)
    {
        Report(final List<String> mismatches, final Set<String> structs)
        {
            this(mismatches, structs, 0, 0, "unknown", 0, List.of());
        }
    }

    private record Field(String path, long offset, long size)
    {
    }

    /**
     * Compile and run a C program printing the real sizes, offsets and values, and compare them with the layouts.
     *
     * @param structs   layouts to check, each named after its C struct and its members after the C members.
     * @param constants header to constant name to the value Java uses.
     * @param dir       an empty scratch directory.
     * @return the mismatches found, and what was checked.
     */
    static Report check(
        final List<Ffi.Struct> structs, final Map<String, Map<String, Long>> constants, final Path dir)
        throws IOException, InterruptedException
    {
        final String triplet = gccTriplet();

        final Set<String> headers = new LinkedHashSet<>();
        structs.forEach((s) -> headers.add(s.header()));
        headers.addAll(constants.keySet());

        final StringBuilder c = new StringBuilder();
        c.append("#define _GNU_SOURCE\n");
        c.append("#include <linux/version.h>\n");
        for (final String header : HEADER_ORDER)
        {
            if (header.equals("stddef.h") || header.equals("stdio.h") || headers.contains(header))
            {
                include(c, header);
            }
        }
        for (final String header : headers)
        {
            if (!HEADER_ORDER.contains(header) && !PROJECT_HEADERS.containsKey(header))
            {
                include(c, header);
            }
        }
        for (final String header : new TreeSet<>(PROJECT_HEADERS.keySet()))
        {
            if (!headers.contains(header))
            {
                continue;
            }
            final String resource = PROJECT_HEADERS.get(header);
            try (InputStream in = NativeLayoutTest.class.getResourceAsStream(resource))
            {
                if (null == in)
                {
                    throw new IllegalStateException(resource + " is not on the classpath; build the bpf module first");
                }
                Files.copy(in, dir.resolve(header), StandardCopyOption.REPLACE_EXISTING);
            }
            c.append("#include \"").append(header).append("\"\n");
        }

        c.append("\nint main(void)\n{\n");
        print(c, "V uapi", "LINUX_VERSION_CODE");
        final Map<String, List<Field>> javaFields = new TreeMap<>();
        final Map<String, Long> javaSizes = new TreeMap<>();
        final List<String> mismatches = new ArrayList<>();
        for (final Ffi.Struct struct : structs)
        {
            final GroupLayout layout = struct.layout();
            final String name = structName(layout);
            if (javaSizes.containsKey(name))
            {
                mismatches.add(name + ": registered more than once");
                continue;
            }
            final String type = "struct " + name;
            javaSizes.put(name, layout.byteSize());
            final List<Field> fields = new ArrayList<>();
            fields(layout, layout, new ArrayList<>(), "", fields);
            javaFields.put(name, fields);

            print(c, "S " + name + " sizeof", "sizeof(" + type + ")");
            for (final Field field : fields)
            {
                print(c, "O " + name + " " + field.path(), "offsetof(" + type + ", " + field.path() + ")");
                print(c, "Z " + name + " " + field.path(), "sizeof(((" + type + " *)0)->" + field.path() + ")");
            }
        }
        final Map<String, Long> javaConstants = new TreeMap<>();
        final Map<String, String> constantHeaders = new HashMap<>();
        int constantCount = 0;
        for (final Map.Entry<String, Map<String, Long>> h : new TreeMap<>(constants).entrySet())
        {
            for (final Map.Entry<String, Long> e : h.getValue().entrySet())
            {
                final Long previous = javaConstants.put(e.getKey(), e.getValue());
                constantHeaders.put(e.getKey(), h.getKey());
                if (null != previous)
                {
                    if (!previous.equals(e.getValue()))
                    {
                        mismatches.add(e.getKey() + ": registered twice with different values " +
                            previous + " and " + e.getValue());
                    }
                    continue;
                }
                final int[] since = uapiSince(h.getKey(), e.getKey());
                if (null != since)
                {
                    c.append(ifUapiAtLeast(since));
                }
                print(c, "C " + e.getKey(), "(" + e.getKey() + ")");
                if (null != since)
                {
                    c.append("#endif\n");
                }
            }
        }
        c.append("    return 0;\n}\n");

        final Path source = dir.resolve("native_layout.c");
        final Path program = dir.resolve("native_layout");
        Files.writeString(source, c);

        final Result compile = run(dir,
            "gcc", "-I" + dir, "-I/usr/include/" + triplet, "-o", program.toString(), source.toString());
        if (0 != compile.exitCode())
        {
            mismatches.add("gcc could not compile " + source + " (a member or constant the Java side names is " +
                "missing from the headers?):\n" + compile.output() + "\n--- source ---\n" + c);
            return new Report(mismatches, javaSizes.keySet());
        }
        final Result result = run(dir, program.toString());
        if (0 != result.exitCode())
        {
            mismatches.add(program + " exited with " + result.exitCode() + ":\n" + result.output());
            return new Report(mismatches, javaSizes.keySet());
        }

        final Map<String, Long> cValues = new HashMap<>();
        for (final String line : result.output().split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            cValues.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }

        int fieldCount = 0;
        for (final Map.Entry<String, Long> e : javaSizes.entrySet())
        {
            final String name = e.getKey();
            compareValue(mismatches, name + ": sizeof", e.getValue(), cValues.get("S " + name + " sizeof"));
            for (final Field field : javaFields.get(name))
            {
                fieldCount++;
                final String what = name + "." + field.path();
                compareValue(mismatches, what + ": offsetof", field.offset(),
                    cValues.get("O " + name + " " + field.path()));
                compareValue(mismatches, what + ": sizeof", field.size(),
                    cValues.get("Z " + name + " " + field.path()));
            }
        }
        final Map<String, Long> newer = new TreeMap<>();
        for (final Map.Entry<String, Long> e : javaConstants.entrySet())
        {
            final Long value = cValues.get("C " + e.getKey());
            if (null == value && null != uapiSince(constantHeaders.get(e.getKey()), e.getKey()))
            {
                newer.put(e.getKey(), e.getValue());
                continue;
            }
            constantCount++;
            compareValue(mismatches, e.getKey() + " (" + constantHeaders.get(e.getKey()) + "):", e.getValue(),
                value);
        }

        final long code = cValues.getOrDefault("V uapi", 0L);
        final String uapi = (code >> 16) + "." + ((code >> 8) & 0xff) + "." + (code & 0xff);
        int btfCount = 0;
        final List<String> skipped = new ArrayList<>();
        final Map<String, Long> btf = newer.isEmpty() ? Map.of() : btfEnumerators();
        for (final Map.Entry<String, Long> e : newer.entrySet())
        {
            final int[] since = uapiSince(constantHeaders.get(e.getKey()), e.getKey());
            final Long value = btf.get(e.getKey());
            if (null == value)
            {
                skipped.add(e.getKey() + " (since " + since[0] + "." + since[1] + ", not in the uapi " + uapi +
                    " headers nor as an enumerator in " + VMLINUX_BTF + ")");
                continue;
            }
            btfCount++;
            compareValue(mismatches, e.getKey() + " (" + constantHeaders.get(e.getKey()) + ", kernel BTF):",
                e.getValue(), value);
        }

        return new Report(mismatches, javaSizes.keySet(), fieldCount, constantCount, uapi, btfCount, skipped);
    }

    /**
     * Walk a layout's named members. A named member is checked at its dotted path; a named struct or union member
     * is also walked with its name as prefix; an unnamed struct or union (an anonymous member in C) is walked with
     * no prefix, since its members belong to the enclosing struct; other unnamed members (padding, bit-fields) are
     * skipped.
     */
    private static void fields(
        final GroupLayout root,
        final GroupLayout group,
        final List<PathElement> elements,
        final String prefix,
        final List<Field> out)
    {
        final List<MemoryLayout> members = group.memberLayouts();
        for (int i = 0; i < members.size(); i++)
        {
            final MemoryLayout member = members.get(i);
            final List<PathElement> path = new ArrayList<>(elements);
            if (member.name().isPresent())
            {
                final String name = member.name().get();
                final String dotted = prefix.isEmpty() ? name : prefix + "." + name;
                path.add(PathElement.groupElement(name));
                final PathElement[] array = path.toArray(new PathElement[0]);
                out.add(new Field(dotted, root.byteOffset(array), root.select(array).byteSize()));
                if (member instanceof GroupLayout nested)
                {
                    fields(root, nested, path, dotted, out);
                }
            }
            else if (member instanceof GroupLayout anonymous)
            {
                path.add(PathElement.groupElement(i));
                fields(root, anonymous, path, prefix, out);
            }
        }
    }

    private static void include(final StringBuilder c, final String header)
    {
        final int[] since = UAPI_SINCE.get(header);
        if (null != since)
        {
            c.append(ifUapiAtLeast(since));
        }
        c.append("#include <").append(header).append(">\n");
        if (null != since)
        {
            c.append("#endif\n");
        }
    }

    /**
     * @return the release a constant, or else its header, arrived in, if it is newer than some uapi headers.
     */
    private static int[] uapiSince(final String header, final String constant)
    {
        final int[] since = UAPI_SINCE.get(constant);
        return null != since ? since : UAPI_SINCE.get(header);
    }

    private static String ifUapiAtLeast(final int[] since)
    {
        return "#if LINUX_VERSION_CODE >= KERNEL_VERSION(" + since[0] + ", " + since[1] + ", 0)\n";
    }

    /**
     * The enumerators of the running kernel's BTF, as {@code bpftool btf dump format c} prints them; empty if
     * bpftool or the BTF is missing.
     */
    private static Map<String, Long> btfEnumerators() throws InterruptedException
    {
        if (!Files.isReadable(VMLINUX_BTF))
        {
            return Map.of();
        }
        final Result dump;
        try
        {
            dump = run(Path.of("."), "bpftool", "btf", "dump", "file", VMLINUX_BTF.toString(), "format", "c");
        }
        catch (final IOException ex)
        {
            return Map.of();
        }
        if (0 != dump.exitCode())
        {
            return Map.of();
        }
        final Map<String, Long> enumerators = new HashMap<>();
        for (final String line : dump.output().split("\n"))
        {
            final Matcher matcher = BTF_ENUMERATOR.matcher(line);
            if (matcher.matches())
            {
                enumerators.put(matcher.group(1), Long.parseLong(matcher.group(2)));
            }
        }

        return enumerators;
    }

    private static void print(final StringBuilder c, final String key, final String expression)
    {
        c.append("    printf(\"").append(key).append(" %lld\\n\", (long long)").append(expression).append(");\n");
    }

    private static void compareValue(final List<String> mismatches, final String what, final long java, final Long c)
    {
        if (null == c)
        {
            mismatches.add(what + " Java " + java + ", not printed by the C program");
        }
        else if (java != c)
        {
            mismatches.add(what + " Java " + java + ", C " + c);
        }
    }

    static String structName(final MemoryLayout layout)
    {
        return layout.name().orElseThrow(() -> new IllegalStateException("unnamed struct layout " + layout));
    }

    /**
     * Fill the registries: the bindings, and the steering and generator programs' descriptors and counters.
     */
    private static void loadAll()
    {
        Ffi.loadAll();
        Ffi.initialise(SteeringDescriptor.class);
        Ffi.initialise(XdpCounter.class);
        Ffi.initialise(GeneratorDescriptor.class);
        Ffi.initialise(GeneratorCounter.class);
    }

    private static String gccTriplet() throws InterruptedException
    {
        final Result result;
        try
        {
            result = run(Path.of("."), "gcc", "-dumpmachine");
        }
        catch (final IOException ex)
        {
            fail("gcc is required (apt-get install gcc): " + ex.getMessage());
            throw new AssertionError(ex);
        }
        if (0 != result.exitCode())
        {
            fail("gcc is required (apt-get install gcc): gcc -dumpmachine exited with " + result.exitCode() +
                ": " + result.output());
        }

        return result.output().trim();
    }

    private record Result(int exitCode, String output)
    {
    }

    private static Result run(final Path dir, final String... command) throws IOException, InterruptedException
    {
        final ChildProcess.Result result = ChildProcess.builder(command)
            .directory(dir)
            .mergeStderr()
            .run(TimeUnit.SECONDS.toNanos(60));
        if (result.timedOut())
        {
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 60s");
        }

        return new Result(result.exitStatus(), result.stdout());
    }

    /**
     * The jextract argument file a header's structs and constants belong in, or null for the project's own header.
     */
    private static String argsFileForHeader(final String header)
    {
        if (PROJECT_HEADERS.containsKey(header))
        {
            return null;
        }
        if (header.startsWith("linux/"))
        {
            return "linux.args";
        }
        if (header.startsWith("bpf/"))
        {
            return "libbpf.args";
        }
        if (header.startsWith("xdp/"))
        {
            return "libxdp.args";
        }

        return "libc.args";
    }

    private static void compare(
        final List<String> problems, final String what, final Set<String> expected, final Set<String> actual)
    {
        final Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        final Set<String> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        if (!missing.isEmpty())
        {
            problems.add(what + ": missing " + missing);
        }
        if (!extra.isEmpty())
        {
            problems.add(what + ": listed but not in the bindings " + extra);
        }
    }

    /**
     * The {@code --include-*} options of a jextract @argfile: whitespace-separated options, {@code #} to the end
     * of a line is a comment.
     */
    private record ArgsFile(Set<String> functions, Set<String> structs, Set<String> constants)
    {
        static ArgsFile parse(final Path file) throws IOException
        {
            assertTrue(Files.isRegularFile(file), () -> "missing jextract argument file " + file.toAbsolutePath());

            final List<String> tokens = new ArrayList<>();
            for (final String line : Files.readAllLines(file))
            {
                final int hash = line.indexOf('#');
                final String text = hash < 0 ? line : line.substring(0, hash);
                for (final String token : text.trim().split("\\s+"))
                {
                    if (!token.isEmpty())
                    {
                        tokens.add(token);
                    }
                }
            }

            final Set<String> functions = new TreeSet<>();
            final Set<String> structs = new TreeSet<>();
            final Set<String> constants = new TreeSet<>();
            for (int i = 0; i < tokens.size(); i++)
            {
                final String token = tokens.get(i);
                final Set<String> target = switch (token)
                {
                    case "--include-function" -> functions;
                    case "--include-struct" -> structs;
                    case "--include-constant" -> constants;
                    default -> null;
                };
                if (null != target)
                {
                    assertTrue(i + 1 < tokens.size(), () -> file + ": " + token + " without a name");
                    i++;
                    final String name = tokens.get(i);
                    assertTrue(target.add(name), () -> file + ": " + token + " " + name + " listed twice");
                }
            }

            return new ArgsFile(functions, structs, constants);
        }
    }
}
