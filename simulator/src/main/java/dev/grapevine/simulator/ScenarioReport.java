package dev.grapevine.simulator;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a {@link Scenario} run: named figures in a fixed order (written as one JSON
 * object) and an optional per-second series (written as CSV). Not thread-safe.
 */
public final class ScenarioReport {
    private final Map<String, Object> fields = new LinkedHashMap<>();
    private final List<String[]> series = new ArrayList<>();

    /** Sets a figure; keeps the position of a figure set before. Values: null, String, Boolean, Number, List. */
    public ScenarioReport put(String key, Object value) {
        fields.put(key, value instanceof Double d ? round(d) : value);
        return this;
    }

    /** A figure, or {@code null}. */
    public Object get(String key) {
        return fields.get(key);
    }

    /** Every figure, in order. Unmodifiable view. */
    public Map<String, Object> fields() {
        return Collections.unmodifiableMap(fields);
    }

    /** Adds one row of the per-second series: simulated second, fraction, phase name. */
    public void addSample(double timeS, double fraction, String phase) {
        series.add(new String[] {fmt(timeS), fmt(fraction), phase});
    }

    /** Rows of the series so far. */
    public int sampleCount() {
        return series.size();
    }

    /** The figures as one line of JSON. */
    public String toJson() {
        return Json.write(fields);
    }

    /** Writes the series as CSV ({@code time_s,fraction,phase}). */
    public void writeCsv(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("time_s,fraction,phase\n");
            for (String[] row : series) {
                w.write(row[0] + "," + row[1] + "," + row[2] + "\n");
            }
        }
    }

    private static Double round(double d) {
        if (!Double.isFinite(d)) {
            return d;
        }
        double scale = Math.abs(d) >= 100 ? 10 : 1000;
        return Math.round(d * scale) / scale;
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
