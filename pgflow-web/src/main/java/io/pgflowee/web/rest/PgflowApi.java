package io.pgflowee.web.rest;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API root: every resource lives under {@code /api}. */
@ApplicationPath("/api")
public class PgflowApi extends Application {
}
