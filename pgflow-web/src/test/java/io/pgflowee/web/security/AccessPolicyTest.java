package io.pgflowee.web.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.web.security.AccessPolicy.Area;

/** The second wall: only canonical spellings of the public list are public; everything else needs sign-in. */
class AccessPolicyTest {

    @Test
    void theShortPublicListIsPublicAndNothingElse() {
        for (String path : List.of("/login.xhtml", "/jakarta.faces.resource/console.css.xhtml", "/health", "/health/ready", "/openapi",
                "/openapi/ui")) {
            assertThat(AccessPolicy.area(path, false)).as(path).isEqualTo(Area.PUBLIC);
        }
        assertThat(AccessPolicy.area("/login", false)).isEqualTo(Area.SIGN_IN);
        assertThat(AccessPolicy.area("/metrics", false)).isEqualTo(Area.API);
        assertThat(AccessPolicy.area("/metrics", true)).isEqualTo(Area.PUBLIC);
        assertThat(AccessPolicy.area("/api/runs", true)).isEqualTo(Area.API);
        assertThat(AccessPolicy.area("/api", false)).isEqualTo(Area.API);
        for (String path : List.of("/", "/runs.xhtml", "/console/live", "/logout", "/anything", "/jakarta.faces.resource/", "/metrics/",
                "/Login.xhtml", "/login.xhtml/", "/healthy", "/apix", "/openapix")) {
            assertThat(AccessPolicy.area(path, false)).as(path).isEqualTo(Area.CONSOLE);
        }
    }

    @Test
    void anOddSpellingUnderTheApiStaysTheApisBasicSignIn() {
        assertThat(AccessPolicy.area("/api/runs/%00/events", false)).isEqualTo(Area.API);
        assertThat(AccessPolicy.area("/api/runs;x", true)).isEqualTo(Area.API);
        assertThat(AccessPolicy.area("/metrics", true, java.util.Set.of())).isEqualTo(Area.PUBLIC);
    }

    @Test
    void oddSpellingsAreNeverPublic() {
        for (String path : List.of("//login.xhtml", "/./login.xhtml", "/jakarta.faces.resource/../runs.xhtml", "/login.xhtml;x",
                "/login.xhtm%6c", "/health/..", "/health/.", "\\login.xhtml", "/health\\..\\runs.xhtml", "/health/\u0000",
                "/jakarta.faces.resource//runs.xhtml", "login.xhtml", "")) {
            assertThat(AccessPolicy.area(path, true)).as(path).isEqualTo(Area.CONSOLE);
        }
    }

    @Test
    void afterSignInOnlyLocalPathsAreFollowed() {
        assertThat(AccessPolicy.localTarget("/run.xhtml?id=0191c1d2-0000-7000-8000-000000000001"))
                .isEqualTo("/run.xhtml?id=0191c1d2-0000-7000-8000-000000000001");
        assertThat(AccessPolicy.localTarget("/runs.xhtml?flow=greet_user&status=failed")).isEqualTo("/runs.xhtml?flow=greet_user&status=failed");
        for (String away : List.of("//evil.example/", "https://evil.example/", "/\\evil.example", "evil.example", "/../x", "/login",
                "/logout", "/run.xhtml?id=1\r\nSet-Cookie:x=1", "/x?<script>", "/" + "a".repeat(2001))) {
            assertThat(AccessPolicy.localTarget(away)).as(away).isEqualTo("/");
        }
        assertThat(AccessPolicy.localTarget(null)).isEqualTo("/");
    }

    @Test
    void anOperatorMayMakeExactPathsPublicButNoPatternOrOddSpelling() {
        java.util.List<String> refused = new java.util.ArrayList<>();
        java.util.Set<String> extra = AccessPolicy.exactPaths(" /probe , /api/*, /, //x, /a;b, ", refused);
        assertThat(extra).containsExactly("/probe");
        assertThat(refused).containsExactly("/api/*", "/", "//x", "/a;b");
        assertThat(AccessPolicy.area("/probe", false, extra)).isEqualTo(Area.PUBLIC);
        assertThat(AccessPolicy.area("/probe/", false, extra)).isEqualTo(Area.CONSOLE);
        assertThat(AccessPolicy.area("/probe;x", false, extra)).isEqualTo(Area.CONSOLE);
    }
}
