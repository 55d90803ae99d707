package io.pgflowee.api.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.api.json.JsonCodec;
import jakarta.json.Json;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbProperty;

public class FlowDslTest {

    public record Input(@JsonbProperty("first_name") String firstName, @JsonbProperty("last_name") String lastName) {
    }

    private final JsonCodec codec = JsonCodec.create();

    private static Flow<Input> greetUser() {
        Flow<Input> flow = Flow.define("greet_user", Input.class).maxAttempts(3).baseDelay(5).timeout(60);
        Step<String> fullName = flow.step("full_name", String.class).run(in -> in.firstName() + " " + in.lastName());
        flow.step("greeting", String.class).after(fullName).run(name -> "Hello, " + name + "!");
        return flow;
    }

    private String run(Flow<?> flow, String step, String input, int taskIndex, String flowInput) throws Exception {
        return flow.stepNamed(step).execute(JsonCodec.parse(input), TestContext.of(flow.slug(), step, taskIndex, flowInput), codec);
    }

    @Test
    void typedStepsReceiveTheirDependenciesOutputsAndTheFlowInput() throws Exception {
        Flow<Input> flow = greetUser();
        String alice = "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}";
        assertThat(run(flow, "full_name", "{}", 0, alice)).isEqualTo("\"Alice Smith\"");
        assertThat(run(flow, "greeting", "{\"full_name\": \"Alice Smith\"}", 0, alice)).isEqualTo("\"Hello, Alice Smith!\"");
        assertThat(flow.steps()).extracting(Step::slug).containsExactly("full_name", "greeting");
        assertThat(flow.stepNamed("greeting").dependencySlugs()).containsExactly("full_name");
        assertThat(flow.leaves()).extracting(Step::slug).containsExactly("greeting");
        assertThat(flow.stepNamed("greeting").index()).isEqualTo(1);
        assertThat(flow.maxAttempts()).isEqualTo(3);
        assertThat(flow.baseDelay()).isEqualTo(5);
        assertThat(flow.timeout()).isEqualTo(60);
    }

    @Test
    void handlersWithSeveralDependenciesGetEachOutputTypedAndAfterAllGetsDeps() throws Exception {
        Flow<JsonValue> flow = Flow.define("math", JsonValue.class);
        Step<Integer> a = flow.step("a", Integer.class).run(in -> 2);
        Step<Integer> b = flow.step("b", Integer.class).run(in -> 3);
        Step<String> c = flow.step("c", String.class).run(in -> "x");
        flow.step("sum", Integer.class).after(a, b).run((x, y) -> x + y);
        flow.step("three", String.class).after(a, b, c).run((x, y, z, ctx) -> x + y + z + ctx.taskIndex());
        flow.step("optional", String.class).after(a, b).run((x, y) -> y == null ? "b skipped" : "b=" + y);
        flow.step("all", String.class).afterAll(a, b, c)
                .run(deps -> deps.get(c) + deps.get(a) * deps.get(b) + (deps.has(b) ? "!" : "?"));
        String deps = "{\"a\": 2, \"b\": 3, \"c\": \"x\"}";
        assertThat(run(flow, "sum", deps, 0, "{}")).isEqualTo("5");
        assertThat(run(flow, "three", deps, 0, "{}")).isEqualTo("\"5x0\"");
        assertThat(run(flow, "all", deps, 0, "{}")).isEqualTo("\"x6!\"");
        // a skipped dependency is absent from the input: the handler sees null
        assertThat(run(flow, "optional", "{\"a\": 2}", 0, "{}")).isEqualTo("\"b skipped\"");
        assertThat(run(flow, "optional", "{\"a\": 2, \"b\": 7}", 0, "{}")).isEqualTo("\"b=7\"");
        assertThatThrownBy(() -> run(flow, "sum", "{\"a\": 2, \"b\": \"three\"}", 0, "{}"))
                .isInstanceOf(StepDataException.class)
                .hasMessageStartingWith("Step \"sum\" of flow \"math\" cannot read the output of step \"b\" as java.lang.Integer: ");
    }

