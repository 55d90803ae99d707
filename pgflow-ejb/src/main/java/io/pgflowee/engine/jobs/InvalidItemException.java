package io.pgflowee.engine.jobs;

/** An item that cannot start a run: skipped (up to the job's skip limit) and recorded with its reason. */
public class InvalidItemException extends Exception {

    private static final long serialVersionUID = 1L;
    private final String itemKey;

    public InvalidItemException(String itemKey, String message) {
        super(message);
        this.itemKey = itemKey;
    }

    public String itemKey() {
        return itemKey;
    }
}
