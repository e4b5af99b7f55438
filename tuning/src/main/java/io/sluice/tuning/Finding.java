package io.sluice.tuning;

/**
 * One line of {@code ./sluice doctor}: a check, its outcome, what was found and, unless it passed, the fix.
 *
 * @param check  short name: {@code kernel}, {@code memlock}, {@code zero_copy}.
 * @param status the outcome.
 * @param detail what was found.
 * @param fix    what to do about it; empty for a pass.
 */
public record Finding(String check, Status status, String detail, String fix)
{
    /**
     * Outcome of a check.
     */
    public enum Status
    {
        /**
         * As Sluice needs it.
         */
        PASS,

        /**
         * Sluice runs, slower or less safely than it could.
         */
        WARN,

        /**
         * Sluice would not start, or would not do what the profile says.
         */
        FAIL
    }

    static Finding pass(final String check, final String detail)
    {
        return new Finding(check, Status.PASS, detail, "");
    }

    static Finding warn(final String check, final String detail, final String fix)
    {
        return new Finding(check, Status.WARN, detail, fix);
    }

    static Finding fail(final String check, final String detail, final String fix)
    {
        return new Finding(check, Status.FAIL, detail, fix);
    }
}
