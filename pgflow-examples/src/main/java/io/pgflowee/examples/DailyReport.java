package io.pgflowee.examples;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.api.flow.Schedule;
import io.pgflowee.api.flow.Step;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.bind.annotation.JsonbProperty;

/**
 * A scheduled flow: every weekday at 07:00 in Berlin (schedule {@code daily_report_eu}) and at
 * 08:00 in New York ({@code daily_report_us}), one run per firing across all servers, with the
 * declared input plus {@code "scheduled_at"}: {@code {"region": "eu", "scheduled_at":
 * "2026-12-04T06:00:00Z"}} becomes {@code {"deliver": "report eu for 2026-12-04T06:00:00Z: sent"}}.
 */
@ApplicationScoped
public class DailyReport implements FlowDefinition {

    /** The flow input; {@code scheduledAt} is set by the firing (null in the declaration: not written). */
    public record Input(String region, @JsonbProperty("scheduled_at") String scheduledAt) {
    }

    @Override
    public Flow<Input> flow() {
        Flow<Input> flow = Flow.define("daily_report", Input.class).maxAttempts(3).baseDelay(5).timeout(60);
        Step<String> compile = flow.step("compile", String.class)
                .run(in -> "report " + in.region() + " for " + (in.scheduledAt() == null ? "now" : in.scheduledAt()));
        flow.step("deliver", String.class).after(compile).run(report -> report + ": sent");
        flow.schedule("daily_report_eu", "0 7 * * MON-FRI", new Input("eu", null)).timeZone("Europe/Berlin");
        flow.schedule("daily_report_us", "0 8 * * MON-FRI", new Input("us", null)).timeZone("America/New_York")
                .catchUp(Schedule.CatchUp.NONE);
        return flow;
    }
}
