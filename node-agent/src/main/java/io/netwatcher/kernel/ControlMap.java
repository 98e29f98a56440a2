package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The {@code control} map: run-time settings of the loaded probes (struct nw_control, one entry). */
public final class ControlMap {
    public static final String NAME = "control";
    private static final byte[] KEY = new byte[4];

    private final BpfMap map;

    ControlMap(BpfObject object) {
        this.map = object.map(NAME);
    }

    /** Times the layers of one packet in {@code every} from now on (1 = every packet, 0 = none). */
    public void setTimeEvery(int every) {
        ByteBuffer v = ByteBuffer.allocate(Layouts.Control.SIZE).order(ByteOrder.nativeOrder());
        v.putInt(Layouts.Control.TIME_EVERY, every);
        map.update(KEY, v.array(), 0);
    }

    /** The 1-in-N of packet timing the probes use now. */
    public int timeEvery() {
        byte[] v = new byte[map.lookupSize()];
        if (!map.lookup(KEY, v)) {
            throw new IllegalStateException("no control entry");
        }
        return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getInt(Layouts.Control.TIME_EVERY);
    }
}
