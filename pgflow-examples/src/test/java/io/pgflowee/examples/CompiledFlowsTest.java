package io.pgflowee.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.pgflowee.api.compile.FlowCompiler;
import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TaskContext;
import io.pgflowee.api.flow.TypeRef;
import io.pgflowee.api.flow.WhenExhausted;
import io.pgflowee.api.flow.WhenUnmet;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.api.shape.FlowShape;
import io.pgflowee.migrations.PgflowMigrations;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.JsonValue;
import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.DirectoryResourceAccessor;

/**
 * Compiled flows against a real PostgreSQL: the shipped changelogs create exactly the Java shapes,
 * compiled flows round-trip through Liquibase, a changed flow stops the migration with an
 * actionable message, and the example flows run to their documented outputs when their handlers
 * execute the tasks {@code claim_tasks} hands out.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class CompiledFlowsTest {

    @TempDir
    Path dir;

    private Db db;
    private DataSource dataSource;
    private final JsonCodec codec = JsonCodec.create();

    @BeforeEach
    void freshFlows(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
        // the example flows, created from their Java shapes (the shipped changelogs are tested on their own below)
        for (Flow<?> flow : List.of(new GreetUser().flow(), new CartInvoice().flow(), new GreetMany().flow(), new OrderApproval().flow(),
                new Payment().flow(), new Shipping().flow(), new OrderFulfilment().flow(), new DailyReport().flow())) {
            db.one("select pgflow.ensure_flow_compiled(?, ?::jsonb)::text", flow.slug(), FlowShape.of(flow).toJson().toString());
        }
    }

    // ---- shapes ---------------------------------------------------------------------------------

    @Test
    void theShippedChangelogsCreateExactlyTheJavaShapes() throws SQLException {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        try (Connection c = dataSource.getConnection()) {
            PgflowMigrations.apply(c); // compiled flow changesets run on every migration: the shipped flows come back
        }
        for (Flow<?> flow : List.of(new GreetUser().flow(), new CartInvoice().flow(), new GreetMany().flow(), new OrderApproval().flow(),
                new Payment().flow(), new Shipping().flow(), new OrderFulfilment().flow(), new DailyReport().flow())) {
            String dbShape = db.one("select pgflow.get_flow_shape(?)::text", flow.slug());
            assertThat(FlowShape.parse(dbShape).differencesFrom(FlowShape.of(flow))).isEmpty();
            assertThat(sqlDifferences(FlowShape.of(flow), FlowShape.parse(dbShape))).isEmpty();
            String java = FlowShape.of(flow).toJson().toString();
            // the database's shape has no options (they are never compared): the flow's and the steps' taken out of the Java one
            assertThat((Boolean) db.one("select pgflow.get_flow_shape(?) = jsonb_build_object('steps', (select jsonb_agg(s - 'options'"
                    + " order by n) from jsonb_array_elements(?::jsonb -> 'steps') with ordinality as e(s, n)))", flow.slug(), java))
                    .as("get_flow_shape(%s) equals the Java shape", flow.slug()).isTrue();
        }
        assertThat(db.rows("select flow_slug, opt_max_attempts, opt_base_delay, opt_timeout from pgflow.flows order by flow_slug"))
                .containsExactly(
                        Map.of("flow_slug", "cart_invoice", "opt_max_attempts", 3, "opt_base_delay", 5, "opt_timeout", 30),
                        Map.of("flow_slug", "daily_report", "opt_max_attempts", 3, "opt_base_delay", 5, "opt_timeout", 60),
                        Map.of("flow_slug", "greet_many", "opt_max_attempts", 3, "opt_base_delay", 5, "opt_timeout", 60),
                        Map.of("flow_slug", "greet_user", "opt_max_attempts", 3, "opt_base_delay", 5, "opt_timeout", 60),
                        Map.of("flow_slug", "order_approval", "opt_max_attempts", 3, "opt_base_delay", 5, "opt_timeout", 30),
                        Map.of("flow_slug", "order_fulfilment", "opt_max_attempts", 2, "opt_base_delay", 1, "opt_timeout", 30),
                        Map.of("flow_slug", "payment", "opt_max_attempts", 2, "opt_base_delay", 1, "opt_timeout", 30),
                        Map.of("flow_slug", "shipping", "opt_max_attempts", 3, "opt_base_delay", 1, "opt_timeout", 30));
    }

    static Flow<JsonValue> everyFeature(String slug) {
        Flow<JsonValue> flow = Flow.define(slug, JsonValue.class).maxAttempts(2).baseDelay(3).timeout(10);
        Step<List<String>> root = flow.step("root", new TypeRef<List<String>>() { })
                .when("{\"plan\": \"pro\", \"tags\": [\"a\"]}").whenUnmet(WhenUnmet.SKIP_CASCADE).run(in -> List.of());
        Step<String> other = flow.step("other", String.class).baseDelay(7).startDelay(3).maxAttempts(4).timeout(20)
                .unless("{\"o'k\": false}").run(in -> "o");
        Step<List<Integer>> each = flow.map("each", Integer.class).over(root).whenExhausted(WhenExhausted.SKIP_CASCADE)
                .run(String::length);
        flow.step("join", String.class).after(other, each).whenExhausted(WhenExhausted.SKIP).run((o, e) -> o);
        return flow;
    }

    @Test
    void aCompiledFlowRoundTripsThroughLiquibase() throws Exception {
        Flow<JsonValue> flow = everyFeature("round_trip");
        write(flow);
        migrate();
        String dbShape = db.one("select pgflow.get_flow_shape('round_trip')::text");
        assertThat(FlowShape.parse(dbShape).differencesFrom(FlowShape.of(flow))).isEmpty();
        assertThat(FlowShape.parse(dbShape).steps()).isEqualTo(FlowShape.of(flow).steps().stream()
                .map(s -> new FlowShape.StepShape(s.slug(), s.stepType(), s.dependencies(), s.whenUnmet(), s.whenExhausted(),
                        s.requiredInputPattern(), s.forbiddenInputPattern(), null))
                .toList());
        assertThat(db.rows("select step_slug, step_index, deps_count, opt_max_attempts, opt_base_delay, opt_timeout, opt_start_delay"
                + " from pgflow.steps where flow_slug = 'round_trip' order by step_index")).extracting(Object::toString).containsExactly(
                "{step_slug=root, step_index=0, deps_count=0, opt_max_attempts=null, opt_base_delay=null, opt_timeout=null, opt_start_delay=null}",
                "{step_slug=other, step_index=1, deps_count=0, opt_max_attempts=4, opt_base_delay=7, opt_timeout=20, opt_start_delay=3}",
                "{step_slug=each, step_index=2, deps_count=1, opt_max_attempts=null, opt_base_delay=null, opt_timeout=null, opt_start_delay=null}",
                "{step_slug=join, step_index=3, deps_count=2, opt_max_attempts=null, opt_base_delay=null, opt_timeout=null, opt_start_delay=null}");
        // applying again changes nothing
        migrate();
        assertThat((Long) db.one("select count(*) from pgflow.steps where flow_slug = 'round_trip'")).isEqualTo(4L);
    }

    @Test
    void declaredSchedulesFollowTheDeclarationAcrossMigrationsAndKeepWhatOperatorsChanged() throws Exception {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        Flow<JsonValue> v1 = Flow.define("timed", JsonValue.class);
        v1.step("a", String.class).run(in -> "a");
        v1.schedule("timed_nightly", "0 3 * * *", jakarta.json.Json.createObjectBuilder().add("who", "o'neil").build()).timeZone("Europe/Berlin");
        v1.schedule("timed_hourly", "@hourly");
        write(v1);
        migrate();
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || input::text || ' ' || time_zone || ' ' || catch_up as s"
                + " from pgflow_internal.schedules where flow_slug = 'timed' order by 1").stream().map(r -> r.get("s")).toList())
                .containsExactly("timed_hourly @hourly {} UTC latest", "timed_nightly 0 3 * * * {\"who\": \"o'neil\"} Europe/Berlin latest");
        db.exec("select pgflow.update_schedule('timed_hourly', '30 * * * *')");
        db.exec("select pgflow.pause_schedule('timed_nightly')");
        migrate(); // every server start migrates: what operators changed stays while the declaration is the same
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || (paused_at is not null) as s"
                + " from pgflow_internal.schedules where flow_slug = 'timed' order by 1").stream().map(r -> r.get("s")).toList())
                .containsExactly("timed_hourly 30 * * * * false", "timed_nightly 0 3 * * * true");

        Flow<JsonValue> v2 = Flow.define("timed", JsonValue.class);
        v2.step("a", String.class).run(in -> "a");
        v2.schedule("timed_nightly", "0 4 * * *").timeZone("Europe/Berlin").catchUp(io.pgflowee.api.flow.Schedule.CatchUp.ALL);
        write(v2);
        migrate();
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || input::text || ' ' || catch_up || ' ' || (paused_at is not null) as s"
                + " from pgflow_internal.schedules where flow_slug = 'timed' order by 1").stream().map(r -> r.get("s")).toList())
                .as("the changed declaration applies (still paused), the removed one is deleted").containsExactly("timed_nightly 0 4 * * * {} all true");
    }

    @Test
    void aFlowChangedAfterItWasAppliedStopsTheMigrationAndPointsToVersioningOrReset() throws Exception {
        Flow<JsonValue> v1 = Flow.define("evolving", JsonValue.class);
        Step<String> a = v1.step("a", String.class).run(in -> "a");
        v1.step("b", String.class).after(a).run(x -> x);
        write(v1);
        migrate();
        UUID run = db.one("select run_id from pgflow.start_flow('evolving', '{}'::jsonb)");

        Flow<JsonValue> v2 = Flow.define("evolving", JsonValue.class);
        Step<String> a2 = v2.step("a", String.class).run(in -> "a");
        Step<String> c2 = v2.step("c", String.class).run(in -> "c");
        v2.step("b", String.class).after(a2, c2).run((x, y) -> x);
        write(v2);
        assertThatThrownBy(this::migrate).hasMessageContaining(
                "Flow 'evolving' changed after it was applied: its compiled changelog no longer matches the flow in the database"
                        + " (first = compiled, second = database): Step count differs: 3 vs 2; "
                        + "Step at index 1: slug differs 'c' vs 'b'; Step at index 1: dependencies differ [] vs [a]; "
                        + "Step at index 2: missing in second shape (first has 'b')");
        SQLException direct = db.error("select pgflow.verify_compiled_flow('evolving', ?::jsonb)", FlowShape.of(v2).toJson().toString());
        assertThat(direct.getSQLState()).isEqualTo("23514");
        assertThat(((org.postgresql.util.PSQLException) direct).getServerErrorMessage().getHint()).isEqualTo(
                "Flows are immutable once applied. Give the changed flow a new slug (for example evolving_v2) and compile it as a"
                        + " new flow; or, in development only, delete the old flow and all its runs with"
                        + " SELECT pgflow.delete_flow_and_data('evolving'); and migrate again.");
        // nothing was changed: the old shape and its run are intact
        assertThat(FlowShape.parse(db.one("select pgflow.get_flow_shape('evolving')::text")).differencesFrom(FlowShape.of(v1))).isEmpty();
        assertThat((String) db.one("select status from pgflow.runs where run_id = ?", run)).isEqualTo("started");

        // the development path of the seed README: delete the flow and its data, migrate again
        db.exec("select pgflow.delete_flow_and_data('evolving')");
        migrate();
        assertThat(FlowShape.parse(db.one("select pgflow.get_flow_shape('evolving')::text")).differencesFrom(FlowShape.of(v2))).isEmpty();
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'evolving'")).isZero();

        // options are not structure: changing them recompiles without a complaint
        Flow<JsonValue> v3 = Flow.define("evolving", JsonValue.class).maxAttempts(9);
        Step<String> a3 = v3.step("a", String.class).timeout(99).run(in -> "a");
        Step<String> c3 = v3.step("c", String.class).run(in -> "c");
        v3.step("b", String.class).after(a3, c3).run((x, y) -> x);
        write(v3);
        migrate();
        assertThat(FlowShape.parse(db.one("select pgflow.get_flow_shape('evolving')::text")).differencesFrom(FlowShape.of(v3))).isEmpty();
    }

    @Test
    void javaAndSqlDescribeShapeDifferencesInTheSameWords() {
        List<FlowShape> shapes = List.of(FlowShape.of(everyFeature("x")), FlowShape.of(new GreetUser().flow()), FlowShape.of(new CartInvoice().flow()),
                FlowShape.parse("{\"steps\": []}"),
                FlowShape.parse("{\"steps\": [{\"slug\": \"root\", \"stepType\": \"map\", \"whenUnmet\": \"fail\","
                        + " \"forbiddenInputPattern\": {\"defined\": true, \"value\": {\"b\": [1, {\"c\": null}], \"a\": \"x\"}}},"
                        + " {\"slug\": \"lines\", \"dependencies\": [\"root\", \"other\"]}]}"));
        int compared = 0;
        for (FlowShape first : shapes) {
            for (FlowShape second : shapes) {
                assertThat(first.differencesFrom(second)).isEqualTo(sqlDifferences(first, second));
                compared++;
            }
        }
        assertThat(compared).isEqualTo(25);
        assertThat(sqlDifferences(shapes.get(4), shapes.get(0))).contains(
                "Step at index 0: forbiddenInputPattern differs {\"a\": \"x\", \"b\": [1, {\"c\": null}]} vs not defined");
    }

    // ---- the examples run to their documented outputs --------------------------------------------

    @Test
    void greetUserProducesTheSeedReadmeGreeting() throws Exception {
        UUID run = db.one("select run_id from pgflow.start_flow(flow_slug => 'greet_user', input => '{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}'::jsonb)");
        drive(new GreetUser().flow(), run);
        assertThat(db.row("select status, output::text as output from pgflow.runs where run_id = ?", run))
                .isEqualTo(Map.of("status", "completed", "output", "{\"greeting\": \"Hello, Alice Smith!\"}"));
        assertThat(db.rows("select step_slug, output::text as output from pgflow.step_states where run_id = ? order by step_slug", run))
                .containsExactly(Map.of("step_slug", "full_name", "output", "\"Alice Smith\""),
                        Map.of("step_slug", "greeting", "output", "\"Hello, Alice Smith!\""));
    }

    @Test
    void cartInvoiceMapsOverLinesAndSkipsTheExpressFeeUnlessAsked() throws Exception {
        String lines = "[{\"sku\": \"A-1\", \"price\": 12.50, \"quantity\": 2}, {\"sku\": \"B-7\", \"price\": 3, \"quantity\": 1}]";
        UUID express = db.one("select run_id from pgflow.start_flow('cart_invoice', ?::jsonb)", "{\"lines\": " + lines + ", \"express\": true}");
        UUID standard = db.one("select run_id from pgflow.start_flow('cart_invoice', ?::jsonb)", "{\"lines\": " + lines + "}");
        UUID empty = db.one("select run_id from pgflow.start_flow('cart_invoice', '{\"lines\": []}'::jsonb)");
        Flow<?> flow = new CartInvoice().flow();
        drive(flow, express);
        drive(flow, standard);
        drive(flow, empty);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", express))
                .isEqualTo("{\"invoice\": {\"total\": 33.00, \"subtotal\": 28.00, \"expressFee\": 5.00}}");
        assertThat((String) db.one("select output::text from pgflow.step_states where run_id = ? and step_slug = 'line_totals'", express))
                .isEqualTo("[25.00, 3]");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", standard))
                .isEqualTo("{\"invoice\": {\"total\": 28.00, \"subtotal\": 28.00, \"expressFee\": 0.00}}");
        assertThat(db.row("select status, skip_reason from pgflow.step_states where run_id = ? and step_slug = 'express_fee'", standard))
                .isEqualTo(Map.of("status", "skipped", "skip_reason", "condition_unmet"));
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", empty))
                .isEqualTo("{\"invoice\": {\"total\": 0.00, \"subtotal\": 0.00, \"expressFee\": 0.00}}");
    }

    @Test
    void theShippedDailyReportIsFiredByItsSchedulesAndDeliversTheReport() throws Exception {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        try (Connection c = dataSource.getConnection()) {
            PgflowMigrations.apply(c);
        }
        assertThat(db.rows("select schedule_name || ' ' || cron || ' ' || input::text || ' ' || time_zone || ' ' || catch_up"
                + " || ' ' || to_char(next_fire_at at time zone time_zone, 'HH24:MI ID') as s from pgflow_internal.schedules order by 1")
                .stream().map(r -> ((String) r.get("s")).replaceAll(" [1-5]$", " weekday")).toList()).containsExactly(
                "daily_report_eu 0 7 * * MON-FRI {\"region\": \"eu\"} Europe/Berlin latest 07:00 weekday",
                "daily_report_us 0 8 * * MON-FRI {\"region\": \"us\"} America/New_York none 08:00 weekday");
        // time moves by next_fire_at: the last weekday 07:00 in Berlin that has passed is due
        String last = db.one("select pgflow._schedule_instant(max(f)) from pgflow.schedule_firings('daily_report_eu', 10, now() - interval '9 days') f"
                + " where f <= now()");
        db.exec("update pgflow_internal.schedules set next_fire_at = ?::timestamptz where schedule_name = 'daily_report_eu'", last);
        assertThat((String) db.one("select pgflow.tick() ->> 'schedules_fired'")).isEqualTo("1");
        UUID run = db.one("select run_id from pgflow.runs where idempotency_key = ?", "schedule:daily_report_eu:" + last);
        drive(new DailyReport().flow(), run);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", run))
                .isEqualTo("{\"deliver\": \"report eu for " + last + ": sent\"}");
    }

    @Test
    void greetManyMapsOverTheInputArray() throws Exception {
        UUID run = db.one("select run_id from pgflow.start_flow('greet_many', ?::jsonb)",
                "[{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}, {\"first_name\": \"Bob\", \"last_name\": \"Jones\"}]");
        drive(new GreetMany().flow(), run);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", run))
                .isEqualTo("{\"letter\": \"Hello, Alice Smith! Hello, Bob Jones!\"}");
        assertThat((String) db.one("select output::text from pgflow.step_states where run_id = ? and step_slug = 'greetings'", run))
                .isEqualTo("[\"Hello, Alice Smith!\", \"Hello, Bob Jones!\"]");
    }

    @Test
    void orderApprovalWaitsForTheApprovalByKeyAndShipsOrHolds() throws Exception {
        Flow<?> flow = new OrderApproval().flow();
        UUID approved = db.one("select run_id from pgflow.start_flow('order_approval', '{\"orderId\": \"order-77\", \"total\": 120}', NULL,"
                + " 'order-77')");
        UUID rejected = db.one("select run_id from pgflow.start_flow('order_approval', '{\"orderId\": \"order-78\", \"total\": 5.5}', NULL,"
                + " 'order-78')");
        assertThat((String) db.one("select pgflow.send_signal_by_key('order_approval', 'order-78', 'approval',"
                + " '{\"approved\": false, \"by\": \"bob\"}')")).as("before review: kept").isEqualTo("buffered");
        drive(flow, rejected);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", rejected))
                .isEqualTo("{\"fulfil\": \"held order-78 (5.50), rejected by bob\"}");

        drive(flow, approved, 1); // review only: then the run waits, nothing to claim
        assertThat(db.row("select status, (wait_deadline - started_at)::text as longest from pgflow.step_states"
                + " where run_id = ? and step_slug = 'approval'", approved)).isEqualTo(Map.of("status", "started", "longest", "2 days"));
        assertThat((String) db.one("select pgflow.send_signal_by_key('order_approval', 'order-77', 'approval',"
                + " '{\"approved\": true, \"by\": \"ann\"}')")).isEqualTo("delivered");
        drive(flow, approved);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", approved))
                .isEqualTo("{\"fulfil\": \"shipped order-77 (120.00), approved by ann\"}");
    }

    @Test
    void orderFulfilmentPaysThroughAPaymentChildAndShipsEachParcelThroughAShippingChild() throws Exception {
        List<Flow<?>> family = List.of(new OrderFulfilment().flow(), new Payment().flow(), new Shipping().flow());
        UUID order = db.one("select run_id from pgflow.start_flow('order_fulfilment', '{\"orderId\": \"o-7\", \"card\": \"4242\","
                + " \"parcels\": [{\"id\": \"p-1\", \"grams\": 1200, \"cents\": 1500}, {\"id\": \"p-2\", \"grams\": 30000, \"cents\": 1000}]}')");
        driveAll(family, order);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", order))
                .isEqualTo("{\"summary\": {\"orderId\": \"o-7\", \"tracking\": [\"TRK-o-7-p-1\", \"TRK-o-7-p-2\"], \"authorization\":"
                        + " \"auth-o-7-2500\"}}");
        assertThat(db.rows("select flow_slug, parent_step_slug, parent_task_index, status, output::text as output from pgflow.runs"
                + " where parent_run_id = ? order by parent_step_slug, parent_task_index", order)).extracting(Object::toString).containsExactly(
                "{flow_slug=payment, parent_step_slug=pay, parent_task_index=0, status=completed, output={\"receipt\": {\"cents\": 2500,"
                        + " \"orderId\": \"o-7\", \"authorization\": \"auth-o-7-2500\"}}}",
                "{flow_slug=shipping, parent_step_slug=ship, parent_task_index=0, status=completed, output={\"dispatch\": {\"parcel\":"
                        + " \"p-1\", \"carrier\": \"parcel-post\", \"tracking\": \"TRK-o-7-p-1\"}}}",
                "{flow_slug=shipping, parent_step_slug=ship, parent_task_index=1, status=completed, output={\"dispatch\": {\"parcel\":"
                        + " \"p-2\", \"carrier\": \"freight\", \"tracking\": \"TRK-o-7-p-2\"}}}");

        // a declined card: the payment child fails (twice: its own attempts), the order's pay step has one attempt
        UUID declined = db.one("select run_id from pgflow.start_flow('order_fulfilment', '{\"orderId\": \"o-8\", \"card\": \"4000000000000002\","
                + " \"parcels\": [{\"id\": \"p-1\", \"grams\": 10, \"cents\": 100}]}')");
        driveAll(family, declined);
        assertThat(db.row("select status, error_message from pgflow.step_states where run_id = ? and step_slug = 'pay'", declined))
                .containsEntry("status", "failed").hasEntrySatisfying("error_message", e -> assertThat((String) e)
                        .matches("Child run [0-9a-f-]{36} of flow \"payment\" failed: step \"authorize\": "
                                + "java.lang.IllegalStateException: card ending in 0002 declined for order o-8"));
        assertThat((Long) db.one("select count(*) from pgflow.runs where parent_run_id = ? and flow_slug = 'shipping'", declined))
                .as("nothing ships unpaid").isZero();
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Workers in miniature for several flows: claims and runs their tasks until {@code root} is no longer started. */
    private void driveAll(List<Flow<?>> flows, UUID root) throws Exception {
        for (int round = 0; round < 60 && "started".equals(db.one("select status from pgflow.runs where run_id = ?", root)); round++) {
            for (Flow<?> flow : flows) {
                db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() where status = 'queued' and visible_at <> 'infinity'");
                drive(flow, null, 1);
            }
        }
        assertThat((String) db.one("select status from pgflow.runs where run_id = ?", root)).isNotEqualTo("started");
    }

    private List<String> sqlDifferences(FlowShape first, FlowShape second) {
        try (Connection c = dataSource.getConnection();
             var ps = c.prepareStatement("select pgflow.compare_flow_shapes(?::jsonb, ?::jsonb)")) {
            ps.setString(1, first.toJson().toString());
            ps.setString(2, second.toJson().toString());
            try (var rs = ps.executeQuery()) {
                rs.next();
                Array array = rs.getArray(1);
                return Arrays.asList((String[]) array.getArray());
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void write(Flow<?> flow) throws Exception {
        Files.writeString(dir.resolve(flow.slug() + ".sql"), FlowCompiler.changelog(flow));
        Files.writeString(dir.resolve("changelog.xml"), FlowCompiler.masterChangelog(List.of(flow.slug() + ".sql")));
    }

    private void migrate() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), new DirectoryResourceAccessor(dir)),
                    () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                            .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                            .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, "changelog.xml")
                            .execute());
        } catch (Exception e) {
            Throwable t = e;
            StringBuilder messages = new StringBuilder();
            while (t != null) {
                messages.append(t.getMessage()).append(" | ");
                t = t.getCause() == t ? null : t.getCause();
            }
            throw new IllegalStateException(messages.toString(), e);
        }
    }

    /** A worker in miniature: claims the flow's tasks and runs each through its Java step until the run ends. */
    private void drive(Flow<?> flow, UUID run) throws Exception {
        drive(flow, run, 50);
        if ("started".equals(db.one("select status from pgflow.runs where run_id = ?", run))) {
            throw new AssertionError("run " + run + " did not finish");
        }
    }

    /** Claims and runs the flow's tasks for up to {@code rounds} claims, or until the run is no longer started. */
    private void drive(Flow<?> flow, UUID run, int rounds) throws Exception {
        UUID worker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, ?, 'test')", worker, flow.slug());
        for (int round = 0; round < rounds; round++) {
            if (run != null && !"started".equals(db.one("select status from pgflow.runs where run_id = ?", run))) {
                return;
            }
            for (Map<String, Object> task : db.rows("select run_id, step_slug, task_index, input::text as input,"
                    + " flow_input::text as flow_input, attempts_count from pgflow.claim_tasks(?, ?, 100)", flow.slug(), worker)) {
                Step<?> step = flow.stepNamed((String) task.get("step_slug"));
                JsonValue flowInput = JsonCodec.parse((String) task.get("flow_input"));
                TaskContext ctx = new TaskContext() {
                    public String flowSlug() { return flow.slug(); }
                    public UUID runId() { return (UUID) task.get("run_id"); }
                    public String stepSlug() { return step.slug(); }
                    public int taskIndex() { return (Integer) task.get("task_index"); }
                    public int attempt() { return (Integer) task.get("attempts_count"); }
                    public JsonValue flowInput() { return flowInput; }
                    public <T> T flowInput(Class<T> type) { return type.cast(codec.decode(flowInput, type)); }
                    public Instant deadline() { return Instant.now().plusSeconds(60); }
                    public boolean isCancelled() { return false; }
                };
                String output;
                try {
                    output = step.execute(JsonCodec.parse((String) task.get("input")), ctx, codec);
                } catch (Exception e) {
                    db.row("select status from pgflow.fail_task(?, ?, ?, ?)", task.get("run_id"), step.slug(), task.get("task_index"),
                            e.toString());
                    continue;
                }
                db.row("select status from pgflow.complete_task(?, ?, ?, ?::jsonb)", task.get("run_id"), step.slug(),
                        task.get("task_index"), output);
            }
        }
    }
}
