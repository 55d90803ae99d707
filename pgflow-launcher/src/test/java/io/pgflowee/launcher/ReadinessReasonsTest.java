package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The launcher's reading of DOWN readiness answers, on answers as the server writes them. */
class ReadinessReasonsTest {

    private static final String MISMATCH = "{\"status\":\"DOWN\",\"checks\":[{\"name\":\"pgflow-database\",\"status\":\"UP\","
            + "\"data\":{\"database\":\"localhost:15432/postgres\",\"migrations\":\"APPLIED\"}},{\"name\":\"pgflow-flows\",\"status\":\"DOWN\","
            + "\"data\":{\"flow.greet_user\":\"verified\",\"flow.it_new\":\"compiled\",\"flow.order_fulfilment\":\"mismatch: flow"
            + " 'order_fulfilment' differs from the flow in the database and will not run (first = Java, second = database): Step count"
            + " differs: 5 vs 4. Flows are immutable once applied: give the changed flow a new slug (for example order_fulfilment_v2), or"
            + " in development delete the old one with SELECT pgflow.delete_flow_and_data('order_fulfilment'): the server checks again within 10 s, no restart needed\","
            + "\"flow.billing\":\"missing: flow 'billing' is not in the database\"}}]}";

    @Test
    void eachDownReasonIsToldOnceAsItAppearsWithItsCodeAndFix() {
        List<String> printed = new ArrayList<>();
        ReadinessReasons reasons = new ReadinessReasons(printed::add);

        reasons.seen("<html>starting</html>"); // Payara's page before the application is deployed: nothing to say
        reasons.seen("{\"status\":\"DOWN\",\"checks\":[{\"name\":\"pgflow-database\",\"status\":\"DOWN\","
                + "\"data\":{\"database\":\"db:5432/app\",\"reason\":\"cannot connect to db:5432/app: Connection refused\"}},"
                // flows wait for the schema: the database check says why, the flows are not told
                + "{\"name\":\"pgflow-flows\",\"status\":\"DOWN\",\"data\":{\"flow.greet_user\":\"unchecked: flow 'greet_user' is"
                + " not checked yet: waiting for the pgflow schema\"}}]}");
        reasons.seen(MISMATCH);
        reasons.seen(MISMATCH); // polled again: told once

        assertThat(printed).containsExactly(
                "pgflow-database: cannot connect to db:5432/app: Connection refused",
                "PGFLOW-023 flow 'order_fulfilment' differs from the flow in the database and will not run (first = Java, second ="
                        + " database): Step count differs: 5 vs 4. Flows are immutable once applied: give the changed flow a new slug"
                        + " (for example order_fulfilment_v2), or in development delete the old one with SELECT"
                        + " pgflow.delete_flow_and_data('order_fulfilment'): the server checks again within 10 s, no restart needed",
                "PGFLOW-022 flow 'billing' is not in the database");
        assertThat(reasons.told()).isEqualTo(printed);
    }

    @Test
    void anUpAnswerOrOneThatIsNotHealthJsonHasNoReasons() {
        assertThat(ReadinessReasons.reasons("{\"status\":\"UP\",\"checks\":[{\"name\":\"pgflow-flows\",\"status\":\"UP\","
                + "\"data\":{\"flow.greet_user\":\"verified\"}}]}")).isEmpty();
        assertThat(ReadinessReasons.reasons("")).isEmpty();
        assertThat(ReadinessReasons.reasons(null)).isEmpty();
        assertThat(ReadinessReasons.reasons("[1, 2]")).isEmpty();
        assertThat(ReadinessReasons.reasons("{\"status\":\"DOWN\",\"checks\":[{\"name\":\"other\",\"status\":\"DOWN\"}]}"))
                .containsExactly("other is DOWN");
    }

    @Test
    void theFlowVerdictsOfAnAnswerAreListedForTheReadyLine() {
        assertThat(ReadinessReasons.flowVerdicts("{\"status\":\"UP\",\"checks\":[{\"name\":\"pgflow-database\",\"status\":\"UP\","
                + "\"data\":{\"migrations\":\"APPLIED\"}},{\"name\":\"pgflow-flows\",\"status\":\"UP\","
                + "\"data\":{\"flow.cart_invoice\":\"verified\",\"flow.my_flow\":\"compiled\"}}]}"))
                .isEqualTo("cart_invoice verified, my_flow compiled");
        assertThat(ReadinessReasons.flowVerdicts(MISMATCH)).isEqualTo("billing missing (NOT RUNNING), greet_user verified, it_new compiled,"
                + " order_fulfilment mismatch (NOT RUNNING)");
        assertThat(ReadinessReasons.flowVerdicts("{\"status\":\"UP\",\"checks\":[]}")).isEmpty();
        assertThat(ReadinessReasons.flowVerdicts("not json")).isEmpty();
    }

    @Test
    void whileTheServerRunsAFlowThatStopsRunningIsToldOnceWithItsFixAndAgainWhenItRunsAgain() {
        List<String> printed = new ArrayList<>();
        FlowWatch flows = new FlowWatch(printed::add);
        String ok = "{\"status\":\"UP\",\"checks\":[{\"name\":\"pgflow-flows\",\"status\":\"UP\",\"data\":{\"flow.greet_user\":\"verified\","
                + "\"flow.order_fulfilment\":\"verified\"}}]}";
        String broken = ok.replace("\"flow.order_fulfilment\":\"verified\"", "\"flow.order_fulfilment\":\"mismatch: flow 'order_fulfilment'"
                + " differs from the flow in the database and will not run: Step count differs: 5 vs 4. Flows are immutable once applied\","
                + "\"notRunning\":\"order_fulfilment\"");

        flows.seen(ok);
        flows.seen(broken);
        flows.seen(broken); // read again: told once
        flows.seen("<html>restarting</html>");
        flows.seen(ok);

        assertThat(printed).containsExactly(
                "pgflow: flow order_fulfilment does not run (every other flow does): flow 'order_fulfilment' differs from the flow in the"
                        + " database and will not run: Step count differs: 5 vs 4. Flows are immutable once applied",
                "pgflow: flow order_fulfilment runs now (verified)");
    }
}
