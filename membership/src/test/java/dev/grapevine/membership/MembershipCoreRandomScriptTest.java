package dev.grapevine.membership;

import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The oracle of {@link MembershipCoreJazzerFuzzTest} over seeded random scripts, so that every
 * {@code mvn test} (without Jazzer's agent) drives a core through a few thousand hostile sessions:
 * random bytes, and the seed scripts with random bytes spliced in.
 *
 * <p>Longer runs: {@code -Dcore.fuzz.cases=200000 -Dcore.fuzz.seed=7}.
 */
class MembershipCoreRandomScriptTest {
    private static final int CASES = Integer.getInteger("core.fuzz.cases", 1500);
    private static final long SEED = Long.getLong("core.fuzz.seed", 0xC0DEL);

    @Test
    void plainCoreSurvivesRandomScripts() {
        run(false);
    }

    @Test
    void signingCoreSurvivesRandomScripts() {
        run(true);
    }

    private static void run(boolean signing) {
        Random rnd = new Random(SEED + (signing ? 1 : 0));
        List<byte[]> seeds = MembershipCoreJazzerFuzzTest.seeds();
        for (int i = 0; i < CASES; i++) {
            byte[] script;
            if (rnd.nextBoolean()) {
                script = new byte[rnd.nextInt(400)];
                rnd.nextBytes(script);
            } else {
                byte[] seed = seeds.get(rnd.nextInt(seeds.size()));
                script = seed.clone();
                int edits = 1 + rnd.nextInt(6);
                for (int k = 0; k < edits && script.length > 0; k++) {
                    script[rnd.nextInt(script.length)] = (byte) rnd.nextInt(256);
                }
            }
            try {
                new MembershipCoreJazzerFuzzTest.Run(script, signing).run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("case " + i + (signing ? " (signing)" : " (plain)") + ": "
                        + HexFormat.of().formatHex(script), e);
            }
        }
    }
}
