package io.pgflowee.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.api.json.Jsonp;
import jakarta.json.JsonValue;

/** What the console draws and prints, exactly: DAG layout, timelines, JSON text, durations, bulk summaries. */
class ConsoleRenderingTest {

    private static JsonValue json(String text) {
        return Jsonp.createReader(new StringReader(text)).readValue();
    }

    @Test
    void theDagPutsEachStepInTheColumnOfItsDepthWithAnArrowFromEachDependency() {
        String svg = Diagrams.dag(List.of(
                new Diagrams.Node("fetch", List.of(), "completed", ""),
                new Diagrams.Node("split", List.of(), "completed", ""),
                new Diagrams.Node("each", List.of("fetch"), "failed", "map ×3"),
                new Diagrams.Node("join", List.of("each", "split"), "created", "")), "Steps: fetch, split, each, join");

        // columns 226 px apart (170 wide + 56 gap), rows 68 px apart (50 high + 18 gap)
        assertThat(svg).contains("data-step=\"fetch\" data-status=\"completed\"><title>fetch: completed</title><rect x=\"10\" y=\"10\"")
                .contains("data-step=\"split\" data-status=\"completed\"><title>split: completed</title><rect x=\"10\" y=\"78\"")
                .contains("data-step=\"each\" data-status=\"failed\"><title>each: failed</title><rect x=\"236\" y=\"10\"")
                .contains("data-step=\"join\" data-status=\"created\"><title>join: created</title><rect x=\"462\" y=\"10\"");
        assertThat(svg).contains(">✗ failed · map ×3</text>").contains(">… created</text>").contains(">✓ completed</text>");
        assertThat(svg.split("class=\"pg-edge\"", -1)).hasSize(4); // fetch→each, each→join, split→join
        assertThat(svg).startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pg-dag\" role=\"img\" viewBox=\"0 0 642 138\"")
                .contains("aria-label=\"Steps: fetch, split, each, join\"").endsWith("</svg>");
    }

    @Test
    void aFlowsDagShowsTheStepTypeAndTextIsEscaped() {
        String svg = Diagrams.dag(List.of(new Diagrams.Node("a", List.of(), null, "map · conditional")), "<flow> & \"x\"");
        assertThat(svg).contains("pg-node-defined").contains(">map · conditional</text>").contains("aria-label=\"&lt;flow&gt; &amp; &quot;x&quot;\"");
    }

    @Test
    void theTimelineScalesBarsToTheRunAndLabelsTheAxisInDurations() {
        OffsetDateTime t0 = OffsetDateTime.parse("2026-11-28T10:00:00Z");
        String svg = Diagrams.timeline(List.of(
                new Diagrams.Row("charge", List.of(new Diagrams.Bar(t0, t0.plusSeconds(1), "failed", "attempt 1 failed: boom"),
                        new Diagrams.Bar(t0.plusSeconds(2), t0.plusSeconds(4), "completed", "attempt 2 completed")))), t0, t0.plusSeconds(4),
                "Timeline");
        // 720 px for 4 s after a 190 px label column
        assertThat(svg).contains("<rect class=\"pg-bar pg-bar-failed\" x=\"190.0\" y=\"27\" width=\"180.0\" height=\"14\"><title>attempt 1 failed: boom</title>")
                .contains("<rect class=\"pg-bar pg-bar-completed\" x=\"550.0\" y=\"27\" width=\"360.0\"")
                .contains(">+0 ms</text>").contains(">+1.0 s</text>").contains(">+4.0 s</text>")
                .contains("<text class=\"pg-row-label\" x=\"4\" y=\"38\">charge</text>");
    }

    @Test
    void theLastHourStacksOutcomesPerMinute() {
        long[][] minutes = new long[60][4];
        minutes[59] = new long[] {2, 1, 1, 0};
        String svg = Diagrams.lastHour(minutes, "greet_user in the last hour: 2 started, 1 completed, 1 failed, 0 cancelled");
        assertThat(svg).contains("<rect class=\"pg-bar-completed\" x=\"236\" y=\"17.0\" width=\"3\" height=\"17.0\"/>")
                .contains("<rect class=\"pg-bar-failed\" x=\"236\" y=\"0.0\" width=\"3\" height=\"17.0\"/>")
                .contains("<circle class=\"pg-started-dot\" cx=\"237.5\" cy=\"0.0\" r=\"1.4\"/>")
                .doesNotContain("pg-bar-cancelled");
    }

    @Test
    void jsonIsShownOnOneLineAsPostgresqlPrintsItOrIndentedWhenLong() {
        assertThat(JsonText.of(json("{\"greeting\":\"Hello, Alice Smith!\"}"))).isEqualTo("{\"greeting\": \"Hello, Alice Smith!\"}");
        assertThat(JsonText.of(json("[1,2,{\"a\":null}]"))).isEqualTo("[1, 2, {\"a\": null}]");
        assertThat(JsonText.of(null)).isEmpty();
        String longText = "{\"customer\":\"c-42\",\"items\":[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-2\",\"qty\":1}],\"note\":\"leave at the door\"}";
        assertThat(JsonText.of(json(longText))).isEqualTo("""
                {
                  "customer": "c-42",
                  "items": [
                    {
                      "sku": "A-1",
                      "qty": 2
                    },
                    {
                      "sku": "B-2",
                      "qty": 1
                    }
                  ],
                  "note": "leave at the door"
                }""");
    }

    @Test
    void durationsReadAsPeopleSayThem() {
        assertThat(Times.duration(Duration.ofMillis(840))).isEqualTo("840 ms");
        assertThat(Times.duration(Duration.ofMillis(12_440))).isEqualTo("12.4 s");
        assertThat(Times.duration(Duration.ofSeconds(185))).isEqualTo("3 min 05 s");
        assertThat(Times.duration(Duration.ofMinutes(127))).isEqualTo("2 h 07 min");
        assertThat(Times.duration(Duration.ofMillis(-5))).isEqualTo("0 ms");
        assertThat(Times.shown(OffsetDateTime.parse("2026-11-28T12:03:48.5+01:00"))).isEqualTo("2026-11-28 11:03:48");
        assertThat(Times.shown(null)).isEmpty();
    }

    @Test
    void aBulkActionSaysHowManyRunsChangedAndWhyOthersWereRefused() {
        assertThat(new RunActions.Outcome(3, List.of()).summary("Retried")).isEqualTo("Retried 3 runs.");
        assertThat(new RunActions.Outcome(1, List.of()).summary("Cancelled")).isEqualTo("Cancelled 1 run.");
        assertThat(new RunActions.Outcome(2, List.of("r1: Run r1 is started")).summary("Retried"))
                .isEqualTo("Retried 2 of 3 runs; refused: r1: Run r1 is started");
        List<String> many = List.of("a: x", "b: x", "c: x", "d: x", "e: x", "f: x");
        assertThat(new RunActions.Outcome(0, many).summary("Retried"))
                .isEqualTo("Retried 0 of 6 runs; refused: a: x; b: x; c: x; d: x; e: x; ...");
    }

    @Test
    void anEndedAttemptIsDrawnFailedLostOrHandedBackByItsOutcome() {
        assertThat(List.of("failed", "lease expired", "released", "snoozed").stream().map(RunView::barKind).toList())
                .containsExactly("failed", "lost", "handed-back", "handed-back");
    }

    public enum Verdict { ACCEPT, DECLINE, ESCALATE }

    public record Approval(boolean approved, String by, String comment) {
    }

    public record Routing(@jakarta.json.bind.annotation.JsonbProperty("verdict") Verdict choice, String by) {
    }

    public record Rich(boolean approved, int amount) {
    }

    @Test
    void aSimpleChoicePayloadTypeGetsOneClickAnswersAndAnyOtherTypeNone() {
        assertThat(SignalChoices.of(Boolean.class, "ann")).extracting(SignalChoices.Choice::label, SignalChoices.Choice::payload)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Approve", "true"), org.assertj.core.groups.Tuple.tuple("Reject", "false"));
        assertThat(SignalChoices.of(Verdict.class, "ann")).extracting(SignalChoices.Choice::payload)
                .containsExactly("\"ACCEPT\"", "\"DECLINE\"", "\"ESCALATE\"");
        assertThat(SignalChoices.of(Approval.class, "ann")).extracting(SignalChoices.Choice::label, SignalChoices.Choice::payload)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Approve", "{\"approved\":true,\"by\":\"ann\"}"),
                        org.assertj.core.groups.Tuple.tuple("Reject", "{\"approved\":false,\"by\":\"ann\"}"));
        assertThat(SignalChoices.of(Routing.class, "bob")).extracting(SignalChoices.Choice::payload)
                .containsExactly("{\"verdict\":\"ACCEPT\",\"by\":\"bob\"}", "{\"verdict\":\"DECLINE\",\"by\":\"bob\"}",
                        "{\"verdict\":\"ESCALATE\",\"by\":\"bob\"}");
        assertThat(SignalChoices.of(Rich.class, "ann")).as("an int the console cannot choose").isEmpty();
        assertThat(SignalChoices.of(String.class, "ann")).isEmpty();
        assertThat(SignalChoices.of(jakarta.json.JsonValue.class, "ann")).isEmpty();
    }
}
