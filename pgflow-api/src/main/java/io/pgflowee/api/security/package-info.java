/**
 * Password hashes (PBKDF2) shared by the launcher, which hashes the admin password it hands the
 * server, and the server, which checks sign-ins against configured hashes.
 */
package io.pgflowee.api.security;
