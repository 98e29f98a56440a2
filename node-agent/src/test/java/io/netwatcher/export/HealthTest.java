package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.output.WatchedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Liveness: a stuck ring-buffer reader or a blocked stdout fails it; an idle or busy agent does not. */
class HealthTest {
    private static final long S = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1000 * S);
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong backlog = new AtomicLong();
    private final Health health = new Health(30 * S, 30 * S, now::get);

    @Test
    void anIdleReaderIsLiveAndAStuckOneIsNotAfterTheBound() {
        assertNull(health.notLive(), "before start");
        assertEquals("probes not attached yet", health.notReady());
        health.reader(() -> true, records::get, backlog::get);
        assertNull(health.notReady(), "standalone: ready once attached");
        for (int i = 0; i < 10; i++) { // idle: nothing waiting, nothing read, for minutes
            now.addAndGet(20 * S);
            assertNull(health.notLive());
        }
        // Busy: records waiting at every look, but the reader keeps reading.
        for (int i = 0; i < 10; i++) {
            backlog.set(4096);
            records.addAndGet(100);
            now.addAndGet(20 * S);
            assertNull(health.notLive());
        }
        backlog.set(0); // drained
        now.addAndGet(S);
        assertNull(health.notLive());
        // Stuck: records waiting, none read.
        backlog.set(4096);
        now.addAndGet(20 * S);
        assertNull(health.notLive(), "the stall starts at the first look that sees it");
        now.addAndGet(29 * S);
        assertNull(health.notLive(), "29 s: within the bound");
        now.addAndGet(2 * S);
        assertEquals("ring buffer reader made no progress for 31 s with 4096 bytes waiting", health.notLive());
        records.incrementAndGet(); // it moves again
        assertNull(health.notLive());
    }

    @Test
    void aBlockedOutputFailsLivenessAfterTheBound() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        WatchedOutputStream out = new WatchedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try {
                    release.await(); // a pipe nobody reads
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        });
        Health real = new Health(200_000_000L, 30 * S, System::nanoTime);
        real.output(out::blockedNs);
        assertNull(real.notLive());
        Thread writer = new Thread(() -> {
            try {
                out.write('x');
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        Thread.sleep(400);
        String why = real.notLive();
        assertTrue(why != null && why.startsWith("event output (stdout) blocked for"), String.valueOf(why));
        release.countDown();
        writer.join(2000);
        assertNull(real.notLive(), "unblocked: live again");
        assertEquals(0, out.blockedNs(System.nanoTime()));
    }
}
