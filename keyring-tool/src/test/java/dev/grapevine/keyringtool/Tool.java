package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs keyring-tool in-process, as bin/keyring-tool would, capturing its streams. */
final class Tool {
    private Tool() {
    }

    /** What one run printed and returned. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }

        /** Asserts that none of {@code keys} (base64) appears in stderr. */
        Result noKeyInErr(String... keys) {
            for (String k : keys) {
                assertFalse(err.contains(k), "key material on stderr:\n" + this);
            }
            return this;
        }

        /** Asserts that none of {@code keys} (base64) appears anywhere. */
        Result noKeyAnywhere(String... keys) {
            for (String k : keys) {
                assertFalse(err.contains(k) || out.contains(k), "key material in the output:\n" + this);
            }
            return this;
        }
    }

    static Result run(String... args) {
        return runWithStdin("", args);
    }

    static Result runWithStdin(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KeyringTool.execute(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
