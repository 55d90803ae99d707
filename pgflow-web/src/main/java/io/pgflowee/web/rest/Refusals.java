package io.pgflowee.web.rest;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The titles of a resource method's engine refusals ({@link io.pgflowee.engine.control.EngineRefusal}),
 * which {@link ApiErrors.RefusalMapper} answers for every endpoint alike: 404 (the run or flow does
 * not exist), 409 (its state or a taken id or key does not allow it; a reused idempotency key is
 * always "Idempotency key reused"), 422 (the input or a parameter is refused), each with the
 * engine's own message as the detail and its hint.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Refusals {

    /** The 404 title: "Unknown flow", "Unknown run". */
    String notFound();

    /** The 409 title. */
    String conflict() default "Not possible in this state";

    /** The 422 title. */
    String invalid() default "Refused";
}
