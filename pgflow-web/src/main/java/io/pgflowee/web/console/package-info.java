/**
 * The admin console (Jakarta Faces with PrimeFaces): view beans of the pages in {@code
 * src/main/webapp}, operator actions (each with its declared role), live updates of the page in
 * view, sign-in form, and the error page's handler.
 */
package io.pgflowee.web.console;
