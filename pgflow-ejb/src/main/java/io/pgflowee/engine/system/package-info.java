/**
 * This server's identity ({@link io.pgflowee.engine.system.ServerIdentity}: the one shape in which
 * workers and batch executions record which server they run on), the application's lifecycle events
 * ({@link io.pgflowee.engine.system.ApplicationStopping}), and the system information the API and
 * console show.
 */
package io.pgflowee.engine.system;
