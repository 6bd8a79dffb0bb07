package dev.grapevine.membership.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzz targets (Jazzer) for the two decoders that see untrusted bytes first.
 *
 * <p>A normal {@code mvn verify} runs them in regression mode: each target is called once per
 * file in its seed corpus ({@code src/test/resources/dev/grapevine/membership/wire/WireJazzerFuzzTestInputs/<method>/})
 * and once with an empty input. To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl membership test -Dtest=WireJazzerFuzzTest#packetRead}.
 * The oracle is the same as {@link WireFuzzTest}'s: no exception, a result for every input, and
 * never the "internal decoder error" safety net.
 */
class WireJazzerFuzzTest {

    @FuzzTest
    void packetRead(byte[] data) {
        Packets.read(data, 0, data.length, new WireFuzzTest.Checking());
    }

    @FuzzTest
    void streamRead(byte[] data) {
        WireFuzzTest.check(Streams.read(data, 0, data.length));
        StreamFramer f = new StreamFramer(Streams.MAX_STREAM_BYTES);
        int n = f.frameLength(data, 0, data.length);
        if (n > 0) {
            WireFuzzTest.check(Streams.read(data, 0, n));
        }
    }
}
