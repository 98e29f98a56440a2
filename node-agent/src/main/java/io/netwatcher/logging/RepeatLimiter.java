package io.netwatcher.logging;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Lets a repeated problem through once per window: the first occurrence of a key passes, the
 * following ones in the same window are counted, and the first one after the window passes with
 * that count. Counts still held when a window ends are handed out by {@link #due} (on a timer and
 * at shutdown) with the last message held back, so the end of a burst is never lost. Keys are
 * bounded (the least recently seen are forgotten, their counts handed out).
 */
final class RepeatLimiter {
    /**
     * What varies between occurrences of one problem: UUIDs, IPv6 addresses, every token with a
     * digit (numbers, IPv4 addresses and ports, hex ids, most pod and container names) and names
     * ending in a generated Kubernetes suffix (five characters without vowels, e.g. {@code -x7kqp}).
     */
    private static final Pattern VARIABLE = Pattern.compile(
            "\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}"
                    + "|(?<![\\w:])(?:\\p{XDigit}{0,4}:){2,7}\\p{XDigit}{0,4}(?![\\w:])"
                    + "|[\\w.-]*\\d[\\w.-]*"
                    + "|[\\w.-]*-[bcdfghjklmnpqrstvwxz2456789]{5}\\b");

    /** One occurrence that passed, with how many were held back before it and over how long. */
    record Verdict(boolean passed, long held, long spanNs) {
        static final Verdict HELD_BACK = new Verdict(false, 0, 0);
    }

    /** Occurrences held back and not reported yet: the last one's text, their number and time span. */
    record Held(String level, String logger, String lastText, long count, long spanNs) {
    }

    private static final class Window {
        long startNs;
        long suppressed;
        String level;
        String logger;
        String lastText;
    }

    private final long windowNs;
    private final Map<String, Window> windows;
    /** Counts of keys forgotten while they held some. */
    private final List<Held> forgotten = new ArrayList<>();
    private long nowNs;

    RepeatLimiter(long windowNs, int maxKeys) {
        if (windowNs <= 0 || maxKeys < 1) {
            throw new IllegalArgumentException("window and keys must be > 0");
        }
        this.windowNs = windowNs;
        this.windows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
                if (size() <= maxKeys) {
                    return false;
                }
                Window w = eldest.getValue();
                if (w.suppressed > 0) {
                    forgotten.add(held(w, nowNs));
                }
                return true;
            }
        };
    }

    long windowNs() {
        return windowNs;
    }

    /** The key of a message: level, logger and the text with what varies replaced by {@code #}. */
    static String key(String level, String logger, String text) {
        return level + " " + logger + " " + VARIABLE.matcher(text).replaceAll("#");
    }

    /** Decides on one occurrence of {@code text} (its level and logger are kept for {@link #due}). */
    synchronized Verdict admit(String level, String logger, String text, long nowNs) {
        this.nowNs = nowNs;
        String key = key(level, logger, text);
        Window w = windows.get(key);
        if (w == null) {
            w = new Window();
            w.startNs = nowNs;
            w.level = level;
            w.logger = logger;
            windows.put(key, w);
            return new Verdict(true, 0, 0);
        }
        if (nowNs - w.startNs < windowNs) {
            w.suppressed++;
            w.lastText = text;
            return Verdict.HELD_BACK;
        }
        Verdict v = new Verdict(true, w.suppressed, nowNs - w.startNs);
        w.startNs = nowNs;
        w.suppressed = 0;
        w.lastText = null;
        return v;
    }

    /**
     * Counts to report now: of the keys whose window has ended, or of every key when {@code all}
     * (at shutdown). Each restarts its window: a recurrence within it is held back again.
     */
    synchronized List<Held> due(long nowNs, boolean all) {
        this.nowNs = nowNs;
        List<Held> out = new ArrayList<>(forgotten);
        forgotten.clear();
        for (Window w : windows.values()) {
            if (w.suppressed > 0 && (all || nowNs - w.startNs >= windowNs)) {
                out.add(held(w, nowNs));
                w.startNs = nowNs;
                w.suppressed = 0;
                w.lastText = null;
            }
        }
        return out;
    }

    private static Held held(Window w, long nowNs) {
        return new Held(w.level, w.logger, w.lastText, w.suppressed, nowNs - w.startNs);
    }

    /** {@code 45 s}, {@code 12 min}, {@code 3 h}: a span for a log line. */
    static String span(long ns) {
        long s = Math.max(1, Math.round(ns / 1e9));
        if (s < 120) {
            return s + " s";
        }
        if (s < 7200) {
            return Math.round(s / 60.0) + " min";
        }
        return Math.round(s / 3600.0) + " h";
    }
}
