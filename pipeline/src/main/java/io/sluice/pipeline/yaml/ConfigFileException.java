package io.sluice.pipeline.yaml;

/**
 * A human-edited configuration file that cannot be read or is not valid. The message is one line,
 * {@code FILE:LINE: problem}, or {@code FILE: problem} when no line applies, as compilers report, so editors can jump
 * to it and a CLI can print it as it is.
 * <p>
 * Each kind of file has its own subclass, so a caller can tell a bad rules file from a bad profile.
 */
public class ConfigFileException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final String problem;

    /**
     * @param source  the file's name.
     * @param line    1-based line, or 0 when the problem is not at a line.
     * @param problem what is wrong; line breaks are folded into spaces.
     */
    public ConfigFileException(final String source, final int line, final String problem)
    {
        super(format(source, line, problem));
        this.source = source;
        this.line = line;
        this.problem = oneLine(problem);
    }

    /**
     * @return the file's name, as given to the loader.
     */
    public String source()
    {
        return source;
    }

    /**
     * @return 1-based line of the problem, or 0 when it is not at a line.
     */
    public int line()
    {
        return line;
    }

    /**
     * @return the problem, without the file and line.
     */
    public String problem()
    {
        return problem;
    }

    private static String format(final String source, final int line, final String problem)
    {
        return source + (line > 0 ? ":" + line : "") + ": " + oneLine(problem);
    }

    private static String oneLine(final String text)
    {
        return String.valueOf(text).strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
