package io.netwatcher.logging;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lets a repeated problem through once per window: the first occurrence of a key passes, the
 * following ones in the same window are counted, and the first one after the window passes with
 * that count. Keys are bounded (the least recently seen are forgotten).
 */
final class RepeatLimiter {
    /** Passed, with how many were held back since the last one that passed; or held back (-1). */
    static final long SUPPRESSED = -1;

    private static final class Window {
        long startNs;
        long suppressed;
    }

    private final long windowNs;
    private final Map<String, Window> windows;

    RepeatLimiter(long windowNs, int maxKeys) {
        if (windowNs <= 0 || maxKeys < 1) {
            throw new IllegalArgumentException("window and keys must be > 0");
        }
        this.windowNs = windowNs;
        this.windows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
                return size() > maxKeys;
            }
        };
    }

    /**
     * Returns {@link #SUPPRESSED} when this occurrence is held back, else the number held back
     * since the key last passed (0 the first time).
     */
    synchronized long admit(String key, long nowNs) {
        Window w = windows.get(key);
        if (w == null) {
            w = new Window();
            w.startNs = nowNs;
            windows.put(key, w);
            return 0;
        }
        if (nowNs - w.startNs < windowNs) {
            w.suppressed++;
            return SUPPRESSED;
        }
        long held = w.suppressed;
        w.startNs = nowNs;
        w.suppressed = 0;
        return held;
    }
}
