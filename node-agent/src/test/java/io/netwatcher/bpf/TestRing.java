package io.netwatcher.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A ring buffer in plain memory laid out as the kernel's: records are written the way
 * bpf_ringbuf_reserve/submit writes them (8-byte header, 8-byte aligned, wrapping at the end).
 */
public final class TestRing {
    public final ByteBuffer consumer = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
    public final ByteBuffer producer = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
    public final ByteBuffer data;
    public final long size;
    private long prod;

    public TestRing(int size) {
        this.size = size;
        this.data = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    public RingBuffer reader() {
        return new RingBuffer(consumer, producer, data, size);
    }

    /** Writes a committed record (or a discarded / still busy one) and publishes it. */
    public long append(byte[] payload, boolean discard, boolean busy) {
        long pos = prod;
        int len = payload.length;
        int hdr = len | (discard ? RingBuffer.DISCARD : 0) | (busy ? RingBuffer.BUSY : 0);
        for (int i = 0; i < 8 + len; i++) {
            byte b = i < 8 ? headerByte(hdr, i) : payload[i - 8];
            int off = (int) ((pos + i) & (size - 1));
            data.put(off, b);
        }
        prod = pos + ((len + 8 + 7) & ~7L);
        producer.putLong(0, prod);
        return pos;
    }

    public void commit(long pos, int len) {
        int off = (int) (pos & (size - 1));
        data.putInt(off, len);
    }

    public long consumerPos() {
        return consumer.getLong(0);
    }

    private static byte headerByte(int hdr, int i) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(0, hdr);
        return b.get(i);
    }
}
