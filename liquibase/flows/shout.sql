--liquibase formatted sql

--changeset pgflow-flows:shout runAlways:true runOnChange:true
--comment: flow shout, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('shout', '{"steps":[{"slug":"upper","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"twice","stepType":"single","dependencies":["upper"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}]}'::jsonb)
SELECT pgflow.create_flow('shout');
SELECT pgflow.add_step('shout', 'upper');
SELECT pgflow.add_step('shout', 'twice', ARRAY['upper']);
