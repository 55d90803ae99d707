package io.pgflowee.engine.query;

import java.util.List;

import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.engine.model.StepRecord;
import io.pgflowee.engine.model.StepStateRecord;
import io.pgflowee.engine.model.TaskRecord;

/** A run with its steps in step order, each with its definition and its tasks by task index. */
public record RunDetail(RunRecord run, List<StepDetail> steps) {

    /** One step of the run: its state, its definition (type, options, position) and its tasks. */
    public record StepDetail(StepStateRecord state, StepRecord step, List<TaskRecord> tasks) {
    }
}
