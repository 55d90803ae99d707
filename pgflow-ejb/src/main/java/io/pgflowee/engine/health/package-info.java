/**
 * MicroProfile Health checks: liveness, and readiness of the database and schema (DOWN stops
 * traffic) and of each flow (reported by name, never DOWN for one flow).
 */
package io.pgflowee.engine.health;
