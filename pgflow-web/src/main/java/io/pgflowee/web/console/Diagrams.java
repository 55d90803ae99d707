package io.pgflowee.web.console;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The console's drawings as inline SVG, made on the server: a flow's DAG (steps in columns by
 * depth, arrows from each dependency, each step's status as colour, symbol and word, so it reads
 * without colour too) and a run's timeline (one row per task attempt, bars from start to end).
 */
final class Diagrams {

    private static final int NODE_W = 170;
    private static final int NODE_H = 50;
    private static final int COL_GAP = 56;
    private static final int ROW_GAP = 18;

    private Diagrams() {
    }

    /** A step to draw: slug, dependencies, status (null on a flow's page), second line (type, tasks). */
    record Node(String slug, List<String> dependsOn, String status, String detail) {
    }

    /** A timeline row: label, and its bars. */
    record Row(String label, List<Bar> bars) {
    }

    /** A bar from {@code start} to {@code end} (null: still going) of one kind (queued, started, completed, failed, lost, cancelled). */
    record Bar(OffsetDateTime start, OffsetDateTime end, String kind, String title) {
    }

    static String dag(List<Node> nodes, String label) {
        Map<String, Integer> depth = new HashMap<>();
        for (Node n : nodes) { // nodes come in step order: dependencies first
            int d = 0;
            for (String dep : n.dependsOn()) {
                d = Math.max(d, depth.getOrDefault(dep, 0) + 1);
            }
            depth.put(n.slug(), d);
        }
        Map<Integer, Integer> rows = new HashMap<>();
        Map<String, int[]> at = new HashMap<>();
        int maxCol = 0;
        int maxRow = 0;
        for (Node n : nodes) {
            int col = depth.get(n.slug());
            int row = rows.merge(col, 1, Integer::sum) - 1;
            at.put(n.slug(), new int[] {10 + col * (NODE_W + COL_GAP), 10 + row * (NODE_H + ROW_GAP)});
            maxCol = Math.max(maxCol, col);
            maxRow = Math.max(maxRow, row);
        }
        int width = 20 + (maxCol + 1) * NODE_W + maxCol * COL_GAP;
        int height = 20 + (maxRow + 1) * NODE_H + maxRow * ROW_GAP;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pg-dag\" role=\"img\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" width=\"").append(width).append("\" height=\"").append(height).append("\" aria-label=\"")
                .append(esc(label)).append("\">")
                .append("<defs><marker id=\"pg-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\""
                        + " orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b7280\"/></marker></defs>");
        for (Node n : nodes) {
            int[] to = at.get(n.slug());
            for (String dep : n.dependsOn()) {
                int[] from = at.get(dep);
                if (from == null) {
                    continue;
                }
                int x1 = from[0] + NODE_W;
                int y1 = from[1] + NODE_H / 2;
                int x2 = to[0];
                int y2 = to[1] + NODE_H / 2;
                int mid = (x1 + x2) / 2;
                svg.append("<path class=\"pg-edge\" d=\"M").append(x1).append(',').append(y1).append(" C").append(mid).append(',')
                        .append(y1).append(' ').append(mid).append(',').append(y2).append(' ').append(x2 - 2).append(',').append(y2)
                        .append("\" marker-end=\"url(#pg-arrow)\"/>");
            }
        }
        for (Node n : nodes) {
            int[] p = at.get(n.slug());
            String status = n.status() == null ? "defined" : n.status();
            String second = n.status() == null ? n.detail() : symbol(status) + " " + status + (n.detail().isEmpty() ? "" : " · " + n.detail());
            svg.append("<a href=\"#step-").append(esc(n.slug())).append("\"><g class=\"pg-node pg-node-").append(esc(status))
                    .append("\" data-step=\"").append(esc(n.slug())).append("\" data-status=\"").append(esc(status)).append("\">")
                    .append("<title>").append(esc(n.slug() + ": " + status)).append("</title>")
                    .append("<rect x=\"").append(p[0]).append("\" y=\"").append(p[1]).append("\" width=\"").append(NODE_W)
                    .append("\" height=\"").append(NODE_H).append("\" rx=\"6\"/>")
                    .append("<text x=\"").append(p[0] + 10).append("\" y=\"").append(p[1] + 20).append("\" class=\"pg-node-name\">")
                    .append(esc(clip(n.slug(), 20))).append("</text>")
                    .append("<text x=\"").append(p[0] + 10).append("\" y=\"").append(p[1] + 39).append("\" class=\"pg-node-status\">")
                    .append(esc(clip(second, 26))).append("</text></g></a>");
        }
        return svg.append("</svg>").toString();
    }

    static String symbol(String status) {
        return switch (status) {
            case "completed" -> "✓";
            case "failed" -> "✗";
            case "started" -> "▶";
            case "skipped" -> "↷";
            case "cancelled" -> "⊘";
            case "waiting" -> "◷";
            default -> "…";
        };
    }

    static String timeline(List<Row> rows, OffsetDateTime from, OffsetDateTime now, String label) {
        int labelW = 190;
        int chartW = 720;
        int rowH = 22;
        OffsetDateTime to = from;
        for (Row r : rows) {
            for (Bar b : r.bars()) {
                OffsetDateTime end = b.end() == null ? now : b.end();
                if (end.isAfter(to)) {
                    to = end;
                }
            }
        }
        double span = Math.max(Duration.between(from, to).toNanos() / 1e9, 0.001);
        int height = 28 + rows.size() * rowH;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pg-timeline\" role=\"img\" viewBox=\"0 0 ").append(labelW + chartW + 10)
                .append(' ').append(height).append("\" width=\"").append(labelW + chartW + 10).append("\" height=\"").append(height)
                .append("\" aria-label=\"").append(esc(label)).append("\">");
        for (int i = 0; i <= 4; i++) {
            double x = labelW + chartW * i / 4.0;
            svg.append("<line class=\"pg-tick\" x1=\"").append(fmt(x)).append("\" y1=\"18\" x2=\"").append(fmt(x)).append("\" y2=\"")
                    .append(height).append("\"/><text class=\"pg-tick-label\" x=\"").append(fmt(x)).append("\" y=\"12\" text-anchor=\"")
                    .append(i == 0 ? "start" : i == 4 ? "end" : "middle").append("\">+").append(esc(Times.duration(
                            Duration.ofNanos((long) (span * 1e9 * i / 4))))).append("</text>");
        }
        int y = 24;
        for (Row r : rows) {
            svg.append("<text class=\"pg-row-label\" x=\"4\" y=\"").append(y + 14).append("\">").append(esc(clip(r.label(), 26)))
                    .append("</text>");
            for (Bar b : r.bars()) {
                double x1 = labelW + chartW * Duration.between(from, b.start()).toNanos() / 1e9 / span;
                double x2 = labelW + chartW * Duration.between(from, b.end() == null ? now : b.end()).toNanos() / 1e9 / span;
                svg.append("<rect class=\"pg-bar pg-bar-").append(esc(b.kind())).append("\" x=\"").append(fmt(x1)).append("\" y=\"")
                        .append(y + 3).append("\" width=\"").append(fmt(Math.max(x2 - x1, 2))).append("\" height=\"").append(rowH - 8)
                        .append("\"><title>").append(esc(b.title())).append("</title></rect>");
            }
            y += rowH;
        }
        return svg.append("</svg>").toString();
    }

    /**
     * A flow's last hour: 60 one-minute columns (oldest first), each stacking the runs that completed,
     * failed and were cancelled in that minute, with a dot for each minute in which runs started.
     * {@code minutes[i]} is {started, completed, failed, cancelled}.
     */
    static String lastHour(long[][] minutes, String label) {
        int w = 3;
        int gap = 1;
        int h = 34;
        long max = 1;
        for (long[] m : minutes) {
            max = Math.max(max, Math.max(m[0], m[1] + m[2] + m[3]));
        }
        StringBuilder svg = new StringBuilder();
        int width = minutes.length * (w + gap);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pg-spark\" role=\"img\" preserveAspectRatio=\"none\" viewBox=\"0 0 ")
                .append(width).append(' ')
                .append(h + 4).append("\" width=\"").append(width).append("\" height=\"").append(h + 4).append("\" aria-label=\"")
                .append(esc(label)).append("\"><title>").append(esc(label)).append("</title>")
                .append("<line class=\"pg-tick\" x1=\"0\" y1=\"").append(h).append("\" x2=\"").append(width).append("\" y2=\"").append(h)
                .append("\"/>");
        String[] kinds = {null, "completed", "failed", "cancelled"};
        for (int i = 0; i < minutes.length; i++) {
            double y = h;
            for (int k = 1; k <= 3; k++) {
                if (minutes[i][k] == 0) {
                    continue;
                }
                double bar = Math.max(1.5, h * minutes[i][k] / (double) max);
                y -= bar;
                svg.append("<rect class=\"pg-bar-").append(kinds[k]).append("\" x=\"").append(i * (w + gap)).append("\" y=\"")
                        .append(fmt(y)).append("\" width=\"").append(w).append("\" height=\"").append(fmt(bar)).append("\"/>");
            }
            if (minutes[i][0] > 0) {
                svg.append("<circle class=\"pg-started-dot\" cx=\"").append(fmt(i * (w + gap) + w / 2.0)).append("\" cy=\"")
                        .append(fmt(h - h * minutes[i][0] / (double) max)).append("\" r=\"1.4\"/>");
            }
        }
        return svg.append("</svg>").toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
