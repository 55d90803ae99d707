/**
 * {@code ./pgflow}: starts an embedded PostgreSQL 17 (or checks the configured one), runs Payara
 * Micro with the pgflow WAR, prints what a newcomer needs, and while it runs from the source tree
 * reloads every change: flow modules compiled by the launcher itself ({@link
 * io.pgflowee.launcher.FastBuild}), anything else with Maven, redeployed in place ({@link
 * io.pgflowee.launcher.ExplodedWar}). Stops everything in order on Ctrl-C or SIGTERM.
 */
package io.pgflowee.launcher;
