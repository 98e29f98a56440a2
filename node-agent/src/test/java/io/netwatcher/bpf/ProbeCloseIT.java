package io.netwatcher.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netwatcher.kernel.CounterMap;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.export.SelfMetrics;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.probe.ProbeSet;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Closing the probes while other threads use them (a poll, a scrape, the CPU budget at shutdown):
 * the close waits for a map read in flight, and every later use fails with BpfClosedException
 * instead of calling libbpf on freed memory.
 */
class ProbeCloseIT {
    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @Test
    void closingWaitsForAMapReadInFlightThenEveryUseFailsCleanly() throws Exception {
        ProbeSet p = ProbeSet.open(ProbeConfig.defaults());
        BpfMap counters = p.object().map(CounterMap.COUNTERS);
        byte[] key = ByteBuffer.allocate(Layouts.CounterKey.SIZE).order(ByteOrder.nativeOrder())
                .putLong(Layouts.CounterKey.CGROUP_ID, 0x7EED_0000_0001L).putShort(Layouts.CounterKey.KIND, (short) 99)
                .array();
        counters.update(key, new byte[counters.lookupSize()], 0);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            int[] n = new int[1];
            counters.forEachChunk(e -> {
                n[0] += e.count();
                inside.countDown();
                try {
                    release.await(); // a poll still working on its chunk
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            return n[0];
        });
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        CompletableFuture<Boolean> close = CompletableFuture.supplyAsync(() -> p.close(5000));
        Thread.sleep(300);
        assertFalse(close.isDone(), "the close waits for the read in flight");
        assertThrows(BpfClosedException.class, () -> counters.lookup(key, new byte[counters.lookupSize()]),
                "a new read fails at once meanwhile");
        release.countDown();
        assertTrue(read.get(5, TimeUnit.SECONDS) >= 1, "the read in flight completes");
        assertTrue(close.get(5, TimeUnit.SECONDS), "then the probes are freed");

        BpfClosedException e = assertThrows(BpfClosedException.class,
                () -> counters.lookup(key, new byte[64]));
        assertEquals("map counters of BPF object netwatcher used after the object was closed", e.getMessage());
        assertThrows(BpfClosedException.class, () -> counters.update(key, new byte[64], 0));
        assertThrows(BpfClosedException.class, () -> counters.delete(key));
        assertThrows(BpfClosedException.class, counters::countEntries);
        assertThrows(BpfClosedException.class, counters::fd);
        assertThrows(BpfClosedException.class, counters::maxEntries);
        assertThrows(BpfClosedException.class, () -> p.setTimeEvery(4));
        assertThrows(BpfClosedException.class, p::runStats);
        String loaded = p.object().programs().values().stream().filter(BpfProgram::autoload).findFirst()
                .orElseThrow().name();
        assertThrows(BpfClosedException.class, () -> p.object().program(loaded).fd());
        p.connectionIterator().ifPresent(it -> assertThrows(BpfClosedException.class, it::runIterator));
        assertTrue(p.close(100), "closing again: already freed");
    }

    @Test
    void readsOnOtherThreadsWhileTheAgentClosesFailCleanlyAndScrapesStillWork() throws Exception {
        AgentHarness h = AgentHarness.start(AgentHarness.testConfig());
        ProbeSet p = h.agent().probes();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SelfMetrics.bindAgent(meters, h.agent().stats(), p);
        assertTrue(meters.scrape().contains("netwatcher_map_entries{map=\"conns\"}"));
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        List<Runnable> uses = List.of(
                () -> h.agent().connection(1L), // a conns lookup
                () -> p.maps().histograms().fill().entries(), // a whole-map read
                p::runStats, // program fds and fdinfo (the CPU budget)
                () -> p.setTimeEvery(2), // a map update (the CPU budget)
                meters::scrape); // the self-metrics gauges
        for (Runnable use : uses) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        use.run();
                        outcomes.merge("ok", 1, Integer::sum);
                    } catch (RuntimeException e) {
                        outcomes.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                        if (!(e instanceof BpfClosedException)) {
                            outcomes.merge(e.toString(), 1, Integer::sum);
                        }
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        Thread.sleep(300);
        long t0 = System.nanoTime();
        h.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(300);
        stop.set(true);
        for (Thread t : threads) {
            t.join(5000);
        }
        System.out.printf("uses while the agent closed (%d ms): %s%n", ms, outcomes);
        assertTrue(h.agent().detached(), "the probes were detached and freed");
        assertTrue(outcomes.keySet().stream().allMatch(k -> k.equals("ok") || k.equals("BpfClosedException")),
                "only clean failures after the close: " + outcomes);
        assertTrue(outcomes.getOrDefault("BpfClosedException", 0) > 0, "uses after the close were refused: " + outcomes);
        String text = meters.scrape();
        assertTrue(text.contains("netwatcher_map_entries{map=\"conns\"} NaN"), "a scrape after the close: " + text);
        assertTrue(ms < 5000, "closed in " + ms + " ms");
    }
}
