--liquibase formatted sql

--changeset pgflow-flows:daily_report runAlways:true runOnChange:true
--comment: flow daily_report, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('daily_report', '{"steps":[{"slug":"compile","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"deliver","stepType":"single","dependencies":["compile"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":3,"baseDelay":5,"timeout":60}}'::jsonb)
SELECT pgflow.create_flow('daily_report', max_attempts => 3, base_delay => 5, timeout => 60);
SELECT pgflow.add_step('daily_report', 'compile');
SELECT pgflow.add_step('daily_report', 'deliver', ARRAY['compile']);
SELECT count(*) FROM pgflow.apply_flow_schedules('daily_report', '[{"name":"daily_report_eu","cron":"0 7 * * MON-FRI","input":{"region":"eu"},"time_zone":"Europe/Berlin","catch_up":"latest"},{"name":"daily_report_us","cron":"0 8 * * MON-FRI","input":{"region":"us"},"time_zone":"America/New_York","catch_up":"none"}]'::jsonb);
