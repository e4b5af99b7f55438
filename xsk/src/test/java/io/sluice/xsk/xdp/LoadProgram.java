package io.sluice.xsk.xdp;

import io.sluice.xsk.ffi.NativeException;

/**
 * Loads the steering program and prints the outcome: run without capabilities to see the error users get.
 */
public final class LoadProgram
{
    public static final int REFUSED = 3;

    private LoadProgram()
    {
    }

    public static void main(final String[] args)
    {
        try (SteeringProgram program = SteeringProgram.open().load())
        {
            System.out.println("loaded " + program.attachment());
        }
        catch (final NativeException ex)
        {
            System.out.println(ex.getMessage());
            System.exit(REFUSED);
        }
    }
}