    @Test
    void mapStepsRunOnceperElementOverAStepOrTheFlowInput() throws Exception {
        Flow<List<String>> flow = Flow.define("words", new TypeRef<List<String>>() { });
        Step<List<Integer>> lengths = flow.map("lengths", Integer.class).overInput(String.class).run(String::length);
        Step<List<String>> upper = flow.step("upper", new TypeRef<List<String>>() { }).after(lengths)
                .run(ls -> ls.stream().map(n -> "#" + n).toList());
        Step<List<String>> marked = flow.map("marked", String.class).over(upper).run((s, ctx) -> s + "@" + ctx.taskIndex());
        flow.step("count", Integer.class).after(marked).run(List::size);
        assertThat(run(flow, "lengths", "\"hello\"", 0, "[\"hello\"]")).isEqualTo("5");
        assertThat(run(flow, "upper", "{\"lengths\": [5, 3]}", 0, "[]")).isEqualTo("[\"#5\",\"#3\"]");
        assertThat(run(flow, "marked", "\"#3\"", 1, "[]")).isEqualTo("\"#3@1\"");
        assertThat(run(flow, "count", "{\"marked\": [\"a\", \"b\"]}", 0, "[]")).isEqualTo("2");
        assertThat(lengths.stepType()).isEqualTo(StepType.MAP);
        assertThat(lengths.outputType().getTypeName()).isEqualTo("java.util.List<java.lang.Integer>");
        assertThat(marked.dependencySlugs()).containsExactly("upper");
    }

    @Test
    void optionsAndConditionsAreRecordedAsGiven() {
        Flow<JsonValue> flow = Flow.define("opts", JsonValue.class);
        Step<String> s = flow.step("s", String.class).maxAttempts(5).baseDelay(2).timeout(30).startDelay(0)
                .when("{\"plan\": \"pro\"}").unless(Json.createObjectBuilder().add("blocked", true).build())
                .whenUnmet(WhenUnmet.SKIP_CASCADE).whenExhausted(WhenExhausted.SKIP).run(in -> "ok");
        StepOptions o = s.options();
        assertThat(o.maxAttempts()).isEqualTo(5);
        assertThat(o.baseDelay()).isEqualTo(2);
        assertThat(o.timeout()).isEqualTo(30);
        assertThat(o.startDelay()).isZero();
        assertThat(o.requiredInputPattern()).hasToString("{\"plan\":\"pro\"}");
        assertThat(o.forbiddenInputPattern()).hasToString("{\"blocked\":true}");
        assertThat(o.whenUnmet()).isEqualTo(WhenUnmet.SKIP_CASCADE);
        assertThat(o.whenExhausted()).isEqualTo(WhenExhausted.SKIP);
        Step<String> plain = flow.step("plain", String.class).run(in -> "ok");
        assertThat(plain.options()).isEqualTo(new StepOptions(null, null, null, null, null, null, null, null));
    }

    @Test
    void handlerExceptionsPropagateUnchangedForTheWorkerToReport() {
        Flow<JsonValue> flow = Flow.define("boom", JsonValue.class);
        flow.step("s", String.class).run(in -> {
            throw new IllegalStateException("payment service answered 503");
        });
        assertThatThrownBy(() -> run(flow, "s", "{}", 0, "{}"))
                .isInstanceOf(IllegalStateException.class).hasMessage("payment service answered 503");
    }

    // ---- validation: every rule, with its message ----------------------------------------------

    @Test
    void invalidFlowSlugsAreRejectedWithTheReferenceMessages() {
        assertThatThrownBy(() -> Flow.define("", String.class))
                .isInstanceOf(FlowDefinitionException.class).hasMessage("Flow \"\": Slug cannot be empty");
        assertThatThrownBy(() -> Flow.define(null, String.class)).hasMessage("Flow \"null\": Slug cannot be empty");
        assertThatThrownBy(() -> Flow.define("run", String.class))
                .hasMessage("Flow \"run\": Slug 'run' is reserved and cannot be used");
        assertThatThrownBy(() -> Flow.define("1flow", String.class))
                .hasMessage("Flow \"1flow\": Slug '1flow' cannot start with a number");
        assertThatThrownBy(() -> Flow.define("my-flow", String.class))
                .hasMessage("Flow \"my-flow\": Slug 'my-flow' can only contain letters, numbers, and underscores");
        String long129 = "f".repeat(129);
        assertThatThrownBy(() -> Flow.define(long129, String.class))
                .hasMessage("Flow \"" + long129 + "\": Slug '" + long129 + "' cannot be longer than 128 characters");
        assertThatThrownBy(() -> Flow.define("f", (Class<String>) null))
                .hasMessage("Flow \"f\": the input type is missing (use Object.class or JsonValue.class for any JSON)");
    }

