package io.sluice.xsk.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A few raw BPF instructions loaded as an XDP program, to ask the kernel whether it allows something (a helper, a
 * test-run mode) before Sluice commits to it, as libbpf's feature probes do but telling each refusal apart.
 */
public final class ProbeProgram
{
    /**
     * {@code BPF_ALU64 | BPF_MOV | BPF_K}: {@code dst = imm}.
     */
    public static final int MOV_IMM = 0xb7;
    /**
     * {@code BPF_JMP | BPF_CALL}: call helper {@code imm}.
     */
    public static final int CALL = 0x85;
    /**
     * {@code BPF_JMP | BPF_EXIT}.
     */
    public static final int EXIT = 0x95;

    private static final int INSN_BYTES = 8;

    private ProbeProgram()
    {
    }

    /**
     * One {@code struct bpf_insn} with no source register and no offset, as its 8 bytes in memory order.
     *
     * @param code opcode.
     * @param dst  destination register.
     * @param imm  immediate.
     * @return the instruction, for {@link #loadXdp(Arena, long...)}.
     */
    public static long insn(final int code, final int dst, final int imm)
    {
        final MemorySegment bytes = MemorySegment.ofArray(new long[1]);
        bytes.set(JAVA_BYTE, 0, (byte)code);
        bytes.set(JAVA_BYTE, 1, (byte)dst);
        bytes.set(JAVA_SHORT, 2, (short)0);
        bytes.set(JAVA_INT, 4, imm);

        return bytes.get(JAVA_LONG, 0);
    }

    /**
     * Load instructions as an XDP program named {@code sluice_probe}.
     *
     * @param call  arena for the call's memory.
     * @param insns the instructions, from {@link #insn(int, int, int)}.
     * @return the program's fd, to {@link #close(Arena, int)}, or the negative errno of the refusal.
     */
    public static int loadXdp(final Arena call, final long... insns)
    {
        final MemorySegment program = call.allocate((long)insns.length * INSN_BYTES, INSN_BYTES);
        MemorySegment.copy(MemorySegment.ofArray(insns), 0, program, 0, program.byteSize());

        return LibBpf.bpf_prog_load(LinuxBpf.BPF_PROG_TYPE_XDP, call.allocateFrom("sluice_probe"),
            call.allocateFrom("GPL"), program, insns.length, MemorySegment.NULL);
    }

    /**
     * @param call arena for the call's memory.
     * @param fd   a program {@link #loadXdp(Arena, long...)} loaded.
     */
    public static void close(final Arena call, final int fd)
    {
        LibC.close(call.allocate(Ffi.CALL_STATE_LAYOUT), fd);
    }
}
