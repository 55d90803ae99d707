package gen.use;

import gen.ApiClient;
import gen.api.FlowsApi;
import gen.api.RunsApi;
import gen.model.Run;
import gen.model.RunDetail;
import gen.model.RunPage;

import java.util.Map;
import java.util.function.Function;

/**
 * What a team does with a client generated from pgflow's /openapi (openapi-generator, java,
 * apache-httpclient), compiled by ClientIT against the generated sources, unmodified: sign in with
 * the document's basicAuth scheme, start greet_user, read the run until it completes, list the
 * flow's runs. Arguments: base URL, user, password, idempotency key; answers one line per step.
 */
public class GeneratedClientUse implements Function<String[], String> {

    @Override
    public String apply(String[] args) {
        try {
            ApiClient client = new ApiClient();
            client.setBasePath(args[0]);
            client.setUsername(args[1]);
            client.setPassword(args[2]);
            FlowsApi flows = new FlowsApi(client);
            RunsApi runs = new RunsApi(client);

            RunDetail started = flows.startRun("greet_user", Map.of("first_name", "Gen", "last_name", "Erated"), null, args[3], null,
                    null, null);
            String id = started.getRun().getRunId();
            Run run = started.getRun();
            for (int i = 0; i < 600 && "started".equals(run.getStatus()); i++) {
                Thread.sleep(100);
                run = runs.getRun(id).getRun();
            }
            RunPage page = runs.listRuns("greet_user", null, null, null, id.substring(0, 8), null, null, null, null, null, null, 5, null);
            return "started " + started.getRun().getFlowSlug() + " " + started.getRun().getStatus() + "\n"
                    + "read " + run.getStatus() + " " + run.getOutput() + "\n"
                    + "listed " + page.getRuns().stream().filter(r -> r.getRunId().equals(id)).count();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