    @Test
    void invalidStepSlugsAndDuplicatesNameTheFlowAndStep() {
        Flow<JsonValue> flow = Flow.define("f", JsonValue.class);
        assertThatThrownBy(() -> flow.step("run", String.class))
                .isInstanceOf(FlowDefinitionException.class)
                .hasMessage("Flow \"f\", step \"run\": Slug 'run' is reserved and cannot be used")
                .satisfies(e -> {
                    assertThat(((FlowDefinitionException) e).flowSlug()).isEqualTo("f");
                    assertThat(((FlowDefinitionException) e).stepSlug()).isEqualTo("run");
                });
        assertThatThrownBy(() -> flow.step("2nd", String.class))
                .hasMessage("Flow \"f\", step \"2nd\": Slug '2nd' cannot start with a number");
        assertThatThrownBy(() -> flow.map("a.b", String.class))
                .hasMessage("Flow \"f\", step \"a.b\": Slug 'a.b' can only contain letters, numbers, and underscores");
        flow.step("s", String.class).run(in -> "x");
        assertThatThrownBy(() -> flow.step("s", Integer.class))
                .hasMessage("Flow \"f\", step \"s\": Step \"s\" already exists in flow \"f\"");
        flow.step("pending", String.class);
        assertThatThrownBy(() -> flow.map("pending", String.class))
                .hasMessage("Flow \"f\", step \"pending\": Step \"pending\" already exists in flow \"f\"");
        assertThatThrownBy(flow::validate)
                .hasMessage("Flow \"f\": step \"pending\" was begun but never given a handler: finish it with run(...) (a signal step with await(), a subflow step with input(...))");
        assertThatThrownBy(() -> flow.step("t", (Class<String>) null))
                .hasMessage("Flow \"f\", step \"t\": the output type is missing (use Void.class for a step without output)");
        assertThatThrownBy(() -> Flow.define("empty", String.class).validate())
                .hasMessage("Flow \"empty\": a flow needs at least one step");
    }

    @Test
    void optionRangesAreCheckedForFlowsAndSteps() {
        assertThatThrownBy(() -> Flow.define("f", String.class).maxAttempts(0))
                .hasMessage("Flow \"f\": maxAttempts must be greater than or equal to 1, got 0");
        assertThatThrownBy(() -> Flow.define("f", String.class).baseDelay(0))
                .hasMessage("Flow \"f\": baseDelay must be greater than or equal to 1, got 0");
        assertThatThrownBy(() -> Flow.define("f", String.class).timeout(2))
                .hasMessage("Flow \"f\": timeout must be greater than or equal to 3, got 2");
        Flow<String> flow = Flow.define("f", String.class);
        assertThatThrownBy(() -> flow.step("s", String.class).maxAttempts(-1))
                .hasMessage("Flow \"f\", step \"s\": maxAttempts must be greater than or equal to 1, got -1");
        assertThatThrownBy(() -> flow.step("t", String.class).baseDelay(0))
                .hasMessage("Flow \"f\", step \"t\": baseDelay must be greater than or equal to 1, got 0");
        assertThatThrownBy(() -> flow.step("u", String.class).timeout(1))
                .hasMessage("Flow \"f\", step \"u\": timeout must be greater than or equal to 3, got 1");
        assertThatThrownBy(() -> flow.step("v", String.class).startDelay(-5))
                .hasMessage("Flow \"f\", step \"v\": startDelay must be greater than or equal to 0, got -5");
        assertThatThrownBy(() -> flow.step("w", String.class).whenExhausted(null))
                .hasMessage("Flow \"f\", step \"w\": whenExhausted cannot be null");
    }

