package io.pgflowee.web.console;

import java.util.logging.Logger;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebListener;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;

/** When a console session ends (sign-out, idle or absolute limit, server stop), its live streams end with it. */
@WebListener
public class SessionEnd implements HttpSessionListener {

    private static final Logger LOG = Logger.getLogger(SessionEnd.class.getName());

    @Inject
    ConsoleLive live;

    @Override
    public void sessionDestroyed(HttpSessionEvent event) {
        int ended = live.endSession(event.getSession().getId());
        if (ended > 0) {
            LOG.fine(() -> "ended " + ended + " live stream(s) of an ended console session");
        }
    }
}
