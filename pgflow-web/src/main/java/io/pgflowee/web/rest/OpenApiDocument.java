package io.pgflowee.web.rest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.pgflowee.api.json.Jsonp;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonGenerator;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

/**
 * Makes the server's {@code /openapi} answer what a strict OpenAPI 3 validator and a code generator
 * take as is. Payara 6 serves the YAML as {@code text/plain} and adds a top-level {@code endpoints}
 * member that the OpenAPI specification does not have (validators reject the document; Payara
 * renames it {@code x-endpoints} in later releases); this filter buffers the document, drops that
 * member (the same paths are under {@code paths}) and answers YAML as {@code application/yaml}
 * and JSON as {@code application/json}. Everything else in the document comes from the API's
 * annotations and {@link ProblemResponses}.
 */
@WebFilter(urlPatterns = {"/openapi", "/openapi/*"})
public class OpenApiDocument extends HttpFilter {

    private static final long serialVersionUID = 1L;

    /** The YAML media type (RFC 9512). */
    static final String YAML = "application/yaml";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        Buffered buffered = new Buffered(response);
        chain.doFilter(request, buffered);
        String body = buffered.text();
        if (buffered.getStatus() != HttpServletResponse.SC_OK || body.isEmpty()) {
            response.setStatus(buffered.getStatus());
            if (buffered.contentType != null) {
                response.setContentType(buffered.contentType);
            }
            response.getOutputStream().write(buffered.bytes.toByteArray());
            return;
        }
        boolean json = buffered.contentType != null && buffered.contentType.contains("json");
        String cleaned = json ? withoutEndpoints(body) : yamlWithoutEndpoints(body);
        byte[] bytes = cleaned.getBytes(StandardCharsets.UTF_8);
        response.setContentType((json ? "application/json" : YAML) + ";charset=UTF-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** The JSON document without its top-level {@code endpoints} member, pretty printed. */
    static String withoutEndpoints(String json) {
        JsonObject document;
        try (var reader = Jsonp.createReader(new StringReader(json))) {
            document = reader.readObject();
        }
        if (!document.containsKey("endpoints")) {
            return json;
        }
        JsonObject cleaned = Jsonp.createObjectBuilder(document).remove("endpoints").build();
        StringWriter out = new StringWriter();
        try (var writer = Json.createWriterFactory(Map.of(JsonGenerator.PRETTY_PRINTING, true)).createWriter(out)) {
            writer.writeObject(cleaned);
        }
        return out.toString().strip() + "\n";
    }

    /** The YAML document without its top-level {@code endpoints:} block (its lines up to the next top-level key). */
    static String yamlWithoutEndpoints(String yaml) {
        StringBuilder out = new StringBuilder(yaml.length());
        boolean skipping = false;
        for (String line : yaml.split("\n", -1)) {
            boolean topLevel = !line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("-") && !line.startsWith("#");
            if (topLevel) {
                skipping = line.equals("endpoints:") || line.startsWith("endpoints: ");
            }
            if (!skipping) {
                out.append(line).append('\n');
            }
        }
        out.setLength(Math.max(0, out.length() - 1));
        return out.toString();
    }

    /** Keeps what the OpenAPI servlet writes, and its content type, for the filter to rewrite. */
    private static final class Buffered extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private PrintWriter writer;
        private String contentType;

        Buffered(HttpServletResponse response) {
            super(response);
        }

        String text() {
            if (writer != null) {
                writer.flush();
            }
            return bytes.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void setContentType(String type) {
            contentType = type;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public void setContentLength(int len) {
        }

        @Override
        public void setContentLengthLong(long len) {
        }

        @Override
        public void setHeader(String name, String value) {
            if (name.equalsIgnoreCase("Content-Type")) {
                contentType = value;
            } else if (!name.equalsIgnoreCase("Content-Length")) {
                super.setHeader(name, value);
            }
        }

        @Override
        public void addHeader(String name, String value) {
            if (name.equalsIgnoreCase("Content-Type")) {
                contentType = value;
            } else if (!name.equalsIgnoreCase("Content-Length")) {
                super.addHeader(name, value);
            }
        }

        @Override
        public ServletOutputStream getOutputStream() {
            return new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException("the OpenAPI document is written blocking");
                }

                @Override
                public void write(int b) {
                    bytes.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes.write(b, off, len);
                }
            };
        }

        @Override
        public PrintWriter getWriter() {
            if (writer == null) {
                writer = new PrintWriter(new java.io.OutputStreamWriter(bytes, StandardCharsets.UTF_8));
            }
            return writer;
        }

        @Override
        public void flushBuffer() {
        }
    }
}
