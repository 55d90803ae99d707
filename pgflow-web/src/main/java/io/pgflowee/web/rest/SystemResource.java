package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.sql.SQLException;

import io.pgflowee.engine.system.SystemInfoService;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.RunPartitions;
import io.pgflowee.web.rest.json.SystemInfo;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/system}: the engine's database, its version and the state of the schema; {@code /api/system/partitions}: the run tables' time partitions. */
@Path("system")
@org.eclipse.microprofile.openapi.annotations.tags.Tag(name = "System")
@Produces(MediaType.APPLICATION_JSON)
public class SystemResource {

    @Inject
    SystemInfoService systemInfo;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "getSystem", summary = "Describe the server and its database",
            description = "Versions, the database this server uses (without credentials) and whether its schema is in place.")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "200", description = "The system description",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = SystemInfo.class)))
    public String get() throws SQLException {
        return ApiJson.write(SystemInfo.of(systemInfo.describe()));
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("partitions")
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "getRunPartitions", summary = "List the run tables' time partitions",
            description = "The time ranges the run tables are partitioned by (made ahead by pgflow.tick(), dropped by pruning), with"
                    + " their runs and bytes, and how far ahead they reach; none while the tables are plain (the default).")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "200", description = "The partitions",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = RunPartitions.class)))
    public String partitions() throws SQLException {
        return ApiJson.write(RunPartitions.of(systemInfo.runPartitions()));
    }
}
