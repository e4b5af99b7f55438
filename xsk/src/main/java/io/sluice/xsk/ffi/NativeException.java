package io.sluice.xsk.ffi;

/**
 * A control-plane call into the kernel or a native library failed. The message names the operation, its
 * arguments and strerror(errno), with a hint when one is known.
 */
public final class NativeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    /**
     * @param operation what was attempted, with its arguments, e.g. "bind(AF_XDP) on veth0 queue 3".
     * @param errno     positive errno value.
     * @param hint      what to do about it, or null.
     */
    public NativeException(final String operation, final int errno, final String hint)
    {
        super(operation + ": " + Errno.describe(errno) + (null == hint ? "" : "; " + hint));
        this.errno = errno;
    }

    /**
     * @param message a complete message, for failures that are not an errno.
     */
    public NativeException(final String message)
    {
        super(message);
        this.errno = 0;
    }

    /**
     * @return the errno of the failure, or 0 if it was not an errno.
     */
    public int errno()
    {
        return errno;
    }

    /**
     * Throw if a libbpf-style result (negative errno) signals failure.
     *
     * @param result    the call's return value.
     * @param operation what was attempted.
     * @return the result when it is not an error.
     */
    public static int check(final int result, final String operation)
    {
        if (result < 0)
        {
            throw new NativeException(operation, -result, null);
        }

        return result;
    }

    /**
     * Throw if a libc-style result (-1 with errno) signals failure.
     *
     * @param result    the call's return value.
     * @param operation what was attempted.
     * @param callState the call state the call left errno in.
     * @param hint      what to do about it, or null.
     * @return the result when it is not an error.
     */
    public static int check(
        final int result, final String operation, final java.lang.foreign.MemorySegment callState, final String hint)
    {
        if (result < 0)
        {
            throw new NativeException(operation, Ffi.errno(callState), hint);
        }

        return result;
    }
}
