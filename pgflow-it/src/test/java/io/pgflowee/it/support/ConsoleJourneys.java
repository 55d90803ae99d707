package io.pgflowee.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Console journeys in a real headless Chromium, run from the shared server's test classes ({@link ItDeployment}) as a client: each
 * asserts what the user sees, and saves a screenshot under {@code target/} when it fails.
 */
public final class ConsoleJourneys {

    private ConsoleJourneys() {
    }

    /** A journey's body, with the browser and a wait of 30 s. */
    private interface Journey {
        void run(WebDriver d, WebDriverWait wait, ConsoleBrowser browser) throws Exception;
    }

    private static void journey(String name, Journey journey) throws Exception {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            try {
                journey.run(browser.driver, new WebDriverWait(browser.driver, Duration.ofSeconds(30)), browser);
            } catch (Throwable t) {
                browser.screenshot("console-" + name + "-FAILED");
                Object log = ((JavascriptExecutor) browser.driver).executeScript("return window.pgflow ? pgflow.liveLog : null;");
                Object probe = ((JavascriptExecutor) browser.driver).executeAsyncScript("var done = arguments[arguments.length - 1];"
                        + " var c = new AbortController(); setTimeout(function () { c.abort(); }, 3000);"
                        + " fetch(document.body.dataset.base + '/console/live', {signal: c.signal}).then(function (r) {"
                        + " done(r.status + ' ' + r.headers.get('content-type') + ' ' + r.url); }).catch(function (e) { done('' + e); });");
                t.addSuppressed(new AssertionError("live feed of the page: " + log + "; probe of /console/live: " + probe));
                throw t;
            }
        }
    }

    /** Sign-in is required; a wrong password is refused on the page; the dashboard shows the flows; live workers; a flow's step durations; sign-out. */
    public static void signInDashboardSignOut(URL base) throws Exception {
        journey("sign-in", (d, wait, browser) -> {
            d.get(base.toString());
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("sign-in-button")));
            assertTrue(d.getCurrentUrl().endsWith("/login.xhtml"), "every page needs sign-in: " + d.getCurrentUrl());
            assertEquals("pgflow · Sign in", d.getTitle());

            signIn(d, "it-viewer", "not-the-password");
            assertEquals("Unknown user or wrong password.", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-failed")))
                    .getText());

            signIn(d, "it-viewer", "it-viewer-secret");
            assertEquals("it-viewer (pgflow-viewer)", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-in-user")))
                    .getText());
            assertEquals("pgflow · Dashboard", d.getTitle());
            List<String> flowsShown = wait.until(d2 -> {
                List<String> t = texts(d2, "[id$='flows_data'] tr td:first-child");
                return t.isEmpty() ? null : t;
            });
            assertTrue(flowsShown.containsAll(List.of("greet_user", "greet_many", "cart_invoice")), flowsShown.toString());
            // one last-hour chart per flow, labelled with its counts
            assertEquals(flowsShown.size(), d.findElements(By.cssSelector("[id$='flows_data'] svg.pg-spark")).size());
            String chart = wait.until(d2 -> {
                try {
                    return d2.findElement(By.cssSelector("[id$='flows_data'] svg.pg-spark")).getAttribute("aria-label");
                } catch (org.openqa.selenium.StaleElementReferenceException e) {
                    return null;
                }
            });
            assertTrue(chart.matches("[a-z_]+ in the last hour: \\d+ started, \\d+ completed, \\d+ failed, \\d+ cancelled"), chart);
            wait.until(ExpectedConditions.textToBe(By.id("live-state"), "live"));

            // workers: this server's worker of greet_user is live
            d.findElement(By.id("nav-workers")).click();
            wait.until(ExpectedConditions.titleIs("pgflow · Workers"));
            // (the page re-renders itself every 5 s and on events: rows are read again when replaced)
            List<String> workers = wait.until(d2 -> {
                try {
                    return d2.findElements(By.cssSelector("[id$='workers_data'] tr")).stream()
                            .map(row -> row.findElements(By.tagName("td")).stream().map(WebElement::getText).limit(2).toList().toString())
                            .toList();
                } catch (org.openqa.selenium.StaleElementReferenceException e) {
                    return null;
                }
            });
            assertTrue(workers.contains("[live, greet_user]"), workers.toString());
            // live: a task that starts shows under its worker (run, step, since when) without a reload, and goes when it ends
            String held = oneRun("select run_id from pgflow.start_flow('it_console', '{\"hold\": true}'::jsonb)");
            String task = "[id$='workers_data'] .pg-running-tasks a[title='" + held + "']";
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(task)));
            assertTrue(text(wait, "[id$='workers_data'] .pg-running-tasks li").contains("charge[0] · since "), "the step and since when");
            copyToDocs(browser.screenshot("console-workers"), "console-workers.png");
            scalar("select count(*) from pgflow.cancel_run('" + held + "', 'workers page seen')");
            wait.until(d2 -> d2.findElements(By.cssSelector(task)).isEmpty());

            // a flow's step durations, linked from its page (greet_user ran in the journeys before this one)
            d.get(base + "flow.xhtml?slug=greet_user");
            wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("[id$='durations-link']"))).click();
            wait.until(ExpectedConditions.titleIs("pgflow · Step durations greet_user"));
            List<List<String>> steps = d.findElements(By.cssSelector("[id$='durations_data'] tr")).stream()
                    .map(row -> row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList()).toList();
            assertEquals(List.of("full_name", "greeting"), steps.stream().map(r -> r.get(0)).toList(), steps.toString());
            for (List<String> step : steps) {
                assertTrue(Long.parseLong(step.get(1)) > 0 && step.get(3).matches("\\d+ ms|\\d+\\.\\d s"), steps.toString());
            }
            browser.screenshot("console-durations");

            d.findElement(By.id("sign-out")).click();
            assertEquals("You are signed out.", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-out"))).getText());
            d.get(base.toString());
            wait.until(ExpectedConditions.presenceOfElementLocated(By.id("sign-in-button")));
            assertTrue(d.getCurrentUrl().endsWith("/login.xhtml"), "signed out: " + d.getCurrentUrl());
        });
    }

    /**
     * An operator: bad JSON and an engine refusal shown next to the start form's input; the seed's
     * hello world started from the form completes on its run page without a reload; a failing run
     * shows its failed step and error, and retry makes it complete; a running run is cancelled.
     */
    public static void operatorStartsFailsRetriesAndCancels(URL base) throws Exception {
        createBrokenTable();
        journey("operator", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-operator", "it-operator-secret");

            // bad JSON: checked while typing, and refused by the server next to the field (no error page)
            typeStartInput(d, wait, base, "greet_user", "{\"first_name\": \"Alice\",");
            assertTrue(d.findElement(By.id("input-check")).getText().startsWith("Not valid JSON: "),
                    d.findElement(By.id("input-check")).getText());
            d.findElement(By.id("start:start-run")).click();
            String refused = refusal(d, wait);
            assertTrue(refused.startsWith("Not valid JSON: "), refused);
            assertEquals("pgflow · Flow greet_user", d.getTitle());

            // the engine's refusal: a root map given an object
            typeStartInput(d, wait, base, "greet_many", "{\"first_name\": \"Alice\"}");
            d.findElement(By.id("start:start-run")).click();
            refused = refusal(d, wait);
            assertEquals("Flow greet_many has root map steps but input is not an array (got object)", refused);

            // the seed's hello world from the form: the run page follows the run live
            startFromForm(d, wait, base, "greet_user", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}");
            ((JavascriptExecutor) d).executeScript("window.pgSamePage = true;");
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            assertEquals("{\"greeting\": \"Hello, Alice Smith!\"}", text(wait, "#run-output"));
            expectSteps(wait, List.of("full_name=completed", "greeting=completed"));
            assertEquals(Boolean.TRUE, ((JavascriptExecutor) d).executeScript("return window.pgSamePage === true;"), "no reload");
            Path shot = browser.screenshot("console-run");
            copyToDocs(shot, "console-run.png");

            // a failing run: its failed step and error; retry makes it complete
            String batch = "fail-" + UUID.randomUUID();
            setBroken(batch, true);
            String runId = startFromForm(d, wait, base, "it_console", "{\"batch\": \"" + batch + "\"}");
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "failed"));
            expectSteps(wait, List.of("charge=failed", "receipt=created"));
            String error = text(wait, "#step-charge .pg-step-error");
            assertTrue(error.contains("payment service unavailable for batch " + batch), error);
            setBroken(batch, false);
            click(wait, By.id("run:retry"));
            confirm(d, wait);
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            expectSteps(wait, List.of("charge=completed", "receipt=completed"));
            assertEquals("{\"receipt\": \"receipt: charged " + batch + "\"}", text(wait, "#run-output"));
            // the failed attempt stays listed with its error
            String earlier = text(wait, "#step-charge tr.pg-earlier");
            assertTrue(earlier.contains("failed") && earlier.contains("payment service unavailable for batch " + batch), earlier);
            assertEquals(1L, scalar("select count(*) from pgflow_internal.task_attempts where run_id = '" + runId + "'"));

            // cancel a running run
            startFromForm(d, wait, base, "it_console", "{\"hold\": true}");
            wait.until(d2 -> stepStates(d2).contains("charge=started"));
            click(wait, By.id("run:cancel"));
            confirm(d, wait);
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "cancelled"));
            assertEquals("cancelled in the console by it-operator", text(wait, "#run-cancel-reason"));
            assertTrue(d.findElements(By.id("run:cancel")).isEmpty(), "no cancel button on a cancelled run");
            assertFalse(d.findElements(By.id("run:retry")).isEmpty(), "a cancelled run can be retried");
        });
    }

    /**
     * A run of order_approval waits for its approval: the run page shows the step waiting with its deadline, refuses a
     * payload that is not JSON next to nothing lost, and one click on Approve completes the run; the dashboard counts
     * the runs waiting.
     */
    public static void operatorApprovesAWaitingRun(URL base) throws Exception {
        journey("approval", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-operator", "it-operator-secret");
            String order = "web-" + UUID.randomUUID().toString().substring(0, 8);
            String runId = startFromForm(d, wait, base, "order_approval", "{\"orderId\": \"" + order + "\", \"total\": 42}");
            expectSteps(wait, List.of("review=completed", "approval=waiting", "fulfil=created"));
            String note = text(wait, "#step-approval .pg-signal-note");
            assertTrue(note.matches("Waiting for a signal since \\S+ \\S+ UTC, deadline \\S+ \\S+ UTC\\."), note);
            copyToDocs(browser.screenshot("console-waiting"), "console-waiting.png");

            click(wait, By.cssSelector("#step-approval button[id$='send-signal']"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"),
                    "Not sent: type the signal's payload as JSON ({} for none)."));
            WebElement payload = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#step-approval textarea")));
            payload.sendKeys("{\"approved\": ");
            click(wait, By.cssSelector("#step-approval button[id$='send-signal']"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Not sent: the payload is not valid JSON"));
            assertEquals("started", text(wait, "#run-status"));
            assertEquals("started", scalarText("select status from pgflow.step_states where run_id = '" + runId + "' and step_slug = 'approval'"));

            click(wait, By.xpath("//section[@id='step-approval']//button[normalize-space(.)='Approve']"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Signal delivered to approval"));
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            expectSteps(wait, List.of("review=completed", "approval=completed", "fulfil=completed"));
            assertEquals("{\"fulfil\": \"shipped " + order + " (42.00), approved by it-operator\"}", text(wait, "#run-output"));
            assertTrue(text(wait, "#step-approval .pg-signal-note").startsWith("Signalled at "), "the note says when");
            assertTrue(d.findElements(By.cssSelector("#step-approval textarea")).isEmpty(), "no form once signalled");

            // the dashboard counts the runs that wait
            scalar("select count(*) from pgflow.start_flow('order_approval', '{\"orderId\": \"" + order + "-2\", \"total\": 1}'::jsonb)");
            waitFor(() -> scalar("select count(*) from pgflow.step_states where flow_slug = 'order_approval' and step_slug = 'approval'"
                    + " and status = 'started'") >= 1);
            long waiting = scalar("select count(*) from pgflow.step_states where flow_slug = 'order_approval' and step_slug = 'approval'"
                    + " and status = 'started'");
            d.get(base.toString());
            By waitingCell = By.xpath("//tbody[@id='dashboard:flows_data']/tr[td[1][normalize-space(.)='order_approval']]/td[last()]");
            wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .until(d2 -> String.valueOf(waiting).equals(d2.findElements(waitingCell).stream().map(WebElement::getText).findFirst()
                    .orElse("")));
        });
    }

    /**
     * Subflows: an order's run page links each subflow task to its child run, the child's page links back
     * to its parent and the family view shows the tree; a family of 1,000 waiting children stays one
     * short page (counts for all, 50 listed, the rest one click away).
     */
    public static void operatorFollowsAFamily(URL base) throws Exception {
        journey("family", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-operator", "it-operator-secret");
            String order = startFromForm(d, wait, base, "order_fulfilment", "{\"orderId\": \"web-o\", \"card\": \"4242\", \"parcels\":"
                    + " [{\"id\": \"p-1\", \"grams\": 500, \"cents\": 700}, {\"id\": \"p-2\", \"grams\": 900, \"cents\": 300}]}");
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            expectSteps(wait, List.of("total=completed", "pay=completed", "parcels=completed", "ship=completed", "summary=completed"));
            assertEquals("1 child run: 1 completed", text(wait, "#step-pay .pg-children-count"));
            assertEquals("2 child runs: 2 completed", text(wait, "#step-ship .pg-children-count"));
            String payment = text(wait, "#step-pay .pg-child-link");
            assertEquals(oneRun("select run_id::text from pgflow.runs where parent_run_id = '" + order + "' and flow_slug = 'payment'"), payment);

            // parent -> child
            click(wait, By.cssSelector("#step-pay .pg-child-link"));
            wait.until(ExpectedConditions.textToBe(By.id("run-id"), payment));
            assertEquals("completed", text(wait, "#run-status"));
            assertEquals("payment", text(wait, "#run\\:run-flow"));
            assertEquals(order, text(wait, "#run\\:run-parent"));
            expectSteps(wait, List.of("authorize=completed", "receipt=completed"));
            // child -> parent
            click(wait, By.id("run:run-parent"));
            wait.until(ExpectedConditions.textToBe(By.id("run-id"), order));
            // the family: the root, per subflow step its children
            click(wait, By.id("run:run-family"));
            wait.until(ExpectedConditions.titleIs("pgflow · Family of runs"));
            assertEquals(order, text(wait, "#family-root"));
            List<String> rows = rowsOnceThere(wait, ".pg-family-row", 6);
            assertTrue(rows.get(0).startsWith("completed " + order + " order_fulfilment root"), rows.get(0));
            assertEquals("step pay · 1 child run: 1 completed", rows.get(1));
            assertTrue(rows.get(2).startsWith("completed " + payment + " payment pay[0]"), rows.get(2));
            assertEquals("step ship · 2 child runs: 2 completed", rows.get(3));
            assertTrue(rows.get(4).matches("completed \\S+ shipping ship\\[0\\].*") && rows.get(5).matches("completed \\S+ shipping ship\\[1\\].*"),
                    rows.toString());
            copyToDocs(browser.screenshot("console-family"), "console-family.png");

            // 1,000 children that wait for a signal (flows made in SQL: no server runs them)
            try (Connection c = db(); var st = c.createStatement()) {
                st.execute("select pgflow.create_flow('it_wide_child')");
                st.execute("select pgflow.add_step('it_wide_child', 'hold', step_type => 'signal')");
                st.execute("select pgflow.create_flow('it_wide')");
                st.execute("select pgflow.add_step('it_wide', 'each', step_type => 'map_subflow', subflow_slug => 'it_wide_child')");
                st.execute("select pgflow.register_worker('00000000-0000-0000-0000-00000000f001', 'it_wide', 'console-it')");
            }
            String wide = oneRun("select run_id::text from pgflow.start_flow('it_wide', (select jsonb_agg(g) from generate_series(1, 1000) g))");
            try (Connection c = db(); var st = c.createStatement()) {
                st.execute("select count(*) from (select array_agg(run_id) as r, array_agg(step_slug) as s, array_agg(task_index) as i,"
                        + " array_agg(jsonb_build_object('n', task_index)) as o from pgflow.claim_tasks('it_wide',"
                        + " '00000000-0000-0000-0000-00000000f001', 1000)) c, lateral pgflow.complete_tasks(c.r, c.s, c.i, c.o)");
            }
            assertEquals(1000, scalar("select count(*) from pgflow.runs where parent_run_id = '" + wide + "'"));
            long began = System.nanoTime();
            d.get(base + "family.xhtml?id=" + wide);
            wait.until(ExpectedConditions.titleIs("pgflow · Family of runs"));
            long millis = (System.nanoTime() - began) / 1_000_000;
            // root, the step's group, 50 children, the note of the rest
            List<String> wideRows = rowsOnceThere(wait, ".pg-family-row", 1 + 1 + 50 + 1);
            assertEquals("step each · 1000 child runs: 1000 started", wideRows.get(1));
            assertEquals("… 950 more child runs of step each (completed ones last) List them all", wideRows.get(52));
            System.out.println("family view of 1,000 children: " + millis + " ms to load and render");
            click(wait, By.linkText("List them all"));
            wait.until(ExpectedConditions.titleIs("pgflow · Runs"));
            assertTrue(text(wait, "#runs\\:parent-filter").contains(wide), "the runs list shows the parent it filters on");
            try (Connection c = db(); var st = c.createStatement()) {
                st.execute("select pgflow.delete_flow_and_data('it_wide')");
                st.execute("select pgflow.delete_flow_and_data('it_wide_child')");
                st.execute("delete from pgflow.workers where worker_id = '00000000-0000-0000-0000-00000000f001'");
            }
        });
    }

    /**
     * Per-key control: an admin limits it_keyed to one task per concurrency key on the flow page;
     * three runs of one tenant queue behind it (the busiest keys show 1 running, 2 queued; a held
     * run's page says why), an operator raises one's priority, the admin sets and removes a rate.
     */
    public static void adminLimitsAKeyAndAnOperatorExpeditesARun(URL base) throws Exception {
        String tenant = "web-" + UUID.randomUUID().toString().substring(0, 6);
        journey("per-key", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-admin", "it-admin-secret");
            d.get(base + "flow.xhtml?slug=it_keyed");
            typeNumber(wait, "controls:maxRunningPerKey_input", "1");
            click(wait, By.id("controls:key-limit"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"),
                    "At most 1 task of one concurrency key of it_keyed run at once."));
            assertEquals("1 task of one concurrency key at once", text(wait, "#flow-key-limit"));

            // each task works 30 s: nothing of the tenant moves (and no page re-renders under the typing) during the journey
            scalar("select count(*) from pgflow.start_flows('it_keyed', array_fill(jsonb_build_object('ms', 30000, 'tenant', '" + tenant
                    + "'), array[3]), null, array_fill('" + tenant + "'::text, array[3]))");
            waitFor(() -> scalarText("select count(*) filter (where t.status = 'started') || '/' || count(*) filter (where t.status = 'queued')"
                    + " from pgflow.step_tasks t where t.flow_slug = 'it_keyed' and t.concurrency_key = '" + tenant + "'").equals("1/2"));
            d.get(base + "flow.xhtml?slug=it_keyed");
            List<String> keys = texts(d, "[id='busiest-keys_data'] tr");
            assertTrue(keys.contains(tenant + " 1 2"), keys.toString());
            copyToDocs(browser.screenshot("console-keys"), "console-keys.png");

            String held = scalarText("select r.run_id::text from pgflow.runs r join pgflow.step_tasks t using (run_id)"
                    + " where r.concurrency_key = '" + tenant + "' and t.status = 'queued' order by r.run_id limit 1");
            d.get(base + "run.xhtml?id=" + held);
            assertEquals("Waiting for a slot of its concurrency key \"" + tenant + "\": 1 of 1 running (set_key_concurrency)",
                    text(wait, "#run-held-back"));
            assertEquals("0", text(wait, "#run-priority"));
            typeNumber(wait, "run:new-priority", "50");
            click(wait, By.id("run:set-priority"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Run " + held + " now has priority 50."));
            wait.until(ExpectedConditions.textToBe(By.id("run-priority"), "50"));
            assertEquals(50L, scalar("select priority from pgflow.step_tasks where run_id = '" + held + "'"));

            d.get(base + "flow.xhtml?slug=it_keyed");
            typeNumber(wait, "controls:ratePerSecond_input", "2.5");
            click(wait, By.id("controls:rate-limit"));
            wait.until(ExpectedConditions.textToBe(By.id("flow-rate"), "2.5 tasks a second for the flow, bursts of 3"));
            typeNumber(wait, "controls:ratePerSecond_input", "");
            click(wait, By.id("controls:rate-limit"));
            wait.until(ExpectedConditions.textToBe(By.id("flow-rate"), "none"));
            typeNumber(wait, "controls:maxRunningPerKey_input", "");
            click(wait, By.id("controls:key-limit"));
            wait.until(ExpectedConditions.textToBe(By.id("flow-key-limit"), "none"));
        });
        // cancelled rather than waited for (90 s): the running handler is interrupted
        scalar("select count(*) from pgflow.runs r, lateral pgflow.cancel_run(r.run_id, 'console journey done')"
                + " where r.concurrency_key = '" + tenant + "' and r.status = 'started'");
        waitFor(() -> scalar("select count(*) from pgflow.runs where concurrency_key = '" + tenant + "' and status = 'cancelled'") == 3L);
    }

    /**
     * The Schedules page: the example's declared schedules with their next firings in their zone and
     * the viewer's; an admin creates one, runs it now, pauses, resumes and deletes it; a viewer sees
     * no action and no form.
     */
    public static void adminSchedulesARunAndAViewerOnlyReads(URL base) throws Exception {
        String name = "it_console_" + UUID.randomUUID().toString().substring(0, 6);
        journey("schedules", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-admin", "it-admin-secret");
            d.get(base + "schedules.xhtml?flow=daily_report");
            List<String> rows = rowsOnceThere(wait, "[id='list:schedules_data'] tr .pg-schedule-name", 2);
            assertEquals(List.of("daily_report_eu", "daily_report_us"), rows);
            List<String> eu = texts(d, "[id='list:schedules_data'] tr:nth-child(1) .pg-firing-zone");
            assertEquals(5, eu.size(), eu.toString());
            assertTrue(eu.stream().allMatch(f -> f.matches("(Mon|Tue|Wed|Thu|Fri) \\d{4}-\\d{2}-\\d{2} 07:00")), eu.toString());
            wait.until(d2 -> texts(d2, "[id='list:schedules_data'] tr:nth-child(1) time.pg-local").stream().allMatch(t -> t.endsWith("(yours)")));
            assertTrue(text(wait, ".pg-viewer-zone").startsWith("in yours ("), text(wait, ".pg-viewer-zone"));
            assertEquals("2 schedules, 0 paused.", text(wait, "#schedules-summary").substring(0, "2 schedules, 0 paused.".length()));
            copyToDocs(browser.screenshot("console-schedules"), "console-schedules.png");
            d.get(base + "flow.xhtml?slug=daily_report");
            assertEquals("2 schedules", text(wait, "[id$='schedules-link']"));
            assertTrue(d.findElements(By.cssSelector("[id$='flow-schedule-differences']")).isEmpty(), "the declaration and the database agree");
            // an operator's change at run time: the flow page says at once how it differs from the declaration
            scalar("select count(*) from pgflow.update_schedule('daily_report_us', '0 9 * * MON-FRI')");
            try {
                d.get(base + "flow.xhtml?slug=daily_report");
                assertEquals("schedule 'daily_report_us' differs from its declaration: cron '0 8 * * MON-FRI' vs '0 9 * * MON-FRI' (first = Java,"
                        + " second = database; a change made at run time stays until the declaration changes)",
                        text(wait, "[id$='flow-schedule-differences'] li"));
            } finally {
                scalar("select count(*) from pgflow.update_schedule('daily_report_us', '0 8 * * MON-FRI')");
            }

            d.get(base + "schedules.xhtml?flow=greet_user");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("form:name"))).sendKeys(name);
            d.findElement(By.id("form:cron")).sendKeys("0 3 1 1 *");
            WebElement zone = d.findElement(By.id("form:zone"));
            zone.clear();
            zone.sendKeys("Europe/Berlin");
            WebElement input = d.findElement(By.id("form:input"));
            input.clear();
            input.sendKeys("{\"first_name\": \"Con\", \"last_name\": \"Sole\"}");
            click(wait, By.id("form:create"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Created " + name + "."));
            assertEquals(List.of(name), rowsOnceThere(wait, "[id='list:schedules_data'] tr .pg-schedule-name", 1));
            assertEquals("greet_user", scalarText("select flow_slug from pgflow_internal.schedules where schedule_name = '" + name + "'"));
            assertTrue(texts(d, "[id='list:schedules_data'] tr .pg-firing-zone").get(0).endsWith("-01-01 03:00"));

            click(wait, By.id("list:schedules:0:trigger"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), " of " + name + " now."));
            waitFor(() -> scalar("select count(*) from pgflow.runs where idempotency_key like 'schedule:" + name + ":%' and status = 'completed'") == 1L);
            d.get(base + "schedules.xhtml?flow=greet_user");
            wait.until(d2 -> texts(d2, "[id='list:schedules_data'] tr .pg-latest-run .pg-status").equals(List.of("completed")));

            click(wait, By.id("list:schedules:0:pause"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Paused " + name));
            wait.until(d2 -> texts(d2, "[id='list:schedules_data'] tr .pg-state").equals(List.of("paused")));
            click(wait, By.id("list:schedules:0:resume"));
            wait.until(d2 -> texts(d2, "[id='list:schedules_data'] tr .pg-state").equals(List.of("active")));

            click(wait, By.id("list:schedules:0:delete"));
            confirm(d, wait);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Deleted " + name + "; its runs stay."));
            assertEquals(0L, scalar("select count(*) from pgflow_internal.schedules where schedule_name = '" + name + "'"));
        });
        journey("schedules-viewer", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-viewer", "it-viewer-secret");
            d.get(base + "schedules.xhtml?flow=daily_report");
            rowsOnceThere(wait, "[id='list:schedules_data'] tr .pg-schedule-name", 2);
            assertTrue(d.findElements(By.cssSelector("[id='list:schedules_data'] button")).isEmpty(), "no schedule actions for a viewer");
            assertTrue(d.findElements(By.id("form:create")).isEmpty(), "no create form for a viewer");
            assertTrue(d.findElements(By.id("backfill:start-backfill")).isEmpty(), "no backfill for a viewer");
        });
    }

    /** Replaces what a PrimeFaces inputNumber holds with {@code value} (empty: clears it). */
    private static void typeNumber(WebDriverWait wait, String id, String value) {
        WebElement input = wait.until(ExpectedConditions.elementToBeClickable(By.id(id)));
        input.sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"), org.openqa.selenium.Keys.DELETE);
        if (!value.isEmpty()) {
            input.sendKeys(value);
        }
        // leave the field: the widget copies what was typed into the value the form sends when it loses focus (a click on
        // the button straight after typing sent the old value in some runs)
        input.sendKeys(org.openqa.selenium.Keys.TAB);
    }

    /**
     * 28 failed runs, found by their error text (the filter goes to the URL and survives a reload):
     * two ticked by their checkboxes are retried, exactly those; then "select all 26 matching" retries
     * the rest; the run page numbers each attempt once and marks the retry with who did it.
     */
    public static void bulkRetryByFilter(URL base) throws Exception {
        createBrokenTable();
        String batch = "bulk-" + UUID.randomUUID();
        setBroken(batch, true);
        for (int i = 0; i < 28; i++) {
            scalar("select count(*) from pgflow.start_flow('it_console', '{\"batch\": \"" + batch + "\", \"n\": " + i + "}'::jsonb)");
        }
        String ofBatch = "select count(*) from pgflow.runs where flow_slug = 'it_console' and input->>'batch' = '" + batch + "'";
        waitFor(() -> scalar(ofBatch + " and status = 'failed'") == 28L);
        setBroken(batch, false);
        journey("bulk-retry", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-operator", "it-operator-secret");
            d.get(base + "runs.xhtml?flow=it_console&status=failed");
            WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("runs:errorContains")));
            error.sendKeys("UNAVAILABLE for batch " + batch); // any case
            click(wait, By.id("runs:search"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("runs:totals"),
                    "Matching (all statuses): started 0 · completed 0 · failed 28 · cancelled 0"));
            rowsOnceThere(wait, "[id='runs:table_data'] tr[data-rk] .pg-status", 25);
            // the address bar holds the filter: a reload shows the same list
            wait.until(d2 -> d2.getCurrentUrl().contains("error=UNAVAILABLE+for+batch+" + batch));
            assertTrue(d.getCurrentUrl().contains("flow=it_console&status=failed"), d.getCurrentUrl());
            d.navigate().refresh();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("runs:totals"), "failed 28"));
            assertEquals("UNAVAILABLE for batch " + batch, d.findElement(By.id("runs:errorContains")).getAttribute("value"));
            assertEquals("Tick runs (their boxes, or Space on one) to act on them", text(wait, "#selection-count"));

            // two runs ticked by their checkboxes (not their rows): the button counts them, the confirmation too
            List<WebElement> rows = d.findElements(By.cssSelector("[id='runs:table_data'] tr[data-rk]"));
            String first = rows.get(0).getAttribute("data-rk");
            String third = rows.get(2).getAttribute("data-rk");
            String second = rows.get(1).getAttribute("data-rk");
            tick(d, first, "1 selected");
            tick(d, third, "2 selected");
            // the keyboard: Space on a row's focused checkbox ticks it, and again unticks it
            spaceOn(d, second, true, "3 selected");
            spaceOn(d, second, false, "2 selected");
            copyToDocs(browser.screenshot("console-runs"), "console-runs.png");
            assertEquals("Retry (2)", text(wait, "[id='runs:retry-selected'] .ui-button-text"));
            click(wait, By.id("runs:retry-selected"));
            assertEquals("Retry 2 runs?", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("bulk-confirmation"))).getText());
            click(wait, By.id("runs:bulk-confirm"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Retried 2 runs."));
            waitFor(() -> scalar(ofBatch + " and status = 'completed'") == 2L);
            assertEquals(2L, scalar(ofBatch + " and status = 'completed' and run_id in ('" + first + "', '" + third + "')"));
            assertEquals(26L, scalar(ofBatch + " and status = 'failed'"));

            // every run matching, beyond this page: counted exactly, confirmed with that count
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("runs:totals"), "failed 26"));
            click(wait, By.id("runs:select-matching"));
            wait.until(ExpectedConditions.textToBe(By.id("selection-count"), "All 26 matching runs are selected"));
            assertEquals("Retry (26)", text(wait, "[id='runs:retry-selected'] .ui-button-text"));
            click(wait, By.id("runs:retry-selected"));
            assertEquals("Retry 26 runs?", wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("bulk-confirmation"))).getText());
            click(wait, By.id("runs:bulk-confirm"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Retried 26 runs."));
            waitFor(() -> scalar(ofBatch + " and status = 'completed'") == 28L);
            wait.until(d2 -> d2.findElements(By.cssSelector("[id='runs:table_data'] tr[data-rk]")).isEmpty());

            // the run page: the failed attempt once, numbered, then the retry (who, when), then attempt 2
            d.get(base + "run.xhtml?id=" + first);
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            String charge = "#step-charge ";
            assertEquals(List.of("1", "2"), texts(d, charge + ".pg-attempt"));
            assertEquals(List.of("failed"), texts(d, charge + "tr.pg-earlier .pg-status"));
            String mark = text(wait, charge + "tr.pg-retry-mark");
            assertTrue(mark.startsWith("Run retried (retry 1) at ") && mark.endsWith(" by it-operator"), mark);
            String earlierError = text(wait, charge + "tr.pg-earlier .pg-error-text");
            assertTrue(earlierError.startsWith("java.lang.IllegalStateException: payment service unavailable for batch " + batch + "\n at "),
                    earlierError);
            ((JavascriptExecutor) d).executeScript("document.getElementById('step-charge').scrollIntoView()");
            copyToDocs(browser.screenshot("console-attempts"), "console-attempts.png");
            assertEquals(1L, scalar("select count(*) from pgflow_internal.run_retries where run_id = '" + first
                    + "' and retried_by = 'it-operator'"));
        });
    }

    /**
     * A 10,000-element map: its run page summarises the step's tasks by status, lists 50 of them,
     * cuts the long JSON, and stays under 200 KB of HTML (its time is printed, not asserted).
     */
    public static void aWideMapRunPageStaysSmall(URL base) throws Exception {
        String run = oneRun("select run_id from pgflow.start_flow('it_hundred', (select jsonb_agg(g) from generate_series(1, 10000) g))");
        waitFor(() -> scalar("select count(*) from pgflow.runs where run_id = '" + run + "' and status = 'completed'") == 1L);
        journey("wide-map", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-viewer", "it-viewer-secret");
            d.get(base + "run.xhtml?id=" + run);
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            assertEquals("10,000 tasks: 10,000 completed", text(wait, "#step-squares .pg-task-summary"));
            assertEquals(50, d.findElements(By.cssSelector("#step-squares tr.pg-current")).size());
            assertEquals("… and 9950 more tasks (50 listed: failed first, then running, queued, the others by index).",
                    text(wait, "#step-squares .pg-more-tasks"));
            assertTrue(text(wait, "#run-input").contains("… cut here: "), "the 10,000-number input is cut");
            List<?> measured = (List<?>) ((JavascriptExecutor) d).executeScript("var n = performance.getEntriesByType('navigation')[0];"
                    + " return [n.transferSize, n.decodedBodySize, n.responseEnd - n.requestStart];");
            long html = ((Number) measured.get(1)).longValue();
            System.out.println("wide map run page: " + html + " bytes of HTML, " + measured.get(0) + " bytes transferred, "
                    + measured.get(2) + " ms from request to response end");
            assertTrue(html < 200_000, "the run page of a 10,000-task map is " + html + " bytes");
        });
    }

    /**
     * Ticks a run's checkbox (its box, not its row) until the page counts {@code counted}: a click
     * that lands while a live refresh replaces the table is clicked again (the table shows the
     * server's selection after each tick, so a lost click shows unticked).
     */
    private static void tick(WebDriver d, String runId, String counted) {
        By box = By.cssSelector("[id='runs:table_data'] tr[data-rk='" + runId + "'] .ui-chkbox-box");
        new WebDriverWait(d, Duration.ofSeconds(30)).until(d2 -> {
            try {
                if (!d2.findElement(box).getAttribute("class").contains("ui-state-active")) {
                    d2.findElement(box).click();
                }
                return new WebDriverWait(d2, Duration.ofSeconds(3)).until(ExpectedConditions.textToBe(By.id("selection-count"), counted));
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.TimeoutException e) {
                return false;
            }
        });
    }

    /**
     * Times in the viewer's time zone (the browser's: Europe/Berlin here) with the zone in each time
     * header, or in UTC after the header's switch, which the browser keeps over a reload.
     */
    public static void timesInTheViewersZoneOrUtc(URL base) throws Exception {
        String run = oneRun("select run_id from pgflow.runs where flow_slug = 'it_console' and status = 'completed'"
                + " and extract(month from started_at) = 12 order by started_at limit 1");
        String berlin = scalarText("select to_char(started_at at time zone 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS') from pgflow.runs"
                + " where run_id = '" + run + "'");
        String utc = scalarText("select to_char(started_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') from pgflow.runs"
                + " where run_id = '" + run + "'");
        journey("time-zones", (d, wait, browser) -> {
            browser.driver.executeCdpCommand("Emulation.setTimezoneOverride", java.util.Map.of("timezoneId", "Europe/Berlin"));
            signInToDashboard(d, wait, base, "it-viewer", "it-viewer-secret");
            d.get(base + "run.xhtml?id=" + run);
            wait.until(ExpectedConditions.textToBe(By.cssSelector(".pg-run-head dd time"), berlin));
            assertEquals("(Europe/Berlin)", text(wait, ".pg-run-head dt .pg-tz"));
            assertEquals("Times: Europe/Berlin", text(wait, "#tz-switch"));
            click(wait, By.id("tz-switch"));
            wait.until(ExpectedConditions.textToBe(By.cssSelector(".pg-run-head dd time"), utc));
            assertEquals("(UTC)", text(wait, ".pg-run-head dt .pg-tz"));
            d.get(base + "runs.xhtml?flow=it_console");
            wait.until(ExpectedConditions.textToBe(By.id("tz-switch"), "Times: UTC"));
            assertEquals("(UTC)", text(wait, "[id='runs:table'] th .pg-tz"));
            click(wait, By.id("tz-switch"));
            wait.until(ExpectedConditions.textToBe(By.cssSelector("[id='runs:table'] th .pg-tz"), "(Europe/Berlin)"));
        });
    }

    /** Presses Space on a row's checkbox (focused) until it is {@code ticked} and the page counts {@code counted}. */
    private static void spaceOn(WebDriver d, String runId, boolean ticked, String counted) {
        String row = "[id='runs:table_data'] tr[data-rk='" + runId + "'] ";
        new WebDriverWait(d, Duration.ofSeconds(30)).until(d2 -> {
            try {
                if (d2.findElement(By.cssSelector(row + ".ui-chkbox-box")).getAttribute("class").contains("ui-state-active") != ticked) {
                    // PrimeFaces' checkbox is the focusable box (role checkbox, aria-checked): Space on it ticks
                    d2.findElement(By.cssSelector(row + ".ui-chkbox-box")).sendKeys(org.openqa.selenium.Keys.SPACE);
                }
                return new WebDriverWait(d2, Duration.ofSeconds(3)).until(ExpectedConditions.textToBe(By.id("selection-count"), counted));
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.TimeoutException e) {
                return false;
            }
        });
    }

    /** At a phone's width (390 px) no page scrolls sideways and the navigation opens from its menu button. */
    public static void consoleFitsAPhone(URL base) throws Exception {
        String run = oneRun("select run_id from pgflow.runs where flow_slug = 'it_console' order by started_at desc limit 1");
        journey("phone", (d, wait, browser) -> {
            d.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
            signInToDashboard(d, wait, base, "it-admin", "it-admin-secret");
            for (String page : List.of("", "runs.xhtml", "run.xhtml?id=" + run, "flows.xhtml", "flow.xhtml?slug=it_console", "workers.xhtml",
                    "schedules.xhtml", "jobs.xhtml")) {
                d.get(base + page);
                wait.until(d2 -> "complete".equals(((JavascriptExecutor) d2).executeScript("return document.readyState")));
                Object widths = ((JavascriptExecutor) d).executeScript(
                        "return [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth];");
                List<?> w = (List<?>) widths;
                long inner = ((Number) w.get(1)).longValue();
                assertTrue(((Number) w.get(0)).longValue() <= inner && ((Number) w.get(2)).longValue() <= inner,
                        "/" + page + " scrolls sideways at " + inner + " px: " + widths);
            }
            assertFalse(d.findElement(By.id("nav-runs")).isDisplayed(), "the navigation is folded away");
            d.get(base + "runs.xhtml?flow=it_console");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("runs:table")));
            click(wait, By.id("nav-toggle"));
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("nav-runs")));
            copyToDocs(browser.screenshot("console-phone"), "console-phone.png");
            assertEquals("true", d.findElement(By.id("nav-toggle")).getAttribute("aria-expanded"));
            click(wait, By.id("nav-runs"));
            wait.until(ExpectedConditions.titleIs("pgflow · Runs"));
        });
    }

    /** A viewer sees runs and flows but is offered no action; a console bug shows the error page with its id. */
    public static void viewerSeesNoActions(URL base) throws Exception {
        String run = oneRun("select run_id from pgflow.runs where flow_slug = 'it_console' and status in ('failed', 'cancelled') limit 1");
        journey("viewer", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-viewer", "it-viewer-secret");
            d.get(base + "run.xhtml?id=" + run);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("run-status")));
            assertTrue(d.findElements(By.cssSelector("#run-actions button")).isEmpty(), "no run actions for a viewer");
            d.get(base + "runs.xhtml");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("runs:table")));
            assertTrue(d.findElements(By.id("runs:bulk")).isEmpty(), "no bulk actions for a viewer");
            assertTrue(d.findElements(By.cssSelector(".ui-selection-column")).isEmpty(), "no selection for a viewer");
            d.get(base + "flow.xhtml?slug=greet_user");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("flow-state")));
            assertEquals("verified", d.findElement(By.id("flow-state")).getText());
            assertTrue(d.findElements(By.id("start:input")).isEmpty(), "no start form for a viewer");
            assertTrue(d.findElements(By.id("controls:pause")).isEmpty(), "no pause for a viewer");
            assertTrue(d.findElements(By.id("nav-jobs")).isEmpty(), "no batch jobs for a viewer");
            d.get(base + "jobs.xhtml");
            assertEquals("Batch jobs need the role pgflow-admin; you are pgflow-viewer.", text(wait, "#jobs-forbidden"));
            d.get(base.toString());
            wait.until(ExpectedConditions.textToBe(By.id("live-state"), "live"));
            copyToDocs(browser.screenshot("console-dashboard"), "console-dashboard.png");

            // a bug behind a button (Ajax): the error page with its id, never a stack trace
            d.get(base + "it-failing.xhtml");
            click(wait, By.id("failing:fail"));
            wait.until(ExpectedConditions.titleIs("pgflow · Something went wrong"));
            assertTrue(text(wait, "#error-id").matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
            assertFalse(d.getPageSource().contains("hunter2") || d.getPageSource().contains("Exception"), "no stack trace");
        });
    }

    /** An admin starts a backfill from the "Batch jobs" page and follows it to its end, skipped line included. */
    public static void adminRunsABackfill(URL base) throws Exception {
        Path csv = Files.createTempFile("console-backfill", ".csv");
        Files.writeString(csv, "first_name,last_name\nAda,Lovelace\nno,last,name\nAlan,Turing\n");
        journey("jobs", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, "it-admin", "it-admin-secret");
            click(wait, By.id("nav-jobs"));
            wait.until(ExpectedConditions.titleIs("pgflow · Batch jobs"));
            // the prune card says how the run tables are laid out (plain here: ReplicaIT partitions its database)
            assertEquals("Run tables: plain (not partitioned): pruning deletes runs row by row. Partitioning by time"
                    + " (pgflow.partition_run_tables(), docs/operations.md) lets it drop whole weeks instead.", text(wait, "#partitioning"));
            assertTrue(d.findElements(By.id("prune:partitions")).isEmpty(), "no partition table while plain");
            new org.openqa.selenium.support.ui.Select(d.findElement(By.id("start:flow_input"))).selectByValue("greet_user");
            d.findElement(By.id("start:path")).sendKeys(csv.toString());
            click(wait, By.id("start:start-job"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Started pgflow-backfill as execution "));
            String firstRow = "[id='jobs:executions_data'] tr:first-child";
            wait.until(d2 -> "COMPLETED".equals(text(wait, firstRow + " .pg-state")));
            String progress = text(wait, firstRow + " td:nth-child(6)");
            assertTrue(progress.matches("read 3 · written 2 · skipped 1 \\(runs created 2, found already started 0\\) · took [0-9.]+ (ms|s)"),
                    progress);
            assertEquals("line 3: has 3 fields, the header has 2", text(wait, firstRow + " .pg-error-text"));
            copyToDocs(browser.screenshot("console-jobs"), "console-jobs.png");

            // a long backfill (a query of 200,000 rows) shows its progress while it runs, by itself: done of the total its
            // reader counted, the rate, the time left; then it is stopped
            new org.openqa.selenium.support.ui.Select(d.findElement(By.id("start:flow_input"))).selectByValue("it_backfill");
            d.findElements(By.cssSelector("[id='start:source'] .ui-radiobutton-box")).get(1).click();
            d.findElement(By.id("start:sql")).sendKeys("select g as key, jsonb_build_object('g', g) as input from generate_series(1, 200000) g");
            click(wait, By.id("start:start-job"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Started pgflow-backfill as execution "));
            String live = wait.until(d2 -> {
                String p = text(wait, firstRow + " td:nth-child(6)");
                return p.matches("done [0-9,]+ of 200,000 \\([0-9.]+ %\\) · [0-9.,]+ a second · about .+ left · read .*") ? p : null;
            });
            assertEquals("STARTED", text(wait, firstRow + " .pg-state"), live);
            assertEquals("", text(wait, firstRow + " td:nth-child(5)"), "a running execution has not ended");
            ((JavascriptExecutor) d).executeScript("document.getElementById('jobs:executions').scrollIntoView()");
            copyToDocs(browser.screenshot("console-job-progress"), "console-job-progress.png");
            click(wait, By.cssSelector(firstRow + " button.ui-button-danger"));
            wait.until(d2 -> "STOPPED".equals(text(wait, firstRow + " .pg-state")));

            // the other jobs start from their forms; a wrong parameter is refused under the form
            d.findElement(By.id("retry:after")).sendKeys("yesterday");
            click(wait, By.id("retry:start-retry"));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("retry:refusal-message"), "startedAfter"));
            assertEquals("startedAfter must be an ISO-8601 time with an offset (2026-11-28T00:00:00Z), got 'yesterday'",
                    text(wait, "[id='retry:refusal-message']"));
            d.findElement(By.id("stuck:olderThan")).clear();
            d.findElement(By.id("stuck:olderThan")).sendKeys("6 hours");
            click(wait, By.id("stuck:start-stuck"));
            confirm(d, wait);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("stuck:refusal-message"), "olderThan"));
            assertEquals("olderThan must be an ISO-8601 duration such as PT6H or P2D, got '6 hours'", text(wait, "[id='stuck:refusal-message']"));
            d.findElement(By.id("prune:flows")).sendKeys("greet_many");
            d.findElement(By.id("prune:retention")).clear();
            d.findElement(By.id("prune:retention")).sendKeys("P3650D");
            click(wait, By.id("prune:start-prune"));
            confirm(d, wait);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("messages"), "Started pgflow-prune as execution "));
            wait.until(d2 -> text(wait, firstRow + " td:nth-child(2)").replaceAll("\\s+", "").startsWith("pgflow-prune")
                    && "COMPLETED".equals(text(wait, firstRow + " .pg-state")));
            // a partition per flow, with what it pruned
            String pruned = text(wait, firstRow + " td:nth-child(6)");
            assertTrue(pruned.matches("read 0 · written 0 · skipped 0 · partitions: greet_many 0 done · took [0-9.]+ (ms|s)"), pruned);
        });
    }

    /**
     * The EAR on Payara Server: a realm user signs in, the dashboard counts the flow's runs of the last
     * hour as the database does, and the hello world run's page shows it completed with its greeting.
     */
    public static void helloWorldInTheEar(URL base, String user, String password, String runId, String output) throws Exception {
        journey("ear", (d, wait, browser) -> {
            signInToDashboard(d, wait, base, user, password);
            wait.until(ExpectedConditions.textToBe(By.id("live-state"), "live"));
            long completed = scalar("select count(*) from pgflow.runs where flow_slug = 'greet_user'"
                    + " and completed_at >= date_trunc('minute', now()) - interval '59 minutes'");
            List<String> row = wait.until(d2 -> {
                List<String> cells = texts(d2, "[id$='flows_data'] tr:has(a[href*='slug=greet_user']) td");
                return cells.isEmpty() ? null : cells;
            });
            assertEquals(String.valueOf(completed), row.get(3), "completed in the last hour: " + row);
            copyToDocs(browser.screenshot("console-ear-dashboard"), "console-ear-dashboard.png");
            d.get(base + "run.xhtml?id=" + runId);
            wait.until(ExpectedConditions.textToBe(By.id("run-status"), "completed"));
            assertEquals(output, text(wait, "#run-output"));
            expectSteps(wait, List.of("full_name=completed", "greeting=completed"));
            assertTrue(d.findElements(By.cssSelector("#run-actions button")).isEmpty(), "a viewer gets no actions");
        });
    }

    // ---- helpers

    /** Opens the flow's page and types {@code json} into its start form (not sent yet). */
    private static void typeStartInput(WebDriver d, WebDriverWait wait, URL base, String flow, String json) {
        d.get(base + "flow.xhtml?slug=" + flow);
        WebElement input = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("start:input")));
        input.clear();
        input.sendKeys(json);
    }

    /** Starts a run of the flow from its form; the run's id, from the run page the form opens. */
    private static String startFromForm(WebDriver d, WebDriverWait wait, URL base, String flow, String json) {
        typeStartInput(d, wait, base, flow, json);
        d.findElement(By.id("start:start-run")).click();
        wait.until(ExpectedConditions.titleIs("pgflow · Run"));
        return text(wait, "#run-id");
    }

    /** The start form's message next to the input, once the server has answered. */
    private static String refusal(WebDriver d, WebDriverWait wait) {
        wait.until(ExpectedConditions.textMatches(By.id("start:input-message"), java.util.regex.Pattern.compile("\\S.*")));
        return d.findElement(By.id("start:input-message")).getText();
    }

    private static void confirm(WebDriver d, WebDriverWait wait) {
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".ui-confirmdialog-yes")));
        click(wait, By.cssSelector(".ui-confirmdialog-yes"));
    }

    /** Clicks the element, found again when a live refresh replaced it meanwhile. */
    private static void click(WebDriverWait wait, By by) {
        wait.until(d -> {
            try {
                d.findElement(by).click();
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
                return false;
            }
        });
    }

    /** The text of the element, read again when a live refresh replaced it meanwhile. */
    private static String text(WebDriverWait wait, String css) {
        return wait.until(d -> {
            try {
                return d.findElement(By.cssSelector(css)).getText();
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
                return null;
            }
        });
    }

    /** Waits until the run page's DAG shows exactly these {@code step=status}. */
    private static void expectSteps(WebDriverWait wait, List<String> expected) {
        try {
            wait.until(d -> stepStates(d).equals(expected));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("steps: expected " + expected + ", shown " + stepStates(wait), e);
        }
    }

    private static List<String> stepStates(WebDriverWait wait) {
        return wait.until(d -> {
            List<String> states = stepStates(d);
            return states.isEmpty() ? null : states;
        });
    }

    /** {@code step=status} of each step of the run page's DAG, in step order. */
    private static List<String> stepStates(WebDriver d) {
        try {
            return d.findElements(By.cssSelector("svg.pg-dag g.pg-node")).stream()
                    .map(g -> g.getAttribute("data-step") + "=" + g.getAttribute("data-status")).toList();
        } catch (org.openqa.selenium.StaleElementReferenceException e) {
            return List.of();
        }
    }

    /** The texts of the elements once there are {@code count} of them (a live refresh may replace them meanwhile). */
    private static List<String> rowsOnceThere(WebDriverWait wait, String css, int count) {
        try {
            return wait.until(d -> {
                List<String> rows = texts(d, css);
                return rows.size() == count && rows.stream().noneMatch(String::isEmpty) ? rows : null;
            });
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError(count + " elements " + css + " expected, shown: " + texts(wait.until(d -> d), css), e);
        }
    }

    /** The texts of the elements; empty while the page replaces them (a live refresh). */
    private static List<String> texts(WebDriver d, String css) {
        try {
            return d.findElements(By.cssSelector(css)).stream().map(WebElement::getText).toList();
        } catch (org.openqa.selenium.StaleElementReferenceException e) {
            return List.of();
        }
    }

    /** Opens the console, signs in and waits for the dashboard. */
    private static void signInToDashboard(WebDriver d, WebDriverWait wait, URL base, String user, String password) {
        d.get(base.toString());
        signIn(d, user, password);
        wait.until(ExpectedConditions.titleIs("pgflow · Dashboard"));
    }

    private static void signIn(WebDriver d, String user, String password) {
        d.findElement(By.id("username")).clear();
        d.findElement(By.id("username")).sendKeys(user);
        d.findElement(By.id("password")).sendKeys(password);
        d.findElement(By.id("sign-in-button")).click();
    }

    /**
     * The README's screenshots are the ones these tests take: with {@code PGFLOW_DOCS_SCREENSHOTS} set
     * to the repository's {@code docs} folder, they are copied there (never by default, so a test run
     * does not change the working tree).
     */
    private static void copyToDocs(Path shot, String name) throws Exception {
        String docs = System.getenv("PGFLOW_DOCS_SCREENSHOTS");
        if (docs != null && Files.isDirectory(Path.of(docs))) {
            Files.copy(shot, Path.of(docs, name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Connection db() throws Exception {
        return DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres");
    }

    private static void createBrokenTable() throws Exception {
        try (Connection c = db(); var st = c.createStatement()) {
            st.execute("create table if not exists it_console_broken (batch text primary key)");
        }
    }

    private static void setBroken(String batch, boolean broken) throws Exception {
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(broken
                ? "insert into it_console_broken values (?) on conflict do nothing" : "delete from it_console_broken where batch = ?")) {
            ps.setString(1, batch);
            ps.executeUpdate();
        }
    }

    private static long scalar(String sql) throws Exception {
        try (Connection c = db(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String scalarText(String sql) throws Exception {
        try (Connection c = db(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String oneRun(String sql) throws Exception {
        try (Connection c = db(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "no run for: " + sql);
            return rs.getString(1);
        }
    }

    private static void waitFor(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s");
            }
            Thread.sleep(100);
        }
    }
}
