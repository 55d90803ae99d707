package io.pgflowee.client;

/** Remote only: the server did not accept the credentials (401) or the role may not do this (403). */
public class AccessDeniedException extends PgflowException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public AccessDeniedException(int status, String title, String detail) {
        super(title, detail);
        this.status = status;
    }

    /** 401 or 403. */
    public int status() {
        return status;
    }
}
