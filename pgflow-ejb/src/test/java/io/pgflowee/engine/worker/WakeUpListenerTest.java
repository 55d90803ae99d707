package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * The server's LISTEN connection: notifications on {@code pgflow_tasks} reach the workers, and
 * after the database drops the connection (as a restart or a failover does) the listener connects
 * and LISTENs again by itself.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class WakeUpListenerTest {

    private static final String LISTENER_BACKEND =
            "select pid from pg_stat_activity where application_name = 'pgflow wake-ups' and datname = current_database()"
                    + " and query ilike 'LISTEN%'";

    @Test
    void deliversWakeUpsAndListensAgainAfterItsConnectionIsKilled(DataSource dataSource) throws Exception {
        Db db = new Db(dataSource);
        BlockingQueue<String> woken = new LinkedBlockingQueue<>();
        WakeUpListener listener = new WakeUpListener(PgflowDatabaseExtension.jdbcUrl(), "postgres", "", woken::add);
        Thread thread = new Thread(listener, "wake-up-listener-test");
        thread.start();
        try {
            int first = db.awaitListener("pgflow wake-ups", -1);
            db.exec("select pg_notify('pgflow_tasks', 'greet_user')");
            assertThat(woken.poll(30, TimeUnit.SECONDS)).isEqualTo("greet_user");

            assertThat((Boolean) db.one("select pg_terminate_backend(?)", first)).isTrue();
            int second = db.awaitListener("pgflow wake-ups", first);
            assertThat(second).as("a new backend").isNotEqualTo(first);
            db.exec("select pg_notify('pgflow_tasks', 'cart_invoice')");
            assertThat(woken.poll(30, TimeUnit.SECONDS)).isEqualTo("cart_invoice");
            assertThat(woken).isEmpty();
        } finally {
            listener.stop();
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(thread.isAlive()).as("the listener thread ends on stop()").isFalse();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!db.rows(LISTENER_BACKEND).isEmpty() && System.nanoTime() < until) {
            Thread.sleep(50); // the backend ends just after the client closes the socket
        }
        assertThat(db.rows(LISTENER_BACKEND)).as("its connection is closed").isEmpty();
    }
}