    @Test
    void dependenciesMustBeEarlierStepsOfTheSameFlowGivenOnce() {
        Flow<String> other = Flow.define("other", String.class);
        Step<String> foreign = other.step("x", String.class).run(in -> in);
        Flow<String> flow = Flow.define("f", String.class);
        Step<String> a = flow.step("a", String.class).run(in -> in);
        assertThatThrownBy(() -> flow.step("b", String.class).after(foreign).run(x -> x))
                .hasMessage("Flow \"f\", step \"b\": Step \"b\" depends on undefined step \"x\" (it belongs to flow \"other\")");
        assertThatThrownBy(() -> flow.step("c", String.class).after(a, a).run((x, y) -> x))
                .hasMessage("Flow \"f\", step \"c\": Step \"c\" depends on step \"a\" more than once");
        assertThatThrownBy(() -> flow.step("d", String.class).afterAll(a, null).run(deps -> "x"))
                .hasMessage("Flow \"f\", step \"d\": a dependency is null (was the step defined before this one?)");
        assertThatThrownBy(() -> flow.stepNamed("zz")).hasMessage("Step \"zz\" does not exist in flow \"f\"");
    }

    @Test
    void conditionsMustBeJsonObjectsAndWhenUnmetNeedsACondition() {
        Flow<String> flow = Flow.define("f", String.class);
        assertThatThrownBy(() -> flow.step("a", String.class).when("[1, 2]"))
                .hasMessage("Flow \"f\", step \"a\": when(...) pattern must be a JSON object, got [1, 2]");
        assertThatThrownBy(() -> flow.step("b", String.class).unless("{\"plan\": "))
                .hasMessageStartingWith("Flow \"f\", step \"b\": unless(...) pattern is not valid JSON")
                .hasMessageEndingWith(": {\"plan\": ");
        assertThatThrownBy(() -> flow.step("c", String.class).whenUnmet(WhenUnmet.FAIL).run(in -> in))
                .hasMessage("Flow \"f\", step \"c\": whenUnmet(FAIL) has no effect without a condition: add when(...) or unless(...)");
    }

    record Hidden(String name) {
    }

    @Test
    void inputAndOutputTypesMustBePublicForJsonB() {
        assertThatThrownBy(() -> Flow.define("f", Hidden.class))
                .hasMessage("Flow \"f\": the input type io.pgflowee.api.flow.FlowDslTest$Hidden is not public; JSON-B can only map public types");
        Flow<String> flow = Flow.define("g", String.class);
        assertThatThrownBy(() -> flow.step("s", Hidden.class))
                .hasMessage("Flow \"g\", step \"s\": the output type io.pgflowee.api.flow.FlowDslTest$Hidden is not public; JSON-B can only map public types");
    }

    @Test
    void aMapOverTheFlowInputNeedsAnArrayInput() {
        Flow<Input> flow = Flow.define("f", Input.class);
        assertThatThrownBy(() -> flow.map("each", String.class).overInput(String.class))
                .hasMessage("Flow \"f\", step \"each\": a map over the flow input needs a flow input that is a JSON array, "
                        + "but the input type is io.pgflowee.api.flow.FlowDslTest$Input");
        Flow<String[]> arrays = Flow.define("g", String[].class);
        assertThat(arrays.map("each", String.class).overInput(String.class).run(s -> s).stepType()).isEqualTo(StepType.MAP);
    }

    public record Approval(boolean approved, String by) {
    }

