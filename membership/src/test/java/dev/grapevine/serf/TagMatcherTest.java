package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Tag filters match as Go's {@code regexp.MatchString} does: RE2 syntax, unanchored, linear time.
 * Each case is one where {@code java.util.regex} would answer differently or not at all.
 */
class TagMatcherTest {
    private final TagMatcher m = new TagMatcher();

    @Test
    void unanchoredLikeMatchString() {
        assertTrue(m.matches("web", "webserver"));
        assertTrue(m.matches("server", "webserver"));
        assertFalse(m.matches("^server", "webserver"));
        assertTrue(m.matches("^web$", "web"));
        assertFalse(m.matches("^web$", "web2"));
        assertTrue(m.matches("", "anything"));
        assertTrue(m.matches("^$", ""));
    }

    @Test
    void goSyntaxAndSemantics() {
        assertTrue(m.matches("(?P<kind>web|db)-\\d+", "db-12"), "Go's named groups");
        assertTrue(m.matches("^[[:alpha:]]+$", "web"), "POSIX classes inside brackets");
        assertFalse(m.matches("^[[:alpha:]]+$", "web1"));
        assertFalse(m.matches("web$", "web\n"), "$ is the end of the text, not before a final newline");
        assertTrue(m.matches("(?m)web$", "web\n"));
        assertFalse(m.matches("a.b", "a\nb"));
        assertTrue(m.matches("a.b", "a\rb"), ". excludes only \\n, as in Go");
        assertTrue(m.matches("\\pL+", "ñ"));
    }

    @Test
    void whatGoCannotCompileNeverMatches() {
        assertFalse(m.matches("(", "("));
        assertFalse(m.matches("(?=web)web", "web"), "no lookahead in RE2");
        assertFalse(m.matches("(a)\\1", "aa"), "no backreferences in RE2");
        assertFalse(m.matches("a++", "aa"), "no possessive quantifiers in RE2");
        assertFalse(TagMatcher.valid("(?<=x)y"));
        assertTrue(TagMatcher.valid("^web$"));
    }

    @Test
    void catastrophicPatternsRunInLinearTime() {
        String input = "a".repeat(5000) + "!";
        long start = System.nanoTime();
        assertFalse(m.matches("^(a+)+$", input));
        assertFalse(m.matches("^(a|aa)+$", input));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 2000, "took too long");
        // Deep nesting, as a hostile query could carry, is refused or matched without blowing the stack.
        String deep = "(".repeat(600) + "a" + ")".repeat(600);
        m.matches(deep, "a");
    }

    @Test
    void compiledPatternsAreCachedWithABound() {
        for (int i = 0; i < 500; i++) {
            assertTrue(m.matches("^v" + i + "$", "v" + i));
        }
        assertTrue(m.matches("^v499$", "v499"));
    }
}
