package io.netwatcher.kernel;

/**
 * Byte offsets of the records shared with the BPF programs, mirrored from bpf/netwatcher.h.
 * Each nested class names its C struct in {@code STRUCT}; every other constant is a member
 * offset named after the member in upper case, and {@code SIZE} is sizeof. LayoutTest checks
 * all of them against the compiled object's BTF, so the two can never drift (the C enums are
 * mirrored as Java enums and checked the same way: EnumLayoutTest). Only this package (the
 * maps and records) and the probe package (the load-time settings) use these offsets.
 */
public final class Layouts {
    private Layouts() {}

    public static final int COMM_LEN = 16;
    /** NW_HIST_SLOTS: the event model's LayerHistogram.SLOTS (LayoutTest checks both). */
    public static final int HIST_SLOTS = 32;
    /** NW_MAX_STAMPS: the event model's PacketEvent.STAMPS (LayoutTest checks both). */
    public static final int MAX_STAMPS = 5;
    public static final int HTTP_LEN = 64;
    public static final int HIST_LAYERS = 5;
    public static final int BENIGN_MAX = 8;
    /** NW_PORTS_MAX: the event model's SocketFilter.MAX_PORTS (LayoutTest checks both). */
    public static final int PORTS_MAX = 8;
    /** NW_DNS_NAME_LEN: bytes of a query name in wire format. */
    public static final int DNS_NAME_LEN = 256;
    /** struct nw_hist without its slots: count and sum_ns. */
    static final int SIZE_OF_HIST_FIXED = 16;

    public static final class Tuple {
        public static final String STRUCT = "nw_tuple";
        public static final int SIZE = 40;
        public static final int SADDR = 0;
        public static final int DADDR = 16;
        public static final int SPORT = 32;
        public static final int DPORT = 34;
        public static final int FAMILY = 36;

        private Tuple() {}
    }

    public static final class EventHdr {
        public static final String STRUCT = "nw_event_hdr";
        public static final int SIZE = 72;
        public static final int TYPE = 0;
        public static final int FLAGS = 2;
        public static final int PID = 4;
        public static final int TS_NS = 8;
        public static final int COOKIE = 16;
        public static final int CGROUP_ID = 24;
        public static final int T = 32;

        private EventHdr() {}
    }

    public static final class PacketEvent {
        public static final String STRUCT = "nw_packet_event";
        public static final int SIZE = 208;
        public static final int H = 0;
        public static final int SEQ = 72;
        public static final int ACK = 76;
        public static final int LEN = 80;
        public static final int DIRECTION = 84;
        public static final int HTTP_LEN = 85;
        public static final int PROTOCOL = 86;
        public static final int STAMPS = 88;
        public static final int COMM = 128;
        public static final int HTTP = 144;

        private PacketEvent() {}
    }

    public static final class Conn {
        public static final String STRUCT = "nw_conn";
        public static final int SIZE = 192;
        public static final int START_NS = 0;
        public static final int UPDATE_NS = 8;
        public static final int CGROUP_ID = 16;
        public static final int BYTES_ACKED = 24;
        public static final int BYTES_RECEIVED = 32;
        public static final int BYTES_RETRANS = 40;
        public static final int SEGS_OUT = 48;
        public static final int SRTT_US = 56;
        public static final int RTTVAR_US = 60;
        public static final int CWND = 64;
        public static final int SSTHRESH = 68;
        public static final int RWND = 72;
        public static final int SND_WND = 76;
        public static final int TOTAL_RETRANS = 80;
        public static final int FAST_RETRANS = 84;
        public static final int TIMEOUT_RETRANS = 88;
        public static final int OTHER_RETRANS = 92;
        public static final int BACKLOG = 96;
        public static final int MAX_BACKLOG = 100;
        public static final int SNDBUF = 104;
        public static final int WMEM_QUEUED = 108;
        public static final int RCVBUF = 112;
        public static final int RESETS = 116;
        public static final int PID = 120;
        public static final int UID = 124;
        public static final int COMM = 128;
        public static final int T = 144;
        public static final int NETNS = 184;
        public static final int ROLE = 188;
        public static final int STATE = 189;
        public static final int ESTABLISHED = 190;
        public static final int CLOSING = 191;

        private Conn() {}
    }

    public static final class ConnEvent {
        public static final String STRUCT = "nw_conn_event";
        public static final int SIZE = 272;
        public static final int H = 0;
        public static final int EVENT = 72;
        public static final int OLDSTATE = 73;
        public static final int C = 80;

        private ConnEvent() {}
    }

    public static final class ErrorEvent {
        public static final String STRUCT = "nw_error_event";
        public static final int SIZE = 128;
        public static final int H = 0;
        public static final int DETAIL = 72;
        public static final int STATE = 76;
        public static final int SEQ = 80;
        public static final int EXTRA = 84;
        public static final int LOCATION = 88;
        public static final int COMM = 96;
        public static final int ACK = 112;
        public static final int LEN = 116;
        public static final int TCP_FLAGS = 120;

