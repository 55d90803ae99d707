package io.pgflowee.it;

import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.testing.TestFiles;
import io.pgflowee.it.support.ConsoleSignIns;
import io.pgflowee.it.support.ConsoleJourneys;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/**
 * "Deploy the EAR to an application server" is a promise to our users: this smoke test creates a
 * fresh Payara Server 6 domain (the distribution comes from Maven Central), deploys the built EAR,
 * and checks that readiness (database reachable, migrations applied) and the API answer.
 *
 * <p>The domain runs as a DBA would set it up (README, "Database roles"): the schema is applied by
 * its owner beforehand, and the server connects as {@code pgflow_ear_app}, a login that is only a
 * member of {@code pgflow_worker} and {@code pgflow_operator} (plus {@code CREATE} on {@code public}
 * for the batch job repository), with {@code PGFLOW_MIGRATE=false}. Everything below (runs, events,
 * metrics, the console, a batch job) works with those rights alone. The EAR deployed is pgflow's
 * with two EJB modules of a user's own added ({@link #withUserModules}): a bean there that injects
 * {@code Pgflow} signs a user up and starts the greeting in one transaction.
 */
class EarOnPayaraServerIT {

    private static final Path TARGET = Path.of(System.getProperty("it.target", "target"));
    private static final Path ASADMIN = TARGET.resolve("payara-server/payara6/bin/asadmin");
    private static final Path DOMAINS = TARGET.resolve("payara-domains");
    private static final String DOMAIN = "pgflowit";
    private static final String APP_LOGIN = "pgflow_ear_app";
    private static final String APP_PASSWORD = "ear-app-secret";
    /** What the domain's processes get in their environment instead of the owner's credentials. */
    private static final java.util.Map<String, String> LEAST_PRIVILEGE = java.util.Map.of(
            "PGFLOW_DB_USER", APP_LOGIN, "PGFLOW_DB_PASSWORD", APP_PASSWORD, "PGFLOW_MIGRATE", "false");

