package io.pgflowee.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import org.openapitools.codegen.DefaultGenerator;
import org.openapitools.codegen.config.CodegenConfigurator;

import io.pgflowee.api.json.JsonCodec;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

/**
 * The served OpenAPI document as generators see it (client side only: not in the deployment, so
 * the in-container tests of ClientIT never load swagger or openapi-generator classes).
 */
public final class OpenApiChecks {

    private OpenApiChecks() {
    }

    /**
     * The YAML ({@code application/yaml}) and JSON ({@code application/json}) documents at {@code url}
     * pass swagger-parser's validation (openapi-generator's), declare HTTP Basic on every operation,
     * tag every operation, document 401 and 403, give every body a schema, take the run input as an
     * object, refer to records by name, and have no member outside the specification.
     */
    public static void validate(URI url) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> yaml = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> json = http.send(HttpRequest.newBuilder(url).header("Accept", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(yaml.statusCode()).as(url + ": " + yaml.body()).isEqualTo(200);
        assertThat(yaml.headers().firstValue("Content-Type")).contains("application/yaml;charset=UTF-8");
        assertThat(json.headers().firstValue("Content-Type")).contains("application/json;charset=UTF-8");
        for (String document : List.of(yaml.body(), json.body())) {
            ParseOptions options = new ParseOptions();
            options.setResolve(true);
            SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(document, null, options);
            assertThat(parsed.getMessages()).as("what the validator rejects").isEmpty();
            OpenAPI api = parsed.getOpenAPI();
            SecurityScheme basic = api.getComponents().getSecuritySchemes().get("basicAuth");
            assertThat(basic.getType()).isEqualTo(SecurityScheme.Type.HTTP);
            assertThat(basic.getScheme()).isEqualTo("basic");
            List<String> operations = new ArrayList<>();
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((verb, op) -> {
                String name = verb + " " + path;
                operations.add(name);
                assertThat(op.getSecurity()).as(name).extracting(r -> r.keySet()).containsExactly(Set.of("basicAuth"));
                assertThat(op.getTags()).as(name + " tags").isNotEmpty();
                assertThat(op.getResponses()).as(name).containsKeys("401", "403");
                op.getResponses().forEach((code, response) -> {
                    if (response.getContent() != null) {
                        response.getContent().forEach((type, media) -> assertThat(media.getSchema()).as(name + " " + code + " " + type)
                                .isNotNull());
                    }
                });
            }));
            assertThat(operations).hasSizeGreaterThanOrEqualTo(38);
            assertThat(api.getPaths().get("/api/flows/{slug}/runs").getPost().getRequestBody().getContent().get("application/json")
                    .getSchema().getType()).as("the run input").isEqualTo("object");
            assertThat(api.getPaths().get("/api/runs/{id}").getGet().getResponses().get("200").getContent().get("application/json")
                    .getSchema().get$ref()).isEqualTo("#/components/schemas/RunDetail");
        }
        assertThat(JsonCodec.parse(json.body()).asJsonObject()).doesNotContainKey("endpoints");
    }

    /**
     * A Java client generated from the JSON document at {@code url} by openapi-generator (java,
     * apache-httpclient, spec validation on, as its CLI and Maven plugin run it), compiled
     * unmodified in {@code dir} together with {@code generated-client/GeneratedClientUse.java}
     * (what a team writes against it), and that class, loaded.
     */
    @SuppressWarnings("unchecked")
    public static Function<String[], String> generatedClient(String url, Path dir) throws Exception {
        HttpResponse<String> json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).as(url).isEqualTo(200);
        deleteTree(dir);
        Files.createDirectories(dir);
        Path spec = Files.writeString(dir.resolve("pgflow-openapi.json"), json.body());

        CodegenConfigurator config = new CodegenConfigurator().setGeneratorName("java").setLibrary("apache-httpclient")
                .setInputSpec(spec.toString()).setOutputDir(dir.resolve("out").toString()).setApiPackage("gen.api")
                .setModelPackage("gen.model").setInvokerPackage("gen").addAdditionalProperty("openApiNullable", false)
                .addAdditionalProperty("useJakartaEe", true);
        new DefaultGenerator().opts(config.toClientOptInput()).generate();

        Path sources = dir.resolve("out/src/main/java");
        Path use = sources.resolve("gen/use/GeneratedClientUse.java");
        Files.createDirectories(use.getParent());
        try (InputStream in = OpenApiChecks.class.getResourceAsStream("/generated-client/GeneratedClientUse.java")) {
            Files.write(use, in.readAllBytes());
        }
        List<String> javac = new ArrayList<>(List.of("-nowarn", "-proc:none", "-d", Files.createDirectories(dir.resolve("classes")).toString(),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
        try (Stream<Path> walk = Files.walk(sources)) {
            walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).forEach(javac::add);
        }
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int exit = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, errors, javac.toArray(String[]::new));
        assertThat(exit).as("javac: " + errors.toString(StandardCharsets.UTF_8)).isZero();
        URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()}, OpenApiChecks.class.getClassLoader());
        return (Function<String[], String>) loader.loadClass("gen.use.GeneratedClientUse").getConstructor().newInstance();
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
