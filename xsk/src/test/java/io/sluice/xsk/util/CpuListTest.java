package io.sluice.xsk.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The one CPU-list parser: lists people write keep their order and their repeats, and where each number must be
 * distinct one check says which is listed twice; lists the kernel writes are sets.
 */
class CpuListTest
{
    @Test
    void shouldKeepTheOrderGivenBecausePinningOrderMatters()
    {
        assertArrayEquals(new int[] { 4, 0, 1, 2 }, CpuList.parse("--cores", "4,0-2"));
        assertArrayEquals(new int[] { 7, 0, 2, 3, 5 }, CpuList.parse("--cores", "7,0,2-3, 5"));
        assertArrayEquals(new int[] { 3, 1 }, CpuList.parse("--queues", "3,1"));
    }

    @Test
    void shouldExpandRangesWithSpacesAroundItemsAndDashes()
    {
        assertArrayEquals(new int[] { 0, 1, 2, 3, 8, 10, 11 }, CpuList.parse("--cores", " 0 - 3 , 8,10-11 "));
        assertArrayEquals(new int[] { 5 }, CpuList.parse("--cores", "5-5"));
        assertArrayEquals(new int[] { 4095 }, CpuList.parse("--cores", "4095"));
    }

    @Test
    void shouldKeepANumberListedAgainBecauseStagesMayShareACpu()
    {
        assertArrayEquals(new int[] { 1, 0, 1 }, CpuList.parse("--cores", "1,0,1"));
        assertArrayEquals(new int[] { 0, 1, 2, 2 }, CpuList.parse("--cores", "0-2,2"));
    }

    @Test
    void shouldRejectANumberListedTwiceWhereEachMustBeDistinctNamingIt()
    {
        assertArrayEquals(new int[] { 3, 1 }, CpuList.parseDistinct("--queues", "3,1"));
        assertEquals("--queues: 2 is listed twice", assertThrows(IllegalArgumentException.class,
            () -> CpuList.parseDistinct("--queues", "0-2,2")).getMessage());
        assertEquals("--queues: 2 is listed twice", assertThrows(IllegalArgumentException.class,
            () -> CpuList.parseDistinct("--queues", "0-3,2-5")).getMessage());
        assertEquals("--queues: 0 is listed twice", assertThrows(IllegalArgumentException.class,
            () -> CpuList.parseDistinct("--queues", "0,1,0")).getMessage());
    }

    @Test
    void shouldAppendAPieceAndCheckOnlyItsNumbersForRepeats()
    {
        final int[] listed = { 0, 2 };

        assertArrayEquals(new int[] { 0, 2, 4, 5 }, CpuList.append(listed, "4-5"));
        assertArrayEquals(new int[] { 0, 2, 2 }, CpuList.append(listed, "2"));
        assertEquals("1 is listed twice", assertThrows(IllegalArgumentException.class,
            () -> CpuList.requireDistinct(CpuList.append(new int[] { 1 }, "0-1"), 1)).getMessage());
        assertEquals("2 is listed twice", assertThrows(IllegalArgumentException.class,
            () -> CpuList.requireDistinct(CpuList.append(listed, "2"), 2)).getMessage());
        assertDoesNotThrow(() -> CpuList.requireDistinct(new int[] { 1, 1, 2 }, 2),
            "only the numbers from the index given on are checked");
        assertArrayEquals(new int[] { 0, 2 }, listed, "the numbers listed before are not changed");
    }

    static Stream<Arguments> badLists()
    {
        return Stream.of(
            arguments("", "--cores: empty list"),
            arguments("  ", "--cores: empty list"),
            arguments("1,x", "--cores: 'x' is not a number or range like 0,2-3"),
            arguments("0-a", "--cores: '0-a' is not a number or range like 0,2-3"),
            arguments("1,,2", "--cores: '' is not a number or range like 0,2-3"),
            arguments("1,", "--cores: '' is not a number or range like 0,2-3"),
            arguments("1-", "--cores: '1-' is not a number or range like 0,2-3"),
            arguments("0x2", "--cores: '0x2' is not a number or range like 0,2-3"),
            arguments("3-1", "--cores: range 3-1 runs backwards"),
            arguments("4096", "--cores: 4096 is not within 0-4095"),
            arguments("4000-5000", "--cores: 5000 is not within 0-4095"),
            arguments("-1", "--cores: -1 is not within 0-4095"),
            arguments("99999999999999999999", "--cores: 99999999999999999999 is not within 0-4095"));
    }

    @ParameterizedTest(name = "''{0}''")
    @MethodSource("badLists")
    void shouldRejectABadListWithOneLineNamingTheOptionAndTheItem(final String text, final String expected)
    {
        assertEquals(expected, assertThrows(IllegalArgumentException.class,
            () -> CpuList.parse("--cores", text)).getMessage());
    }

    @Test
    void shouldReadAKernelListAsASetWhereOverlapsAreLegal()
    {
        assertArrayEquals(new int[] { 0, 1, 2, 3, 8, 10, 11 }, CpuList.parseKernel("0-3,8,10-11\n"));
        assertArrayEquals(new int[] { 0, 1, 2, 3 }, CpuList.parseKernel("2,0-3,1"));
        assertArrayEquals(new int[0], CpuList.parseKernel("\n"));
        assertArrayEquals(new int[0], CpuList.parseKernel("(null)"));
    }

    @Test
    void shouldRejectABadKernelListNamingTheItemAndTheList()
    {
        assertEquals("'x' is not a number or range like 0,2-3 in '0,x'", assertThrows(
            IllegalArgumentException.class, () -> CpuList.parseKernel("0,x\n")).getMessage());
        assertEquals("range 3-1 runs backwards in '3-1'", assertThrows(
            IllegalArgumentException.class, () -> CpuList.parseKernel("3-1")).getMessage());
        assertEquals(CpuAffinity.MAX_CPUS + " is not within 0-" + (CpuAffinity.MAX_CPUS - 1) + " in '0-" +
            CpuAffinity.MAX_CPUS + "'", assertThrows(IllegalArgumentException.class,
            () -> CpuList.parseKernel("0-" + CpuAffinity.MAX_CPUS)).getMessage());
    }

    @Test
    void shouldReadAKernelFileNamingItWhenBad(@TempDir final Path dir) throws Exception
    {
        final Path good = Files.writeString(dir.resolve("isolated"), "2-3\n");
        final Path bad = Files.writeString(dir.resolve("nohz_full"), "2-x\n");

        assertArrayEquals(new int[] { 2, 3 }, CpuList.read(good));
        assertArrayEquals(new int[0], CpuList.read(dir.resolve("absent")));
        assertEquals("cannot read the CPU list in " + bad + ": '2-x' is not a number or range like 0,2-3 in '2-x'",
            assertThrows(IllegalArgumentException.class, () -> CpuList.read(bad)).getMessage());
    }

    @Test
    void shouldFormatFoldedAsTheKernelDoesOrInTheOrderGiven()
    {
        assertEquals("0-3,8,10-11", CpuList.format(new int[] { 11, 0, 1, 2, 3, 8, 10, 2 }));
        assertEquals("", CpuList.format(new int[0]));
        assertEquals("4,0,1,2", CpuList.formatInOrder(new int[] { 4, 0, 1, 2 }));
        assertEquals("", CpuList.formatInOrder(new int[0]));
    }
}
