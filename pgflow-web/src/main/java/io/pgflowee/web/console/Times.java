package io.pgflowee.web.console;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Times as the console shows them: UTC, to the second ({@code 2026-11-28 07:03:48}); empty for none. */
final class Times {

    private static final DateTimeFormatter SHOWN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private Times() {
    }

    static String shown(OffsetDateTime t) {
        return t == null ? "" : SHOWN.format(t.withOffsetSameInstant(ZoneOffset.UTC));
    }

    /**
     * The instant for a {@code <time datetime>} attribute ({@code 2026-11-28T07:03:48.120Z}): console.js
     * shows it in the viewer's zone, or in UTC, as the header's switch says; empty for none.
     */
    static String iso(OffsetDateTime t) {
        return t == null ? "" : java.time.format.DateTimeFormatter.ISO_INSTANT.format(t.toInstant());
    }

    /** From {@code start} to {@code end} (or to now while running): {@code 840 ms}, {@code 12.4 s}, {@code 3 min 05 s}, {@code 2 h 07 min}. */
    static String duration(OffsetDateTime start, OffsetDateTime end) {
        if (start == null) {
            return "";
        }
        return duration(Duration.between(start, end == null ? OffsetDateTime.now() : end));
    }

    static String duration(Duration d) {
        long ms = Math.max(d.toMillis(), 0);
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format("%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return String.format("%d min %02d s", s / 60, s % 60);
        }
        return String.format("%d h %02d min", s / 3600, s % 3600 / 60);
    }
}
