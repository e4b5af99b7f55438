package io.sluice.xsk.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static io.sluice.xsk.ffi.Ffi.constant;
import static io.sluice.xsk.ffi.Ffi.offset;
import static io.sluice.xsk.ffi.Ffi.struct;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The kernel's {@code linux/ethtool.h} and {@code linux/sockios.h}: what {@code ethtool -i} asks a driver.
 */
public final class LinuxEthtool
{
    private static final String H = "linux/ethtool.h";

    public static final long SIOCETHTOOL = constant("linux/sockios.h", "SIOCETHTOOL", 0x8946);
    public static final int ETHTOOL_GDRVINFO = (int)constant(H, "ETHTOOL_GDRVINFO", 3);

    private LinuxEthtool()
    {
    }

    /**
     * {@code struct ethtool_drvinfo}.
     */
    public static final class EthtoolDrvinfo
    {
        public static final StructLayout LAYOUT = struct(H, MemoryLayout.structLayout(
            JAVA_INT.withName("cmd"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("driver"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("version"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("fw_version"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("bus_info"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("erom_version"),
            MemoryLayout.sequenceLayout(12, JAVA_BYTE).withName("reserved2"),
            JAVA_INT.withName("n_priv_flags"),
            JAVA_INT.withName("n_stats"),
            JAVA_INT.withName("testinfo_len"),
            JAVA_INT.withName("eedump_len"),
            JAVA_INT.withName("regdump_len")).withName("ethtool_drvinfo"));

        public static final long CMD = offset(LAYOUT, "cmd");
        public static final long DRIVER = offset(LAYOUT, "driver");
        public static final long BUS_INFO = offset(LAYOUT, "bus_info");

        private EthtoolDrvinfo()
        {
        }
    }

    /**
     * The driver behind an interface, as {@code ethtool -i IF} prints it ({@code veth}, {@code mlx5_core}, ...).
     *
     * @param ifname interface in the calling thread's network namespace.
     * @return the driver name.
     * @throws NativeException if the interface does not exist or does not answer ETHTOOL_GDRVINFO.
     */
    public static String driver(final String ifname)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Ffi.CALL_STATE_LAYOUT);
            final int fd = LibC.socket(state, LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            NativeException.check(fd, "socket(AF_INET, SOCK_DGRAM) for SIOCETHTOOL", state, null);
            try
            {
                final MemorySegment info = arena.allocate(EthtoolDrvinfo.LAYOUT);
                info.set(JAVA_INT, EthtoolDrvinfo.CMD, ETHTOOL_GDRVINFO);
                final MemorySegment ifr = arena.allocate(LibC.Ifreq.LAYOUT);
                final byte[] name = ifname.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                if (name.length >= LibC.IFNAMSIZ)
                {
                    throw new IllegalArgumentException("interface name too long: " + ifname);
                }
                MemorySegment.copy(name, 0, ifr, JAVA_BYTE, LibC.Ifreq.IFRN_NAME, name.length);
                ifr.set(Ffi.C_POINTER, LibC.Ifreq.IFRU_DATA, info);
                NativeException.check(LibC.ioctl(state, fd, SIOCETHTOOL, ifr),
                    "ETHTOOL_GDRVINFO on " + ifname, state,
                    "check the interface exists in this network namespace (`ip link show " + ifname + "`)");

                return info.asSlice(EthtoolDrvinfo.DRIVER, 32).getString(0);
            }
            finally
            {
                LibC.close(state, fd);
            }
        }
    }
}
