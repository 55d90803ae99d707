package io.pgflowee.launcher;

/** A start-up problem the user can fix; its message is printed as one line, without a stack trace. */
final class LaunchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LaunchException(String message) {
        super(message);
    }

    LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
