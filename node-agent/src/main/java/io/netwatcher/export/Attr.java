package io.netwatcher.export;

import io.opentelemetry.api.common.AttributeKey;
import java.util.Locale;

/**
 * Attribute keys of netwatcher's metrics and spans: the OpenTelemetry semantic-convention names
 * where they exist (k8s.*, network.*), {@code netwatcher.*} for the rest.
 */
public final class Attr {
    private Attr() {}

    public static final AttributeKey<String> K8S_NAMESPACE = AttributeKey.stringKey("k8s.namespace.name");
    public static final AttributeKey<String> K8S_POD = AttributeKey.stringKey("k8s.pod.name");
    public static final AttributeKey<String> K8S_POD_UID = AttributeKey.stringKey("k8s.pod.uid");
    public static final AttributeKey<String> K8S_CONTAINER = AttributeKey.stringKey("k8s.container.name");
    public static final AttributeKey<String> K8S_NODE = AttributeKey.stringKey("k8s.node.name");
    public static final AttributeKey<String> K8S_CLUSTER = AttributeKey.stringKey("k8s.cluster.name");

    public static final AttributeKey<String> NETWORK_IO_DIRECTION = AttributeKey.stringKey("network.io.direction");
    public static final AttributeKey<String> NETWORK_TRANSPORT = AttributeKey.stringKey("network.transport");
    public static final AttributeKey<String> NETWORK_TYPE = AttributeKey.stringKey("network.type");
    public static final AttributeKey<String> NETWORK_LOCAL_ADDRESS = AttributeKey.stringKey("network.local.address");
    public static final AttributeKey<Long> NETWORK_LOCAL_PORT = AttributeKey.longKey("network.local.port");
    public static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    public static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");

    public static final AttributeKey<String> LAYER = AttributeKey.stringKey("netwatcher.layer");
    public static final AttributeKey<String> DROP_REASON = AttributeKey.stringKey("netwatcher.drop.reason");
    public static final AttributeKey<String> RETRANSMIT_KIND = AttributeKey.stringKey("netwatcher.retransmit.kind");
    public static final AttributeKey<String> RESET_DIRECTION = AttributeKey.stringKey("netwatcher.reset.direction");
    public static final AttributeKey<String> HANDSHAKE_FAILURE = AttributeKey.stringKey("netwatcher.handshake.failure");
    public static final AttributeKey<String> ROLE = AttributeKey.stringKey("netwatcher.connection.role");
    public static final AttributeKey<String> PEER_NAMESPACE = AttributeKey.stringKey("netwatcher.peer.namespace");
    public static final AttributeKey<String> PEER_WORKLOAD = AttributeKey.stringKey("netwatcher.peer.workload");
    public static final AttributeKey<String> PEER_SERVICE = AttributeKey.stringKey("netwatcher.peer.service");
    public static final AttributeKey<String> CGROUP = AttributeKey.stringKey("netwatcher.cgroup");
    public static final AttributeKey<String> ICMP_TYPE = AttributeKey.stringKey("netwatcher.icmp.type");
    public static final AttributeKey<String> ICMP_MESSAGE = AttributeKey.stringKey("netwatcher.icmp.message");
    public static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("netwatcher.kernel.function");
    public static final AttributeKey<String> NETFILTER_HOOK = AttributeKey.stringKey("netwatcher.netfilter.hook");
    public static final AttributeKey<String> DNS_RCODE = AttributeKey.stringKey("netwatcher.dns.rcode");
    public static final AttributeKey<Boolean> OVERFLOW = AttributeKey.booleanKey("otel.metric.overflow");

    public static final AttributeKey<String> PACKET_SRC = AttributeKey.stringKey("netwatcher.packet.source");
    public static final AttributeKey<String> PACKET_DST = AttributeKey.stringKey("netwatcher.packet.destination");
    public static final AttributeKey<Long> SEQ = AttributeKey.longKey("netwatcher.tcp.seq");
    public static final AttributeKey<Long> LEN = AttributeKey.longKey("netwatcher.tcp.payload_bytes");
    public static final AttributeKey<Long> COOKIE = AttributeKey.longKey("netwatcher.socket.cookie");
    public static final AttributeKey<String> HTTP_LINE = AttributeKey.stringKey("netwatcher.http.first_line");

    /** k8s.&lt;kind&gt;.name for a workload kind: Deployment -> k8s.deployment.name. */
    public static AttributeKey<String> workload(String kind) {
        return AttributeKey.stringKey("k8s." + kind.toLowerCase(Locale.ROOT) + ".name");
    }
}
