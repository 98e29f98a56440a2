package io.netwatcher.bpf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RingBufferTest {
    private static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    private static List<byte[]> drain(RingBuffer r) {
        List<byte[]> out = new ArrayList<>();
        r.consume((buf, off, len) -> {
            byte[] b = new byte[len];
            buf.get(off, b);
            out.add(b);
        });
        return out;
    }

    @Test
    void readsCommittedRecordsInOrderAndSkipsDiscarded() {
        TestRing ring = new TestRing(4096);
        RingBuffer r = ring.reader();
        ring.append(payload(13, 1), false, false);
        ring.append(payload(72, 2), true, false);
        ring.append(payload(8, 3), false, false);
        List<byte[]> got = drain(r);
        assertEquals(2, got.size());
        assertArrayEquals(payload(13, 1), got.get(0));
        assertArrayEquals(payload(8, 3), got.get(1));
        assertEquals(24 + 80 + 16, ring.consumerPos(), "consumer position covers all three, 8-byte aligned");
    }

    @Test
    void stopsAtABusyRecordAndResumesOnceCommitted() {
        TestRing ring = new TestRing(4096);
        RingBuffer r = ring.reader();
        ring.append(payload(16, 1), false, false);
        long busy = ring.append(payload(24, 2), false, true);
        ring.append(payload(8, 3), false, false);
        assertEquals(1, drain(r).size(), "the busy record blocks the ones after it");
        assertEquals(24, ring.consumerPos());
        ring.commit(busy, 24);
        List<byte[]> got = drain(r);
        assertEquals(2, got.size());
        assertArrayEquals(payload(24, 2), got.get(0));
        assertEquals(0, r.pending());
    }

    @Test
    void aRecordThatWrapsAroundIsJoinedAndTheNextOneReadInPlace() {
        TestRing ring = new TestRing(256);
        RingBuffer r = ring.reader();
        ring.append(payload(200, 1), false, false); // 208 bytes: the next record starts at 208
        assertEquals(1, drain(r).size());
        ring.append(payload(100, 2), false, false); // header at 208, payload 216..316 wraps to 0..60
        ring.append(payload(20, 3), false, false); // at 320 & 255 = 64, payload at 72: in place
        List<Integer> offsets = new ArrayList<>();
        List<byte[]> got = new ArrayList<>();
        r.consume((buf, off, len) -> {
            byte[] b = new byte[len];
            buf.get(off, b);
            got.add(b);
            offsets.add(buf == ring.data ? off : -1);
        });
        assertEquals(2, got.size());
        assertArrayEquals(payload(100, 2), got.get(0), "the wrapped record, copied in one piece");
        assertArrayEquals(payload(20, 3), got.get(1));
        assertEquals(List.of(-1, 72), offsets, "only the wrapped record is copied");
        assertEquals(0, r.pending());
    }

    @Test
    void aRecordThatWrapsAroundIsContiguous() {
        TestRing ring = new TestRing(256);
        RingBuffer r = ring.reader();
        for (int i = 0; i < 5; i++) {
            ring.append(payload(40, i), false, false); // 48 bytes each: the 6th wraps
        }
        assertEquals(5, drain(r).size());
        ring.append(payload(40, 9), false, false);
        List<byte[]> got = drain(r);
        assertEquals(1, got.size());
        assertArrayEquals(payload(40, 9), got.get(0));
    }
}
