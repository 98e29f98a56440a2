package io.netwatcher.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command and returns its output; failures throw with the command's stderr. */
public final class Sh {
    private Sh() {}

    public record Result(int status, String out, String err) {
    }

    public static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + Arrays.toString(cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs and requires exit status 0; returns stdout. */
    public static String ok(String... cmd) {
        Result r = run(cmd);
        if (r.status() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " -> exit " + r.status() + ": " + r.err().strip());
        }
        return r.out();
    }

    public static String ok(List<String> cmd) {
        return ok(cmd.toArray(String[]::new));
    }

    public static boolean which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new java.io.File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    public static List<String> list(String... parts) {
        return new ArrayList<>(Arrays.asList(parts));
    }
}
