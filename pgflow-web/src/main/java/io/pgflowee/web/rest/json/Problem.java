package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** RFC 9457 problem details: every error of the API (absent members: not known). */
@Schema(name = "Problem", description = "RFC 9457 problem details (application/problem+json).")
@JsonbPropertyOrder({"type", "title", "status", "detail", "instance", "hint", "errorId"})
public record Problem(@Schema(example = "about:blank") String type, @Schema(example = "Unknown flow") String title,
                      @Schema(example = "404") int status, @Schema(example = "Flow \"nope\" does not exist") String detail,
                      @Schema(example = "/api/flows/nope/runs") String instance,
                      @Schema(description = "What to do, when the engine says") String hint,
                      @Schema(description = "500 only: the id the server log has the failure under") String errorId) {

    public static Problem of(int status, String title, String detail, String instance, String hint) {
        return new Problem("about:blank", title, status, detail, instance, hint, null);
    }

    /** This problem with the id of its log entry. */
    public Problem withErrorId(String id) {
        return new Problem(type, title, status, detail, instance, hint, id);
    }
}
