package io.netwatcher.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo (not a fixed path:
 * /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid v1/v2 hosts, elsewhere in
 * containers).
 */
public final class Cgroup2Mount {
    public static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private Cgroup2Mount() {}

    public static Optional<Path> find() {
        try {
            return parse(Files.readAllLines(MOUNTINFO));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The mount point of the first cgroup2 mount of the whole hierarchy (root "/"), else of any cgroup2 mount. */
    public static Optional<Path> parse(List<String> mountinfo) {
        Path any = null;
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (dash < 0 || dash + 1 >= f.length || !f[dash + 1].equals("cgroup2")) {
                continue;
            }
            Path mount = Path.of(unescape(f[4]));
            if (unescape(f[3]).equals("/")) {
                return Optional.of(mount);
            }
            if (any == null) {
                any = mount;
            }
        }
        return Optional.ofNullable(any);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape: keep the backslash
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
