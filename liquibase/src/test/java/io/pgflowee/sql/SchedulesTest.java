package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * Schedules (issue 33, the SQL core): cron parsing and its refusals, the next firing across month
 * ends, leap days and both DST transitions of Europe/Berlin and America/New_York, tick() firing each
 * firing once (also under concurrent ticks), catch-up modes, pause/resume, trigger and backfill.
 * Time is moved by setting next_fire_at, never by waiting.
 */
class SchedulesTest extends SqlEngineTest {

    /** The next firing after {@code after} (UTC text), as UTC text. */
    private String next(String cron, String tz, String after) {
        return db.one("select pgflow._schedule_instant(pgflow._cron_next(?, ?, ?::timestamptz))", cron, tz, after);
    }

    private List<String> firings(String cron, String tz, String after, int n) {
        List<String> out = new ArrayList<>();
        String at = after;
        for (int i = 0; i < n; i++) {
            at = next(cron, tz, at);
            out.add(at);
        }
        return out;
    }

    @Test
    void expressionsParseAndTheNextFiringCrossesMonthEndsLeapDaysAndNamedFields() {
        assertThat(next("*/15 * * * *", "UTC", "2026-12-03T10:07:30Z")).isEqualTo("2026-12-03T10:15:00Z");
        assertThat(next("@hourly", "UTC", "2026-12-03T10:00:00Z")).isEqualTo("2026-12-03T11:00:00Z");
        assertThat(next("@daily", "UTC", "2026-12-31T23:59:00Z")).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(next("@weekly", "UTC", "2026-12-03T00:00:00Z")).as("Sunday").isEqualTo("2026-12-06T00:00:00Z");
        assertThat(next("@monthly", "UTC", "2026-12-03T00:00:00Z")).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(firings("0 0 31 * *", "UTC", "2027-01-31T00:00:00Z", 2)).as("months with a 31st only")
                .containsExactly("2027-03-31T00:00:00Z", "2027-05-31T00:00:00Z");
        assertThat(next("0 12 29 2 *", "UTC", "2026-03-01T00:00:00Z")).as("the next leap day").isEqualTo("2028-02-29T12:00:00Z");
        assertThat(firings("0 9 * * MON-FRI", "UTC", "2026-12-04T10:00:00Z", 2)).as("Friday after 9, then Monday")
                .containsExactly("2026-12-07T09:00:00Z", "2026-12-08T09:00:00Z");
        assertThat(next("0 0 1,15 JAN,jul *", "UTC", "2026-01-15T00:00:00Z")).isEqualTo("2026-07-01T00:00:00Z");
        assertThat(next("0 0 13 * 5", "UTC", "2026-11-01T00:00:00Z")).as("day of month and day of week: either (the 13th or a Friday)")
                .isEqualTo("2026-11-06T00:00:00Z");
        assertThat(next("0 0 * * 7", "UTC", "2026-12-03T00:00:00Z")).as("7 is Sunday too").isEqualTo("2026-12-06T00:00:00Z");
        assertThat(next("5-10/5 1 * * *", "UTC", "2026-12-03T01:05:00Z")).isEqualTo("2026-12-03T01:10:00Z");
        assertThat((Object) db.one("select pgflow._cron_next('0 0 30 2 *', 'UTC', now())")).as("never").isNull();
    }

