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

    private static EntityManagerFactory factory;

    private ReadModel() {
    }

    public static synchronized EntityManagerFactory factory(DataSource dataSource) {
        if (factory == null) {
            factory = Persistence.createEntityManagerFactory("pgflow", Map.of(
                    "jakarta.persistence.transactionType", "RESOURCE_LOCAL",
                    "jakarta.persistence.jtaDataSource", "",
                    "jakarta.persistence.nonJtaDataSource", dataSource,
                    "eclipselink.weaving", "false"));
        }
        return factory;
    }
}
