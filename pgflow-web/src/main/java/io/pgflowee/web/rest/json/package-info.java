/**
 * The API's JSON, one record per shape: every request body the API reads and every answer it writes,
 * with their OpenAPI descriptions. Each record has the one converter from the engine's types
 * ({@code of(...)}); {@link io.pgflowee.web.rest.json.ApiJson} writes them (JSON-B). Nothing here
 * reads the database or knows about HTTP.
 */
package io.pgflowee.web.rest.json;
