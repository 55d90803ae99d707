package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/**
 * Subflow steps: a task's output is a child run's input; the child's end completes or fails the
 * task; families cancel, retry, nest, time out, prune and delete as a whole.
 */
class SubflowsTest extends SqlEngineTest {

    /** payment: charge -> receipt. order: prepare -> pay (subflow payment) -> ship. */
    private void orderFlows(String payOptions) {
        define("select pgflow.create_flow('payment', max_attempts => 1)",
                "select pgflow.add_step('payment', 'charge')",
                "select pgflow.add_step('payment', 'receipt', ARRAY['charge'])",
                "select pgflow.create_flow('order_flow', base_delay => 0)",
                "select pgflow.add_step('order_flow', 'prepare')",
                "select pgflow.add_step('order_flow', 'pay', ARRAY['prepare'], step_type => 'subflow', subflow_slug => 'payment'"
                        + payOptions + ")",
                "select pgflow.add_step('order_flow', 'ship', ARRAY['pay'])");
    }

    /** Claims and completes the only task of {@code step} in {@code run} with {@code output}. */
    private Map<String, Object> claimAndComplete(String flow, UUID run, String step, String output) {
        List<Map<String, Object>> claimed = claim(flow, 100);
        assertThat(claimed).extracting(t -> t.get("run_id"), t -> t.get("step_slug")).contains(tuple(run, step));
        return complete(run, step, 0, output);
    }

    private UUID childOf(UUID parent, String step, int index) {
        return db.one("select child_run_id from pgflow.step_tasks where run_id = ? and step_slug = ? and task_index = ?",
                parent, step, index);
    }

    private Map<String, Object> family(UUID child) {
        return db.row("select parent_run_id, parent_step_slug, parent_task_index, root_run_id, flow_slug, status, input::text as input"
                + " from pgflow.runs where run_id = ?", child);
    }

    /** Completes a payment child: charge then receipt. */
    private void pay(UUID child, String receipt) {
        claimAndComplete("payment", child, "charge", "{\"charged\": true}");
        claimAndComplete("payment", child, "receipt", receipt);
    }

    @Test
    void aSubflowStepNeedsAnExistingChildFlowAndOnlySubflowStepsNameOne() {
        db.exec("select pgflow.create_flow('parent')");
        SQLException unknown = db.error("select pgflow.add_step('parent', 'pay', step_type => 'subflow', subflow_slug => 'nope')");
        assertThat(sqlState(unknown)).isEqualTo("22023");
        assertThat(message(unknown)).isEqualTo("Step \"pay\" of flow \"parent\": subflow \"nope\" does not exist; create the child flow first");
        SQLException missing = db.error("select pgflow.add_step('parent', 'pay', step_type => 'map_subflow')");
        assertThat(sqlState(missing)).isEqualTo("22023");
        assertThat(message(missing)).isEqualTo("Step \"pay\" of flow \"parent\": a map_subflow step needs subflow_slug, the flow whose run it starts");
        SQLException single = db.error("select pgflow.add_step('parent', 'pay', subflow_slug => 'parent')");
        assertThat(message(single)).isEqualTo("Step \"pay\" of flow \"parent\": subflow_slug 'parent' is only for step_type 'subflow' or"
                + " 'map_subflow', not 'single'");

        db.exec("select pgflow.add_step('parent', 'a')");
        db.exec("select pgflow.add_step('parent', 'b')");
        SQLException twoDeps = db.error("select pgflow.add_step('parent', 'each', ARRAY['a', 'b'], step_type => 'map_subflow',"
                + " subflow_slug => 'parent')");
        assertThat(message(twoDeps)).isEqualTo("Map step \"each\" can have at most one dependency, but 2 were provided: a, b");

        // a flow may name itself (recursion, bounded by pgflow.max_subflow_depth)
        Map<String, Object> self = db.row("select step_type, subflow_slug from pgflow.add_step('parent', 'again', ARRAY['a'],"
                + " step_type => 'subflow', subflow_slug => 'parent')");
        assertThat(self).containsEntry("step_type", "subflow").containsEntry("subflow_slug", "parent");
        assertThat((String) db.one("select (pgflow.get_flow_shape('parent') -> 'steps' -> 2)::text"))
                .contains("\"stepType\": \"subflow\"").contains("\"subflowSlug\": \"parent\"");
        assertThat((String) db.one("select (pgflow.get_flow_shape('parent') -> 'steps' -> 0)::text")).doesNotContain("subflowSlug");
        assertThat(db.<String>one("select array_to_string(pgflow.compare_flow_shapes(pgflow.get_flow_shape('parent'),"
                + " jsonb_set(pgflow.get_flow_shape('parent'), '{steps,2,subflowSlug}', '\"other\"')), '|')"))
                .isEqualTo("Step at index 2: subflow differs 'parent' vs 'other'");
    }

