package io.pgflowee.it.support;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Signs in to the console as a browser does: reads the sign-in form (its CSRF token and cookie), then posts it. */
public final class ConsoleSignIns {

    private static final Pattern TOKEN = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    private ConsoleSignIns() {
    }

    /** The sign-in form's CSRF token (the client's cookie handler keeps its cookie). */
    public static String formToken(HttpClient browser, URI base) throws IOException, InterruptedException {
        HttpResponse<String> form = browser.send(HttpRequest.newBuilder(base.resolve("login.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = TOKEN.matcher(form.body());
        if (!m.find()) {
            throw new AssertionError("no CSRF token on the sign-in form: " + form.statusCode() + " " + form.body());
        }
        return m.group(1);
    }

    /** Posts the sign-in form with a fresh token; {@code next} (or null) is the page to return to. */
    public static HttpResponse<String> signIn(HttpClient browser, URI base, String user, String password, String next)
            throws IOException, InterruptedException {
        String token = formToken(browser, base);
        return browser.send(HttpRequest.newBuilder(base.resolve("login")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form("csrf", token, "username", user, "password", password, "next",
                        next == null ? "" : next))).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An {@code application/x-www-form-urlencoded} body of name, value pairs. */
    public static String form(String... namesAndValues) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            body.append(i == 0 ? "" : "&").append(namesAndValues[i]).append('=')
                    .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
        }
        return body.toString();
    }
}