    @Test
    void aSignalStepHasNoHandlerAndItsDependentsReceiveThePayloadTyped() throws Exception {
        Flow<Input> flow = Flow.define("approve_order", Input.class);
        Step<String> review = flow.step("review", String.class).run(in -> in.firstName());
        Step<Approval> approval = flow.signal("approval", Approval.class).after(review).timeout(java.time.Duration.ofDays(2))
                .whenExhausted(WhenExhausted.SKIP).await();
        flow.step("ship", String.class).after(approval).run(a -> a.approved() ? "shipped by " + a.by() : "held");
        Step<String> paid = flow.signal("paid", String.class).await();

        assertThat(approval.stepType()).isEqualTo(StepType.SIGNAL);
        assertThat(approval.dependencySlugs()).containsExactly("review");
        assertThat(approval.outputType()).isEqualTo(Approval.class);
        assertThat(approval.options().timeout()).isEqualTo(172_800);
        assertThat(approval.options().whenExhausted()).isEqualTo(WhenExhausted.SKIP);
        assertThat(paid.dependencySlugs()).isEmpty();
        assertThat(paid.options().timeout()).as("waits for ever").isNull();
        assertThat(run(flow, "ship", "{\"approval\": {\"approved\": true, \"by\": \"ann\"}}", 0, "{}")).isEqualTo("\"shipped by ann\"");
        assertThatThrownBy(() -> run(flow, "approval", "{}", 0, "{}")).isInstanceOf(IllegalStateException.class)
                .hasMessage("Step \"approval\" of flow \"approve_order\" is a signal step: it has no handler, pgflow.send_signal completes it");
        assertThat(flow.leaves()).extracting(Step::slug).containsExactly("ship", "paid");
    }

    @Test
    void aSignalStepsTimeoutIsAtLeastOneSecondAndItMustBeAwaited() {
        Flow<String> flow = Flow.define("f", String.class);
        assertThatThrownBy(() -> flow.signal("a", Approval.class).timeout(0))
                .hasMessage("Flow \"f\", step \"a\": timeout must be greater than or equal to 1, got 0");
        assertThatThrownBy(() -> flow.signal("b", Approval.class).timeout(java.time.Duration.ofMillis(500)))
                .hasMessage("Flow \"f\", step \"b\": timeout must be greater than or equal to 1, got 0");
        assertThat(flow.signal("c", Approval.class).timeout(1).await().options().timeout()).isEqualTo(1);
        flow.signal("d", Approval.class).timeout(60);
        assertThatThrownBy(flow::validate)
                .hasMessage("Flow \"f\": step \"a\", \"b\", \"d\" was begun but never given a handler: finish it with run(...)"
                        + " (a signal step with await(), a subflow step with input(...))");
        assertThatThrownBy(() -> flow.signal("e", Hidden.class))
                .hasMessage("Flow \"f\", step \"e\": the output type io.pgflowee.api.flow.FlowDslTest$Hidden is not public; JSON-B can only map public types");
    }

    @Test
    void aSubflowStepBuildsItsChildsInputFromTheFlowInputAndItsDependenciesAndIsTypedByTheChild() throws Exception {
        Flow<io.pgflowee.api.compile.fixtures.OrderFixture.Input> order = new io.pgflowee.api.compile.fixtures.OrderFixture().flow();
        Step<?> pay = order.stepNamed("pay");
        assertThat(pay.stepType()).isEqualTo(StepType.SUBFLOW);
        assertThat(pay.subflowSlug()).isEqualTo("payment");
        assertThat(pay.subflowDefinition()).isEqualTo(io.pgflowee.api.compile.fixtures.PaymentFixture.class);
        assertThat(pay.outputType()).isEqualTo(io.pgflowee.api.compile.fixtures.PaymentFixture.Output.class);
        String orderInput = "{\"id\": \"o-7\", \"parcels\": [100, 250]}";
        assertThat(run(order, "pay", "{\"total\": 350}", 0, orderInput)).isEqualTo("{\"cents\":350,\"orderId\":\"o-7\"}");

        Step<?> perParcel = order.stepNamed("per_parcel");
        assertThat(perParcel.stepType()).isEqualTo(StepType.MAP_SUBFLOW);
        assertThat(perParcel.outputType().getTypeName()).isEqualTo("java.util.List<" + io.pgflowee.api.compile.fixtures.PaymentFixture.Output.class
                .getTypeName() + ">");
        assertThat(run(order, "per_parcel", "250", 1, orderInput)).isEqualTo("{\"cents\":250,\"orderId\":\"parcel-1\"}");
        // the child's output, as the parent's dependents read it
        assertThat(codec.decode(JsonCodec.parse("{\"receipt\": {\"id\": \"ch_o-7\", \"cents\": 350}}"),
                io.pgflowee.api.compile.fixtures.PaymentFixture.Output.class))
                .isEqualTo(new io.pgflowee.api.compile.fixtures.PaymentFixture.Output(
                        new io.pgflowee.api.compile.fixtures.PaymentFixture.Receipt("ch_o-7", 350)));
    }

