package io.netwatcher.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The object is freed only when no call is in flight, within a bound; later calls fail cleanly. */
class ObjectGuardTest {
    private final ObjectGuard guard = new ObjectGuard("test");

    @Test
    void closeWaitsForTheCallInFlightAndLaterCallsFail() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean freedWhileInside = new AtomicBoolean();
        AtomicBoolean inCall = new AtomicBoolean();
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> guard.call("map conns", () -> {
            inCall.set(true);
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inCall.set(false);
            return null;
        }));
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        CompletableFuture<Boolean> close = CompletableFuture.supplyAsync(() -> guard.close(5000,
                () -> freedWhileInside.set(inCall.get())));
        Thread.sleep(300);
        assertFalse(close.isDone(), "close waits for the call in flight");
        BpfClosedException e = assertThrows(BpfClosedException.class, () -> guard.enter("map hists"),
                "a new call fails at once while close waits");
        assertEquals("map hists of BPF object test used after the object was closed", e.getMessage());
        release.countDown();
        assertTrue(close.get(5, TimeUnit.SECONDS), "freed once the call returned");
        call.get(5, TimeUnit.SECONDS);
        assertFalse(freedWhileInside.get());
        assertThrows(BpfClosedException.class, () -> guard.callInt("program tp_x", () -> 1));
    }

    @Test
    void aCallThatDoesNotReturnLeavesTheObjectToTheProcessExit() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> guard.call("map conns", () -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // a nested use while the object closes fails instead of freezing
            assertThrows(BpfClosedException.class, () -> guard.enter("map conns"));
            return null;
        }));
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        AtomicBoolean freed = new AtomicBoolean();
        long t0 = System.nanoTime();
        assertFalse(guard.close(300, () -> freed.set(true)), "not freed under a call in flight");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250 && ms < 2000, "waited its bound: " + ms + " ms");
        assertFalse(freed.get());
        release.countDown();
        call.get(5, TimeUnit.SECONDS);
        assertThrows(BpfClosedException.class, () -> guard.enter("map conns"));
    }

    @Test
    void underConcurrentUseTheObjectIsFreedOnceWithNobodyInside() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicLong calls = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicInteger frees = new AtomicInteger();
        AtomicInteger insideAtFree = new AtomicInteger(-1);
        AtomicBoolean freed = new AtomicBoolean();
        AtomicBoolean usedAfterFree = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 200_000; i++) {
                    try {
                        guard.call("map conns", () -> {
                            inside.incrementAndGet();
                            if (freed.get()) {
                                usedAfterFree.set(true);
                            }
                            calls.incrementAndGet();
                            inside.decrementAndGet();
                            return null;
                        });
                    } catch (BpfClosedException e) {
                        refused.incrementAndGet();
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        Thread.sleep(20);
        assertTrue(guard.close(5000, () -> {
            frees.incrementAndGet();
            insideAtFree.set(inside.get());
            freed.set(true);
        }));
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(1, frees.get());
        assertEquals(0, insideAtFree.get(), "nobody inside when freed");
        assertFalse(usedAfterFree.get(), "nobody got in after");
        assertTrue(calls.get() > 0 && refused.get() > 0, calls + " calls, " + refused + " refused");
    }
}
