package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reader of a BPF ring buffer map through mmap, with no native call per record.
 *
 * <p>Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (mapped read-write); page 1 holds
 * producer_pos; the data area follows. The kernel allows mapping the data area twice in a row so
 * that a record that wraps is contiguous, but every page of such a mapping counts twice in the
 * agent's resident memory (8 MiB more with the default 8 MiB ring); it is mapped once here and
 * the rare record that wraps is copied into a scratch buffer. Each record starts with an 8-byte header: u32 length with BUSY (1&lt;&lt;31) and DISCARD
 * (1&lt;&lt;30) bits, then u32 page offset; records are 8-byte aligned. Positions are read with
 * acquire and consumer_pos written with release semantics. Waiting is an epoll on the map fd.
 *
 * <p>Not thread-safe: one thread consumes.
 */
public final class RingBuffer implements AutoCloseable {
    static final int BUSY = 1 << 31;
    static final int DISCARD = 1 << 30;
    static final int HDR = 8;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    /** Receives one record: {@code length} bytes at {@code offset} of {@code data}. */
    @FunctionalInterface
    public interface Handler {
        void onRecord(ByteBuffer data, int offset, int length);
    }

    private final String name;
    private final int pageSize;
    private final long size;
    private final long mask;
    private final Pointer consumerMap;
    private final Pointer producerMap;
    private final ByteBuffer consumer;
    private final ByteBuffer producer;
    private final ByteBuffer data;
    private final int epfd;
    /** Where a record that wraps around the end of the data area is joined (grown on demand). */
    private ByteBuffer scratch = ByteBuffer.allocate(0);
    private final Memory epollEvents = new Memory(16 * 4);
    private long consumerPos;
    private boolean closed;
    private volatile long wakeups;
    private volatile long timeouts;

    /**
     * A ring over memory the caller provides (tests and benchmarks): {@code consumer} and
     * {@code producer} hold the positions at offset 0; {@code data} is the data area of
     * {@code size} bytes. No epoll: use {@link #consume}.
     */
    RingBuffer(ByteBuffer consumer, ByteBuffer producer, ByteBuffer data, long size) {
        if (Long.bitCount(size) != 1 || size < 8 || data.capacity() < size) {
            throw new IllegalArgumentException("size must be a power of two (at least 8) and data that large");
        }
        this.name = "memory";
        this.pageSize = 0;
        this.size = size;
        this.mask = size - 1;
        this.consumerMap = null;
        this.producerMap = null;
        this.consumer = consumer.order(ByteOrder.nativeOrder());
        this.producer = producer.order(ByteOrder.nativeOrder());
        this.data = data.order(ByteOrder.nativeOrder());
        this.consumerPos = (long) LONGS.getAcquire(this.consumer, 0);
        this.epfd = -1;
    }

