package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Admission.Evidence;
import dev.grapevine.membership.NodeAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TLS-required admission rule, with a hand-driven clock. */
class TlsAdmissionTest {
    private static final NodeAddress A = NodeAddress.of("127.0.0.1", 7001);
    private static final NodeAddress B = NodeAddress.of("127.0.0.1", 7002);

    private long now = 1_000;
    private final List<String> verifications = new ArrayList<>();

    private TlsAdmission admission(boolean signing) {
        return new TlsAdmission(() -> now, signing, (address, name) -> verifications.add(name + "@" + address));
    }

    @Test
    void hearsayIsRefusedAndVerifiedOnceUntilAHandshakeAuthenticatesThePair() {
        TlsAdmission a = admission(false);
        assertFalse(a.admit("x", A, Evidence.HEARSAY));
        assertFalse(a.admit("x", A, Evidence.HEARSAY));
        assertEquals(List.of("x@" + A), verifications, "one verification per pair while it is in progress");

        a.authenticated("x", A);
        assertTrue(a.admit("x", A, Evidence.HEARSAY));
        assertFalse(a.admit("x", B, Evidence.HEARSAY), "authenticated at A, not at B");
        assertEquals(List.of("x@" + A, "x@" + B), verifications);
    }

    @Test
    void theAuthenticatedPeersOwnRecordIsAdmittedAndRemembered() {
        TlsAdmission a = admission(false);
        assertTrue(a.admit("p", A, Evidence.STREAM_PEER));
        assertTrue(a.admit("p", A, Evidence.HEARSAY));
        assertTrue(a.isAuthenticated("p", A));
        assertEquals(List.of(), verifications);
    }

    @Test
    void signedAlivesAdmitOnlyInSigningMode() {
        assertTrue(admission(true).admit("s", A, Evidence.SIGNED));
        assertFalse(admission(false).admit("s", A, Evidence.SIGNED));
    }

    @Test
    void aFailedVerificationIsRetriedOnlyAfterTheRetryInterval() {
        TlsAdmission a = admission(false);
        a.admit("x", A, Evidence.HEARSAY);
        now += TlsAdmission.RETRY_NANOS - 1;
        a.admit("x", A, Evidence.HEARSAY);
        assertEquals(1, verifications.size());
        now += 1;
        a.admit("x", A, Evidence.HEARSAY);
        assertEquals(2, verifications.size());
        assertEquals(2, a.verificationsStarted());
    }

    @Test
    void verificationsAreBoundedPerInterval() {
        TlsAdmission a = admission(false);
        for (int i = 0; i < 3 * TlsAdmission.MAX_ATTEMPTS; i++) {
            a.admit("ghost-" + i, A, Evidence.HEARSAY);
        }
        assertEquals(TlsAdmission.MAX_ATTEMPTS, verifications.size());
        now += TlsAdmission.RETRY_NANOS;
        a.admit("ghost-late", A, Evidence.HEARSAY);
        assertEquals(TlsAdmission.MAX_ATTEMPTS + 1, verifications.size());
    }
}
