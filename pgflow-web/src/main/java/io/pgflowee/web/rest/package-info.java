/**
 * The REST API under {@code /api} (JAX-RS): flows, runs, workers, jobs, events (SSE) and system
 * resources, errors as RFC 9457 problem details (their bodies and every answer are the records of {@code web.rest.json}), and the check that every
 * resource method declares its role ({@link io.pgflowee.web.rest.DeclaredRoles}).
 */
package io.pgflowee.web.rest;