    @Test
    void theTaskOutputStartsTheChildInTheSameTransactionAndTheChildsOutputCompletesTheParentTask() {
        orderFlows("");
        UUID order = start("order_flow", "{\"order\": 7}");
        claimAndComplete("order_flow", order, "prepare", "{\"amount\": 120}");
        List<Map<String, Object>> pay = claim("order_flow", 10);
        assertThat(pay).extracting(t -> t.get("step_slug"), t -> t.get("input")).containsExactly(tuple("pay", "{\"prepare\": {\"amount\": 120}}"));

        Map<String, Object> waiting = complete(order, "pay", 0, "{\"amount\": 120, \"card\": \"4242\"}");
        assertThat(waiting).containsEntry("status", "started").containsEntry("output", null);
        UUID child = childOf(order, "pay", 0);
        assertThat(child).isNotNull();
        assertThat(db.<Boolean>one("select visible_at = 'infinity' from pgflow.step_tasks where run_id = ? and step_slug = 'pay'", order))
                .isTrue();
        assertThat(family(child)).containsEntry("parent_run_id", order).containsEntry("parent_step_slug", "pay")
                .containsEntry("parent_task_index", 0).containsEntry("root_run_id", order).containsEntry("flow_slug", "payment")
                .containsEntry("status", "started").containsEntry("input", "{\"card\": \"4242\", \"amount\": 120}");
        assertThat(db.<String>one("select (pgflow.get_run_with_states(?) -> 'steps' -> 1 -> 'child_run_ids')::text", order))
                .isEqualTo("[\"" + child + "\"]");

        // a report for the waiting task changes nothing; a stopping worker does not hand it back
        assertThat(complete(order, "pay", 0, "{\"other\": 1}")).containsEntry("status", "started");
        assertThat(fail(order, "pay", 0, "boom")).containsEntry("status", "started").containsEntry("attempts_count", 1);
        assertThat(db.<Integer>one("select pgflow.release_tasks(?)", worker)).isZero();
        assertThat(db.<String>one("select status from pgflow.snooze_task(?, 'pay', 0, now() + interval '1 minute')", order))
                .as("a task that waits for its child is in no worker's hands: nothing to snooze").isEqualTo("started");
        assertThat(db.<Boolean>one("select visible_at = 'infinity' from pgflow.step_tasks where run_id = ? and step_slug = 'pay'", order))
                .isTrue();
        assertThat(db.<Long>one("select count(*) from pgflow.runs where parent_run_id = ?", order)).isEqualTo(1);

        pay(child, "{\"receipt\": \"R-1\"}");
        assertThat(run(child)).containsEntry("status", "completed").containsEntry("output", "{\"receipt\": {\"receipt\": \"R-1\"}}");
        assertThat(task(order, "pay", 0)).containsEntry("status", "completed").containsEntry("output", "{\"receipt\": {\"receipt\": \"R-1\"}}");
        assertThat(step(order, "pay")).containsEntry("status", "completed").containsEntry("output", "{\"receipt\": {\"receipt\": \"R-1\"}}");
        assertThat(claim("order_flow", 10)).extracting(t -> t.get("step_slug"), t -> t.get("input"))
                .containsExactly(tuple("ship", "{\"pay\": {\"receipt\": {\"receipt\": \"R-1\"}}}"));
        complete(order, "ship", 0, "\"shipped\"");
        assertThat(run(order)).containsEntry("status", "completed").containsEntry("output", "{\"ship\": \"shipped\"}");
    }

