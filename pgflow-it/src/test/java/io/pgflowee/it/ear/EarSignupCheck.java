package io.pgflowee.it.ear;

import java.sql.SQLException;
import java.util.logging.Logger;

import io.pgflowee.client.Pgflow;
import io.pgflowee.example.signup.SignupService;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.EJB;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;
import jakarta.inject.Inject;

/**
 * A user's own EJB module in pgflow's EAR ({@code EarOnPayaraServerIT} adds it, and the example
 * application's module, to the EAR it deploys): two seconds after the deployment it signs a user up
 * through {@link SignupService}, whose {@code @Inject Pgflow} comes from pgflow's EJB module, so the
 * signup row and its greeting run commit together; the test then reads both from the database.
 */
@Singleton
@Startup
public class EarSignupCheck {

    private static final Logger LOG = Logger.getLogger(EarSignupCheck.class.getName());

    /** The address the test looks for. */
    public static final String EMAIL = "ear-module@example.com";

    @EJB
    SignupService signups;

    @Inject
    Pgflow pgflow;

    @Resource
    TimerService timers;

    @PostConstruct
    void schedule() {
        timers.createSingleActionTimer(2_000, new TimerConfig("ear-signup-check", false));
    }

    @Timeout
    void signUp() throws SQLException {
        // the user module's own injection of the client, beside the one in SignupService
        LOG.info("EarSignupCheck: Pgflow is " + pgflow.getClass().getName() + "; greeting run "
                + signups.register(EMAIL, "Ear", "Module"));
    }
}
