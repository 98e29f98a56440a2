package io.netwatcher.testing;

import java.io.IOException;
import java.net.ServerSocket;

/** Loopback ports for test servers. */
public final class Ports {
    private Ports() {}

    /** A port that was free a moment ago (the kernel's next ephemeral one). */
    public static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
