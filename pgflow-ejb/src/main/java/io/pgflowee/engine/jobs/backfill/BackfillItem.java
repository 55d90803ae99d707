package io.pgflowee.engine.jobs.backfill;

import java.io.Serializable;

/**
 * One item of a backfill: its key (the line number of a file, the {@code key} column of a query),
 * where it came from (for messages: {@code line 7}, {@code key c-42}) and its input as JSON text,
 * or the reason it cannot be one.
 */
public record BackfillItem(String key, String where, String json, String unreadable) implements Serializable {
}
