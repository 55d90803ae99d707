package io.pgflowee.engine.model;

import java.util.Map;

import javax.sql.DataSource;

import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;

/**
 * The application's persistence unit ({@code META-INF/persistence.xml}, unit {@code pgflow})
 * outside the container: the same entities and converters, on a test data source, with
 * resource-local transactions and without weaving.
 */
public final class ReadModel {

    private static final Map<DataSource, EntityManagerFactory> FACTORIES = new java.util.IdentityHashMap<>();

    private ReadModel() {
    }

    /** The unit on {@code dataSource} (each test class has a database of its own, so a unit of its own). */
    public static synchronized EntityManagerFactory factory(DataSource dataSource) {
        return FACTORIES.computeIfAbsent(dataSource, ds -> Persistence.createEntityManagerFactory("pgflow", Map.of(
                "jakarta.persistence.transactionType", "RESOURCE_LOCAL",
                "jakarta.persistence.jtaDataSource", "",
                "jakarta.persistence.nonJtaDataSource", ds,
                "eclipselink.session-name", "pgflow-test-" + FACTORIES.size(),
                "eclipselink.weaving", "false")));
    }
}
