--liquibase formatted sql

--changeset pgflow-flows:greet_user runAlways:true runOnChange:true
--comment: flow greet_user, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('greet_user', '{"steps":[{"slug":"full_name","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"greeting","stepType":"single","dependencies":["full_name"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":3,"baseDelay":5,"timeout":60}}'::jsonb)
SELECT pgflow.create_flow('greet_user', max_attempts => 3, base_delay => 5, timeout => 60);
SELECT pgflow.add_step('greet_user', 'full_name');
SELECT pgflow.add_step('greet_user', 'greeting', ARRAY['full_name']);
SELECT count(*) FROM pgflow.apply_flow_schedules('greet_user', '[]'::jsonb);
