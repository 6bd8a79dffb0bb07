package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Presets equal memberlist's Default{LAN,WAN,Local}Config; build() names the bad field. */
class MembershipConfigTest {

    @Test
    void lanEqualsMemberlistDefaultLanConfig() {
        MembershipConfig c = MembershipConfig.lan();
        assertEquals(Duration.ofSeconds(10), c.streamTimeout());
        assertEquals(3, c.indirectChecks());
        assertEquals(4, c.retransmitMult());
        assertEquals(4, c.suspicionMult());
        assertEquals(6, c.suspicionMaxTimeoutMult());
        assertEquals(Duration.ofSeconds(30), c.pushPullInterval());
        assertEquals(Duration.ofSeconds(1), c.probeInterval());
        assertEquals(Duration.ofMillis(500), c.probeTimeout());
        assertTrue(c.streamPings());
        assertEquals(8, c.awarenessMaxMultiplier());
        assertEquals(3, c.gossipNodes());
        assertEquals(Duration.ofMillis(200), c.gossipInterval());
        assertEquals(Duration.ofSeconds(30), c.gossipToTheDeadTime());
        assertTrue(c.compression());
        assertEquals(1400, c.udpBufferSize());
        assertEquals(Duration.ZERO, c.deadNodeReclaimTime());
        assertEquals(2, c.protocolVersion());
        assertEquals(512, c.metaMaxSize());
        assertEquals(new ProtocolVersions(1, 5, 2, 0, 0, 0), c.versions());
    }

    @Test
    void wanEqualsMemberlistDefaultWanConfig() {
        MembershipConfig c = MembershipConfig.wan();
        assertEquals(Duration.ofSeconds(30), c.streamTimeout());
        assertEquals(6, c.suspicionMult());
        assertEquals(Duration.ofSeconds(60), c.pushPullInterval());
        assertEquals(Duration.ofSeconds(3), c.probeTimeout());
        assertEquals(Duration.ofSeconds(5), c.probeInterval());
        assertEquals(4, c.gossipNodes());
        assertEquals(Duration.ofMillis(500), c.gossipInterval());
        assertEquals(Duration.ofSeconds(60), c.gossipToTheDeadTime());
        assertEquals(3, c.indirectChecks());
        assertEquals(4, c.retransmitMult());
    }

    @Test
    void localEqualsMemberlistDefaultLocalConfig() {
        MembershipConfig c = MembershipConfig.local();
        assertEquals(Duration.ofSeconds(1), c.streamTimeout());
        assertEquals(1, c.indirectChecks());
        assertEquals(2, c.retransmitMult());
        assertEquals(3, c.suspicionMult());
        assertEquals(Duration.ofSeconds(15), c.pushPullInterval());
        assertEquals(Duration.ofMillis(200), c.probeTimeout());
        assertEquals(Duration.ofSeconds(1), c.probeInterval());
        assertEquals(Duration.ofMillis(100), c.gossipInterval());
        assertEquals(Duration.ofSeconds(15), c.gossipToTheDeadTime());
    }

    @Test
    void toBuilderRoundTrips() {
        MembershipConfig wan = MembershipConfig.wan();
        MembershipConfig copy = wan.toBuilder().build();
        assertEquals(wan.toString(), copy.toString());
        assertEquals(wan.versions(), copy.versions());
        MembershipConfig serf = wan.toBuilder().delegateProtocol(2, 5, 5).build();
        assertEquals(new ProtocolVersions(1, 5, 2, 2, 5, 5), serf.versions());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("probeInterval", b -> b.probeInterval(Duration.ZERO)),
                bad("probeTimeout", b -> b.probeTimeout(Duration.ofSeconds(2))),
                bad("indirectChecks", b -> b.indirectChecks(-1)),
                bad("retransmitMult", b -> b.retransmitMult(0)),
                bad("suspicionMult", b -> b.suspicionMult(0)),
                bad("suspicionMaxTimeoutMult", b -> b.suspicionMaxTimeoutMult(0)),
                bad("pushPullInterval", b -> b.pushPullInterval(Duration.ofSeconds(-1))),
                bad("gossipNodes", b -> b.gossipNodes(-2)),
                bad("awarenessMaxMultiplier", b -> b.awarenessMaxMultiplier(0)),
                bad("streamTimeout", b -> b.streamTimeout(Duration.ZERO)),
                bad("udpBufferSize", b -> b.udpBufferSize(100)),
                bad("protocolVersion", b -> b.protocolVersion(6)),
                bad("delegateProtocolVersion", b -> b.delegateProtocol(2, 5, 6)),
                bad("metaMaxSize", b -> b.metaMaxSize(5000)),
                bad("maxQueuedBroadcasts", b -> b.maxQueuedBroadcasts(0)),
                bad("reconnectInterval", b -> b.reconnectInterval(Duration.ofSeconds(-5))));
    }

    private static Arguments bad(String field, UnaryOperator<MembershipConfig.Builder> change) {
        return Arguments.of(field, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void buildRejectsBadValuesNamingTheField(String field, UnaryOperator<MembershipConfig.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(MembershipConfig.builder()).build());
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
    }

    @Test
    void biggerMetadataNeedsABiggerPacket() {
        assertEquals(2000, MembershipConfig.builder().udpBufferSize(9000).metaMaxSize(2000).build().metaMaxSize());
    }
}
