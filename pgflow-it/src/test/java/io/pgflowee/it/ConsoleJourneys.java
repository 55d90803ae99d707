package io.pgflowee.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.List;

/** Console journeys in a real headless Chromium, run from {@link PayaraMicroIT} as a client. */
final class ConsoleJourneys {

    private ConsoleJourneys() {
    }

    /** Sign-in is required; a wrong password is refused on the page; the dashboard shows the flows; live workers; sign-out. */
    static void signInDashboardSignOut(URL base) throws Exception {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            org.openqa.selenium.WebDriver d = browser.driver;
            org.openqa.selenium.support.ui.WebDriverWait wait = new org.openqa.selenium.support.ui.WebDriverWait(d,
                    java.time.Duration.ofSeconds(30));
            try {
                d.get(base.toString());
                wait.until(org.openqa.selenium.support.ui.ExpectedConditions.presenceOfElementLocated(org.openqa.selenium.By.id("sign-in-button")));
                assertTrue(d.getCurrentUrl().endsWith("/login.xhtml"), "every page needs sign-in: " + d.getCurrentUrl());
                assertEquals("pgflow · Sign in", d.getTitle());

                signIn(d, "it-viewer", "not-the-password");
                assertEquals("Unknown user or wrong password.", wait.until(org.openqa.selenium.support.ui.ExpectedConditions
                        .visibilityOfElementLocated(org.openqa.selenium.By.id("sign-in-failed"))).getText());

                signIn(d, "it-viewer", "it-viewer-secret");
                assertEquals("it-viewer (pgflow-viewer)", wait.until(org.openqa.selenium.support.ui.ExpectedConditions
                        .visibilityOfElementLocated(org.openqa.selenium.By.id("signed-in-user"))).getText());
                assertEquals("pgflow · Dashboard", d.getTitle());
                List<String> flowsShown = d.findElements(org.openqa.selenium.By.cssSelector("[id$='flows_data'] tr td:first-child"))
                        .stream().map(org.openqa.selenium.WebElement::getText).toList();
                assertTrue(flowsShown.containsAll(List.of("greet_user", "greet_many", "cart_invoice")), flowsShown.toString());
                browser.screenshot("console-dashboard");

                // workers: this server's worker of greet_user is live
                d.findElement(org.openqa.selenium.By.id("nav-workers")).click();
                wait.until(org.openqa.selenium.support.ui.ExpectedConditions.titleIs("pgflow · Workers"));
                List<String> workers = d.findElements(org.openqa.selenium.By.cssSelector("[id$='workers_data'] tr")).stream()
                        .map(row -> row.findElements(org.openqa.selenium.By.tagName("td")).stream()
                                .map(org.openqa.selenium.WebElement::getText).limit(2).toList().toString())
                        .toList();
                assertTrue(workers.contains("[live, greet_user]"), workers.toString());
                browser.screenshot("console-workers");

                d.findElement(org.openqa.selenium.By.id("sign-out")).click();
                assertEquals("You are signed out.", wait.until(org.openqa.selenium.support.ui.ExpectedConditions
                        .visibilityOfElementLocated(org.openqa.selenium.By.id("signed-out"))).getText());
                d.get(base.toString());
                wait.until(org.openqa.selenium.support.ui.ExpectedConditions.presenceOfElementLocated(org.openqa.selenium.By.id("sign-in-button")));
                assertTrue(d.getCurrentUrl().endsWith("/login.xhtml"), "signed out: " + d.getCurrentUrl());
            } catch (Throwable t) {
                browser.screenshot("console-sign-in-FAILED");
                throw t;
            }
        }
    }

    private static void signIn(org.openqa.selenium.WebDriver d, String user, String password) {
        d.findElement(org.openqa.selenium.By.id("username")).clear();
        d.findElement(org.openqa.selenium.By.id("username")).sendKeys(user);
        d.findElement(org.openqa.selenium.By.id("password")).sendKeys(password);
        d.findElement(org.openqa.selenium.By.id("sign-in-button")).click();
    }
}
