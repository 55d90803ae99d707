package io.pgflowee.web.console;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.pgflowee.engine.query.ChildGroup;
import io.pgflowee.engine.query.FamilyMember;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.web.security.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The family of a run ({@code family.xhtml?id=}, any run of it): the root run and, nested under
 * each run, the child runs each of its subflow steps started, with their statuses. Usable whatever
 * the number of children: per step it counts them per status (all of them) and lists at most
 * {@value #LISTED} (failed and running first), linking to the runs list for the rest; each level
 * of the tree is two queries.
 */
@Named
@ViewScoped
public class FamilyView implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Children listed per subflow step of a run. */
    static final int LISTED = 50;
    /** Rows of the tree at most (deep families stop growing there, with a note). */
    static final int MAX_ROWS = 2000;
    /** Levels below the root at most (pgflow.max_subflow_depth defaults to 10). */
    static final int MAX_DEPTH = 12;

    /**
     * One row of the tree: a run, a subflow step's group of children (with its counts), or the note
     * of children not listed.
     *
     * @param kind {@code run}, {@code group} or {@code more}
     */
    public record Row(String kind, int depth, String runId, String flowSlug, String status, String label, String startedAt,
                      String duration, String parentRunId, boolean current, String startedIso) implements Serializable {
        public String getStartedIso() {
            return startedIso;
        }

        public String getKind() {
            return kind;
        }

        public int getDepth() {
            return depth;
        }

        public String getRunId() {
            return runId;
        }

        public String getFlowSlug() {
            return flowSlug;
        }

        public String getStatus() {
            return status;
        }

        public String getLabel() {
            return label;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getDuration() {
            return duration;
        }

        /** A group or a note: the run whose step started the children (the runs list filters on it). */
        public String getParentRunId() {
            return parentRunId;
        }

        /** False for an earlier child of a retried task (kept for inspection, no longer waited for). */
        public boolean isCurrent() {
            return current;
        }
    }

    @Inject
    transient RunQueries runs;

    private String id;
    private UUID root;
    private String problem;
    private transient List<Row> rows;
    private transient Set<String> flows;
    private transient boolean truncated;

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
        rows = null;
        try {
            UUID runId = UUID.fromString(id == null ? "" : id.trim());
            Optional<UUID> found = runs.rootOf(runId);
            root = found.orElse(null);
            problem = found.isPresent() ? null : "No run " + runId + " in the database (it may have been pruned).";
        } catch (IllegalArgumentException e) {
            root = null;
            problem = "\"" + (id == null ? "" : id) + "\" is not a run id (a UUID such as 3f2a9c1e-0b7d-4d2a-9a51-6c1f0e8b4d21).";
        }
    }

    public String getProblem() {
        return root == null && problem == null ? "Which run? family.xhtml?id=<run id>" : problem;
    }

    public boolean isFound() {
        return root != null;
    }

    public String getRootRunId() {
        return root == null ? "" : root.toString();
    }

    /** The tree, depth first: a run, then per subflow step its group row and its listed children (each with its own). */
    public List<Row> getRows() {
        if (rows == null) {
            build();
        }
        return rows;
    }

    /** The flows of the runs shown, space separated (the live feed refreshes the page on their events). */
    public String getFlows() {
        getRows();
        return String.join(" ", flows);
    }

    /** Whether the tree stopped at {@value #MAX_ROWS} rows or {@value #MAX_DEPTH} levels. */
    public boolean isTruncated() {
        getRows();
        return truncated;
    }

    /** Re-reads the family (the live feed saw one of its flows move). */
    @RolesAllowed(Role.Name.VIEWER)
    public void refresh() {
        rows = null;
    }

    private void build() {
        rows = new ArrayList<>();
        flows = new LinkedHashSet<>();
        truncated = false;
        if (root == null) {
            return;
        }
        // the root's row only: its steps and tasks (a wide map's thousands) are not shown here
        FamilyMember top = runs.run(root).map(r -> new FamilyMember(r.runId(), r.flowSlug(), r.status().dbValue(),
                null, null, null, r.startedAt(), r.finishedAt(), true)).orElse(null);
        if (top == null) {
            return;
        }
        // the tree level by level (two queries each), then written depth first
        Map<UUID, List<ChildGroup>> groups = new java.util.HashMap<>();
        List<UUID> level = List.of(root);
        int shown = 1;
        for (int depth = 0; !level.isEmpty(); depth++) {
            if (depth >= MAX_DEPTH || shown >= MAX_ROWS) {
                truncated = true;
                break;
            }
            List<UUID> next = new ArrayList<>();
            for (ChildGroup g : runs.children(level, LISTED)) {
                groups.computeIfAbsent(g.parentRunId(), k -> new ArrayList<>()).add(g);
                for (FamilyMember m : g.listed()) {
                    if (shown++ < MAX_ROWS) {
                        next.add(m.runId());
                    } else {
                        truncated = true;
                    }
                }
            }
            level = next;
        }
        write(top, 0, groups, new LinkedHashSet<>(groups.keySet()));
    }

    private void write(FamilyMember run, int depth, Map<UUID, List<ChildGroup>> groups, Set<UUID> expanded) {
        flows.add(run.flowSlug());
        String label = run.parentStepSlug() == null ? "root" : run.parentStepSlug() + "[" + run.parentTaskIndex() + "]"
                + (run.current() ? "" : " · earlier child (retried)");
        rows.add(new Row("run", depth, run.runId().toString(), run.flowSlug(), run.status(), label, Times.shown(run.startedAt()),
                Times.duration(run.startedAt(), run.endedAt()), run.parentRunId() == null ? "" : run.parentRunId().toString(),
                run.current(), Times.iso(run.startedAt())));
        for (ChildGroup g : groups.getOrDefault(run.runId(), List.of())) {
            rows.add(new Row("group", depth + 1, "", "", "", "step " + g.stepSlug() + " · " + RunView.childrenNote(g), "", "",
                    run.runId().toString(), true, ""));
            for (FamilyMember child : g.listed()) {
                if (rows.size() >= MAX_ROWS) {
                    truncated = true;
                    return;
                }
                write(child, depth + 2, groups, expanded);
            }
            long more = g.total() - g.listed().size();
            if (more > 0) {
                rows.add(new Row("more", depth + 2, "", "", "", "… " + more + " more child run" + (more == 1 ? "" : "s")
                        + " of step " + g.stepSlug() + " (completed ones last)", "", "", run.runId().toString(), true, ""));
            }
        }
    }
}
