--liquibase formatted sql

--changeset pgflow-flows:greet_many runAlways:true runOnChange:true
--comment: flow greet_many, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('greet_many', '{"steps":[{"slug":"greetings","stepType":"map","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"letter","stepType":"single","dependencies":["greetings"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}]}'::jsonb)
SELECT pgflow.create_flow('greet_many');
SELECT pgflow.add_step('greet_many', 'greetings', step_type => 'map');
SELECT pgflow.add_step('greet_many', 'letter', ARRAY['greetings']);
SELECT count(*) FROM pgflow.apply_flow_schedules('greet_many', '[]'::jsonb);
