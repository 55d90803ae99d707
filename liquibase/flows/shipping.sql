--liquibase formatted sql

--changeset pgflow-flows:shipping runAlways:true runOnChange:true
--comment: flow shipping, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('shipping', '{"steps":[{"slug":"label","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"dispatch","stepType":"single","dependencies":["label"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":3,"baseDelay":1,"timeout":30}}'::jsonb)
SELECT pgflow.create_flow('shipping', max_attempts => 3, base_delay => 1, timeout => 30);
SELECT pgflow.add_step('shipping', 'label');
SELECT pgflow.add_step('shipping', 'dispatch', ARRAY['label']);
SELECT count(*) FROM pgflow.apply_flow_schedules('shipping', '[]'::jsonb);
