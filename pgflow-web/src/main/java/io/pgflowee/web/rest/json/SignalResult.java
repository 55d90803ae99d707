package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The answer to a signal: what became of it. */
@Schema(name = "SignalResult", description = "What became of the signal (pgflow.send_signal's answer).")
public record SignalResult(@Schema(type = SchemaType.STRING, enumeration = {"delivered", "buffered", "ignored"},
        description = "delivered: the step was waiting and completed with the payload, its dependents start; buffered: the"
                + " step does not wait yet and completes with the payload when it would; ignored: the step already had a"
                + " signal, no longer waits, or the run ended (nothing changed; sending twice is safe)", example = "delivered")
                           String result) {
}
