package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.system.SystemInfoService;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** GET /api/system: the engine's database as this server sees it. */
@Schema(name = "SystemInfo", description = "The database this server uses (without credentials) and the state of its schema.")
@JsonbPropertyOrder({"postgresVersion", "migrations", "pgflowTables"})
public record SystemInfo(@Schema(example = "17.6") String postgresVersion,
                         @Schema(description = "PENDING, APPLIED, DISABLED or FAILED (/health/ready says why)") String migrations,
                         @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = String.class, description = "The tables of schema pgflow") List<String> pgflowTables) {

    public static SystemInfo of(SystemInfoService.SystemInfo info) {
        return new SystemInfo(info.postgresVersion(), info.migrations(), info.pgflowTables());
    }
}
