package io.pgflowee.engine.events;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.ScheduledExecutorService;

import javax.sql.DataSource;

import io.pgflowee.engine.db.DatabaseSettings;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;

/**
 * A real {@link RunEventHub} on the test database without a server: its managed executors stood
 * in for by plain ones, its LISTEN connection to the embedded PostgreSQL. For the tests of the hub
 * and of what watches runs through it.
 */
public final class PlainHubs {

    private PlainHubs() {
    }

    /** A hub on {@code dataSource}, renewing its subscriptions on {@code scheduler}. */
    public static RunEventHub on(DataSource dataSource, ScheduledExecutorService scheduler) {
        RunEventHub hub = new RunEventHub();
        hub.dataSource = dataSource;
        hub.scheduler = managed(ManagedScheduledExecutorService.class, scheduler);
        hub.threads = managed(ManagedThreadFactory.class, (java.util.concurrent.ThreadFactory) Thread::new);
        hub.database = new DatabaseSettings() {
            @Override
            public String url() {
                return PgflowDatabaseExtension.jdbcUrl();
            }

            @Override
            public String user() {
                return "postgres";
            }

            @Override
            public String password() {
                return "";
            }
        };
        return hub;
    }

    /** Stops the hub's listener (what the container does at shutdown). */
    public static void stop(RunEventHub hub) {
        hub.stop();
    }

    /** A Jakarta Concurrency interface answered by a plain Java object with the same methods (the managed extras are not used). */
    private static <T> T managed(Class<T> type, Object plain) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            try {
                Class<?> owner = plain instanceof ScheduledExecutorService ? ScheduledExecutorService.class
                        : java.util.concurrent.ThreadFactory.class;
                return owner.getMethod(method.getName(), method.getParameterTypes()).invoke(plain, args);
            } catch (NoSuchMethodException e) {
                throw new UnsupportedOperationException(method + " is not needed by RunEventHub", e);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }
}
