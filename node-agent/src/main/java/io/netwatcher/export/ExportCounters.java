package io.netwatcher.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * Self-metrics of the OTLP exporters: exports and items (metrics, spans) that succeeded and failed,
 * as {@code netwatcher.export.batches} and {@code netwatcher.export.items} with {@code signal}
 * and {@code outcome} tags. Spans the batch processor's bounded queue had to drop are counted by
 * the SDK itself ({@code processedSpans{dropped="true"}}).
 */
public final class ExportCounters {
    private final Counter metricBatchesOk;
    private final Counter metricBatchesFailed;
    private final Counter metricsOk;
    private final Counter metricsFailed;
    private final Counter spanBatchesOk;
    private final Counter spanBatchesFailed;
    private final Counter spansOk;
    private final Counter spansFailed;

    public ExportCounters(MeterRegistry r) {
        metricBatchesOk = batches(r, "metrics", "success");
        metricBatchesFailed = batches(r, "metrics", "failure");
        metricsOk = items(r, "metrics", "success");
        metricsFailed = items(r, "metrics", "failure");
        spanBatchesOk = batches(r, "traces", "success");
        spanBatchesFailed = batches(r, "traces", "failure");
        spansOk = items(r, "traces", "success");
        spansFailed = items(r, "traces", "failure");
    }

    private static Counter batches(MeterRegistry r, String signal, String outcome) {
        return Counter.builder("netwatcher.export.batches").description("OTLP export calls, by signal and outcome")
                .tag("signal", signal).tag("outcome", outcome).register(r);
    }

    private static Counter items(MeterRegistry r, String signal, String outcome) {
        return Counter.builder("netwatcher.export.items")
                .description("Metrics or spans handed to the OTLP exporter, by signal and outcome")
                .tag("signal", signal).tag("outcome", outcome).register(r);
    }

    public double metricFailures() {
        return metricBatchesFailed.count();
    }

    public double spanFailures() {
        return spanBatchesFailed.count();
    }

    public double spansExported() {
        return spansOk.count();
    }

    private static void count(CompletableResultCode code, int n, Counter batchOk, Counter batchFailed, Counter ok,
                              Counter failed) {
        code.whenComplete(() -> {
            if (code.isSuccess()) {
                batchOk.increment();
                ok.increment(n);
            } else {
                batchFailed.increment();
                failed.increment(n);
            }
        });
    }

    MetricExporter wrap(MetricExporter e) {
        return new MetricExporter() {
            @Override
            public CompletableResultCode export(Collection<MetricData> metrics) {
                CompletableResultCode code = e.export(metrics);
                count(code, metrics.size(), metricBatchesOk, metricBatchesFailed, metricsOk, metricsFailed);
                return code;
            }

            @Override
            public CompletableResultCode flush() {
                return e.flush();
            }

            @Override
            public CompletableResultCode shutdown() {
                return e.shutdown();
            }

            @Override
            public AggregationTemporality getAggregationTemporality(InstrumentType type) {
                return e.getAggregationTemporality(type);
            }

            @Override
            public Aggregation getDefaultAggregation(InstrumentType type) {
                return e.getDefaultAggregation(type);
            }

            @Override
            public MemoryMode getMemoryMode() {
                return e.getMemoryMode();
            }

            @Override
            public String toString() {
                return "Counting(" + e + ")";
            }
        };
    }

    SpanExporter wrap(SpanExporter e) {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                CompletableResultCode code = e.export(spans);
                count(code, spans.size(), spanBatchesOk, spanBatchesFailed, spansOk, spansFailed);
                return code;
            }

            @Override
            public CompletableResultCode flush() {
                return e.flush();
            }

            @Override
            public CompletableResultCode shutdown() {
                return e.shutdown();
            }

            @Override
            public String toString() {
                return "Counting(" + e + ")";
            }
        };
    }
}
