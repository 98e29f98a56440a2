package io.netwatcher.export;

import io.micrometer.core.instrument.Clock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netwatcher.agent.Agent;
import io.netwatcher.config.ExportConfig;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.names.DropReasons;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the agent exports, wired together: the HTTP endpoint (bound first, so liveness
 * answers while the probes load), self-metrics, and once the agent runs the OpenTelemetry SDK with
 * the kernel metrics, the event metrics and the traces.
 */
public final class Export implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Export.class);
    /** Labels of a pod that went away stay this long before its series end. */
    static final long GONE_GRACE_NS = 300_000_000_000L;

    private final ExportConfig config;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusMeterRegistry meters;
    private final SelfMetrics self;
    private final HttpEndpoint http;
    private final Health health;
    private Telemetry telemetry;
    private volatile ReleasableSource kernelSource;

    /** Binds the HTTP endpoint (unless the port is 0); throws when the port cannot be bound. */
    public Export(ExportConfig config) throws IOException {
        this.config = config;
        this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, registry, Clock.SYSTEM);
        this.self = new SelfMetrics(meters);
        this.health = new Health(config.livenessTimeoutMs() * 1_000_000L, Health.DEFAULT_KUBE_GRACE_NS,
                System::nanoTime);
        if (config.metricsPort() == 0) {
            http = null;
        } else {
            try {
                http = new HttpEndpoint(config.metricsAddress(), config.metricsPort(), registry, health::notLive,
                        health::notReady);
            } catch (IOException e) {
                self.close();
                meters.close();
                throw new IOException("cannot serve metrics on " + config.metricsAddress() + ":"
                        + config.metricsPort() + " (--metrics-port, --metrics-address): " + e.getMessage(), e);
            }
            LOG.info("serving /metrics, /healthz, /readyz on {}:{}", config.metricsAddress(), http.port());
        }
    }

    /** The endpoint's port (the bound one), or 0 without endpoint. */
    public int port() {
        return http == null ? 0 : http.port();
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** Watches the Kubernetes caches (readiness waits for them to sync). */
    public void kubernetes(KubeContext kube) {
        health.kube(kube.health());
        SelfMetrics.bindKube(meters, kube);
    }

    /** The event output's blocked time (liveness fails when nothing reads stdout). */
    public void output(LongUnaryOperator blockedNs) {
        health.output(blockedNs);
    }

    /**
     * Starts the SDK for a running agent and subscribes the event metrics and traces to it. Events
     * and cgroups are labelled by the agent's identity resolver.
     *
     * @param resource the agent's resource attributes (node, host, version)
     */
    public synchronized void start(Agent agent, DropReasons reasons, String version, Resource resource) {
        MonotonicClock clock = agent.clock();
        WhoAttributes attributes = new WhoAttributes();
        SelfMetrics.bindAgent(meters, agent.stats(), agent.probes());
        SelfMetrics.bindCost(meters, agent, agent.stats());
        SelfMetrics.bindAnomalies(meters, agent.anomalies());
        agent.calls().ifPresent(c -> SelfMetrics.bindCalls(meters, c));
        ExportCounters counters = new ExportCounters(meters);
        kernelSource = new ReleasableSource(new MapSource(agent.maps()));
        KernelMetrics kernel = KernelMetrics.builder().source(kernelSource).identity(agent.identity())
                .attributes(attributes).reasons(reasons).maxSeries(config.maxSeries()).version(version)
                .clock(() -> clock.toEpochNs(clock.nowMonoNs())).goneGraceNs(GONE_GRACE_NS).build();
        telemetry = Telemetry.start(config, resource, kernel, registry, counters);
        agent.addListener(new EventMetrics(telemetry.meter(version), attributes));
        if (telemetry.tracing()) {
            agent.addListener(new Tracing(telemetry.tracer(version), attributes, clock));
        }
        LOG.info("OpenTelemetry: metrics exporter {}, traces exporter {}", telemetry.metricsExporter(),
                telemetry.tracesExporter());
        // A boundary that failed to attach does not make the agent unready (the rest works; the
        // failure is logged and in netwatcher_boundary_attached).
        health.reader(agent::isRunning, () -> agent.stats().recordsRead(), agent::ringBacklogBytes);
    }

    /**
     * Stops reading the kernel maps (an export still running then sees no kernel aggregates). Call
     * before the probes are closed.
     */
    public void releaseKernel() {
        ReleasableSource k = kernelSource;
        if (k != null) {
            k.release();
        }
    }

    /** What /healthz and /readyz say. */
    public Health health() {
        return health;
    }

    /** As {@link #close(long)} with 5 s. */
    @Override
    public void close() {
        close(5000);
    }

    /**
     * Exports what is pending (final metric values, queued spans) and stops the SDK, waiting for a
     * collector at most {@code timeoutMs} in all. Call before the probes are closed: the last
     * collection reads the kernel maps.
     */
    public synchronized void close(long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        if (http != null) {
            http.close(); // up to 1 s for a /metrics rendering in progress
        }
        if (telemetry != null) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            telemetry.flush(left * 3 / 5);
            telemetry.close(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            telemetry = null;
        }
        self.close();
        meters.close();
    }
}
