--liquibase formatted sql

--changeset pgflow-flows:greet_user
--comment: flow greet_user (compiled; do not edit: change the flow in Java, give it a new slug, recompile)
SELECT pgflow.create_flow('greet_user', max_attempts => 3, base_delay => 5, timeout => 60);
SELECT pgflow.add_step('greet_user', 'full_name');
SELECT pgflow.add_step('greet_user', 'greeting', ARRAY['full_name']);
