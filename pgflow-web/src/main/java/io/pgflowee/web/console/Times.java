package io.pgflowee.web.console;

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
}