    @Test
    void aFailedChildFailsTheParentTaskWhichStartsANewChildWhileAttemptsAreLeftThenFailsTheParent() {
        orderFlows(", max_attempts => 2");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{\"try\": 1}");
        UUID first = childOf(order, "pay", 0);
        claim("payment", 10);
        fail(first, "charge", 0, "card declined");
        assertThat(run(first)).containsEntry("status", "failed");
        Map<String, Object> requeued = task(order, "pay", 0);
        assertThat(requeued).containsEntry("status", "queued").containsEntry("attempts_count", 1)
                .containsEntry("error_message", "Child run " + first + " of flow \"payment\" failed: step \"charge\": card declined");
        assertThat(childOf(order, "pay", 0)).as("queued again, the task forgets its child").isNull();

        makeVisible(order);
        claimAndComplete("order_flow", order, "pay", "{\"try\": 2}");
        UUID second = childOf(order, "pay", 0);
        assertThat(second).isNotEqualTo(first);
        assertThat(db.rows("select run_id, status from pgflow.runs where parent_run_id = ? order by started_at, run_id", order))
                .extracting(r -> r.get("run_id"), r -> r.get("status")).containsExactly(tuple(first, "failed"), tuple(second, "started"));
        claim("payment", 10);
        fail(second, "charge", 0, "declined again");
        assertThat(task(order, "pay", 0)).containsEntry("status", "failed").containsEntry("attempts_count", 2);
        assertThat(step(order, "pay")).containsEntry("status", "failed")
                .containsEntry("error_message", "Child run " + second + " of flow \"payment\" failed: step \"charge\": declined again");
        assertThat(run(order)).containsEntry("status", "failed");
    }

