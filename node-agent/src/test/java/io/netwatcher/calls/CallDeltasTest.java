package io.netwatcher.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.CallCountEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cumulative kernel counters become per-interval call counts; idle counters are deleted. */
class CallDeltasTest {
    private static final long S = 1_000_000_000L;

    /** A key as the kernel writes it (struct nw_call_key), decoded by the map view. */
    static CallCountMap.Key key(long cgroup, int tgid, int func, String comm) {
        ByteBuffer b = ByteBuffer.allocate(CallLayouts.Key.SIZE + 8).order(ByteOrder.nativeOrder());
        b.putLong(8 + CallLayouts.Key.CGROUP_ID, cgroup).putInt(8 + CallLayouts.Key.TGID, tgid)
                .putInt(8 + CallLayouts.Key.FUNC, func);
        b.put(8 + CallLayouts.Key.COMM, comm.getBytes(StandardCharsets.US_ASCII));
        return CallCountMap.Key.of(b, 8);
    }

    private static CallCountMap.Entry e(CallCountMap.Key k, long calls) {
        return new CallCountMap.Entry(k, calls);
    }

    @Test
    void keysDecodeAsTheKernelWroteThem() {
        CallCountMap.Key k = key(77, 1234, 1, "curl");
        assertEquals(77, k.cgroupId());
        assertEquals(1234, k.tgid());
        assertEquals(1, k.func());
        assertEquals("curl", k.comm());
        assertEquals(k, key(77, 1234, 1, "curl"), "equal keys for one counter");
    }

    @Test
    void eachIntervalReportsTheGrowthAndTheTotal() {
        CallDeltas d = new CallDeltas(List.of("skb_clone", "tcp_sendmsg"), 0);
        CallCountMap.Key curl = key(5, 100, 1, "curl");
        CallCountMap.Key clone = key(5, 100, 0, "curl");
        List<CallCountMap.Key> deleted = new ArrayList<>();
        List<CallCountEvent> first = d.next(List.of(e(curl, 3), e(clone, 10)), 1 * S, deleted::add);
        assertEquals(List.of(new CallCountEvent(S, S, 5, 100, "curl", "tcp_sendmsg", 3, 3),
                new CallCountEvent(S, S, 5, 100, "curl", "skb_clone", 10, 10)), first);
        List<CallCountEvent> second = d.next(List.of(e(curl, 8), e(clone, 10)), 3 * S, deleted::add);
        assertEquals(List.of(new CallCountEvent(3 * S, 2 * S, 5, 100, "curl", "tcp_sendmsg", 5, 8)), second,
                "only what grew, over the interval since the last read");
        assertTrue(deleted.isEmpty());
    }

    @Test
    void aCounterIdleForThreeReadsIsDeletedAndCountsAgainFromZero() {
        CallDeltas d = new CallDeltas(List.of("tcp_sendmsg"), 0);
        CallCountMap.Key k = key(5, 100, 0, "curl");
        List<CallCountMap.Key> deleted = new ArrayList<>();
        d.next(List.of(e(k, 4)), S, deleted::add);
        for (int i = 2; i <= 1 + CallDeltas.IDLE_READS; i++) {
            assertEquals(List.of(), d.next(List.of(e(k, 4)), i * S, deleted::add));
        }
        assertEquals(List.of(k), deleted, "deleted after " + CallDeltas.IDLE_READS + " reads without calls");
        assertEquals(0, d.size());
        List<CallCountEvent> again = d.next(List.of(e(k, 2)), 10 * S, deleted::add);
        assertEquals(1, again.size());
        assertEquals(2, again.get(0).count(), "the kernel's new counter starts from zero");
        assertEquals(2, again.get(0).total());
    }

    @Test
    void countersGoneFromTheMapAreForgottenAndUnknownCookiesIgnored() {
        CallDeltas d = new CallDeltas(List.of("tcp_sendmsg"), 0);
        d.next(List.of(e(key(5, 100, 0, "a"), 1), e(key(5, 101, 0, "b"), 1), e(key(5, 102, 7, "c"), 9)), S, k -> { });
        assertEquals(2, d.size(), "cookie 7 is no function of this agent");
        d.next(List.of(e(key(5, 100, 0, "a"), 2)), 2 * S, k -> { });
        assertEquals(1, d.size());
    }
}
