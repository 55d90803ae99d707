/**
 * The flow compiler: finds the {@code FlowDefinition} classes of a module and writes one Liquibase
 * changelog per flow into {@code liquibase/flows/} (plus the changelog that includes them), or
 * with {@code --check} fails when one is missing or out of date. Run by Maven ({@code -Pcompile-
 * flows}, and {@code check-flows} in {@code verify}) and by the launcher's fast reload.
 */
package io.pgflowee.api.compile;
