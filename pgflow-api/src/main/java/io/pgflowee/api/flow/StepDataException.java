package io.pgflowee.api.flow;

/**
 * A task's input could not be read as the handler's Java type, or its output could not be written
 * as JSON. The message names the flow, the step and the type. The worker fails the task with it.
 */
public class StepDataException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StepDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
