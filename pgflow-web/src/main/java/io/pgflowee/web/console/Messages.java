package io.pgflowee.web.console;

import jakarta.faces.application.FacesMessage;
import jakarta.faces.context.FacesContext;

/** Messages shown by the console's {@code p:messages} (globally, or next to a field by its client id). */
final class Messages {

    private Messages() {
    }

    /**
     * What the console says when an action did not happen: the engine's refusal as it is (it names the
     * state and the fix), a database failure with its SQLSTATE. The one place the console words them.
     */
    static String why(Exception e) {
        return e instanceof java.sql.SQLException sql ? "Database error " + sql.getSQLState() + ": " + sql.getMessage() : e.getMessage();
    }

    static void info(String text) {
        add(null, FacesMessage.SEVERITY_INFO, text);
    }

    static void error(String text) {
        add(null, FacesMessage.SEVERITY_ERROR, text);
    }

    /** An error next to one field ({@code clientId}, for example {@code start:input}). */
    static void fieldError(String clientId, String text) {
        add(clientId, FacesMessage.SEVERITY_ERROR, text);
    }

    private static void add(String clientId, FacesMessage.Severity severity, String text) {
        FacesContext.getCurrentInstance().addMessage(clientId, new FacesMessage(severity, text, null));
    }
}