    @Test
    void theEarDeploysOnPayaraServerAndBecomesReady() throws Exception {
        int portBase = freePortBase();
        Path log = TARGET.resolve("payara-server-it.log");
        TestFiles.deleteRecursively(DOMAINS);
        leastPrivilegeLogin();
        asadmin(log, "create-domain", "--nopassword=true", "--portbase", Integer.toString(portBase),
                "--domaindir", DOMAINS.toString(), DOMAIN);
        // the JDBC driver for the domain's own pool of the batch job repository (asadmin add-library, before the start)
        Files.copy(TARGET.resolve("postgresql.jar"), DOMAINS.resolve(DOMAIN).resolve("lib").resolve("postgresql.jar"));
        try {
            asadmin(log, "start-domain", "--domaindir", DOMAINS.toString(), DOMAIN);
            String admin = Integer.toString(portBase + 48);
            // the job repository in PostgreSQL: the one command the README gives
            asadmin(log, "--port", admin, "multimode", "--file",
                    TARGET.resolve("../../pgflow-ear/src/main/payara/pgflow-batch.asadmin").normalize().toString());
            // the batch runtime reads its configuration when the server starts
            asadmin(log, "restart-domain", "--domaindir", DOMAINS.toString(), DOMAIN);
            // users of the domain's file realm, with pgflow roles by group (pgflow.security.serverRealm=true)
            asadmin(log, "--port", admin, "create-system-properties", "pgflow.security.serverRealm=true");
            for (String[] user : new String[][] {{"realm-operator", "pgflow-operator"}, {"realm-viewer", "pgflow-viewer"}}) {
                Path passwords = Files.createTempFile(TARGET, "realm-user", ".txt");
                Files.writeString(passwords, "AS_ADMIN_USERPASSWORD=" + user[0] + "-secret\n");
                try {
                    asadmin(log, "--port", admin, "--passwordfile", passwords.toString(), "create-file-user", "--groups", user[1],
                            user[0]);
                } finally {
                    Files.delete(passwords);
                }
            }
            signupTable();
            asadmin(log, "--port", admin, "deploy", "--name", "pgflow", withUserModules(TARGET.resolve("pgflow.ear")).toString());

            String http = "http://localhost:" + (portBase + 80);
            HttpResponse<String> ready = awaitStatus(URI.create(http + "/health/ready"), 200, Duration.ofSeconds(600));
            // the owner applied the schema; this server only checks it (pgflow.migrate=false) and its flows
            assertThat(ready.body()).contains("\"status\":\"UP\"").contains("\"migrations\":\"DISABLED\"").contains("\"flow.greet_user\":\"verified\"");

            HttpResponse<String> anonymous = get(URI.create(http + "/api/system"), null);
            assertThat(anonymous.statusCode()).as("sign-in is required on Payara Server too").isEqualTo(401);
            assertThat(anonymous.body()).contains("\"title\":\"Sign-in required\"");
            // it-admin is one of the users of PGFLOW_USERS (see the pom), which the domain inherits from this JVM
            HttpResponse<String> system = get(URI.create(http + "/api/system"), "it-admin:it-admin-secret");
            assertThat(system.statusCode()).isEqualTo(200);
            assertThat(system.body()).contains("\"migrations\":\"DISABLED\"").contains("\"postgresVersion\":\"17.");

            // users of the server's realm: the group gives the role
            assertThat(get(URI.create(http + "/api/flows"), "realm-viewer:realm-viewer-secret").statusCode()).isEqualTo(200);
            HttpResponse<String> viewerPause = post(URI.create(http + "/api/flows/greet_user/pause"), "realm-viewer:realm-viewer-secret");
            assertThat(viewerPause.statusCode()).as(viewerPause.body()).isEqualTo(403);
            assertThat(viewerPause.body()).contains("user 'realm-viewer' has role pgflow-viewer; POST /api/flows/greet_user/pause needs"
                    + " pgflow-operator or pgflow-admin");
            HttpResponse<String> pause = post(URI.create(http + "/api/flows/greet_user/pause"), "realm-operator:realm-operator-secret");
            assertThat(pause.statusCode()).as(pause.body()).isEqualTo(200);
            assertThat(pause.body()).contains("\"pausedAt\":\"");
            HttpResponse<String> resume = post(URI.create(http + "/api/flows/greet_user/resume"), "realm-operator:realm-operator-secret");
            assertThat(resume.statusCode()).as(resume.body()).isEqualTo(200);
            assertThat(resume.body()).contains("\"pausedAt\":null");
            // the read model, live events and metrics work in the EAR too (EJB module + WAR)
            HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(http + "/api/flows/greet_user/runs"))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("{\"first_name\": \"Ear\", \"last_name\": \"Ring\"}"))
                    .header("Content-Type", "application/json"), "realm-operator:realm-operator-secret");
            assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
            String location = started.headers().firstValue("Location").orElseThrow();
            HttpResponse<String> run = null;
            for (int i = 0; i < 600; i++) {
                run = get(URI.create(location), "realm-viewer:realm-viewer-secret");
                if (!run.body().contains("\"status\":\"started\"")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(run.body()).contains("\"status\":\"completed\"").contains("\"greeting\":\"Hello, Ear Ring!\"");
            HttpResponse<String> events = get(URI.create(location + "/events"), "realm-viewer:realm-viewer-secret");
            assertThat(events.statusCode()).isEqualTo(200);
            // the stream of a finished run: its history, ending with run:completed (then the server closes it)
            assertThat(events.body()).contains("event: run:started");
            assertThat(events.body().strip()).matches("(?s).*\\nevent: run:completed\\nid: [^\\n]+\\ndata: [^\\n]+");
            HttpResponse<String> metrics = get(URI.create(http + "/metrics"), "realm-viewer:realm-viewer-secret");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("# TYPE pgflow_runs_started_total counter").contains("pgflow_workers_live{flow=\"greet_user\"} 1.0");
            assertThat(get(URI.create(http + "/metrics"), null).statusCode()).isEqualTo(401);

            // the console in the EAR: form sign-in (a realm user), the dashboard with the flows, the run's flow counted
            HttpClient browser = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new java.net.CookieManager())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpResponse<String> signInPage = browser.send(HttpRequest.newBuilder(URI.create(http + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(signInPage.uri().getPath()).isEqualTo("/login.xhtml");
            assertThat(signInPage.body()).contains("id=\"sign-in-button\"");
            HttpResponse<String> dashboard = ConsoleSignIns.signIn(browser, URI.create(http + "/"), "realm-viewer", "realm-viewer-secret", null);
            assertThat(dashboard.statusCode()).isEqualTo(200);
            assertThat(dashboard.body()).contains("<title>pgflow · Dashboard</title>").contains("realm-viewer (pgflow-viewer)")
                    .contains(">greet_user<");
            // schedules in the EAR: the read side is an EJB of the EJB module, the page and the API the WAR's
            HttpResponse<String> schedulesPage = browser.send(HttpRequest.newBuilder(URI.create(http + "/schedules.xhtml?flow=daily_report")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(schedulesPage.statusCode()).isEqualTo(200);
            assertThat(schedulesPage.body()).contains("<title>pgflow · Schedules</title>").contains("daily_report_eu").contains("daily_report_us")
                    .doesNotContain("id=\"form:create\"");
            HttpResponse<String> schedules = get(URI.create(http + "/api/schedules?flow=daily_report"), "realm-viewer:realm-viewer-secret");
            assertThat(schedules.statusCode()).as(schedules.body()).isEqualTo(200);
            assertThat(schedules.body()).contains("\"name\":\"daily_report_eu\"").contains("\"declared\":true").contains("\"total\":2");

            // the same security rules as on Payara Micro (SecurityIT has the full set): odd spellings reach nothing anonymously
            HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(); // follows no redirect
            for (String spelling : List.of("/runs.xhtml;x", "/runs.xhtm%6c", "/jakarta.faces.resource/../runs.xhtml", "//runs.xhtml",
                    "/metrics;x", "//metrics", "/./metrics", "/%6detrics", "/metrics/", "/console/live;x", "/api;x/runs", "//api/runs")) {
                HttpResponse<String> r = raw.send(HttpRequest.newBuilder(URI.create(http + spelling)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(spelling).isIn(302, 401, 404);
                assertThat(r.headers().firstValue("Location").orElse(http + "/login.xhtml")).as(spelling).startsWith(http + "/login.xhtml");
                assertThat(r.body()).as(spelling).doesNotContain("greet_user").doesNotContain("# TYPE pgflow_");
            }
            assertThat(dashboard.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                    .contains("frame-ancestors 'none'").matches(".*script-src 'self' 'nonce-[A-Za-z0-9+/=]+';?"));
            assertThat(dashboard.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(dashboard.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(dashboard.previousResponse().orElseThrow().headers().allValues("Set-Cookie"))
                    .anyMatch(c -> c.matches("JSESSIONID=\\w+; Path=/; HttpOnly; SameSite=Strict"));
            HttpResponse<String> signOutWithoutToken = browser.send(HttpRequest.newBuilder(URI.create(http + "/logout"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(signOutWithoutToken.statusCode()).as("sign-out needs the session's token").isEqualTo(403);

            // a batch job in the EAR: a backfill of an uploaded CSV, its history in the PostgreSQL job repository
            HttpResponse<String> backfill = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest
                    .newBuilder(URI.create(http + "/api/jobs/pgflow-backfill/upload?flow=greet_user")).header("Content-Type", "text/csv")
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString("it-admin:it-admin-secret".getBytes()))
                    .POST(HttpRequest.BodyPublishers.ofString("first_name,last_name\nBat,Ch\n")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(backfill.statusCode()).as(backfill.body()).isEqualTo(202);
            String job = backfill.headers().firstValue("Location").orElseThrow();
            HttpResponse<String> jobNow = null;
            for (int i = 0; i < 600; i++) {
                jobNow = get(URI.create(job), "it-admin:it-admin-secret");
                if (jobNow.body().contains("\"status\":\"COMPLETED\"") || jobNow.body().contains("\"status\":\"FAILED\"")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(jobNow.body()).contains("\"status\":\"COMPLETED\"").contains("\"data\":\"runs created 1, found already started 0\"");
            // Payara Server names its repository tables without Micro's "jbatch" prefix
            try (var c = java.sql.DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres"); var st = c.createStatement();
                 var rs = st.executeQuery("select table_schema, table_name from information_schema.tables"
                         + " where lower(table_name) = 'executioninstancedata'")) {
                assertThat(rs.next()).as("the job repository's tables in PostgreSQL").isTrue();
                try (var st2 = c.createStatement(); var count = st2.executeQuery("select count(*) from \"" + rs.getString(1) + "\".\""
                        + rs.getString(2) + "\"")) {
                    count.next();
                    assertThat(count.getLong(1)).as("executions in the PostgreSQL job repository").isPositive();
                }
            }

            // and in a real browser: the dashboard counts the run, its page shows the greeting
            ConsoleJourneys.helloWorldInTheEar(URI.create(http + "/").toURL(), "realm-viewer", "realm-viewer-secret",
                    location.substring(location.lastIndexOf('/') + 1), "{\"greeting\": \"Hello, Ear Ring!\"}");

            // the user's own EJB module: its bean's @Inject Pgflow (pgflow's EJB module) started the greeting with the signup row
            String greeting = null;
            for (int i = 0; i < 600 && greeting == null; i++) {
                greeting = sqlOrNull("select r.output ->> 'greeting' from signup_example.signups s join pgflow.runs r on r.run_id = s.greeting_run"
                        + " where s.email = '" + io.pgflowee.it.ear.EarSignupCheck.EMAIL + "' and r.status = 'completed'");
                Thread.sleep(100);
            }
            assertThat(greeting).as("the signup of the user module's bean, see " + log).isEqualTo("Hello, Ear Module!");
            assertThat(Files.readString(DOMAINS.resolve(DOMAIN).resolve("logs/server.log")))
                    .contains("EarSignupCheck: Pgflow is io.pgflowee.engine.client.InProcessPgflow");

            HttpResponse<String> wrong = get(URI.create(http + "/api/flows"), "realm-operator:not-the-password");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).contains("\"detail\":\"unknown user or wrong password\"");
        } finally {
            // graceful: workers may take their shutdown timeout (30 s) and Hazelcast another 30 s on a slow machine
            asadmin(log, "stop-domain", "--timeout", "300", "--domaindir", DOMAINS.toString(), DOMAIN);
        }
    }

    private static void asadmin(Path log, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ASADMIN.toString(), "--interactive=false"));
        command.addAll(List.of(args));
        Files.writeString(log, "$ " + String.join(" ", command) + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(LEAST_PRIVILEGE); // the domain (started by asadmin) inherits it
        // asadmin gives up on a deploy after 600 s by default ("No response from Domain Admin Server"),
        // which a loaded 2-core machine once needed; the DAS then aborted the half-loaded application.
        builder.environment().put("AS_ADMIN_READTIMEOUT", Long.toString(TimeUnit.MINUTES.toMillis(25)));
        Process p = builder.start();
        if (!p.waitFor(1800, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("asadmin " + args[0] + " did not finish in 1800 s; see " + log);
        }
        assertThat(p.exitValue()).as("asadmin %s exit code (log: %s)", args[0], log).isZero();
    }

    /**
     * As the DBA: the schema applied by its owner, and a login for the servers with the engine's
     * roles only (and CREATE on public, where Payara's batch runtime creates its job repository).
     */
    private static void leastPrivilegeLogin() throws java.sql.SQLException {
        try (var c = java.sql.DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres"); var st = c.createStatement()) {
            io.pgflowee.migrations.PgflowMigrations.apply(c);
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + APP_LOGIN + "') THEN"
                    + " CREATE ROLE " + APP_LOGIN + " LOGIN PASSWORD '" + APP_PASSWORD + "' IN ROLE pgflow_worker, pgflow_operator;"
                    + " END IF; END $$");
            st.execute("GRANT CREATE ON SCHEMA public TO " + APP_LOGIN);
            try (var rs = st.executeQuery("SELECT rolsuper, pg_has_role('" + APP_LOGIN + "', 'pgflow_worker', 'MEMBER'),"
                    + " pg_has_role('" + APP_LOGIN + "', 'pgflow_operator', 'MEMBER'),"
                    + " has_function_privilege('" + APP_LOGIN + "', 'pgflow.delete_flow_and_data(text)', 'EXECUTE')"
                    + " FROM pg_roles WHERE rolname = '" + APP_LOGIN + "'")) {
                rs.next();
                assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4)))
                        .as("not a superuser; worker and operator; no delete_flow_and_data").containsExactly(false, true, true, false);
            }
        }
    }

    /** The example application's table, created by the owner (the server's login may not create schemas). */
    private static void signupTable() throws java.sql.SQLException {
        try (var c = java.sql.DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres"); var st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS signup_example");
            st.execute("CREATE TABLE IF NOT EXISTS signup_example.signups (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                    + " email text NOT NULL UNIQUE, first_name text NOT NULL, last_name text NOT NULL, greeting_run uuid NOT NULL)");
            st.execute("DELETE FROM signup_example.signups WHERE email = '" + io.pgflowee.it.ear.EarSignupCheck.EMAIL + "'");
            st.execute("GRANT USAGE ON SCHEMA signup_example TO " + APP_LOGIN);
            st.execute("GRANT SELECT, INSERT ON signup_example.signups TO " + APP_LOGIN);
        }
    }

    private static String sqlOrNull(String query) throws java.sql.SQLException {
        try (var c = java.sql.DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres"); var st = c.createStatement();
             var rs = st.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * A user's EAR: pgflow's, plus two EJB modules of the user's own, as a team adds theirs: the
     * example application ({@code SignupService}) and {@link io.pgflowee.it.ear.EarSignupCheck}, listed
     * after pgflow's EJB module in {@code application.xml} (initialized in order).
     */
    static Path withUserModules(Path ear) throws IOException {
        Path out = TARGET.resolve("pgflow-with-user-modules.ear");
        try (var in = new java.util.zip.ZipFile(ear.toFile());
             var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(out))) {
            for (var entries = in.entries(); entries.hasMoreElements();) {
                var entry = entries.nextElement();
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (entry.getName().equals("META-INF/application.xml")) {
                    String xml = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    String modules = "<module>\n    <ejb>pgflow-ejb.jar</ejb>\n  </module>";
                    assertThat(xml).contains(modules);
                    bytes = xml.replace(modules, modules + "\n  <module>\n    <ejb>signup-example.jar</ejb>\n  </module>"
                            + "\n  <module>\n    <ejb>ear-signup-check.jar</ejb>\n  </module>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
                zip.putNextEntry(new java.util.zip.ZipEntry(entry.getName()));
                zip.write(bytes);
                zip.closeEntry();
            }
            zip.putNextEntry(new java.util.zip.ZipEntry("signup-example.jar"));
            zip.write(jarOf(io.pgflowee.example.signup.SignupService.class, "io/pgflowee/example/signup/"));
            zip.closeEntry();
            zip.putNextEntry(new java.util.zip.ZipEntry("ear-signup-check.jar"));
            zip.write(jarOf(io.pgflowee.it.ear.EarSignupCheck.class, "io/pgflowee/it/ear/"));
            zip.closeEntry();
        }
        return out;
    }

    /** A jar of the classes under {@code prefix} where {@code type} was loaded from (a jar or a classes folder), with a beans.xml. */
    private static byte[] jarOf(Class<?> type, String prefix) throws IOException {
        Path from;
        try {
            from = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        var bytes = new java.io.ByteArrayOutputStream();
        try (var jar = new java.util.zip.ZipOutputStream(bytes)) {
            if (Files.isDirectory(from)) {
                try (var files = Files.walk(from.resolve(prefix))) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        jar.putNextEntry(new java.util.zip.ZipEntry(from.relativize(f).toString().replace('\\', '/')));
                        jar.write(Files.readAllBytes(f));
                        jar.closeEntry();
                    }
                }
            } else {
                try (var in = new java.util.zip.ZipFile(from.toFile())) {
                    for (var entries = in.entries(); entries.hasMoreElements();) {
                        var entry = entries.nextElement();
                        if (entry.getName().startsWith(prefix) && !entry.isDirectory()) {
                            jar.putNextEntry(new java.util.zip.ZipEntry(entry.getName()));
                            jar.write(in.getInputStream(entry).readAllBytes());
                            jar.closeEntry();
                        }
                    }
                }
            }
            jar.putNextEntry(new java.util.zip.ZipEntry("META-INF/beans.xml"));
            jar.write(("<beans xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"4.0\" bean-discovery-mode=\"annotated\"/>\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    private static HttpResponse<String> awaitStatus(URI uri, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get(uri);
                if (last.statusCode() == status) {
                    return last;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError(uri + " did not answer " + status + " within " + timeout + "; last answer: "
                + (last == null ? "none" : last.statusCode() + " " + last.body()));
    }

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return get(uri, null);
    }

    /** A GET, with Basic credentials {@code name:password} unless null. */
    private static HttpResponse<String> get(URI uri, String credentials) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)), credentials);
    }

    /** A POST without a body, with Basic credentials {@code name:password}. */
    private static HttpResponse<String> post(URI uri, String credentials) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()), credentials);
    }

    /** A request, with Basic credentials {@code name:password} unless null. */
    private static HttpResponse<String> send(HttpRequest.Builder request, String credentials) throws IOException, InterruptedException {
        if (credentials != null) {
            request.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    credentials.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A port base whose derived ports (admin +48, http +80, https +81, and the others) are all free. */
    private static int freePortBase() {
        for (int base = 31000; base < 60000; base += 100) {
            int b = base;
            if (IntStream.of(9, 37, 38, 39, 48, 66, 76, 80, 81, 86).allMatch(offset -> isFree(b + offset))) {
                return base;
            }
        }
        throw new IllegalStateException("no free port base for Payara Server");
    }

    private static boolean isFree(int port) {
        try (var socket = new java.net.ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
