--liquibase formatted sql

--changeset pgflow-flows:payment runAlways:true runOnChange:true
--comment: flow payment, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('payment', '{"steps":[{"slug":"authorize","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"receipt","stepType":"single","dependencies":["authorize"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":2,"baseDelay":1,"timeout":30}}'::jsonb)
SELECT pgflow.create_flow('payment', max_attempts => 2, base_delay => 1, timeout => 30);
SELECT pgflow.add_step('payment', 'authorize');
SELECT pgflow.add_step('payment', 'receipt', ARRAY['authorize']);
SELECT count(*) FROM pgflow.apply_flow_schedules('payment', '[]'::jsonb);
