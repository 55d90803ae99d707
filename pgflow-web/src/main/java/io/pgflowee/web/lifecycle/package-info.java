/**
 * The application's own lifecycle hooks in the web module: what must happen while the
 * application's resources still work when it is undeployed (the workers stop first).
 */
package io.pgflowee.web.lifecycle;
