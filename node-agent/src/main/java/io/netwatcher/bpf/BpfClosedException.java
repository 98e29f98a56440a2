package io.netwatcher.bpf;

/**
 * A map, program or link was used after its {@link BpfObject} was closed (at shutdown: a late
 * poll, scrape or budget step). Thrown instead of touching freed libbpf memory or a reused fd.
 */
public final class BpfClosedException extends IllegalStateException {
    BpfClosedException(String message) {
        super(message);
    }
}
