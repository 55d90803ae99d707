--liquibase formatted sql

--changeset pgflow-flows:order_approval runAlways:true runOnChange:true
--comment: flow order_approval, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('order_approval', '{"steps":[{"slug":"review","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"approval","stepType":"signal","dependencies":["review"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false},"options":{"timeout":172800}},{"slug":"fulfil","stepType":"single","dependencies":["approval","review"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"timeout":30}}'::jsonb)
SELECT pgflow.create_flow('order_approval', timeout => 30);
SELECT pgflow.add_step('order_approval', 'review');
SELECT pgflow.add_step('order_approval', 'approval', ARRAY['review'], timeout => 172800, step_type => 'signal');
SELECT pgflow.add_step('order_approval', 'fulfil', ARRAY['review', 'approval']);
SELECT count(*) FROM pgflow.apply_flow_schedules('order_approval', '[]'::jsonb);
