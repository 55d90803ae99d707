package io.pgflowee.engine.query;

/**
 * A query the caller got wrong (a limit out of range, a cursor that is not ours): the message says
 * what. An EJB application exception, so it reaches the caller as it is (not wrapped in an
 * {@code EJBException}), and REST answers 400 with its message.
 */
@jakarta.ejb.ApplicationException(rollback = false)
public class InvalidQueryException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidQueryException(String message) {
        super(message);
    }
}