    @Test
    void aFlowMayStartItselfAndAChildThatIsNotATypedFlowIsRefusedByName() {
        Flow<?> countdown = new io.pgflowee.api.compile.fixtures.CountdownFixture().flow();
        assertThat(countdown.stepNamed("again").subflowSlug()).isEqualTo("countdown");

        Flow<JsonValue> flow = Flow.define("parent", JsonValue.class);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<? extends TypedFlow<Object, Object>> abstractChild = (Class) RawChild.class;
        assertThatThrownBy(() -> flow.subflow("pay", abstractChild)).isInstanceOf(FlowDefinitionException.class)
                .hasMessage("Flow \"parent\", step \"pay\": the child flow " + RawChild.class.getName() + " must be a public concrete class");
        assertThatThrownBy(() -> TypedFlow.typesOf(StringBuilder.class, "parent", "pay")).isInstanceOf(FlowDefinitionException.class)
                .hasMessage("Flow \"parent\", step \"pay\": the child flow java.lang.StringBuilder must implement TypedFlow<Input, Output>"
                        + " with concrete types (the child's input and its run's output)");
        assertThatThrownBy(() -> flow.subflow("pay", io.pgflowee.api.compile.fixtures.PaymentFixture.class).after().input(
                (io.pgflowee.api.flow.Handlers.Fn2<JsonValue, Deps, io.pgflowee.api.compile.fixtures.PaymentFixture.Input>) null))
                .isInstanceOf(FlowDefinitionException.class).hasMessageContaining("the handler is null");
        assertThatThrownBy(() -> {
            Flow<JsonValue> f = Flow.define("unfinished", JsonValue.class);
            f.subflow("pay", io.pgflowee.api.compile.fixtures.PaymentFixture.class);
            f.validate();
        }).isInstanceOf(FlowDefinitionException.class).hasMessageContaining("a subflow step with input(...)");
    }

    /** Not a flow another can start: abstract, and it does not say its types. */
    @SuppressWarnings("rawtypes")
    public abstract static class RawChild implements TypedFlow {
    }

    /** A schedule's input. */
    public record Region(String region) {
    }

