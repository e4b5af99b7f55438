package io.sluice.perf;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class PerfOptionsTest
{
    @Test
    void shouldSendForEachQueueFromACpuNumberedAsTheQueueModuloTheCount()
    {
        assertArrayEquals(new int[]{0}, Perf.generatorCpus(0, 1, 2));
        assertArrayEquals(new int[]{1}, Perf.generatorCpus(1, 1, 2));
        assertArrayEquals(new int[]{0, 1}, Perf.generatorCpus(0, 2, 2));
        assertArrayEquals(new int[]{0, 1}, Perf.generatorCpus(1, 2, 2));
        // 8 CPUs, 3 queues, from CPU 4 on: 6 % 3 = 0, 4 % 3 = 1, 5 % 3 = 2
        assertArrayEquals(new int[]{6, 4, 5}, Perf.generatorCpus(4, 3, 8));
    }
}
