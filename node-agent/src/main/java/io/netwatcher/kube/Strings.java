package io.netwatcher.kube;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares equal strings that repeat across thousands of records (namespaces, workload names and
 * kinds). Bounded: past the limit strings are returned as they are.
 */
final class Strings {
    private static final int LIMIT = 200_000;
    private static final Map<String, String> POOL = new ConcurrentHashMap<>();

    private Strings() {}

    static String intern(String s) {
        if (s == null) {
            return null;
        }
        String shared = POOL.get(s);
        if (shared != null) {
            return shared;
        }
        if (POOL.size() >= LIMIT) {
            return s;
        }
        shared = POOL.putIfAbsent(s, s);
        return shared == null ? s : shared;
    }
}
