package io.pgflowee.engine.jobs.backfill;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import io.pgflowee.api.json.Jsonp;
import jakarta.batch.api.chunk.AbstractItemReader;
import jakarta.batch.runtime.context.JobContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonObjectBuilder;

/**
 * Reads a backfill's items: the lines of a CSV file (a header line names the fields; each record
 * becomes an object of strings) or of a JSON-lines file (one JSON value per line; blank lines are
 * not items), or the rows of an operator's query (columns {@code key}, {@code input}). The
 * checkpoint is the last item's key (a line number, a key value), so a restart continues after it
 * even if rows were added to the query's table meanwhile.
 */
@Named
@jakarta.enterprise.context.Dependent
public class BackfillReader extends AbstractItemReader {

    private static final int QUERY_PAGE = 500;

    @Inject
    JobContext job;

    @Inject
    BackfillDatabase database;

    @Inject
    io.pgflowee.engine.jobs.JobDatabase jobs;

    private BufferedReader lines;
    private CSVParser csv;
    private Iterator<CSVRecord> records;
    private long line;
    private String lastKey;
    private final Deque<String[]> page = new ArrayDeque<>();
    private boolean queryDone;

    @Override
    public void open(Serializable checkpoint) throws Exception {
        var params = jakarta.batch.runtime.BatchRuntime.getJobOperator().getParameters(job.getExecutionId());
        String path = params.getProperty("path");
        String sql = params.getProperty("sql");
        if (sql != null && !sql.isBlank()) {
            lastKey = (String) checkpoint;
            if (checkpoint == null) {
                jobs.total(io.pgflowee.engine.jobs.JobService.instanceKey(job), "", database.countQuery(sql));
            }
            return;
        }
        Path file = Path.of(path);
        String format = params.getProperty("format", file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv") ? "csv" : "jsonl");
        long items = checkpoint == null ? count(file, format) : -1;
        if (items >= 0) {
            jobs.total(io.pgflowee.engine.jobs.JobService.instanceKey(job), "", items);
        }
        long resumeAfter = checkpoint == null ? 0 : Long.parseLong(checkpoint.toString());
        if (format.equals("csv")) {
            csv = CSVParser.parse(file, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                    .setIgnoreEmptyLines(true).setTrim(true).get());
            records = csv.iterator();
            while (line < resumeAfter && records.hasNext()) {
                records.next();
                line = csv.getCurrentLineNumber(); // the file's line (empty lines count), where the record ends
            }
        } else {
            lines = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            while (line < resumeAfter && lines.readLine() != null) {
                line++;
            }
        }
    }

    /** The items of the file (CSV records, or non-blank lines), read once before the job reads them (its progress's total). */
    private static long count(Path file, String format) throws IOException {
        if (format.equals("csv")) {
            try (CSVParser counting = CSVParser.parse(file, StandardCharsets.UTF_8, CSVFormat.DEFAULT.builder().setHeader()
                    .setSkipHeaderRecord(true).setIgnoreEmptyLines(true).get())) {
                long n = 0;
                for (Iterator<CSVRecord> it = counting.iterator(); it.hasNext(); it.next()) {
                    n++;
                }
                return n;
            } catch (RuntimeException e) { // unreadable: the reader says so when it gets there; no total
                return -1;
            }
        }
        try (var all = Files.lines(file, StandardCharsets.UTF_8)) {
            return all.filter(l -> !l.isBlank()).count();
        }
    }

    @Override
    public Object readItem() throws Exception {
        if (csv != null) {
            return nextCsv();
        }
        if (lines != null) {
            return nextLine();
        }
        return nextRow();
    }

    private Object nextCsv() {
        if (!records.hasNext()) {
            return null;
        }
        CSVRecord record;
        try {
            record = records.next();
        } catch (RuntimeException e) { // a malformed record (an unclosed quote): the rest of the file cannot be read
            throw new IllegalStateException("CSV unreadable after line " + line + ": " + e.getMessage(), e);
        }
        line = csv.getCurrentLineNumber();
        String key = Long.toString(line);
        if (!record.isConsistent()) {
            return new BackfillItem(key, "line " + line, null, "has " + record.size() + " fields, the header has "
                    + csv.getHeaderNames().size());
        }
        JsonObjectBuilder o = Jsonp.createObjectBuilder();
        record.toMap().forEach(o::add);
        return new BackfillItem(key, "line " + line, o.build().toString(), null);
    }

    private Object nextLine() throws IOException {
        String text;
        do {
            text = lines.readLine();
            if (text == null) {
                return null;
            }
            line++;
        } while (text.isBlank());
        return new BackfillItem(Long.toString(line), "line " + line, text, null);
    }

    private Object nextRow() throws Exception {
        if (page.isEmpty() && !queryDone) {
            var params = jakarta.batch.runtime.BatchRuntime.getJobOperator().getParameters(job.getExecutionId());
            var rows = database.queryPage(params.getProperty("sql"), lastKey, QUERY_PAGE);
            page.addAll(rows);
            queryDone = rows.size() < QUERY_PAGE;
        }
        String[] row = page.poll();
        if (row == null) {
            return null;
        }
        lastKey = row[0];
        return new BackfillItem(row[0], "key " + row[0], row[1], row[1] == null ? "input is null" : null);
    }

    @Override
    public Serializable checkpointInfo() {
        return csv != null || lines != null ? Long.valueOf(line) : lastKey;
    }

    @Override
    public void close() throws Exception {
        if (csv != null) {
            csv.close();
        }
        if (lines != null) {
            lines.close();
        }
    }
}
