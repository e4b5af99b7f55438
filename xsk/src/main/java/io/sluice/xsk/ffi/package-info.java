/**
 * Hand-written FFM bindings in jextract's shape, because jextract cannot be installed where Sluice is built.
 * <p>
 * One class per native header family: {@link io.sluice.xsk.ffi.LibC} (libc), {@link io.sluice.xsk.ffi.LibBpf}
 * ({@code bpf/libbpf.h}, {@code bpf/bpf.h}), {@link io.sluice.xsk.ffi.LibXdp} ({@code xdp/libxdp.h},
 * {@code xdp/xsk.h}), {@link io.sluice.xsk.ffi.LinuxBpf} ({@code linux/bpf.h}), {@link io.sluice.xsk.ffi.IfXdp}
 * ({@code linux/if_xdp.h}), {@link io.sluice.xsk.ffi.LinuxNetlink} ({@code linux/netlink.h}),
 * {@link io.sluice.xsk.ffi.LinuxGenetlink} ({@code linux/genetlink.h}) and {@link io.sluice.xsk.ffi.LinuxNetdev}
 * ({@code linux/netdev.h}). Each function is a {@code static final MethodHandle} called with {@code invokeExact};
 * each struct is a named {@link java.lang.foreign.StructLayout} with its offsets precomputed. Calls that report
 * through errno capture it. {@code src/main/jextract/*.args} lists the bound symbols so the classes can be
 * regenerated where jextract exists, and a test checks every layout and constant against the C headers with gcc.
 */
package io.sluice.xsk.ffi;
