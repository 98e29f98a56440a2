package io.netwatcher.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A Prometheus server scraping one target every second, with its data in a temporary directory. */
public final class Prometheus implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Path dir;
    private final Process process;
    private final int port;

    public Prometheus(int target) throws Exception {
        dir = Files.createTempDirectory("nw-prometheus");
        port = io.netwatcher.testing.Ports.free();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: netwatcher
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(target));
        process = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn").redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                throw new AssertionError("prometheus did not become ready: " + Files.readString(dir.resolve("log")));
            }
            Thread.sleep(200);
        }
    }

    /** Waits until Prometheus has scraped the target successfully. */
    public void awaitTargetUp() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (query("up{job=\"netwatcher\"} == 1").isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("prometheus does not scrape the agent");
            }
            Thread.sleep(250);
        }
    }

    /** The vector result of an instant query: one JSON object per series. */
public JsonNode query(String promql) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode j = JSON.readTree(r.body());
        assertEquals("success", j.path("status").asText(), promql + " -> " + r.body());
        return j.at("/data/result");
    }

    /** Values by the given label, from a vector result. */
public Map<String, Double> byLabel(String promql, String label) throws Exception {
        Map<String, Double> out = new HashMap<>();
        for (JsonNode s : query(promql)) {
            out.put(s.at("/metric/" + label).asText(), Double.parseDouble(s.at("/value/1").asText()));
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        Sh.run("rm", "-rf", dir.toString());
    }
}
