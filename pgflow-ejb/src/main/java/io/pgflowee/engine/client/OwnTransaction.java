package io.pgflowee.engine.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.concurrent.Callable;

/** Runs work in a JTA transaction of its own, whatever the caller's ({@code StartOptions.withOwnTransaction()}). */
@ApplicationScoped
public class OwnTransaction {

    /** {@code work} in a new transaction, committed when it returns and rolled back when it throws. */
    @Transactional(value = Transactional.TxType.REQUIRES_NEW, rollbackOn = Exception.class)
    public <T> T call(Callable<T> work) throws Exception {
        return work.call();
    }
}
