package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.ffi.ProbeProgram;

import java.lang.foreign.Arena;

/**
 * Where a steered frame carries its stamp ({@code struct sluice_meta}, the generation of the rules that steered it)
 * when {@link SteeringTables#stamp(boolean)} asks for one.
 * <p>
 * The kernel's place for it is the frame's XDP metadata ({@code bpf_xdp_adjust_meta}): 8 bytes just before the
 * frame in the UMEM, which a reader that does not look for them never sees. Some kernels' verifiers refuse that
 * helper to XDP programs ("program of this type cannot use helper bpf_xdp_adjust_meta#54"); there the program is
 * the one built with {@code SLUICE_STAMP_IN_FRONT}, which pushes the 8 bytes in front of the frame with
 * {@code bpf_xdp_adjust_head}, and the receiver strips them. {@link #detect()} finds which by loading a
 * four-instruction program that calls the helper.
 */
public enum StampPlacement
{
    /**
     * In the XDP metadata, the 8 bytes before the frame's first byte.
     */
    METADATA("/io/sluice/bpf/sluice_xdp.o"),

    /**
     * In the frame's first 8 bytes, before its Ethernet header: the descriptor's address and length include them.
     */
    FRONT("/io/sluice/bpf/sluice_xdp_front.o");

    private static final System.Logger LOGGER = System.getLogger(StampPlacement.class.getName());
    private static volatile StampPlacement detected;

    private final String objectResource;

    StampPlacement(final String objectResource)
    {
        this.objectResource = objectResource;
    }

    /**
     * @return the steering program's object in the jar for this placement.
     */
    public String objectResource()
    {
        return objectResource;
    }

    /**
     * @return the bytes the receiver strips from the front of a stamped frame: 8 for {@link #FRONT}, else 0.
     */
    public int frontBytes()
    {
        return FRONT == this ? (int)SteeringDescriptor.META_LAYOUT.byteSize() : 0;
    }

    /**
     * The placement this kernel allows, found once: {@link #METADATA} if it loads an XDP program calling
     * {@code bpf_xdp_adjust_meta}, {@link #FRONT} if its verifier refuses one (EINVAL). Without the privilege to
     * load any program it answers {@link #METADATA} without remembering it, and the program's own load reports
     * what is missing.
     *
     * @return where steered frames carry their stamp on this kernel.
     */
    public static StampPlacement detect()
    {
        StampPlacement placement = detected;
        if (null == placement)
        {
            final int result = probeAdjustMeta();
            if (result >= 0 || Errno.EINVAL != -result)
            {
                placement = METADATA;
            }
            else
            {
                placement = FRONT;
                LOGGER.log(System.Logger.Level.INFO, "this kernel's verifier refuses bpf_xdp_adjust_meta to XDP " +
                    "programs: steered frames carry their generation stamp in their first 8 bytes " +
                    "(bpf_xdp_adjust_head), which the receiver strips");
            }
            if (result >= 0 || Errno.EINVAL == -result)
            {
                detected = placement;
            }
        }

        return placement;
    }

    /**
     * Load {@code r2 = -8; call bpf_xdp_adjust_meta; r0 = XDP_PASS; exit} as an XDP program.
     *
     * @return 0 if the kernel took it, else the negative errno.
     */
    private static int probeAdjustMeta()
    {
        try (Arena call = Arena.ofConfined())
        {
            final int fd = ProbeProgram.loadXdp(call,
                ProbeProgram.insn(ProbeProgram.MOV_IMM, 2, -(int)SteeringDescriptor.META_LAYOUT.byteSize()),
                ProbeProgram.insn(ProbeProgram.CALL, 0, LinuxBpf.BPF_FUNC_XDP_ADJUST_META),
                ProbeProgram.insn(ProbeProgram.MOV_IMM, 0, LinuxBpf.XDP_PASS),
                ProbeProgram.insn(ProbeProgram.EXIT, 0, 0));
            if (fd < 0)
            {
                return fd;
            }
            ProbeProgram.close(call, fd);

            return 0;
        }
    }
}
