--liquibase formatted sql

--changeset pgflow-flows:order_fulfilment runAlways:true runOnChange:true
--comment: flow order_fulfilment, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('order_fulfilment', '{"steps":[{"slug":"total","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"pay","stepType":"subflow","dependencies":["total"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false},"options":{"maxAttempts":1,"timeout":600},"subflowSlug":"payment"},{"slug":"parcels","stepType":"single","dependencies":["pay"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"ship","stepType":"map_subflow","dependencies":["parcels"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false},"subflowSlug":"shipping"},{"slug":"summary","stepType":"single","dependencies":["pay","ship"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":2,"baseDelay":1,"timeout":30}}'::jsonb)
SELECT pgflow.create_flow('order_fulfilment', max_attempts => 2, base_delay => 1, timeout => 30);
SELECT pgflow.add_step('order_fulfilment', 'total');
SELECT pgflow.add_step('order_fulfilment', 'pay', ARRAY['total'], max_attempts => 1, timeout => 600, step_type => 'subflow', subflow_slug => 'payment');
SELECT pgflow.add_step('order_fulfilment', 'parcels', ARRAY['pay']);
SELECT pgflow.add_step('order_fulfilment', 'ship', ARRAY['parcels'], step_type => 'map_subflow', subflow_slug => 'shipping');
SELECT pgflow.add_step('order_fulfilment', 'summary', ARRAY['pay', 'ship']);
SELECT count(*) FROM pgflow.apply_flow_schedules('order_fulfilment', '[]'::jsonb);
