/**
 * This server's identity (host, pid) and the system information the API and console show.
 */
package io.pgflowee.engine.system;
