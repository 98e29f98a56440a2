package io.netwatcher.export;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rendered bodies of a {@link NioHttpServer}, bounded in number: a scrape gets the rendering
 * of its kind (its content type) made within the last second, else waits for the one in progress,
 * else a new one is rendered on a worker. At most {@code max} renderings exist at once (rendering,
 * written by a response, or fresh): beyond, a scrape gets the newest one there is, a few seconds
 * older, so clients that do not read cannot make the agent hold more. Used by the selector thread
 * only; workers hand their result back through {@code onSelector}.
 */
final class Renderings {
    private static final Logger LOG = LoggerFactory.getLogger(Renderings.class);
    static final long FRESH_NS = 1_000_000_000L;

    /** Wants a rendering; answered on the selector thread. */
    interface Waiter {
        /** The rendering is ready: true when the waiter uses it (and releases it later). */
        boolean ready(Rendering r);

        /** There is none: {@code status} 503 when too many are held, 500 when rendering failed. */
        void failed(int status, String why);
    }

    private final int max;
    private final Executor workers;
    private final Consumer<Runnable> onSelector;
    private final LongSupplier clock;
    /** The newest rendering of each kind. */
    private final Map<String, Rendering> newest = new HashMap<>();
    /** Renderings still referenced: the newest ones and those responses write. */
    private final List<Rendering> held = new ArrayList<>();
    /** Kinds being rendered now, with who waits for them. */
    private final Map<String, List<Waiter>> rendering = new HashMap<>();
    private long rendered;

    Renderings(int max, Executor workers, Consumer<Runnable> onSelector, LongSupplier clock) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be > 0");
        }
        this.max = max;
        this.workers = workers;
        this.onSelector = onSelector;
        this.clock = clock;
    }

    /** Finds or makes a rendering of {@code key} for {@code w}. */
    void request(String key, NioHttpServer.Body body, Waiter w) {
        long now = clock.getAsLong();
        Rendering r = newest.get(key);
        if (r != null && now - r.renderedNs < FRESH_NS) {
            hand(r, w);
            return;
        }
        List<Waiter> waiting = rendering.get(key);
        if (waiting != null) {
            waiting.add(w);
            return;
        }
        prune(now);
        if (held.size() + rendering.size() >= max) {
            Rendering older = newestHeld(key);
            if (older != null) {
                hand(older, w); // the newest there is: memory stays bounded while others hold theirs
            } else {
                w.failed(503, "busy: too many responses in flight");
            }
            return;
        }
        waiting = new ArrayList<>();
        waiting.add(w);
        rendering.put(key, waiting);
        try {
            workers.execute(() -> {
                Rendering done = null;
                RuntimeException failure = null;
                try {
                    done = Rendering.render(key, body, clock.getAsLong());
                } catch (IOException | RuntimeException e) {
                    failure = e instanceof RuntimeException x ? x : new IllegalStateException(e.getMessage(), e);
                }
                Rendering result = done;
                RuntimeException error = failure;
                onSelector.accept(() -> finished(key, result, error));
            });
        } catch (RejectedExecutionException e) {
            rendering.remove(key);
            w.failed(503, "busy: too many responses in flight");
        }
    }

    private void finished(String key, Rendering r, RuntimeException failure) {
        List<Waiter> waiting = rendering.remove(key);
        if (r == null) {
            LOG.warn("rendering {} failed: {}", key, failure.toString());
            for (Waiter w : waiting) {
                w.failed(500, "internal error");
            }
            return;
        }
        rendered++;
        newest.put(key, r);
        held.add(r);
        for (Waiter w : waiting) {
            hand(r, w);
        }
        prune(clock.getAsLong());
    }

    private Rendering newestHeld(String key) {
        Rendering best = null;
        for (Rendering r : held) {
            if (r.key.equals(key) && (best == null || r.renderedNs - best.renderedNs > 0)) {
                best = r;
            }
        }
        return best;
    }

    private static void hand(Rendering r, Waiter w) {
        r.users++; // before: the response may finish (and release it) within ready()
        if (!w.ready(r)) {
            r.users--;
        }
    }

    /** A response is done with {@code r}. */
    void release(Rendering r) {
        r.users--;
    }

    /** Forgets renderings nobody writes that are no longer fresh (their memory goes with the next GC). */
    void prune(long now) {
        held.removeIf(r -> r.users == 0 && (newest.get(r.key) != r || now - r.renderedNs >= FRESH_NS));
        newest.values().removeIf(r -> r.users == 0 && now - r.renderedNs >= FRESH_NS);
    }

    /** Renderings referenced now (tests). */
    int held() {
        return held.size();
    }

    /** Renderings made so far (tests). */
    long rendered() {
        return rendered;
    }
}
