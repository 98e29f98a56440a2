package io.netwatcher.output;

/**
 * A small, allocation-light JSON object writer for event lines. Fields are written in call
 * order; strings are escaped per RFC 8259.
 */
public final class Json {
    private final StringBuilder sb;
    private boolean first = true;

    private Json(StringBuilder sb) {
        this.sb = sb;
    }

    /** Starts an object in {@code sb}. */
    public static Json object(StringBuilder sb) {
        sb.append('{');
        return new Json(sb);
    }

    private StringBuilder key(String name) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        sb.append('"').append(name).append("\":");
        return sb;
    }

    public Json field(String name, String value) {
        if (value == null) {
            key(name).append("null");
        } else {
            quote(key(name), value);
        }
        return this;
    }

    public Json field(String name, long value) {
        key(name).append(value);
        return this;
    }

    public Json field(String name, boolean value) {
        key(name).append(value);
        return this;
    }

    /** A decimal number with three fractional digits (microseconds from nanoseconds). */
    public Json micros(String name, long nanos) {
        key(name);
        appendMicros(sb, nanos);
        return this;
    }

    public Json nullField(String name) {
        key(name).append("null");
        return this;
    }

    /** Starts a nested object; close it with {@link #end()}. */
    public Json object(String name) {
        key(name).append('{');
        return new Json(sb);
    }

    /** Ends this object. */
    public void end() {
        sb.append('}');
    }

    static void appendMicros(StringBuilder sb, long nanos) {
        if (nanos < 0) {
            sb.append('-');
            nanos = -nanos;
        }
        sb.append(nanos / 1000).append('.');
        long frac = nanos % 1000;
        if (frac < 100) {
            sb.append('0');
        }
        if (frac < 10) {
            sb.append('0');
        }
        sb.append(frac);
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        int n = s.length();
        int plain = 0;
        while (plain < n) { // the usual case: nothing to escape, one bulk append
            char c = s.charAt(plain);
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F) {
                break;
            }
            plain++;
        }
        if (plain == n) {
            sb.append(s).append('"');
            return;
        }
        sb.append(s, 0, plain);
        for (int i = plain; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
