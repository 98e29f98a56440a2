package io.netwatcher.export;

import io.netwatcher.kube.KubeHealth;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * What the health endpoints say (docs/operations.md#health).
 * <ul>
 *   <li>Live ({@code /healthz}) unless no progress is possible: the ring-buffer reader has consumed
 *       nothing for {@code stallNs} while records were waiting, or the event output (stdout) has
 *       been blocked in one write for {@code stallNs} (nothing reads it). A restart is the remedy.</li>
 *   <li>Ready ({@code /readyz}) when the probes are attached and, in Kubernetes mode, every watch
 *       has synced and none has been disconnected from the API server for longer than
 *       {@code kubeGraceNs} (events then lose their pod labels).</li>
 * </ul>
 */
public final class Health {
    /** Default bound for liveness: a reader or output stuck this long fails /healthz. */
    public static final long DEFAULT_STALL_NS = 30_000_000_000L;
    /** Default time the API server may be unreachable before /readyz fails. */
    public static final long DEFAULT_KUBE_GRACE_NS = 30_000_000_000L;

    private final long stallNs;
    private final long kubeGraceNs;
    private final LongSupplier clock;
    private volatile BooleanSupplier attached = () -> false;
    private volatile LongSupplier recordsRead;
    private volatile LongSupplier backlogBytes;
    private volatile LongUnaryOperator outputBlockedNs = now -> 0;
    private volatile KubeHealth kube;
    private long stallSinceNs = -1;
    private long stallRecords;

    /** @param clock nanoseconds, as System.nanoTime() */
    public Health(long stallNs, long kubeGraceNs, LongSupplier clock) {
        if (stallNs <= 0 || kubeGraceNs < 0) {
            throw new IllegalArgumentException("stallNs must be > 0 and kubeGraceNs >= 0");
        }
        this.stallNs = stallNs;
        this.kubeGraceNs = kubeGraceNs;
        this.clock = Objects.requireNonNull(clock);
    }

    /** The running agent: whether its probes are attached, its records read and the bytes waiting in the ring. */
    public void reader(BooleanSupplier attached, LongSupplier recordsRead, LongSupplier backlogBytes) {
        this.recordsRead = Objects.requireNonNull(recordsRead);
        this.backlogBytes = Objects.requireNonNull(backlogBytes);
        this.attached = Objects.requireNonNull(attached);
    }

    /** How long, at a time, the event output has been blocked in one write (0 when it is not). */
    public void output(LongUnaryOperator blockedNs) {
        this.outputBlockedNs = Objects.requireNonNull(blockedNs);
    }

    public void kube(KubeHealth kube) {
        this.kube = kube;
    }

    /** Why the agent is not live, or null. */
    public synchronized String notLive() {
        long now = clock.getAsLong();
        long blocked = outputBlockedNs.applyAsLong(now);
        if (blocked >= stallNs) {
            return "event output (stdout) blocked for " + seconds(blocked) + ": nothing reads it";
        }
        LongSupplier records = recordsRead;
        if (records == null || !attached.getAsBoolean()) {
            stallSinceNs = -1;
            return null;
        }
        long backlog = backlogBytes.getAsLong();
        long read = records.getAsLong();
        if (backlog <= 0 || stallSinceNs < 0 || read != stallRecords) {
            stallSinceNs = backlog > 0 ? now : -1; // progress (or nothing to do): a stall starts over
            stallRecords = read;
            return null;
        }
        long stalled = now - stallSinceNs;
        return stalled >= stallNs ? "ring buffer reader made no progress for " + seconds(stalled) + " with "
                + backlog + " bytes waiting" : null;
    }

    /** Why the agent is not ready, or null. */
    public String notReady() {
        if (!attached.getAsBoolean()) {
            return "probes not attached yet";
        }
        KubeHealth k = kube;
        if (k == null) {
            return null;
        }
        if (!k.syncedOnce()) {
            return "kubernetes pod cache not synced " + k.states();
        }
        long down = k.disconnectedForNs(clock.getAsLong());
        if (down > kubeGraceNs) {
            return "kubernetes API server unreachable for " + seconds(down) + " " + k.states();
        }
        return null;
    }

    private static String seconds(long ns) {
        return ns / 1_000_000_000L + " s";
    }
}
