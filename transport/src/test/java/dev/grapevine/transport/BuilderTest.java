package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

/** Builder checks that fail before any socket is opened. */
class BuilderTest {

    @Test
    void nameIsRequired() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GrapevineNode.builder().start());
        assertTrue(e.getMessage().contains("name"));
    }

    @Test
    void limitsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().maxStreamBytes(100));
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().maxConcurrentPushPulls(1));
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().bind("host:notaport"));
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().advertise("[::1"));
    }

    @Test
    void encryptionSettingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().label(""));
        assertThrows(IllegalArgumentException.class, () -> GrapevineNode.builder().label("é".repeat(128)));
        GrapevineNode.builder().label("x".repeat(255));
        assertThrows(NullPointerException.class, () -> GrapevineNode.builder().keyring(null));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> GrapevineNode.builder().name("n").bind("127.0.0.1:0").gossipVerifyOutgoing(false).start());
        assertTrue(e.getMessage().contains("keyring"), e.getMessage());
    }

    @Test
    void oversizeMetadataIsRefusedBeforeBinding() {
        byte[] meta = new byte[MembershipConfig.DEFAULT_META_MAX_SIZE + 1];
        assertThrows(IllegalArgumentException.class,
                () -> GrapevineNode.builder().name("n").bind("127.0.0.1:0").meta(meta).start());
    }

    @Test
    void epollIsUsedWhereAvailableElseNio() {
        assertEquals(Epoll.isAvailable() ? "epoll" : "nio", IoTransport.detect().name());
        assertEquals("nio", IoTransport.nio().name());
    }
}