    @Test
    void theNextFiringAgreesWithCronUtilsOverTenThousandRandomExpressionsAndInstants() {
        java.util.Random random = new java.util.Random(20261203);
        com.cronutils.parser.CronParser parser = new com.cronutils.parser.CronParser(
                com.cronutils.model.definition.CronDefinitionBuilder.instanceDefinitionFor(com.cronutils.model.CronType.UNIX));
        int n = 10_000;
        String[] crons = new String[n];
        java.time.ZonedDateTime[] afters = new java.time.ZonedDateTime[n];
        List<String> expected = new ArrayList<>(n);
        java.time.format.DateTimeFormatter utc = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'");
        for (int i = 0; i < n; i++) {
            // day of month and day of week never both restricted: cron's "either" rule is tested above, libraries differ on it
            boolean dayOfWeek = random.nextBoolean();
            crons[i] = field(random, 0, 59) + " " + field(random, 0, 23) + " " + (dayOfWeek ? "*" : field(random, 1, 28)) + " "
                    + field(random, 1, 12) + " " + (dayOfWeek ? field(random, 0, 6) : "*");
            afters[i] = java.time.ZonedDateTime.of(2026, 1, 1, 0, 0, 0, 0, java.time.ZoneOffset.UTC)
                    .plusMinutes(random.nextInt(4 * 365 * 24 * 60)).plusSeconds(random.nextInt(60));
            expected.add(com.cronutils.model.time.ExecutionTime.forCron(parser.parse(crons[i])).nextExecution(afters[i])
                    .map(t -> t.withZoneSameInstant(java.time.ZoneOffset.UTC).format(utc)).orElse(null));
        }
        List<String> actual = db.rows("select pgflow._schedule_instant(pgflow._cron_next(x.c, 'UTC', x.a)) as at"
                        + " from unnest(?::text[], ?::timestamptz[]) with ordinality as x(c, a, i) order by x.i",
                array("text", crons), array("text", java.util.Arrays.stream(afters).map(java.time.ZonedDateTime::toString).toArray()))
                .stream().map(r -> (String) r.get("at")).toList();
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!java.util.Objects.equals(expected.get(i), actual.get(i))) {
                differences.add(crons[i] + " after " + afters[i] + ": cron-utils " + expected.get(i) + ", pgflow " + actual.get(i));
            }
        }
        assertThat(differences).as("of %d", n).isEmpty();
    }

    /** A random cron field between min and max: *, a value, a range, a step of *, a stepped range or a list. */
    private static String field(java.util.Random random, int min, int max) {
        int a = min + random.nextInt(max - min + 1);
        int b = a + random.nextInt(max - a + 1);
        return switch (random.nextInt(6)) {
            case 0 -> "*";
            case 1 -> Integer.toString(a);
            case 2 -> a + "-" + b;
            case 3 -> "*/" + (1 + random.nextInt(Math.max(1, (max - min) / 2)));
            case 4 -> a + "-" + b + "/" + (1 + random.nextInt(3));
            default -> a + "," + b;
        };
    }

    @Test
    void badExpressionsAreRefusedNamingWhatIsWrong() {
        Map<String, String> refusals = Map.of(
                "0 0 * * * *", "Cron \"0 0 * * * *\": 6 fields; the five standard fields are expected (minute hour day-of-month month"
                        + " day-of-week): seconds are not supported",
                "0 0 *", "Cron \"0 0 *\": 3 fields; the five standard fields are expected (minute hour day-of-month month day-of-week)",
                "60 * * * *", "Cron \"60 * * * *\": minute field \"60\": 60 is out of range (0-59)",
                "0 0 * FOO *", "Cron \"0 0 * FOO *\": month field \"FOO\": \"FOO\" is not a number or a name (JAN, FEB, MAR, APR, MAY, JUN,"
                        + " JUL, AUG, SEP, OCT, NOV, DEC)",
                "*/0 * * * *", "Cron \"*/0 * * * *\": minute field \"*/0\": step \"0\" is not a whole number of 1 or more",
                "0 5-2 * * *", "Cron \"0 5-2 * * *\": hour field \"5-2\": range \"5-2\" ends before it starts",
                "@every5m", "Cron \"@every5m\": unknown shortcut (use @hourly, @daily, @weekly, @monthly or @yearly, or five fields)");
        refusals.forEach((cron, message) -> {
            SQLException e = db.error("select pgflow._cron_parse(?)", cron);
            assertThat(message(e)).isEqualTo(message);
            assertThat(sqlState(e)).isEqualTo("22023");
        });
    }

    @Test
    void firingsFollowTheWallClockThroughBothDstTransitions() {
        // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET
        assertThat(firings("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).as("02:30 does not exist on the 29th: the gap's end, once")
                .containsExactly("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
        assertThat(firings("*/20 2 * * *", "Europe/Berlin", "2026-03-28T23:00:00Z", 2)).as("every time in the gap maps to its end: once")
                .containsExactly("2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z");
        assertThat(firings("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2)).as("02:30 occurs twice on the 25th: the first only")
                .containsExactly("2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
        assertThat(firings("30 * * * *", "Europe/Berlin", "2026-10-24T23:00:00Z", 4)).as("hourly follows real time: every real hour")
                .containsExactly("2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z");
        assertThat(next("0 9 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z")).as("9:00 CEST").isEqualTo("2026-03-29T07:00:00Z");
        // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
        assertThat(firings("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2))
                .containsExactly("2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z");
        assertThat(firings("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2)).as("01:30 twice on Nov 1: the first (EDT) only")
                .containsExactly("2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z");
        assertThat(firings("0 */1 * * *", "America/New_York", "2026-11-01T04:30:00Z", 3)).as("a step of * is real time too")
                .containsExactly("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z");
    }

    private void nightlyOf(String flow, String catchUp) {
        define("select pgflow.create_flow('" + flow + "')", "select pgflow.add_step('" + flow + "', 'a')");
        db.exec("select pgflow.create_schedule('nightly', ?, '0 3 * * *', '{\"region\": \"eu\"}', 'Europe/Berlin', ?)", flow, catchUp);
    }

    /** The {@code n} most recent firings of the schedule at or before now, oldest first (UTC text). */
    private List<String> recent(int n) {
        List<String> all = db.rows("with recursive f(at) as (select pgflow._cron_next(s.cron, s.time_zone, now() - make_interval(days => ?))"
                + " from pgflow_internal.schedules s where s.schedule_name = 'nightly'"
                + " union all select pgflow._cron_next(s.cron, s.time_zone, f.at) from f, pgflow_internal.schedules s"
                + " where s.schedule_name = 'nightly' and f.at <= now())"
                + " select pgflow._schedule_instant(at) as at from f where at <= now() order by at", n + 2)
                .stream().map(r -> (String) r.get("at")).toList();
        return all.subList(all.size() - n, all.size());
    }

    /** Moves the schedule's next firing to {@code at} (as if the clock had reached it). */
    private void dueAt(String at) {
        db.exec("update pgflow_internal.schedules set next_fire_at = ?::timestamptz where schedule_name = 'nightly'", at);
    }

    private Map<String, Object> tick() {
        String summary = db.one("select pgflow.tick()::text");
        return Map.of("fired", summary.replaceAll(".*\"schedules_fired\": (\\d+).*", "$1"),
                "errors", summary.replaceAll(".*\"schedule_errors\": (\\d+).*", "$1"));
    }

    private List<String> runKeys() {
        return db.rows("select idempotency_key || ' ' || (input->>'scheduled_at') || ' ' || (input->>'region') as k from pgflow.runs"
                + " order by idempotency_key").stream().map(r -> (String) r.get("k")).toList();
    }

    @Test
    void createReturnsTheScheduleWithItsNextFiringAndRefusesAnotherDefinitionOfTheName() {
        nightlyOf("n", "latest");
        Map<String, Object> row = db.row("select flow_slug, cron, time_zone, catch_up, paused_at, (next_fire_at > now()) as later,"
                + " to_char(next_fire_at at time zone 'Europe/Berlin', 'HH24:MI') as local from pgflow_internal.schedules");
        assertThat(row).containsEntry("flow_slug", "n").containsEntry("cron", "0 3 * * *").containsEntry("catch_up", "latest")
                .containsEntry("later", true).containsEntry("local", "03:00").containsEntry("paused_at", null);
        assertThat((String) db.one("select (pgflow.create_schedule('nightly', 'n', '0 3 * * *', '{\"region\": \"eu\"}', 'Europe/Berlin')).cron"))
                .as("the same definition: returned").isEqualTo("0 3 * * *");
        SQLException other = db.error("select pgflow.create_schedule('nightly', 'n', '0 4 * * *')");
        assertThat(sqlState(other)).isEqualTo("23505");
        assertThat(message(other)).isEqualTo("Schedule \"nightly\" exists with another definition (flow n, cron \"0 3 * * *\","
                + " time zone Europe/Berlin, catch_up latest)");
        assertThat(message(db.error("select pgflow.create_schedule('x', 'n', '@daily', '{}', 'Mars/Olympus')")))
                .isEqualTo("Schedule \"x\": unknown time zone \"Mars/Olympus\" (a name of pg_timezone_names, as Europe/Berlin or UTC)");
        assertThat(message(db.error("select pgflow.create_schedule('x', 'n', '@daily', '{}', 'UTC', 'some')")))
                .isEqualTo("Schedule \"x\": catch_up \"some\" is not one of latest, all, none");
        assertThat(message(db.error("select pgflow.create_schedule('x', 'nope', '@daily')"))).isEqualTo("Schedule \"x\": flow \"nope\" does not exist");
        assertThat(message(db.error("select pgflow.create_schedule('x', 'n', '0 0 30 2 *')")))
                .isEqualTo("Cron \"0 0 30 2 *\": never fires (no such date within 30 years)");
        assertThat(sqlState(db.error("select pgflow.pause_schedule('nope')"))).isEqualTo("P0002");
    }

    @Test
    void tickStartsADueFiringOnceWithItsKeyAndInstantAndMovesOn() {
        nightlyOf("n", "latest");
        String last = recent(1).get(0); // the last 03:00 in Berlin: passed
        dueAt(last);
        assertThat(tick()).containsEntry("fired", "1");
        assertThat(runKeys()).containsExactly("schedule:nightly:" + last + " " + last + " eu");
        assertThat(tick()).as("nothing due any more").containsEntry("fired", "0");
        assertThat(db.row("select to_char(last_fired_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as last, next_fire_at > now() as later,"
                + " last_error from pgflow_internal.schedules")).containsEntry("last", last.replace("T", " ").substring(0, 16)).containsEntry("later", true)
                .containsEntry("last_error", null);
        dueAt(last); // the same firing again (a second server's tick that read it before): the key starts nothing
        tick();
        assertThat(runKeys()).hasSize(1);
    }

    @Test
    void twoConcurrentTicksStartEachFiringOnce() throws Exception {
        nightlyOf("n", "all");
        List<String> ten = recent(10);
        dueAt(ten.get(0)); // ten firings due
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Callable<Object>> ticks = List.of(() -> db.one("select pgflow.tick()::text"), () -> db.one("select pgflow.tick()::text"));
            for (Future<Object> f : pool.invokeAll(ticks)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(runKeys()).hasSize(10).doesNotHaveDuplicates().first().isEqualTo("schedule:nightly:" + ten.get(0) + " " + ten.get(0) + " eu");
    }

    @Test
    void missedFiringsFollowCatchUp() {
        nightlyOf("n", "latest");
        List<String> ten = recent(10);
        dueAt(ten.get(0)); // down for ten days: ten nightly firings missed
        tick();
        assertThat(runKeys()).as("latest: the most recent only").containsExactly("schedule:nightly:" + ten.get(9) + " " + ten.get(9) + " eu");

        db.exec("select pgflow.update_schedule('nightly', catch_up => 'none')");
        dueAt(ten.get(0));
        assertThat(tick()).containsEntry("fired", "0");
        assertThat(runKeys()).as("none: nothing").hasSize(1);
        assertThat((Boolean) db.one("select next_fire_at > now() from pgflow_internal.schedules")).isTrue();

        db.exec("select pgflow.update_schedule('nightly', catch_up => 'all')");
        dueAt(ten.get(0));
        assertThat(tick()).as("all: the ten, the latest's run found by its key").containsEntry("fired", "10");
        assertThat(runKeys()).as("all: every one, the latest started before is not started again").hasSize(10);
    }

    @Test
    void pausedSchedulesFireNothingAndResumeFromNowTriggerAndBackfillStartRunsOnce() {
        nightlyOf("n", "all");
        db.exec("select pgflow.pause_schedule('nightly')");
        dueAt(recent(3).get(0));
        assertThat(tick()).containsEntry("fired", "0");
        db.exec("select pgflow.resume_schedule('nightly')");
        assertThat((Boolean) db.one("select paused_at is null and next_fire_at > now() from pgflow_internal.schedules"))
                .as("resumed: the next firing after now, nothing missed caught up").isTrue();
        assertThat(tick()).containsEntry("fired", "0");

        String triggered = db.one("select idempotency_key from pgflow.trigger_schedule('nightly')");
        assertThat(triggered).startsWith("schedule:nightly:");
        assertThat((Integer) db.one("select pgflow.backfill_schedule('nightly', '2026-11-01T00:00:00Z', '2026-11-05T23:59:59Z')")).isEqualTo(5);
        assertThat((Integer) db.one("select pgflow.backfill_schedule('nightly', '2026-11-01T00:00:00Z', '2026-11-05T23:59:59Z')"))
                .as("a second call starts nothing").isZero();
        assertThat(runKeys()).hasSize(6).contains("schedule:nightly:2026-11-01T02:00:00Z 2026-11-01T02:00:00Z eu");

        db.exec("select pgflow.pause_flow('n')");
        dueAt(recent(1).get(0));
        assertThat(tick()).as("a paused flow's schedule still starts runs: they queue").containsEntry("fired", "1");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where flow_slug = 'n' and status = 'queued'")).isEqualTo(7L);
        assertThat((String) db.one("select (pgflow.delete_schedule('nightly')).schedule_name")).isEqualTo("nightly");
        assertThat((Long) db.one("select count(*) from pgflow_internal.schedules")).isZero();
    }

    @Test
    void aFiringTheFlowRefusesIsRecordedAndTheScheduleMovesOn() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");
        db.exec("select pgflow.create_schedule('nightly', 'm', '0 3 * * *', '{}')");
        String last = recent(1).get(0);
        dueAt(last);
        assertThat(tick()).containsEntry("fired", "0").containsEntry("errors", "1");
        assertThat((String) db.one("select last_error from pgflow_internal.schedules")).isEqualTo(
                "firing " + last + ": Flow m has root map steps but input is not an array (got object)");
        assertThat((Boolean) db.one("select next_fire_at > now() from pgflow_internal.schedules")).isTrue();
    }

    @Test
    void aFlowsDeclaredSchedulesAreCreatedUpdatedAndDeletedWhileOperatorsSchedulesStay() {
        define("select pgflow.create_flow('d')", "select pgflow.add_step('d', 'a')");
        define("select pgflow.create_flow('o')", "select pgflow.add_step('o', 'a')");
        db.exec("select pgflow.create_schedule('adhoc', 'd', '@hourly')");
        db.exec("select pgflow.create_schedule('taken', 'o', '@hourly')");
        String v1 = "[{\"name\": \"nightly\", \"cron\": \"0 3 * * *\", \"input\": {\"region\": \"eu\"}, \"time_zone\": \"Europe/Berlin\"},"
                + " {\"name\": \"weekly\", \"cron\": \"0 9 * * MON\", \"catch_up\": \"none\"}]";
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || input::text || ' ' || time_zone || ' ' || catch_up || ' ' || (declared_as is not null) as s"
                + " from pgflow.apply_flow_schedules('d', ?::jsonb)", v1).stream().map(r -> r.get("s")).toList())
                .containsExactly("nightly 0 3 * * * {\"region\": \"eu\"} Europe/Berlin latest true", "weekly 0 9 * * MON {} UTC none true");
        db.exec("select pgflow.pause_schedule('nightly')");
        db.exec("select pgflow.update_schedule('weekly', '0 10 * * MON')");
        String nextBefore = db.one("select next_fire_at::text from pgflow_internal.schedules where schedule_name = 'weekly'");
        assertThat((Long) db.one("select count(*) from pgflow.apply_flow_schedules('d', ?::jsonb)", v1))
                .as("the same declaration again (the next migration)").isEqualTo(2L);
        assertThat(db.row("select cron, next_fire_at::text as next from pgflow_internal.schedules where schedule_name = 'weekly'"))
                .as("what an operator changed since stays").containsEntry("cron", "0 10 * * MON").containsEntry("next", nextBefore);

        String v2 = "[{\"name\": \"nightly\", \"cron\": \"0 4 * * *\", \"input\": {\"region\": \"eu\"}, \"time_zone\": \"Europe/Berlin\"}]";
        db.exec("select count(*) from pgflow.apply_flow_schedules('d', ?::jsonb)", v2);
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || (declared_as is not null) || ' ' || (paused_at is not null)"
                + " || ' ' || to_char(next_fire_at at time zone 'Europe/Berlin', 'HH24:MI') as s from pgflow_internal.schedules order by 1")
                .stream().map(r -> r.get("s")).toList())
                .as("nightly's declaration changed: updated (still paused, next firing at the new time); weekly no longer declared: deleted;"
                        + " adhoc and taken untouched")
                .containsExactly("adhoc @hourly false false 00:00".replace("00:00", db.one("select to_char(next_fire_at at time zone 'Europe/Berlin', 'HH24:MI')"
                        + " from pgflow_internal.schedules where schedule_name = 'adhoc'")), "nightly 0 4 * * * true true 04:00",
                        "taken @hourly false false " + db.one("select to_char(next_fire_at at time zone 'Europe/Berlin', 'HH24:MI')"
                        + " from pgflow_internal.schedules where schedule_name = 'taken'"));

        java.sql.SQLException taken = db.error("select pgflow.apply_flow_schedules('d', '[{\"name\": \"taken\", \"cron\": \"@daily\"}]')");
        assertThat(sqlState(taken)).isEqualTo("23505");
        assertThat(message(taken)).isEqualTo("Flow \"d\" declares schedule \"taken\", but that name is taken by a schedule of flow \"o\"");
        assertThat(message(db.error("select pgflow.apply_flow_schedules('d', '[{\"name\": \"x\"}]')")))
                .isEqualTo("Flow \"d\", schedule 1: needs a JSON object with text \"name\" and \"cron\", got {\"name\": \"x\"}");
        assertThat(message(db.error("select pgflow.apply_flow_schedules('d', '[{\"name\": \"x\", \"cron\": \"@daily\"},"
                + " {\"name\": \"x\", \"cron\": \"@daily\"}]')"))).isEqualTo("Flow \"d\": schedule \"x\" is declared more than once");
        assertThat(message(db.error("select pgflow.apply_flow_schedules('d', '{}')"))).isEqualTo("Flow \"d\": schedules must be a JSON array, got object");
        assertThat(message(db.error("select pgflow.apply_flow_schedules('zz', '[]')"))).isEqualTo("Flow \"zz\" does not exist");
        assertThat(message(db.error("select pgflow.apply_flow_schedules('d', '[{\"name\": \"x\", \"cron\": \"0 3 * *\"}]')")))
                .isEqualTo("Cron \"0 3 * *\": 4 fields; the five standard fields are expected (minute hour day-of-month month day-of-week)");
        db.exec("select count(*) from pgflow.apply_flow_schedules('d', '[]')");
        assertThat(db.rows("select schedule_name from pgflow_internal.schedules order by 1").stream().map(r -> r.get("schedule_name")).toList())
                .as("an empty declaration deletes the declared ones only").containsExactly("adhoc", "taken");
    }

    @Test
    void scheduleFiringsListTheNextInstantsAndTheRunsIndexFindsAScheduleRuns() {
        nightlyOf("n", "latest");
        assertThat(db.rows("select pgflow._schedule_instant(f) as f from pgflow.schedule_firings('nightly', 4, '2026-03-27T12:00:00Z') f")
                .stream().map(r -> r.get("f")).toList()).as("03:00 in Berlin across the spring-forward night")
                .containsExactly("2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z", "2026-03-31T01:00:00Z");
        assertThat((Long) db.one("select count(*) from pgflow.schedule_firings('nightly')")).isEqualTo(5L);
        assertThat(message(db.error("select pgflow.schedule_firings('nightly', 0)"))).isEqualTo("Schedule \"nightly\": count must be 1 to 1000, got 0");
        assertThat(sqlState(db.error("select pgflow.schedule_firings('nope')"))).isEqualTo("P0002");
        db.exec("select pgflow.backfill_schedule('nightly', '2026-11-01T00:00:00Z', '2026-11-03T23:59:59Z')");
        db.exec("set enable_seqscan = off");
        String plan = String.join("\n", db.rows("explain select run_id from pgflow.runs where flow_slug = 'n' and idempotency_key like 'schedule:%'"
                + " and split_part(idempotency_key, ':', 2) = 'nightly' order by started_at desc limit 5").stream().map(r -> (String) r.get("QUERY PLAN")).toList());
        db.exec("reset enable_seqscan");
        assertThat(plan).contains("idx_runs_schedule");
    }

    @Test
    void aTickFiresAtMostItsBudgetAndSaysMoreWhileSchedulesMayBeDueAndZonesAreRegionNamesOnly() {
        define("select pgflow.create_flow('b')", "select pgflow.add_step('b', 'a')");
        for (String name : List.of("b1", "b2", "b3")) {
            db.exec("select pgflow.create_schedule(?, 'b', '@hourly')", name);
        }
        db.exec("update pgflow_internal.schedules set next_fire_at = date_trunc('hour', now())");
        assertThat(db.row("select fired, errors, more from pgflow._fire_due_schedules(2)")).isEqualTo(Map.of("fired", 2, "errors", 0, "more", true));
        assertThat(db.row("select fired, errors, more from pgflow._fire_due_schedules(2)")).isEqualTo(Map.of("fired", 1, "errors", 0, "more", false));
        assertThat(db.row("select fired, errors, more from pgflow._fire_due_schedules(2)")).isEqualTo(Map.of("fired", 0, "errors", 0, "more", false));

        assertThat((String) db.one("select (pgflow.create_schedule('z1', 'b', '@daily', '{}', 'America/Argentina/Buenos_Aires')).time_zone"))
                .isEqualTo("America/Argentina/Buenos_Aires");
        assertThat((String) db.one("select (pgflow.create_schedule('z2', 'b', '@daily', '{}', 'EST5EDT')).time_zone"))
                .as("a zone of the tz database without a region").isEqualTo("EST5EDT");
        assertThat(message(db.error("select pgflow.create_schedule('z3', 'b', '@daily', '{}', 'PST')")))
                .as("an abbreviation is no zone (no DST)").isEqualTo("Schedule \"z3\": unknown time zone \"PST\" (a name of pg_timezone_names, as Europe/Berlin or UTC)");
        assertThat(message(db.error("select pgflow.create_schedule('z4', 'b', '@daily', '{}', 'UTC+3')")))
                .isEqualTo("Schedule \"z4\": unknown time zone \"UTC+3\" (a name of pg_timezone_names, as Europe/Berlin or UTC)");
        assertThat(message(db.error("select pgflow.create_schedule('z5', 'b', '@daily', '{}', 'Europe/Berlinx')")))
                .isEqualTo("Schedule \"z5\": unknown time zone \"Europe/Berlinx\" (a name of pg_timezone_names, as Europe/Berlin or UTC)");
    }
}
