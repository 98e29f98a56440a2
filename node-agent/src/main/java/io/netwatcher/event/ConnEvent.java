package io.netwatcher.event;

/** A connection opened, closed, or (from the agent's periodic read) updated. */
public record ConnEvent(Kind kind, long timeNs, long cookie, Tuple tuple, int oldState, ConnStats stats)
        implements Event {

    public enum Kind {
        OPEN("open"),
        UPDATE("update"),
        CLOSE("close");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    @Override
    public long cgroupId() {
        return stats.cgroupId();
    }

    @Override
    public int pid() {
        return stats.pid();
    }

    @Override
    public String comm() {
        return stats.comm();
    }

    /** From connect()/accept to this event (or to close), ms; -1 when the start was not seen. */
    public long durationMs() {
        return stats.startNs() == 0 ? -1 : Math.max(0, (timeNs - stats.startNs()) / 1_000_000);
    }
}
