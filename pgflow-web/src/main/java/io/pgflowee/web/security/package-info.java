/**
 * Deny by default: which paths are public ({@link io.pgflowee.web.security.AccessPolicy}), sign-in
 * over HTTP Basic and the console form with throttling, sessions and cookies, security headers,
 * the configured users and their roles, and the guard that refuses a console action without a
 * declared role.
 */
package io.pgflowee.web.security;