    @Test
    void schedulesAreDeclaredWithTheirOptionsAndEveryMistakeIsNamed() {
        Flow<Region> flow = Flow.define("report", Region.class);
        flow.step("a", String.class).run(Region::region);
        Schedule nightly = flow.schedule("nightly", "0 3 * * *", new Region("eu")).timeZone(java.time.ZoneId.of("Europe/Berlin"))
                .catchUp(Schedule.CatchUp.NONE);
        flow.schedule("hourly", "@HOURLY");
        assertThat(flow.schedules()).extracting(Schedule::toString)
                .containsExactly("Schedule[nightly, 0 3 * * *, Europe/Berlin, none]", "Schedule[hourly, @HOURLY, UTC, latest]");
        assertThat(nightly.input()).isEqualTo(new Region("eu"));
        assertThat(io.pgflowee.api.shape.ScheduleDeclarations.of(flow, JsonCodec.create()).toString()).isEqualTo(
                "[{\"name\":\"nightly\",\"cron\":\"0 3 * * *\",\"input\":{\"region\":\"eu\"},\"time_zone\":\"Europe/Berlin\",\"catch_up\":\"none\"},"
                + "{\"name\":\"hourly\",\"cron\":\"@HOURLY\",\"input\":{},\"time_zone\":\"UTC\",\"catch_up\":\"latest\"}]");

        assertThatThrownBy(() -> flow.schedule("nightly", "@daily")).hasMessage("Flow \"report\": schedule \"nightly\" is declared more than once");
        assertThatThrownBy(() -> flow.schedule("a b", "@daily"))
                .hasMessage("Flow \"report\": schedule name \"a b\" is not valid: 1 to 100 letters, digits, \"_\", \".\" or \"-\"");
        assertThatThrownBy(() -> flow.schedule("s", "0 0 3 * * *")).hasMessage("Flow \"report\": schedule \"s\": cron \"0 0 3 * * *\" has 6 fields;"
                + " the five standard fields are expected (minute hour day-of-month month day-of-week): seconds are not supported");
        assertThatThrownBy(() -> flow.schedule("s", "3 * *")).hasMessage("Flow \"report\": schedule \"s\": cron \"3 * *\" has 3 fields;"
                + " the five standard fields are expected (minute hour day-of-month month day-of-week)");
        assertThatThrownBy(() -> flow.schedule("s", " ")).hasMessage("Flow \"report\": schedule \"s\": cron \" \" is empty;"
                + " the five standard fields are expected (minute hour day-of-month month day-of-week)");
        assertThatThrownBy(() -> flow.schedule("s", "@often")).hasMessage("Flow \"report\": schedule \"s\": cron \"@often\" is an unknown shortcut"
                + " (use @hourly, @daily, @weekly, @monthly or @yearly, or five fields)");
        assertThatThrownBy(() -> flow.schedule("s", "0 3 * * MON;rm")).hasMessage("Flow \"report\": schedule \"s\": cron \"0 3 * * MON;rm\""
                + " has a field \"MON;rm\" with characters cron does not use (digits, names, * , - /)");
        Schedule s = flow.schedule("s", "@daily");
        assertThatThrownBy(() -> s.timeZone("Mars/Olympus"))
                .hasMessage("Flow \"report\": schedule \"s\": unknown time zone \"Mars/Olympus\" (an IANA name such as Europe/Berlin or UTC)");
        assertThatThrownBy(() -> s.catchUp(null)).hasMessage("Flow \"report\": schedule \"s\": catchUp cannot be null");
        assertThat(flow.schedules()).hasSize(3);
    }

    @Test
    void theShapeCheckNamesEachWayTheDatabasesSchedulesDifferFromTheDeclaration() {
        Flow<Region> flow = Flow.define("report", Region.class);
        flow.step("a", String.class).run(Region::region);
        flow.schedule("nightly", "0 3 * * *", new Region("eu")).timeZone("Europe/Berlin");
        flow.schedule("hourly", "@hourly");
        flow.schedule("taken", "@daily");
        var declared = io.pgflowee.api.shape.ScheduleDeclarations.of(flow, JsonCodec.create());
        var same = java.util.Map.of("nightly", new io.pgflowee.api.shape.ScheduleDeclarations.Stored("nightly", "report", "0 3 * * *",
                "{\"region\": \"eu\"}", "Europe/Berlin", "latest"),
                "hourly", new io.pgflowee.api.shape.ScheduleDeclarations.Stored("hourly", "report", "@hourly", "{}", "UTC", "latest"),
                "taken", new io.pgflowee.api.shape.ScheduleDeclarations.Stored("taken", "report", "@daily", "{}", "UTC", "latest"));
        assertThat(io.pgflowee.api.shape.ScheduleDeclarations.differences("report", declared, same)).as("the same definition").isEmpty();
        var changed = java.util.Map.of("nightly", new io.pgflowee.api.shape.ScheduleDeclarations.Stored("nightly", "report", "0 5 * * *",
                "{\"region\": \"us\"}", "America/New_York", "all"),
                "taken", new io.pgflowee.api.shape.ScheduleDeclarations.Stored("taken", "other", "@daily", "{}", "UTC", "latest"));
        assertThat(io.pgflowee.api.shape.ScheduleDeclarations.differences("report", declared, changed)).containsExactly(
                "schedule 'nightly' differs from its declaration: cron '0 3 * * *' vs '0 5 * * *', input {\"region\": \"eu\"} vs {\"region\": \"us\"},"
                        + " time zone Europe/Berlin vs America/New_York, catch_up latest vs all"
                        + " (first = Java, second = database; a change made at run time stays until the declaration changes)",
                "schedule 'hourly' is declared but not in the database (the flow's compiled changelog creates it at the next migration)",
                "schedule 'taken' is declared, but the database's schedule of that name belongs to flow 'other'");
    }
}
