/**
 * Applies the pgflow changelogs ({@code pgflow/db/changelog.xml}: the core schema and functions,
 * then each compiled flow on its own) under an advisory lock, so several servers starting at once
 * migrate once. Used by the engine at deployment, by tests, and by teams who migrate by hand.
 */
package io.pgflowee.migrations;
