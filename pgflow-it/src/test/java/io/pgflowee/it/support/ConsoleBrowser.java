package io.pgflowee.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium for the console tests: Debian's {@code chromium} and
 * {@code chromium-driver}. When they are missing, the test command installs them with apt-get if it
 * runs as root, and otherwise stops with one line naming the packages (Selenium Manager cannot
 * download browsers or drivers here).
 */
public final class ConsoleBrowser implements AutoCloseable {

    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    public final ChromeDriver driver;
    private final Path profile;

    public ConsoleBrowser() throws IOException, InterruptedException {
        ensureInstalled();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // no background networking: this machine's closed network refuses Chromium's own connections
        profile = Files.createTempDirectory(Path.of(System.getProperty("it.target", "target")), "chromium-profile");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1280,900", "--lang=en");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().implicitlyWait(Duration.ofSeconds(0));
    }

    public static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER)) {
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            throw new IllegalStateException("The console tests need Debian's packages chromium and chromium-driver:"
                    + " sudo apt-get install -y chromium chromium-driver");
        }
        for (List<String> command : List.of(List.of("apt-get", "update", "-q"),
                List.of("apt-get", "install", "-y", "-q", "chromium", "chromium-driver"))) {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(Path.of(System.getProperty("it.target", "target"), "apt-chromium.log").toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed; see target/apt-chromium.log");
            }
        }
    }

    /** Saves what the browser shows to {@code target/<name>.png}. */
    public Path screenshot(String name) throws IOException {
        Path to = Path.of(System.getProperty("it.target", "target"), name + ".png");
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        return to;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) { // the profile is this browser's only: remove it
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // left in target/, removed by the next clean
            }
        }
    }

    /** The driver's screenshot source, for failures. */
    public TakesScreenshot camera() {
        return driver;
    }
}
