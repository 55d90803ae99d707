--liquibase formatted sql

--changeset pgflow-flows:rich runAlways:true runOnChange:true
--comment: flow rich, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('rich', '{"steps":[{"slug":"root","stepType":"single","dependencies":[],"whenUnmet":"skip-cascade","whenExhausted":"fail","requiredInputPattern":{"defined":true,"value":{"plan":"pro"}},"forbiddenInputPattern":{"defined":false}},{"slug":"other","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false},"options":{"baseDelay":7,"startDelay":3}},{"slug":"each","stepType":"map","dependencies":["root"],"whenUnmet":"skip","whenExhausted":"skip","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"join","stepType":"single","dependencies":["each","other"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":true,"value":{"other":{}}}}],"options":{"maxAttempts":2,"timeout":10}}'::jsonb)
SELECT pgflow.create_flow('rich', max_attempts => 2, timeout => 10);
SELECT pgflow.add_step('rich', 'root', required_input_pattern => '{"plan":"pro"}', when_unmet => 'skip-cascade');
SELECT pgflow.add_step('rich', 'other', base_delay => 7, start_delay => 3);
SELECT pgflow.add_step('rich', 'each', ARRAY['root'], when_exhausted => 'skip', step_type => 'map');
SELECT pgflow.add_step('rich', 'join', ARRAY['other', 'each'], forbidden_input_pattern => '{"other":{}}');
SELECT count(*) FROM pgflow.apply_flow_schedules('rich', '[{"name":"rich_nightly","cron":"0 3 * * MON-FRI","input":{"note":"it''s"},"time_zone":"Europe/Berlin","catch_up":"all"},{"name":"rich.hourly","cron":"@hourly","input":{},"time_zone":"UTC","catch_up":"latest"}]'::jsonb);
