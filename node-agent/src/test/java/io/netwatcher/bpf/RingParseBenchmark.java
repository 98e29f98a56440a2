package io.netwatcher.bpf;

import io.netwatcher.event.Event;
import io.netwatcher.kernel.EventDecoder;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.kernel.RecordType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The agent's per-record cost in Java: walking the mmap'd ring (acquire/release positions, header
 * bits) and decoding each record into an event, one thread. The ring holds packet records as the
 * kernel writes them (a mix of RX and TX, IPv4 and IPv6), refilled before every invocation.
 *
 * <pre>bench/ring-parse.sh</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RingParseBenchmark {
    static final int RECORDS = 16_384;

    private TestRing ring;
    private RingBuffer reader;
    private final EventDecoder decoder = new EventDecoder();
    private byte[][] records;

    @Setup(Level.Trial)
    public void records() {
        records = new byte[64][];
        for (int i = 0; i < records.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(Layouts.PacketEvent.SIZE).order(ByteOrder.nativeOrder());
            b.putShort(Layouts.EventHdr.TYPE, (short) RecordType.PACKET.value());
            b.putInt(Layouts.EventHdr.PID, 1000 + i % 4);
            b.putLong(Layouts.EventHdr.TS_NS, 1_000_000L * i);
            b.putLong(Layouts.EventHdr.COOKIE, i);
            b.putShort(Layouts.EventHdr.T + Layouts.Tuple.FAMILY, (short) (i % 2 == 0 ? 2 : 10));
            b.put(Layouts.EventHdr.T + Layouts.Tuple.SADDR + 15, (byte) i);
            b.putShort(Layouts.EventHdr.T + Layouts.Tuple.SPORT, (short) 5201);
            b.putInt(Layouts.PacketEvent.SEQ, i * 1448);
            b.putInt(Layouts.PacketEvent.LEN, 1448);
            b.put(Layouts.PacketEvent.DIRECTION, (byte) (i % 3 == 0 ? 1 : 0));
            for (int s = 0; s < 5; s++) {
                b.putLong(Layouts.PacketEvent.STAMPS + 8 * s, 1_000_000L * i + 1000L * s);
            }
            b.put(Layouts.PacketEvent.COMM, ("proc" + (i % 4)).getBytes());
            records[i] = b.array();
        }
        ring = new TestRing(8 << 20);
    }

    @Setup(Level.Invocation)
    public void fill() {
        ring = new TestRing(8 << 20);
        reader = ring.reader();
        for (int i = 0; i < RECORDS; i++) {
            ring.append(records[i & 63], false, false);
        }
    }

    /** Records per second read and decoded. */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public int consumeAndDecode(Blackhole bh) {
        return reader.consume((buf, off, len) -> {
            Event e = decoder.decode(buf, off, len);
            bh.consume(e);
        });
    }

    /** Records per second walked without decoding (the ring protocol alone). */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public int consumeOnly(Blackhole bh) {
        return reader.consume((buf, off, len) -> bh.consume(buf.getLong(off + Layouts.EventHdr.TS_NS)));
    }
}