    /** Maps the ring buffer {@code map} (type BPF_MAP_TYPE_RINGBUF) of a loaded object. */
    public RingBuffer(BpfMap map) {
        if (map.type() != BpfMap.TYPE_RINGBUF) {
            throw new IllegalArgumentException(map.name() + " is not a ring buffer (type " + map.type() + ")");
        }
        this.name = map.name();
        int fd = map.fd();
        this.pageSize = Libc.getpagesize();
        this.size = map.maxEntries() & 0xFFFFFFFFL;
        this.mask = size - 1;
        Pointer c = Libc.mmap(null, pageSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (Pointer.nativeValue(c) == Libc.MAP_FAILED) {
            throw BpfException.errno("mmap(" + name + " consumer)", Native.getLastError());
        }
        Pointer p = Libc.mmap(null, pageSize + size, Libc.PROT_READ, Libc.MAP_SHARED, fd, pageSize);
        if (Pointer.nativeValue(p) == Libc.MAP_FAILED) {
            int errno = Native.getLastError();
            Libc.munmap(c, pageSize);
            throw BpfException.errno("mmap(" + name + " producer)", errno);
        }
        this.consumerMap = c;
        this.producerMap = p;
        this.consumer = c.getByteBuffer(0, pageSize).order(ByteOrder.nativeOrder());
        this.producer = p.getByteBuffer(0, pageSize).order(ByteOrder.nativeOrder());
        this.data = p.getByteBuffer(pageSize, size).order(ByteOrder.nativeOrder());
        this.consumerPos = (long) LONGS.getAcquire(consumer, 0);

        int ep = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (ep < 0) {
            int errno = Native.getLastError();
            unmap();
            throw BpfException.errno("epoll_create1", errno);
        }
        Memory ev = new Memory(12);
        ev.clear();
        ev.setInt(0, Libc.EPOLLIN);
        if (Libc.epoll_ctl(ep, Libc.EPOLL_CTL_ADD, fd, ev) != 0) {
            int errno = Native.getLastError();
            Libc.close(ep);
            unmap();
            throw BpfException.errno("epoll_ctl(" + name + ")", errno);
        }
        this.epfd = ep;
    }

    /** Times the kernel woke the reader (the ring filled past its mark). */
    public long wakeups() {
        return wakeups;
    }

    /** Times the reader woke on its own timer. */
    public long timeouts() {
        return timeouts;
    }

    /** Size of the data area in bytes. */
    public long size() {
        return size;
    }

    /**
     * Bytes written by the kernel and not yet consumed. Safe from any thread: it reads both
     * positions from the shared pages.
     */
    public long pending() {
        return (long) LONGS.getAcquire(producer, 0) - (long) LONGS.getAcquire(consumer, 0);
    }

    /**
     * Waits up to {@code timeoutMs} for data (0 = do not wait), then consumes everything
     * available. Returns the number of records handed to {@code handler}.
     */
    public int poll(int timeoutMs, Handler handler) {
        int n = consume(handler);
        if (n > 0 || timeoutMs == 0 || epfd < 0) {
            return n;
        }
        int ret = Libc.epoll_wait(epfd, epollEvents, 4, timeoutMs);
        if (ret < 0) {
            int errno = Native.getLastError();
            if (errno != Libc.EINTR) {
                throw BpfException.errno("epoll_wait(" + name + ")", errno);
            }
        } else if (ret > 0) {
            wakeups++; // single writer: the consuming thread
        } else {
            timeouts++;
        }
        return consume(handler);
    }

    /** Consumes every committed record. Returns how many were handed to {@code handler}. */
    public int consume(Handler handler) {
        int records = 0;
        long cons = consumerPos;
        long prod = (long) LONGS.getAcquire(producer, 0);
        while (cons < prod) {
            int off = (int) (cons & mask);
            int hdr = (int) INTS.getAcquire(data, off);
            if ((hdr & BUSY) != 0) {
                break; // reserved, not yet committed: stop here, in order
            }
            int len = hdr & ~(BUSY | DISCARD);
            if ((hdr & DISCARD) == 0) {
                // The header never wraps (8-byte aligned positions, a data area of whole pages).
                if (off + HDR + len <= size) {
                    handler.onRecord(data, off + HDR, len);
                } else {
                    handler.onRecord(joined(off + HDR, len), 0, len);
                }
                records++;
            }
            cons += (len + HDR + 7) & ~7L;
            if (cons >= prod) {
                prod = (long) LONGS.getAcquire(producer, 0);
            }
        }
        if (cons != consumerPos) {
            consumerPos = cons;
            LONGS.setRelease(consumer, 0, cons);
        }
        return records;
    }

    /** A record that runs past the end of the data area, copied in one piece. */
    private ByteBuffer joined(int from, int len) {
        if (scratch.capacity() < len) {
            scratch = ByteBuffer.allocate(Math.max(len, 2 * scratch.capacity())).order(ByteOrder.nativeOrder());
        }
        int first = (int) Math.min(len, size - from);
        scratch.put(0, data, from, first);
        scratch.put(first, data, 0, len - first);
        return scratch;
    }

    private void unmap() {
        if (consumerMap != null) {
            Libc.munmap(consumerMap, pageSize);
            Libc.munmap(producerMap, pageSize + size);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (epfd >= 0) {
                Libc.close(epfd);
            }
            unmap();
        }
    }
}
