package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.Direction;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.TestNet;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** --http: sampled packets carry the first line of HTTP/1 requests and responses, both ways. */
class HttpCaptureIT {
    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @Test
    void requestAndStatusLinesAreCaptured() throws Exception {
        int port = 24630;
        ProbeConfig http = AgentHarness.testConfig().toBuilder().http(true).ringBufferBytes(4 << 20)
                .maxConnections(4096).build();
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(http)) {
            CountDownLatch listening = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        readHead(s.getInputStream());
                        s.getOutputStream().write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        s.getInputStream().read();
                    }
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    OutputStream out = s.getOutputStream();
                    out.write("GET /where/is/the/time HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readHead(s.getInputStream());
                }
                return null;
            }).get(20, TimeUnit.SECONDS);
            server.get(20, TimeUnit.SECONDS);

            Duration wait = Duration.ofSeconds(10);
            PacketEvent reqTx = h.await(PacketEvent.class, p -> p.direction() == Direction.TX && p.http() != null
                    && p.tuple().dport() == port, wait, "the request as sent");
            PacketEvent reqRx = h.await(PacketEvent.class, p -> p.direction() == Direction.RX && p.http() != null
                    && p.tuple().sport() == port, wait, "the request as received");
            PacketEvent respRx = h.await(PacketEvent.class, p -> p.direction() == Direction.RX && p.http() != null
                    && p.tuple().dport() == port, wait, "the response as received");
            assertEquals("GET /where/is/the/time HTTP/1.1", reqTx.http());
            assertEquals("GET /where/is/the/time HTTP/1.1", reqRx.http());
            assertEquals("HTTP/1.1 404 Not Found", respRx.http());
            List<PacketEvent> others = h.events(PacketEvent.class, p -> p.http() != null
                    && !p.http().startsWith("GET ") && !p.http().startsWith("HTTP/1.1 "));
            assertTrue(others.isEmpty(), "only HTTP/1 lines are captured: " + others);
        }
    }

    private static void readHead(InputStream in) throws Exception {
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IllegalStateException("EOF in HTTP head");
            }
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }
}
