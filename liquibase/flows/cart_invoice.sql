--liquibase formatted sql

--changeset pgflow-flows:cart_invoice runAlways:true runOnChange:true
--comment: flow cart_invoice, compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('cart_invoice', '{"steps":[{"slug":"lines","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"line_totals","stepType":"map","dependencies":["lines"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}},{"slug":"express_fee","stepType":"single","dependencies":[],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":true,"value":{"express":true}},"forbiddenInputPattern":{"defined":false}},{"slug":"invoice","stepType":"single","dependencies":["express_fee","line_totals"],"whenUnmet":"skip","whenExhausted":"fail","requiredInputPattern":{"defined":false},"forbiddenInputPattern":{"defined":false}}],"options":{"maxAttempts":3,"timeout":30}}'::jsonb)
SELECT pgflow.create_flow('cart_invoice', max_attempts => 3, timeout => 30);
SELECT pgflow.add_step('cart_invoice', 'lines');
SELECT pgflow.add_step('cart_invoice', 'line_totals', ARRAY['lines'], step_type => 'map');
SELECT pgflow.add_step('cart_invoice', 'express_fee', required_input_pattern => '{"express":true}');
SELECT pgflow.add_step('cart_invoice', 'invoice', ARRAY['line_totals', 'express_fee']);
SELECT count(*) FROM pgflow.apply_flow_schedules('cart_invoice', '[]'::jsonb);