    @Test
    void aMapSubflowOfFiftyWithThreeFailingChildrenRetriesOnlyThoseThreeAndCollectsOutputsInElementOrder() {
        define("select pgflow.create_flow('parcel', max_attempts => 1)",
                "select pgflow.add_step('parcel', 'label')",
                "select pgflow.add_step('parcel', 'send', ARRAY['label'])",
                "select pgflow.create_flow('shipping', max_attempts => 1)",
                "select pgflow.add_step('shipping', 'parcels', step_type => 'map_subflow', subflow_slug => 'parcel')");
        String input = IntStream.range(0, 50).mapToObj(i -> "{\"p\": " + i + "}").toList().toString();
        UUID parent = start("shipping", input);
        List<Map<String, Object>> tasks = claim("shipping", 100);
        assertThat(tasks).hasSize(50);
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", tasks, t -> (String) t.get("input"));
        assertThat(db.<Long>one("select count(*) from pgflow.runs where parent_run_id = ? and status = 'started'", parent)).isEqualTo(50);
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and status = 'started' and child_run_id is not null",
                parent)).isEqualTo(50);

        List<Integer> failing = List.of(3, 17, 42);
        for (int round = 0; round < 2; round++) {
            List<Map<String, Object>> labels = claim("parcel", 100);
            for (Map<String, Object> t : labels) {
                UUID child = (UUID) t.get("run_id");
                Map<String, Object> f = family(child);
                int element = (Integer) f.get("parent_task_index");
                String step = (String) t.get("step_slug");
                if (step.equals("label") && failing.contains(element)) {
                    fail(child, "label", 0, "no address for parcel " + element);
                } else {
                    complete(child, step, 0, step.equals("label") ? "\"L" + element + "\"" : "{\"sent\": " + element + "}");
                }
            }
        }
        assertThat(run(parent)).containsEntry("status", "failed");
        assertThat(db.rows("select task_index, status from pgflow.step_tasks where run_id = ? and status <> 'completed' order by task_index",
                parent)).extracting(r -> r.get("task_index"), r -> r.get("status"))
                .containsExactly(tuple(3, "failed"), tuple(17, "failed"), tuple(42, "failed"));
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and status = 'completed'", parent))
                .as("children that completed after the parent failed kept their outputs").isEqualTo(47);

        retry(parent);
        List<Map<String, Object>> again = claim("shipping", 100);
        assertThat(again).extracting(t -> t.get("task_index")).containsExactlyInAnyOrder(3, 17, 42);
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", again, t -> (String) t.get("input"));
        assertThat(db.<Long>one("select count(*) from pgflow.runs where parent_run_id = ?", parent)).isEqualTo(53);
        for (int round = 0; round < 2; round++) {
            for (Map<String, Object> t : claim("parcel", 100)) {
                UUID child = (UUID) t.get("run_id");
                int element = (Integer) family(child).get("parent_task_index");
                String step = (String) t.get("step_slug");
                complete(child, step, 0, step.equals("label") ? "\"L" + element + "\"" : "{\"sent\": " + element + "}");
            }
        }
        assertThat(run(parent)).containsEntry("status", "completed");
        List<Integer> sent = db.<String>one("select jsonb_path_query_array(output -> 'parcels', '$[*].send.sent')::text from pgflow.runs"
                + " where run_id = ?", parent).replaceAll("[\\[\\] ]", "").lines()
                .flatMap(l -> java.util.Arrays.stream(l.split(","))).map(Integer::valueOf).toList();
        assertThat(sent).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());
    }

    @Test
    void cancellingAParentCancelsItsChildrenAndGrandchildrenInOneTransaction() {
        define("select pgflow.create_flow('leaf')",
                "select pgflow.add_step('leaf', 'work')",
                "select pgflow.create_flow('middle')",
                "select pgflow.add_step('middle', 'call', step_type => 'subflow', subflow_slug => 'leaf')",
                "select pgflow.create_flow('top')",
                "select pgflow.add_step('top', 'fan', step_type => 'map_subflow', subflow_slug => 'middle')");
        UUID top = start("top", "[1, 2]");
        List<Map<String, Object>> fan = claim("top", 10);
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", fan, t -> "{}");
        for (Map<String, Object> call : claim("middle", 10)) {
            complete((UUID) call.get("run_id"), "call", 0, "{}");
        }
        List<UUID> family = db.rows("select run_id from pgflow.runs where root_run_id = ? order by run_id", top).stream()
                .map(r -> (UUID) r.get("run_id")).toList();
        assertThat(family).hasSize(4);
        assertThat(claim("leaf", 10)).hasSize(2);

        assertThat(cancel(top, "customer called")).containsEntry("status", "cancelled").containsEntry("cancel_reason", "customer called");
        assertThat(db.rows("select status, cancel_reason from pgflow.runs where root_run_id = ?", top))
                .extracting(r -> r.get("status"), r -> r.get("cancel_reason"))
                .containsOnly(tuple("cancelled", "cancelled with run " + top + ": customer called"));
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks t join pgflow.runs r using (run_id)"
                + " where (r.root_run_id = ? or r.run_id = ?) and t.status <> 'cancelled'", top, top)).isZero();
    }

    @Test
    void aCancelledChildFailsItsParentTask() {
        orderFlows("");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{}");
        UUID child = childOf(order, "pay", 0);
        cancel(child, "fraud check");
        assertThat(task(order, "pay", 0)).containsEntry("status", "queued")
                .containsEntry("error_message", "Child run " + child + " of flow \"payment\" was cancelled: fraud check");
    }

    @Test
    void theDepthLimitFailsTheTaskThatWouldNestDeeperAndNamesTheSetting() throws SQLException {
        define("select pgflow.create_flow('countdown', max_attempts => 1)",
                "select pgflow.add_step('countdown', 'again', step_type => 'subflow', subflow_slug => 'countdown',"
                        + " required_input_pattern => '{\"more\": true}')");
        UUID root = start("countdown", "{\"more\": true}");
        UUID current = root;
        try (Connection c = PgflowDatabaseExtension.newConnection()) {
            c.setAutoCommit(false);
            c.createStatement().execute("set pgflow.max_subflow_depth = 2");
            for (int depth = 1; depth <= 3; depth++) {
                registerWorker("countdown");
                db.exec("select count(*) from pgflow.claim_tasks('countdown', ?, 10)", worker);
                try (var st = c.prepareStatement("select count(*) from pgflow.complete_task(?, 'again', 0, '{\"more\": true}')")) {
                    st.setObject(1, current);
                    st.execute();
                }
                c.commit();
                UUID next = childOf(current, "again", 0);
                if (depth <= 2) {
                    assertThat(next).as("depth %s", depth).isNotNull();
                    current = next;
                } else {
                    assertThat(next).isNull();
                }
            }
        }
        assertThat(task(current, "again", 0)).containsEntry("status", "failed").containsEntry("error_message",
                "[SUBFLOW_DEPTH] Step \"again\" would start a run of flow \"countdown\" at subflow depth 3, over the limit of 2"
                        + " (pgflow.max_subflow_depth: a flow that calls itself needs a condition that ends the recursion,"
                        + " or ALTER DATABASE <database> SET pgflow.max_subflow_depth = <levels>)");
        assertThat(db.rows("select status from pgflow.runs where run_id = ? or root_run_id = ? order by started_at", root, root))
                .extracting(r -> r.get("status")).containsOnly("failed");
    }

    @Test
    void aChildRetriedOnItsOwnLetsItsFailedParentContinueWhileARestartIsNoChild() {
        orderFlows(", max_attempts => 1");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{\"card\": 1}");
        UUID child = childOf(order, "pay", 0);
        claim("payment", 10);
        fail(child, "charge", 0, "gateway down");
        assertThat(run(order)).containsEntry("status", "failed");

        UUID restart = db.one("select run_id from pgflow.restart_run(?)", child);
        assertThat(family(restart)).containsEntry("parent_run_id", null).containsEntry("root_run_id", null);

        retry(child);
        assertThat(run(order)).containsEntry("status", "started").containsEntry("retry_count", 1);
        assertThat(task(order, "pay", 0)).containsEntry("status", "started").containsEntry("error_message",
                "Child run " + child + " of flow \"payment\" failed: step \"charge\": gateway down");
        assertThat(childOf(order, "pay", 0)).isEqualTo(child);
        List<Map<String, Object>> charges = claim("payment", 10);
        assertThat(charges).extracting(t -> t.get("run_id")).containsExactlyInAnyOrder(child, restart);
        complete(child, "charge", 0, "{}");
        claimAndComplete("payment", child, "receipt", "\"R\"");
        assertThat(step(order, "pay")).containsEntry("status", "completed").containsEntry("output", "{\"receipt\": \"R\"}");
        assertThat(claim("order_flow", 10)).extracting(t -> t.get("step_slug")).containsExactly("ship");
    }

    @Test
    void aSubflowStepsOwnTimeoutBoundsTheChildAndTickFailsItThenANewChildRuns() {
        orderFlows(", timeout => 30, max_attempts => 2");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{}");
        UUID child = childOf(order, "pay", 0);
        assertThat(db.<Boolean>one("select timeout_at = started_at + interval '30 s' from pgflow.runs where run_id = ?", child)).isTrue();
        claim("payment", 10);
        assertThat(db.<String>one("select pgflow.tick()::text")).contains("\"subflows_timed_out\": 0");
        db.exec("update pgflow.runs set started_at = started_at - interval '31 s', timeout_at = timeout_at - interval '31 s'"
                + " where run_id = ?", child);
        assertThat(db.<String>one("select pgflow.tick()::text")).contains("\"subflows_timed_out\": 1");
        assertThat(run(child)).containsEntry("status", "failed");
        assertThat(step(child, "charge")).containsEntry("status", "failed")
                .containsEntry("error_message", "[SUBFLOW_TIMEOUT] not finished within the 30 s timeout of step \"pay\" of run " + order);
        assertThat(task(order, "pay", 0)).containsEntry("status", "queued");

        // the flow's default timeout does not bound a child
        db.exec("select pgflow.delete_flow_and_data('order_flow')");
        orderFlows("");
        UUID unbounded = start("order_flow", "{}");
        claimAndComplete("order_flow", unbounded, "prepare", "{}");
        claimAndComplete("order_flow", unbounded, "pay", "{}");
        assertThat(db.<Object>one("select timeout_at from pgflow.runs where run_id = ?", childOf(unbounded, "pay", 0))).isNull();
    }

    @Test
    void childStartAndEndAreEventsOfTheParentAndAChildInputItsFlowRefusesFailsTheTaskForGood() throws SQLException {
        orderFlows("");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claim("order_flow", 10);
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("LISTEN pgflow_events");
            db.exec("select pgflow.subscribe_events(gen_random_uuid(), ?)", order);
            complete(order, "pay", 0, "{}");
            UUID child = childOf(order, "pay", 0);
            pay(child, "\"R\"");
            List<String> events = drain(listener, "pgflow_events");
            assertThat(events.stream().filter(e -> e.contains("\"run:child_")).toList()).satisfiesExactly(
                    started -> assertThat(started).contains("\"event_type\": \"run:child_started\"", "\"run_id\": \"" + order + "\"",
                            "\"step_slug\": \"pay\"", "\"task_index\": 0", "\"child_run_id\": \"" + child + "\"",
                            "\"child_flow_slug\": \"payment\""),
                    finished -> assertThat(finished).contains("\"event_type\": \"run:child_finished\"", "\"status\": \"completed\"",
                            "\"child_run_id\": \"" + child + "\""));
        }

        define("select pgflow.create_flow('bulk')", "select pgflow.add_step('bulk', 'each', step_type => 'map')",
                "select pgflow.create_flow('caller')",
                "select pgflow.add_step('caller', 'run_bulk', step_type => 'subflow', subflow_slug => 'bulk', max_attempts => 5)");
        UUID caller = start("caller", "{}");
        claim("caller", 10);
        assertThat(complete(caller, "run_bulk", 0, "{\"not\": \"an array\"}")).containsEntry("status", "failed");
        assertThat(step(caller, "run_bulk")).containsEntry("status", "failed").containsEntry("error_message",
                "[SUBFLOW_START] Step \"run_bulk\" could not start a run of flow \"bulk\": Flow bulk has root map steps but input is"
                        + " not an array (got object)");
        assertThat(db.<Long>one("select count(*) from pgflow.runs where flow_slug = 'bulk'")).isZero();
    }

    @Test
    void aWorkerThatDiesWhileChildrenRunLosesNothing() {
        orderFlows("");
        db.exec("update pgflow.flows set opt_max_attempts = 3 where flow_slug = 'payment'");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{}");
        UUID child = childOf(order, "pay", 0);
        claim("payment", 10);
        expireLeases(child); // the worker running charge died
        expireLeases(order);
        assertThat(claim("order_flow", 10)).as("the parent task has no lease to expire").isEmpty();
        worker = UUID.randomUUID();
        assertThat(claim("payment", 10)).extracting(t -> t.get("step_slug"), t -> t.get("attempts_count"))
                .containsExactly(tuple("charge", 2));
        complete(child, "charge", 0, "{}");
        claimAndComplete("payment", child, "receipt", "\"R\"");
        assertThat(claim("order_flow", 10)).extracting(t -> t.get("step_slug")).containsExactly("ship");
    }

    @Test
    void pruningAndDeletingKeepFamiliesWhole() {
        orderFlows("");
        UUID order = start("order_flow", "{}");
        claimAndComplete("order_flow", order, "prepare", "{}");
        claimAndComplete("order_flow", order, "pay", "{}");
        UUID child = childOf(order, "pay", 0);
        pay(child, "\"R\"");
        claimAndComplete("order_flow", order, "ship", "{}");
        assertThat(run(order)).containsEntry("status", "completed");
        // the child ended long ago, its root just now: nothing goes
        db.exec("update pgflow.runs set started_at = now() - interval '10 days', completed_at = now() - interval '9 days' where run_id = ?",
                child);
        db.exec("select pgflow.prune_data_older_than(interval '1 day')");
        assertThat(db.<Long>one("select count(*) from pgflow.runs")).isEqualTo(2);
        db.exec("update pgflow.runs set started_at = now() - interval '10 days', completed_at = now() - interval '8 days' where run_id = ?",
                order);
        db.exec("select pgflow.prune_data_older_than(interval '1 day')");
        assertThat(db.<Long>one("select count(*) from pgflow.runs")).isZero();

        UUID second = start("order_flow", "{}");
        claimAndComplete("order_flow", second, "prepare", "{}");
        claimAndComplete("order_flow", second, "pay", "{}");
        db.exec("select pgflow.delete_flow_and_data('payment')");
        assertThat(db.<Long>one("select count(*) from pgflow.runs")).as("the child's family went with it").isZero();
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks")).isZero();
    }

    @Test
    void aWorkersBatchStartsItsChildrenTogetherAndAChildInputItsFlowRefusesFailsOnlyThatTask() {
        define("select pgflow.create_flow('bulk', max_attempts => 1)", "select pgflow.add_step('bulk', 'each', step_type => 'map')",
                "select pgflow.create_flow('fan', max_attempts => 1)",
                "select pgflow.add_step('fan', 'runs', step_type => 'map_subflow', subflow_slug => 'bulk', when_exhausted => 'skip')");
        UUID fan = start("fan", "[1, 2, 3]");
        List<Map<String, Object>> tasks = claim("fan", 10);
        // element 1's child input is not the array its flow's root map needs; element 2 is reported twice
        List<Map<String, Object>> reported = new java.util.ArrayList<>(tasks);
        reported.add(tasks.get(2));
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", reported,
                t -> (Integer) t.get("task_index") == 1 ? "{\"not\": \"an array\"}" : "[\"a\", \"b\"]");
        assertThat(db.rows("select parent_task_index, flow_slug, status, input::text as input from pgflow.runs where parent_run_id = ?"
                + " order by parent_task_index", fan)).extracting(r -> r.get("parent_task_index") + " " + r.get("status") + " " + r.get("input"))
                .containsExactly("0 started [\"a\", \"b\"]", "2 started [\"a\", \"b\"]");
        assertThat(task(fan, "runs", 1)).containsEntry("status", "failed").containsEntry("error_message",
                "[SUBFLOW_START] Step \"runs\" could not start a run of flow \"bulk\": Flow bulk has root map steps but input is not an array"
                        + " (got object)");
        assertThat(step(fan, "runs")).as("when_exhausted skip").containsEntry("status", "skipped");
        assertThat(db.<String>one("select string_agg(case when child_run_id is null then '-' else 'child' end, ',' order by task_index)"
                + " from pgflow.step_tasks where run_id = ?", fan)).isEqualTo("child,-,child");
    }

    @Test
    void childrenThatOneBatchCompletesCompleteTheirParentsTasksTogetherAndTheStepOutputsTheirOutputsInElementOrder() {
        define("select pgflow.create_flow('leaf')", "select pgflow.add_step('leaf', 'work')",
                "select pgflow.create_flow('fan')", "select pgflow.add_step('fan', 'each', step_type => 'map_subflow', subflow_slug => 'leaf')",
                "select pgflow.add_step('fan', 'sum', ARRAY['each'])");
        UUID fan = start("fan", "[10, 20, 30, 40, 50]");
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", claim("fan", 10), t -> (String) t.get("input"));
        List<Map<String, Object>> work = claim("leaf", 10);
        assertThat(work).hasSize(5);
        // one batch, in an order that is not the elements' order
        List<Map<String, Object>> shuffled = new java.util.ArrayList<>(work);
        java.util.Collections.reverse(shuffled);
        batch("select count(*) from pgflow.complete_tasks(?, ?, ?, ?::jsonb[])", shuffled,
                t -> "{\"doubled\": " + Integer.parseInt((String) t.get("flow_input")) * 2 + "}");
        assertThat(step(fan, "each")).containsEntry("status", "completed").containsEntry("remaining_tasks", 0).containsEntry("output",
                "[{\"work\": {\"doubled\": 20}}, {\"work\": {\"doubled\": 40}}, {\"work\": {\"doubled\": 60}}, {\"work\": {\"doubled\": 80}},"
                        + " {\"work\": {\"doubled\": 100}}]");
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'each' and status = 'completed'", fan))
                .isEqualTo(5);
        assertThat(claim("fan", 10)).extracting(t -> t.get("step_slug")).containsExactly("sum");
    }
}