        private ErrorEvent() {}
    }

    public static final class StateEvent {
        public static final String STRUCT = "nw_state_event";
        public static final int SIZE = 104;
        public static final int H = 0;
        public static final int DURATION_NS = 72;
        public static final int OLDSTATE = 80;
        public static final int NEWSTATE = 81;
        public static final int FAILURE = 82;
        public static final int SK_ERR = 84;
        public static final int COMM = 88;

        private StateEvent() {}
    }

    public static final class IcmpEvent {
        public static final String STRUCT = "nw_icmp_event";
        public static final int SIZE = 136;
        public static final int H = 0;
        public static final int LATENCY_NS = 72;
        public static final int NETNS = 80;
        public static final int CPU = 84;
        public static final int TASK_PID = 88;
        public static final int TASK_TGID = 92;
        public static final int ID = 96;
        public static final int SEQ = 98;
        public static final int SIDE = 100;
        public static final int TASK_COMM = 104;
        public static final int COMM = 120;

        private IcmpEvent() {}
    }

    public static final class DnsEvent {
        public static final String STRUCT = "nw_dns_event";
        public static final int SIZE = 368;
        public static final int H = 0;
        public static final int LATENCY_NS = 72;
        public static final int ID = 80;
        public static final int QTYPE = 82;
        public static final int ANCOUNT = 84;
        public static final int NAME_LEN = 86;
        public static final int RCODE = 88;
        public static final int OUTCOME = 89;
        public static final int PROTOCOL = 90;
        public static final int COMM = 96;
        public static final int NAME = 112;

        private DnsEvent() {}
    }

    /** One entry of the benign drop table (rodata targ_benign[BENIGN_MAX]). */
    public static final class BenignDrop {
        public static final String STRUCT = "nw_benign_drop";
        public static final int SIZE = 24;
        public static final int LO = 0;
        public static final int HI = 8;
        public static final int REASON = 16;

        private BenignDrop() {}
    }

    public static final class HistKey {
        public static final String STRUCT = "nw_hist_key";
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int DIRECTION = 8;
        public static final int PROTOCOL = 9;

        private HistKey() {}
    }

    /** Key of the netfilter hook-time histograms (nf_hists). */
    public static final class NfKey {
        public static final String STRUCT = "nw_nf_key";
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int NETNS = 8;
        public static final int FAMILY = 12;
        public static final int HOOK = 13;

        private NfKey() {}
    }

    /** All layers of one cgroup and direction: HIST_LAYERS struct nw_hist, indexed by layer. */
    public static final class Hists {
        public static final String STRUCT = "nw_hists";
        public static final int SIZE = 1360;
        public static final int LAYER = 0;

        private Hists() {}
    }

    public static final class Hist {
        public static final String STRUCT = "nw_hist";
        public static final int SIZE = 272;
        public static final int COUNT = 0;
        public static final int SUM_NS = 8;
        public static final int SLOTS = 16;

        private Hist() {}
    }

    public static final class CounterKey {
        public static final String STRUCT = "nw_counter_key";
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int KIND = 8;
        public static final int DETAIL = 12;

        private CounterKey() {}
    }

    public static final class ConnectKey {
        public static final String STRUCT = "nw_connect_key";
        public static final int SIZE = 48;
        public static final int CGROUP_ID = 0;
        public static final int T = 8;

        private ConnectKey() {}
    }

    public static final class IcmpKey {
        public static final String STRUCT = "nw_icmp_key";
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int NETNS = 8;
        public static final int KIND = 12;
        public static final int FAMILY = 13;
        public static final int TYPE = 14;
        public static final int CODE = 15;

        private IcmpKey() {}
    }

    public static final class DnsKey {
        public static final String STRUCT = "nw_dns_key";
        public static final int SIZE = 16;
        public static final int CGROUP_ID = 0;
        public static final int KIND = 8;
        public static final int RCODE = 9;
        public static final int PROTOCOL = 10;
        public static final int FAMILY = 11;

        private DnsKey() {}
    }

    /** Run-time control, the value of the {@code control} map. */
    public static final class Control {
        public static final String STRUCT = "nw_control";
        public static final int SIZE = 8;
        public static final int TIME_EVERY = 0;

        private Control() {}
    }

    public static final class Config {
        public static final String STRUCT = "nw_config";
        public static final int SIZE = 64;
        public static final int SAMPLE_EVERY = 0;
        public static final int MAX_EVENTS_PER_SEC = 4;
        public static final int MAX_ERRORS_PER_SEC = 8;
        public static final int FILTER_UID = 12;
        public static final int FILTER_SPORT = 16;
        public static final int FILTER_DPORT = 32;
        public static final int HTTP = 48;
        public static final int CONN_SNAPSHOT = 49;
        public static final int RX_PARK_AT_TCP = 50;
        public static final int SNAPSHOT_NS = 56;

        private Config() {}
    }
}
