package io.pgflowee.web.rest;

import java.sql.SQLException;

import io.pgflowee.engine.system.SystemInfoService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/system}: the engine's database, its version and the state of the schema. */
@Path("system")
@Produces(MediaType.APPLICATION_JSON)
public class SystemResource {

    @Inject
    SystemInfoService systemInfo;

    @GET
    public SystemInfoService.SystemInfo get() throws SQLException {
        return systemInfo.describe();
    }
}
