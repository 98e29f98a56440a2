package io.netwatcher.probe;

import io.netwatcher.btf.Elf;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.names.BenignDrops;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The connection and drop settings of the probes, separate .rodata variables next to
 * {@code targ_cfg}: the benign drop table ({@code targ_benign}, {@code targ_benign_n}), whether
 * benign drops are reported ({@code targ_benign_events}), whether bad checksums are reported from
 * the drop program ({@code targ_csum_at_drop}), client opens from sockops
 * ({@code targ_client_open_at_sockops}), whether TCP state transitions are reported
 * ({@code targ_state_events}), whether UDP datagrams are counted and timed ({@code targ_udp}), whether
 * ICMP rides in the TCP programs ({@code targ_icmp}), and the DNS settings ({@code targ_dns},
 * {@code targ_dns_names}, {@code targ_dns_timeout_ns}). Offsets come from the object's symbol
 * table.
 */
final class Rodata {
    private final int benign;
    private final int benignN;
    private final int benignEvents;
    private final int csumAtDrop;
    private final int clientOpenAtSockops;
    private final int stateEvents;
    private final int udp;
    private final int icmp;
    private final int dns;
    private final int dnsNames;
    private final int dnsTimeoutNs;

    private Rodata(int benign, int benignN, int benignEvents, int csumAtDrop, int clientOpenAtSockops,
                   int stateEvents, int udp, int icmp, int dns, int dnsNames, int dnsTimeoutNs) {
        this.benign = benign;
        this.benignN = benignN;
        this.benignEvents = benignEvents;
        this.csumAtDrop = csumAtDrop;
        this.clientOpenAtSockops = clientOpenAtSockops;
        this.stateEvents = stateEvents;
        this.udp = udp;
        this.icmp = icmp;
        this.dns = dns;
        this.dnsNames = dnsNames;
        this.dnsTimeoutNs = dnsTimeoutNs;
    }

    static Rodata of(byte[] object) {
        Elf elf = Elf.parse(object);
        return new Rodata(offset(elf, "targ_benign"), offset(elf, "targ_benign_n"), offset(elf, "targ_benign_events"),
                offset(elf, "targ_csum_at_drop"), offset(elf, "targ_client_open_at_sockops"),
                offset(elf, "targ_state_events"), offset(elf, "targ_udp"), offset(elf, "targ_icmp"),
                offset(elf, "targ_dns"), offset(elf, "targ_dns_names"),
                offset(elf, "targ_dns_timeout_ns"));
    }

    private static int offset(Elf elf, String variable) {
        return elf.symbolValue(variable).map(Long::intValue)
                .orElseThrow(() -> new IllegalStateException(variable + " not found in the object's symbols"));
    }

    void write(ByteBuffer ro, boolean reportBenign, List<BenignDrops.Entry> table, boolean csumFromDrops,
               boolean clientOpenFromSockops, boolean reportStates, boolean udpOn, boolean icmpOn) {
        if (table.size() > Layouts.BENIGN_MAX) {
            throw new IllegalArgumentException("benign drop table of " + table.size() + " entries, max "
                    + Layouts.BENIGN_MAX);
        }
        for (int i = 0; i < table.size(); i++) {
            BenignDrops.Entry e = table.get(i);
            int at = benign + i * Layouts.BenignDrop.SIZE;
            ro.putLong(at + Layouts.BenignDrop.LO, e.lo());
            ro.putLong(at + Layouts.BenignDrop.HI, e.hi());
            ro.putInt(at + Layouts.BenignDrop.REASON, e.reason());
        }
        ro.putInt(benignN, table.size());
        ro.put(benignEvents, (byte) (reportBenign ? 1 : 0));
        ro.put(csumAtDrop, (byte) (csumFromDrops ? 1 : 0));
        ro.put(clientOpenAtSockops, (byte) (clientOpenFromSockops ? 1 : 0));
        ro.put(stateEvents, (byte) (reportStates ? 1 : 0));
        ro.put(udp, (byte) (udpOn ? 1 : 0));
        ro.put(icmp, (byte) (icmpOn ? 1 : 0));
    }

    void writeDns(ByteBuffer ro, DnsConfig dns) {
        ro.put(this.dns, (byte) (dns.enabled() ? 1 : 0));
        ro.put(dnsNames, (byte) (dns.names() ? 1 : 0));
        ro.putLong(dnsTimeoutNs, dns.timeoutNs());
    }
}
