package io.sluice.xsk.counters;

/**
 * Layout of a counters file: a header of {@link #HEADER_LENGTH} bytes, then Agrona's counter metadata, then the
 * counter values. All offsets are in bytes from the start of the file; numbers are little-endian, as the values are.
 * <pre>
 *   0  magic            long  "SLUICECN" ({@link #MAGIC})
 *   8  version          int   {@link #VERSION}
 *  12  metadata length  int   bytes of Agrona counter metadata, from {@link #HEADER_LENGTH}
 *  16  values length    int   bytes of counter values, after the metadata
 *  24  pid              long  the writing process
 *  32  start time       long  epoch milliseconds when the file was made
 *  40  stop time        long  epoch milliseconds when the writer stopped; 0 while it runs (written last, release)
 *  48  instance length  int
 *  52  instance name    UTF-8, at most 100 bytes (CountersFile.checkName)
 * </pre>
 */
public final class CountersFileDescriptor
{
    /**
     * "SLUICECN" in ASCII, read as a little-endian long.
     */
    public static final long MAGIC = 0x4E43454349554C53L;
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int METADATA_LENGTH_OFFSET = 12;
    public static final int VALUES_LENGTH_OFFSET = 16;
    public static final int PID_OFFSET = 24;
    public static final int START_MS_OFFSET = 32;
    public static final int STOP_MS_OFFSET = 40;
    public static final int INSTANCE_LENGTH_OFFSET = 48;
    public static final int INSTANCE_OFFSET = 52;

    /**
     * One page, so the metadata that follows starts page-aligned.
     */
    public static final int HEADER_LENGTH = 4096;

    /**
     * Type of a record naming a counter metric: its label is {@code NAME HELP}.
     */
    public static final int COUNTER_FAMILY_TYPE_ID = 1;

    /**
     * Type of a record naming a gauge metric: its label is {@code NAME HELP}.
     */
    public static final int GAUGE_FAMILY_TYPE_ID = 2;

    /**
     * Type of a series, one value: its key holds the family's counter id (an int), its label the Prometheus labels,
     * {@code iface="veth1",queue="0"}.
     */
    public static final int SERIES_TYPE_ID = 3;

    /**
     * File name inside an instance's folder.
     */
    public static final String FILE_NAME = "counters.dat";

    private CountersFileDescriptor()
    {
    }
}
