package dev.grapevine.membership.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzz target (Jazzer) for the Serf decoders, which see untrusted bytes in every
 * user message and push/pull state.
 *
 * <p>A normal {@code mvn verify} runs it in regression mode over its seed corpus
 * ({@code src/test/resources/dev/grapevine/membership/wire/SerfJazzerFuzzTestInputs/serfDecode/}).
 * To fuzz for real: {@code JAZZER_FUZZ=1 mvn -pl membership test -Dtest=SerfJazzerFuzzTest}. The
 * oracle is {@link WireFuzzTest}'s: no exception, a result for every input, never the "internal
 * decoder error" safety net.
 */
class SerfJazzerFuzzTest {

    @FuzzTest
    void serfDecode(byte[] data) {
        WireFuzzTest.check(SerfCodec.decode(data));
        WireFuzzTest.check(SerfCodec.decodeFilter(data));
        WireFuzzTest.check(SerfCodec.decodeKeyRequest(data));
        WireFuzzTest.check(SerfCodec.decodeKeyResponse(data));
        WireFuzzTest.check(SerfCodec.decodeConflictResponse(data));
        SerfCodec.decodeTags(data);
    }
}
