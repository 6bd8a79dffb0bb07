package dev.grapevine.serf;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Serf's tag filter test, {@code regexp.MatchString(expr, value)}: does {@code expr} match
 * anywhere in {@code value}? It is unanchored, so {@code "web"} matches {@code "webserver"} and
 * {@code "^web$"} only {@code "web"}.
 *
 * <p>Expressions are compiled with RE2/J, a Java port of Go's {@code regexp} package: the same RE2
 * syntax (no backreferences, no lookaround; {@code (?P<name>)} groups; POSIX classes inside
 * brackets; {@code $} is the end of the text unless {@code (?m)}; {@code .} excludes only
 * {@code \n}) and the same leftmost-first semantics, in time linear in the input, so a hostile
 * filter cannot stall the core. {@code java.util.regex} would differ from Go on all of these and
 * backtrack exponentially on patterns such as {@code (a+)+$}. An expression that does not compile
 * matches nothing (Serf does not process such a query).
 *
 * <p>Compiled patterns are cached (at most {@value #CACHE_SIZE}, least recently used dropped), since
 * the same filter reaches a node once per query. Not thread-safe: one per Serf core.
 */
final class TagMatcher {
    static final int CACHE_SIZE = 64;
    private static final Pattern INVALID = Pattern.compile("$^");

    private final Map<String, Pattern> cache = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pattern> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    /** True when {@code expr} compiles and matches somewhere in {@code value}. */
    boolean matches(String expr, String value) {
        Pattern p = cache.get(expr);
        if (p == null) {
            try {
                p = Pattern.compile(expr);
            } catch (PatternSyntaxException | IllegalArgumentException e) {
                p = INVALID;
            }
            cache.put(expr, p);
        }
        return p != INVALID && p.matcher(value).find();
    }

    /** True when {@code expr} compiles as a Go regular expression. */
    static boolean valid(String expr) {
        try {
            Pattern.compile(expr);
            return true;
        } catch (PatternSyntaxException | IllegalArgumentException e) {
            return false;
        }
    }
}
