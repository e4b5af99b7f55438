package io.sluice.xsk.ffi;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Plumbing shared by the bindings: the linker, library lookup, errno capture and a registry of what is bound,
 * which the layout test and the jextract argument files are checked against.
 */
public final class Ffi
{
    public static final Linker LINKER = Linker.nativeLinker();

    /**
     * A {@code char *} or {@code void *} that may be read through: jextract's {@code C_POINTER}.
     */
    public static final AddressLayout C_POINTER =
        ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, JAVA_BYTE));

    /**
     * Layout of the state a downcall bound with {@link #CAPTURE_ERRNO} writes; allocate one per call site.
     */
    public static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();

    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final VarHandle ERRNO = CALL_STATE_LAYOUT.varHandle(groupElement("errno"));
    private static final Map<String, TreeSet<String>> BOUND_SYMBOLS = new TreeMap<>();
    private static final Map<String, List<Struct>> STRUCTS = new TreeMap<>();
    private static final Map<String, Map<String, Long>> CONSTANTS = new TreeMap<>();

    /**
     * A struct layout and the C header that declares it.
     *
     * @param header the header to include, e.g. {@code linux/if_xdp.h}.
     * @param layout named after the C struct, members named after the C members.
     */
    public record Struct(String header, GroupLayout layout)
    {
    }

    private Ffi()
    {
    }

    /**
     * The errno a downcall bound with errno capture left in its call state.
     *
     * @param callState a segment of {@link #CALL_STATE_LAYOUT} passed as the first argument of that call.
     * @return the errno value.
     */
    public static int errno(final MemorySegment callState)
    {
        return (int)ERRNO.get(callState, 0L);
    }

    static SymbolLookup library(final String soname, final String debianPackage)
    {
        try
        {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new UnsatisfiedLinkError(
                soname + " could not be loaded; install it with: apt-get install " + debianPackage);
        }
    }

    static MethodHandle downcall(
        final String library,
        final SymbolLookup lookup,
        final String name,
        final FunctionDescriptor descriptor,
        final Linker.Option... options)
    {
        final MemorySegment address = lookup.find(name).orElseThrow(
            () -> new UnsatisfiedLinkError("symbol " + name + " not found in " + library));
        synchronized (BOUND_SYMBOLS)
        {
            BOUND_SYMBOLS.computeIfAbsent(library, (k) -> new TreeSet<>()).add(name);
        }

        return LINKER.downcallHandle(address, descriptor, options);
    }

    public static <T extends GroupLayout> T struct(final String header, final T layout)
    {
        synchronized (STRUCTS)
        {
            STRUCTS.computeIfAbsent(header, (k) -> new ArrayList<>()).add(new Struct(header, layout));
        }

        return layout;
    }

    public static long constant(final String header, final String name, final long value)
    {
        synchronized (CONSTANTS)
        {
            CONSTANTS.computeIfAbsent(header, (k) -> new TreeMap<>()).put(name, value);
        }

        return value;
    }

    public static long offset(final GroupLayout layout, final String... path)
    {
        final MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++)
        {
            elements[i] = groupElement(path[i]);
        }

        return layout.byteOffset(elements);
    }

    /**
     * Symbols bound so far, by library; the binding classes must have been initialised.
     *
     * @return library name to symbol names.
     */
    public static Map<String, TreeSet<String>> boundSymbols()
    {
        synchronized (BOUND_SYMBOLS)
        {
            return Collections.unmodifiableMap(new TreeMap<>(BOUND_SYMBOLS));
        }
    }

    /**
     * Struct layouts declared so far, by header; the binding classes must have been initialised.
     *
     * @return header to structs.
     */
    public static Map<String, List<Struct>> structs()
    {
        synchronized (STRUCTS)
        {
            return Collections.unmodifiableMap(new TreeMap<>(STRUCTS));
        }
    }

    /**
     * Constants mirrored from C headers so far, by header; the binding classes must have been initialised.
     *
     * @return header to name and value.
     */
    public static Map<String, Map<String, Long>> constants()
    {
        synchronized (CONSTANTS)
        {
            return Collections.unmodifiableMap(new TreeMap<>(CONSTANTS));
        }
    }

    /**
     * Initialise every binding class, and the struct classes nested in them, so the registries are complete.
     */
    public static void loadAll()
    {
        for (final Class<?> binding : List.of(
            LibC.class, LibBpf.class, LibXdp.class, LinuxBpf.class, IfXdp.class, LinuxEthtool.class, LinuxNetlink.class,
            LinuxGenetlink.class, LinuxNetdev.class))
        {
            initialise(binding);
        }
    }

    /**
     * Initialise a class and every class nested in it, registering what their static initialisers declare.
     *
     * @param type the class.
     */
    public static void initialise(final Class<?> type)
    {
        try
        {
            Class.forName(type.getName(), true, type.getClassLoader());
        }
        catch (final ClassNotFoundException ex)
        {
            throw new IllegalStateException(ex);
        }
        for (final Class<?> nested : type.getDeclaredClasses())
        {
            initialise(nested);
        }
    }
}
