package io.pgflowee.it;

import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.it.support.ItSql;
import io.pgflowee.it.support.ItWar;
import io.pgflowee.it.support.MicroProcess;
import io.pgflowee.it.support.ConsoleSignIns;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.pgflowee.api.security.PasswordHashes;

/**
 * The application as an attacker meets it: a Payara Micro of its own (the built WAR, as users run
 * it) with short throttling waits and session limits so that they can be watched. The paths tried
 * come from the deployed WAR itself (every Faces page, every JAX-RS method), so a new page or
 * endpoint joins these checks without anyone listing it.
 */
class SecurityIT {

    private static final String MARKER = "Zebulon";
    private static final String DATABASE = "security_it";
    private static final Pattern TOKEN = Pattern.compile("name=\"token\" value=\"([^\"]+)\"");

    private static MicroProcess server;
    private static String completedRun;
    private static String failedRun;

    @BeforeAll
    static void start() throws Exception {
        // a database of its own: this server compiles the test flows there, and the other classes' servers find theirs as they expect
        ItDatabase.fresh(DATABASE);
        String users = System.getenv("PGFLOW_USERS") + ",it-locked:pgflow-operator:" + PasswordHashes.hash("it-locked-secret");
        server = MicroProcess.start("security", false, "-Dpgflow.db.url=" + url(), "-Dpgflow.users=" + users,
                "-Dpgflow.security.throttle.baseDelayMs=2000", "-Dpgflow.security.throttle.maxDelayMs=3000",
                "-Dpgflow.security.throttle.lockAfter=8", "-Dpgflow.security.throttle.addressFreeFailures=60",
                "-Dpgflow.security.trustForwardedHeaders=true", "-Dpgflow.security.session.idleSeconds=5",
                "-Dpgflow.security.session.maxSeconds=14").awaitReady();
        completedRun = sql("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"" + MARKER
                + "\", \"last_name\": \"Quill\"}')");
        failedRun = sql("select run_id::text from pgflow.start_flow('it_doomed', '{\"card\": \"" + MARKER + "\"}')");
        awaitStatus(completedRun, "completed");
        awaitStatus(failedRun, "failed");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // deny by default, whatever the spelling

    @Test
    void anonymousCallersGetNoRunDataNoMetricsAndChangeNothingWhateverThePathsSpelling() throws Exception {
        String before = state();
        List<String> leaks = new ArrayList<>();
        int tried = 0;
        for (Target target : protectedTargets()) {
            for (String spelling : spellings(target.path())) {
                HttpResponse<String> r = send(target.method(), "/pgflow" + spelling + target.query(), null, target.body());
                tried++;
                String leak = leak(r);
                if (leak != null) {
                    leaks.add(target.method() + " /pgflow" + spelling + target.query() + ": " + leak);
                }
            }
        }
        System.out.println("SecurityIT: " + tried + " anonymous requests");
        assertThat(tried).as("spellings tried").isGreaterThanOrEqualTo(60);
        assertThat(leaks).isEmpty();
        assertThat(state()).as("nothing changed").isEqualTo(before);
    }

    @Test
    void aViewerMayReadButChangesNothingThroughAnySpellingOfAnAction() throws Exception {
        String before = state();
        List<String> wrong = new ArrayList<>();
        String viewer = basic("it-viewer", "it-viewer-secret");
        for (Target target : protectedTargets()) {
            if (!target.method().equals("POST")) {
                continue;
            }
            for (String spelling : spellings(target.path())) {
                HttpResponse<String> r = send("POST", "/pgflow" + spelling + target.query(), viewer, target.body());
                if (r.statusCode() < 300 || r.statusCode() >= 500) {
                    wrong.add("POST /pgflow" + spelling + ": " + r.statusCode() + " " + r.body());
                }
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(state()).as("nothing changed").isEqualTo(before);
        HttpResponse<String> read = send("GET", "/pgflow/api/runs/" + completedRun, viewer, null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains(MARKER);
        HttpResponse<String> job = send("GET", "/pgflow/api/jobs", basic("it-operator", "it-operator-secret"), null);
        assertThat(job.statusCode()).isEqualTo(403);
        assertThat(job.body()).contains("\"detail\":\"user 'it-operator' may not GET /api/jobs: it needs pgflow-admin\"");
    }

    // ---------------------------------------------------------------------------------------------
    // throttling

    @Test
    void failedSignInsSlowDownThenLockTheNameWithoutHoldingAThreadAndOtherUsersSignInMeanwhile() throws Exception {
        String locked = basic("it-locked", "it-locked-secret");
        for (int i = 1; i <= 5; i++) {
            assertThat(send("GET", "/pgflow/api/system", basic("it-locked", "wrong-" + i), null).statusCode()).as("wrong %d", i)
                    .isEqualTo(401);
        }
        // the fifth failure asks for 2 s before the next attempt: the right password now is refused at once, like a wrong one
        long t0 = System.nanoTime();
        HttpResponse<String> early = send("GET", "/pgflow/api/system", locked, null);
        long earlyMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(early.statusCode()).isEqualTo(401);
        assertThat(early.body()).contains("\"detail\":\"unknown user or wrong password\"");
        assertThat(earlyMs).as("answered without waiting out the delay").isLessThan(2000);
        assertThat(send("GET", "/pgflow/api/system", basic("it-viewer", "it-viewer-secret"), null).statusCode())
                .as("another user from the same address").isEqualTo(200);
        HttpClient browser = browser();
        assertThat(ConsoleSignIns.signIn(browser, base(), "it-locked", "it-locked-secret", null).headers().firstValue("Location"))
                .as("the console's form is throttled too").hasValueSatisfying(l -> assertThat(l).endsWith("/login.xhtml?failed"));
        Thread.sleep(2100);
        assertThat(send("GET", "/pgflow/api/system", locked, null).statusCode()).as("after the wait").isEqualTo(200);

        // a success starts the count again: 4 free failures, then 2 s, 3 s, 3 s, and the 8th locks
        for (int i = 1; i <= 8; i++) {
            if (i >= 6) {
                Thread.sleep(i == 6 ? 2100 : 3100);
            }
            assertThat(send("GET", "/pgflow/api/system", basic("it-locked", "again-" + i), null).statusCode()).isEqualTo(401);
        }
        Thread.sleep(3100); // longer than any delay: only the lock still refuses
        assertThat(send("GET", "/pgflow/api/system", locked, null).statusCode()).as("locked: the right password is refused").isEqualTo(401);
        assertThat(send("GET", "/pgflow/api/system", basic("it-admin", "it-admin-secret"), null).statusCode()).isEqualTo(200);

        String log = Files.readString(MicroProcess.TARGET.resolve("servers/server-security.log"));
        assertThat(log).contains("PGFLOW-054 sign-in locked for 15 min after 8 failed attempts: name:it-locked")
                .contains("PGFLOW-053 sign-in failed (api): unknown user or wrong password for 'it-locked' from 127.0.0.1")
                .contains("PGFLOW-052 signed in (api): 'it-locked' (pgflow-operator) from 127.0.0.1")
                .doesNotContain("it-locked-secret").doesNotContain("wrong-1").doesNotContain("again-8");
    }

    // ---------------------------------------------------------------------------------------------
    // headers and cookies

    @Test
    void everyPageAndAnswerCarriesTheSecurityHeadersWithANonceForEachScriptAndTheSessionCookieIsStrict() throws Exception {
        HttpClient browser = browser();
        HttpResponse<String> form = browser.send(HttpRequest.newBuilder(base().resolve("login.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(form.headers().allValues("Set-Cookie")).as("the sign-in page starts no session").noneMatch(c -> c.startsWith("JSESSIONID"));
        assertThat(form.headers().allValues("Set-Cookie")).anyMatch(c -> c.matches("pgflow-sign-in=[\\w-]{43}; Path=/pgflow; HttpOnly; SameSite=Strict"));
        HttpResponse<String> signedIn = ConsoleSignIns.signIn(browser, base(), "it-admin", "it-admin-secret", null);
        List<String> cookies = signedIn.headers().allValues("Set-Cookie");
        String session = cookies.stream().filter(c -> c.startsWith("JSESSIONID=")).reduce((a, b) -> b).orElseThrow();
        assertThat(session).matches("JSESSIONID=\\w+; Path=/pgflow; HttpOnly; SameSite=Strict");
        assertThat(signedIn.headers().firstValue("Strict-Transport-Security")).isEmpty();

        List<String> wrong = new ArrayList<>();
        for (String page : pages()) {
            String query = page.equals("/run.xhtml") || page.equals("/family.xhtml") ? "?id=" + failedRun : page.equals("/flow.xhtml") ? "?slug=greet_user" : "";
            HttpResponse<String> r = browser.send(HttpRequest.newBuilder(URI.create(server.uri("").toString() + page.substring(1) + query)).build(),
                    HttpResponse.BodyHandlers.ofString());
            wrong.addAll(headerProblems(page, r, true));
            Matcher scripts = Pattern.compile("<script\\b[^>]*>").matcher(r.body());
            String nonce = r.headers().firstValue("Content-Security-Policy").orElse("").replaceAll(".*'nonce-([^']+)'.*", "$1");
            while (scripts.find()) {
                if (!scripts.group().contains("nonce=\"" + nonce + "\"")) {
                    wrong.add(page + ": a script without the page's nonce: " + scripts.group());
                }
            }
            Matcher handlers = Pattern.compile("\\son[a-z]+=\"").matcher(r.body());
            if (handlers.find()) {
                wrong.add(page + ": an inline event handler at " + r.body().substring(handlers.start(), Math.min(r.body().length(), handlers.start() + 80)));
            }
        }
        wrong.addAll(headerProblems("/api/runs", send("GET", "/pgflow/api/runs", basic("it-viewer", "it-viewer-secret"), null), false));
        wrong.addAll(headerProblems("/metrics", send("GET", "/pgflow/metrics", basic("it-viewer", "it-viewer-secret"), null), false));
        wrong.addAll(headerProblems("anonymous /api/runs", send("GET", "/pgflow/api/runs", null, null), false));
        assertThat(wrong).isEmpty();

        // over HTTPS at a proxy this server trusts: the session cookie is Secure, and HSTS is sent
        HttpClient behindProxy = HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NEVER).build();
        String token = ConsoleSignIns.formToken(behindProxy, base());
        HttpResponse<String> tls = behindProxy.send(HttpRequest.newBuilder(base().resolve("login")).header("X-Forwarded-Proto", "https")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(ConsoleSignIns.form("csrf", token, "username", "it-viewer", "password",
                        "it-viewer-secret"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tls.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID=")).reduce((a, b) -> b).orElseThrow())
                .matches("JSESSIONID=\\w+; Path=/pgflow; HttpOnly; SameSite=Strict; Secure");
        assertThat(tls.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    }

    private static List<String> headerProblems(String what, HttpResponse<String> r, boolean page) {
        List<String> wrong = new ArrayList<>();
        Map<String, String> expected = Map.of("X-Content-Type-Options", "nosniff", "X-Frame-Options", "DENY", "Referrer-Policy", "no-referrer",
                "Cache-Control", "no-store");
        expected.forEach((name, value) -> {
            if (!r.headers().firstValue(name).orElse("").equals(value)) {
                wrong.add(what + ": " + name + " is " + r.headers().firstValue(name).orElse("missing") + ", not " + value);
            }
        });
        List<String> policies = r.headers().allValues("Content-Security-Policy");
        String csp = policies.isEmpty() ? "" : policies.get(0);
        if (policies.size() != 1 || !csp.contains("frame-ancestors 'none'")
                || (page ? !csp.matches(".*script-src 'self' 'nonce-[A-Za-z0-9+/=]+';?$") || csp.contains("unsafe-inline';? *$")
                        || csp.replaceAll(".*script-src", "").contains("unsafe")
                        : !csp.startsWith("default-src 'none'"))) {
            wrong.add(what + ": Content-Security-Policy " + policies);
        }
        if (page && r.statusCode() != 200) {
            wrong.add(what + ": " + r.statusCode());
        }
        return wrong;
    }

    // ---------------------------------------------------------------------------------------------
    // CSRF, sign-out, live streams

    @Test
    void signInAndSignOutNeedTheirTokensAndSigningOutEndsTheSessionsLiveStreamAtOnce() throws Exception {
        HttpClient browser = browser();
        // a sign-in form posted without its token, with a token but not the cookie, or from another site: refused, no session
        for (List<String> attempt : List.of(List.of("", ""), List.of("forged-token-forged-token-forged", ""), List.of("", "cross-site"))) {
            String token = attempt.get(0).isEmpty() && !attempt.get(1).isEmpty() ? ConsoleSignIns.formToken(browser, base()) : attempt.get(0);
            HttpRequest.Builder post = HttpRequest.newBuilder(base().resolve("login")).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(ConsoleSignIns.form("csrf", token, "username", "it-admin", "password", "it-admin-secret")));
            if (!attempt.get(1).isEmpty()) {
                post.header("Sec-Fetch-Site", attempt.get(1));
            }
            HttpResponse<String> refused = browser.send(post.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.headers().firstValue("Location")).as(attempt.toString()).hasValueSatisfying(l -> assertThat(l).endsWith("/login.xhtml?expired"));
            assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("JSESSIONID"));
        }

        // a browser renders the sign-in page more than once (its favicon request is sent there too): every copy stays valid
        HttpClient tabs = browser();
        String first = ConsoleSignIns.formToken(tabs, base());
        HttpResponse<String> again = tabs.send(HttpRequest.newBuilder(base().resolve("favicon.ico")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/pgflow/login.xhtml"));
        assertThat(ConsoleSignIns.formToken(tabs, base())).isEqualTo(first);
        HttpResponse<String> withFirst = tabs.send(HttpRequest.newBuilder(base().resolve("login")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(ConsoleSignIns.form("csrf", first, "username", "it-viewer", "password",
                        "it-viewer-secret"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(withFirst.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/pgflow/"));

        ConsoleSignIns.signIn(browser, base(), "it-operator", "it-operator-secret", null);
        HttpResponse<String> dashboard = browser.send(HttpRequest.newBuilder(base()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(dashboard.statusCode()).isEqualTo(200);
        Matcher m = TOKEN.matcher(dashboard.body());
        assertThat(m.find()).as("the sign-out form carries the session's token").isTrue();
        String token = m.group(1);

        HttpResponse<InputStream> live = browser.send(HttpRequest.newBuilder(base().resolve("console/live")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(live.statusCode()).isEqualTo(200);
        CompletableFuture<String> stream = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = live.body()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "failed: " + e;
            }
        });

        assertThat(browser.send(HttpRequest.newBuilder(base().resolve("logout")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("a GET signs nobody out").isEqualTo(405);
        assertThat(postForm(browser, "logout", null, "token", "not-the-token").statusCode()).isEqualTo(403);
        assertThat(postForm(browser, "logout", "cross-site", "token", token).statusCode()).isEqualTo(403);
        assertThat(browser.send(HttpRequest.newBuilder(base()).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("still signed in after the refused sign-outs").isEqualTo(200);
        assertThat(stream).isNotDone();

        long t0 = System.nanoTime();
        HttpResponse<String> out = postForm(browser, "logout", null, "token", token);
        assertThat(out.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login.xhtml?signedOut"));
        assertThat(stream.get(2, TimeUnit.SECONDS)).as("the live stream ended with the session").startsWith("retry: 2000");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2000);
        HttpResponse<String> after = browser.send(HttpRequest.newBuilder(base().resolve("runs.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(after.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/login.xhtml"));
        assertThat(browser.send(HttpRequest.newBuilder(base().resolve("console/live")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(401);
    }

    @Test
    void aDeepLinkSurvivesTheSignInAndOnlyLocalTargetsAreFollowed() throws Exception {
        HttpClient browser = browser();
        String page = "run.xhtml?id=" + failedRun;
        HttpResponse<String> asked = browser.send(HttpRequest.newBuilder(base().resolve(page)).build(), HttpResponse.BodyHandlers.ofString());
        String location = asked.headers().firstValue("Location").orElseThrow();
        assertThat(location).endsWith("/pgflow/login.xhtml?next=%2Frun.xhtml%3Fid%3D" + failedRun);
        HttpResponse<String> form = browser.send(HttpRequest.newBuilder(URI.create(location)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(form.body()).contains("name=\"next\" value=\"/run.xhtml?id=" + failedRun + "\"");
        HttpResponse<String> signedIn = ConsoleSignIns.signIn(browser, base(), "it-viewer", "it-viewer-secret", "/" + page);
        assertThat(signedIn.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/pgflow/run.xhtml?id=" + failedRun));
        HttpResponse<String> run = browser.send(HttpRequest.newBuilder(URI.create(signedIn.headers().firstValue("Location").orElseThrow())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(run.statusCode()).isEqualTo(200);
        assertThat(run.body()).contains(failedRun).contains("card declined");
        for (String away : List.of("//evil.example/x", "https://evil.example/", "/\\evil.example", "/../../x")) {
            HttpResponse<String> r = ConsoleSignIns.signIn(browser(), base(), "it-viewer", "it-viewer-secret", away);
            assertThat(r.headers().firstValue("Location")).as(away).hasValueSatisfying(l -> assertThat(l).endsWith("/pgflow/"));
        }
    }

    @Test
    void aSessionEndsWhenIdleAndAfterItsAbsoluteLimitEvenWhenActive() throws Exception {
        HttpClient idle = browser();
        ConsoleSignIns.signIn(idle, base(), "it-viewer", "it-viewer-secret", null);
        assertThat(idle.send(HttpRequest.newBuilder(base().resolve("runs.xhtml")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        Thread.sleep(6000); // idle limit 5 s
        HttpResponse<String> late = idle.send(HttpRequest.newBuilder(base().resolve("runs.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(late.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/pgflow/login.xhtml"));

        HttpClient busy = browser();
        ConsoleSignIns.signIn(busy, base(), "it-viewer", "it-viewer-secret", null);
        long signedIn = System.nanoTime();
        HttpResponse<String> r;
        do { // a request every 2 s keeps the session from idling, not from its absolute limit of 14 s
            Thread.sleep(2000);
            r = busy.send(HttpRequest.newBuilder(base().resolve("runs.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        } while (r.statusCode() == 200 && System.nanoTime() - signedIn < TimeUnit.SECONDS.toNanos(30));
        long lasted = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signedIn);
        assertThat(r.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("/pgflow/login.xhtml?expired"));
        assertThat(lasted).as("ended by the absolute limit").isBetween(14L, 18L);
    }

    // ---------------------------------------------------------------------------------------------
    // what is tried

    /** One protected path with what is needed to reach its code: query, method, body. */
    record Target(String method, String path, String query, String body) {
    }

    /** Every console page of the WAR, the live stream, sign-out, metrics, and every JAX-RS method with its path filled in. */
    static List<Target> protectedTargets() throws Exception {
        List<Target> targets = new ArrayList<>();
        for (String page : pages()) {
            String query = page.equals("/run.xhtml") || page.equals("/family.xhtml") ? "?id=" + failedRun : page.equals("/flow.xhtml") ? "?slug=greet_user" : "";
            targets.add(new Target("GET", page, query, null));
        }
        targets.add(new Target("GET", "/console/live", "", null));
        targets.add(new Target("GET", "/metrics", "", null));
        targets.add(new Target("POST", "/logout", "", ""));
        for (String endpoint : endpoints()) {
            String method = endpoint.substring(0, endpoint.indexOf(' '));
            String path = endpoint.substring(endpoint.indexOf(' ') + 1).replace("{id}", failedRun).replace("{slug}", "greet_user")
                    .replace("{executionId}", "1").replace("{job}", "pgflow-prune")
                    .replace("{key}", "no-such-key").replace("{step}", "approval").replace("{name}", "daily_report_eu");
            String query = path.endsWith("/events") && path.startsWith("/api/events") ? "?flow=greet_user" : "";
            targets.add(new Target(method, path, query, method.equals("GET") ? null : path.endsWith("/concurrency") ? "{\"maxRunning\": 1}" : "{}"));
        }
        return targets;
    }

    /** How an attacker may spell one path: path parameters, percent-encoding, dot segments, doubled slashes, case, trailing slash. */
    static Set<String> spellings(String path) {
        Set<String> s = new LinkedHashSet<>();
        String last = path.substring(path.length() - 1);
        s.add(path);
        s.add(path + ";x");
        s.add(path + ";jsessionid=0123456789");
        s.add(path.substring(0, path.length() - 1) + String.format("%%%02x", (int) last.charAt(0)));
        s.add("/" + path);
        s.add("/." + path);
        s.add(path.replace("/", "//"));
        s.add("/jakarta.faces.resource/.." + path);
        s.add("/jakarta.faces.resource/%2e%2e" + path);
        s.add("/login.xhtml/.." + path);
        s.add("/health/.." + path);
        s.add(path.toUpperCase(Locale.ROOT));
        s.add(path + "/");
        s.add(path.replaceFirst("^/([^/]+)", "/$1;x"));
        return s;
    }

    /** Why an anonymous answer gives something away, or null: only refusals and the sign-in page, never data. */
    private static String leak(HttpResponse<String> r) {
        int status = r.statusCode();
        String body = r.body();
        if (body.contains(MARKER) || body.contains("# TYPE pgflow_") || body.contains("full_name") || body.contains("card declined")
                || body.contains("it_hundred")) {
            return status + " with run, flow or metric data";
        }
        if (status == 302 || status == 303) {
            String location = r.headers().firstValue("Location").orElse("");
            return location.contains("/pgflow/login.xhtml") ? null : "redirect to " + location;
        }
        return Set.of(400, 401, 403, 404, 405).contains(status) ? null : "status " + status;
    }

    /** The Faces pages of the deployed WAR, except the sign-in page. */
    static List<String> pages() throws Exception {
        return ItWar.pages().stream().filter(p -> !p.equals("/login.xhtml")).toList();
    }

    /** "POST /api/runs/{id}/retry" for every JAX-RS method in the deployed WAR's classes. */
    static List<String> endpoints() throws Exception {
        List<String> endpoints = ItWar.endpoints().stream().map(e -> e.verb() + " " + e.path()).toList();
        assertThat(endpoints).as("the WAR's endpoints").hasSizeGreaterThanOrEqualTo(20);
        return endpoints;
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private static URI base() {
        return server.uri("");
    }

    private static HttpClient browser() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static final HttpClient RAW = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** A request as typed (the path is not normalised on the way), with Basic credentials or none. */
    private static HttpResponse<String> send(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + path)).timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        // every answer is read as a stream for at most 2 s: a spelling that opened an event stream would never end
        HttpResponse<InputStream> streamed = RAW.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] start = firstBytes(streamed.body());
        return new HttpResponse<>() {
            public int statusCode() { return streamed.statusCode(); }
            public HttpRequest request() { return streamed.request(); }
            public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
            public java.net.http.HttpHeaders headers() { return streamed.headers(); }
            public String body() { return new String(start, StandardCharsets.UTF_8); }
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return java.util.Optional.empty(); }
            public URI uri() { return streamed.uri(); }
            public HttpClient.Version version() { return streamed.version(); }
        };
    }

    /** What an answer sends within 2 s (at most 1 MiB); then it is closed. */
    private static byte[] firstBytes(InputStream in) throws Exception {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                for (int n; got.size() < 1 << 20 && (n = in.read(buffer)) > 0; ) {
                    synchronized (got) {
                        got.write(buffer, 0, n);
                    }
                }
            } catch (java.io.IOException e) {
                // closed below
            }
        });
        reader.start();
        reader.join(2000);
        in.close();
        synchronized (got) {
            return got.toByteArray();
        }
    }

    private static HttpResponse<String> postForm(HttpClient browser, String path, String site, String... form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(ConsoleSignIns.form(form)));
        if (site != null) {
            b.header("Sec-Fetch-Site", site);
        }
        return browser.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** What an attacker could change: how many runs, the runs' statuses, the flows' pause and limit. */
    private static String state() throws Exception {
        return sql("select (select count(*) from pgflow.runs) || ' runs; ' || (select string_agg(status, ',' order by run_id) from pgflow.runs"
                + " where run_id in ('" + failedRun + "', '" + completedRun + "')) || '; ' || (select string_agg(flow_slug || ':'"
                + " || coalesce(paused_at::text, '-') || ':' || coalesce(max_running::text, '-'), ',' order by flow_slug) from pgflow.flows)");
    }

    private static String sql(String query) throws Exception {
        return ItSql.value(url(), query);
    }

    private static String url() {
        return ItDatabase.jdbcUrl().replaceFirst("/postgres$", "/" + DATABASE);
    }

    private static void awaitStatus(String run, String status) throws Exception {
        ItSql.awaitValue(url(), "select status from pgflow.runs where run_id = '" + run + "'", status);
    }
}
