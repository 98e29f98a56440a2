package io.netwatcher.probe;

import java.util.List;

/** How one boundary is backed on this kernel, as logged at start-up and exported as a metric. */
public record Attachment(Boundary boundary, Status status, HookKind kind, List<String> programs, String detail) {

    public enum Status {
        /** At least one program of the chosen backing is attached. */
        ATTACHED,
        /** A backing was chosen but none of its programs attached. */
        FAILED,
        /** No backing of this boundary is possible on this kernel. */
        UNAVAILABLE,
        /** Not needed with the backings chosen for other boundaries (see detail). */
        UNUSED
    }

    public boolean attached() {
        return status == Status.ATTACHED;
    }

    /** Attached, or not needed: nothing is missing. */
    public boolean ok() {
        return status == Status.ATTACHED || status == Status.UNUSED;
    }

    @Override
    public String toString() {
        return switch (status) {
            case ATTACHED -> boundary.id() + " <- " + kind.label() + " " + programs
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
            case FAILED -> boundary.id() + " FAILED via " + kind.label() + " " + programs + ": " + detail;
            case UNAVAILABLE -> boundary.id() + " UNAVAILABLE: " + detail;
            case UNUSED -> boundary.id() + " not needed: " + detail;
        };
    }
}
