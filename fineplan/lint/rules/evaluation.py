"""FP321-FP328: Evaluations and the deployment gates that read them (issue 10).

Graders and test rows are checked with the datasets (fineplan.lint.dataset_checks, codes FP46x); these rules
need only the specs: what the test data is, which subjects and graders a gate names, whether the evaluation
covers the gated model, and the mistakes that make an evaluation measure nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from fineplan.diagnostics import Diagnostic, Location
from fineplan.diagnostics import Severity as S
from fineplan.lint.evaluations import (
    describe_model,
    evaluations,
    gated_deployments,
    grader_names,
    job_data,
    model_key,
    parts_used,
    subject_models,
)
from fineplan.lint.rule import ProjectRule
from fineplan.spec.models import Dataset
from fineplan.spec.project import Project, dataset_name
from fineplan.spec.pydantic_errors import did_you_mean


def _hint(word: str, options: list[str]) -> str:
    hint = did_you_mean(word, options)
    return f". {hint}" if hint else ""


def _known(options: list[str]) -> str:
    return ", ".join(options) if options else "none"


class EvaluationDataFormat(ProjectRule):
    """An Evaluation's test data is not a `chat` or `reinforcement` dataset.

    What it does
        Checks the format of the Dataset named by `data`.
    Why
        Each test row becomes an eval item: a chat row gives the conversation and its last assistant turn as
        the reference, a reinforcement row gives its messages and item fields. A preference (DPO) row has no
        single answer to grade against, so the Evals API run would fail on every item.
    Example
        `data: prefs` where `prefs` has `format: preference`: evaluate on a chat or reinforcement test set.
    """

    code = "FP321"
    name = "evaluation-data-format"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, ev in evaluations(project):
            ds = project.get("Dataset", dataset_name(ev.spec.data))
            if ds is None or not isinstance(ds.resource, Dataset):
                continue  # FP201
            fmt = ds.resource.spec.format
            if fmt not in ("chat", "reinforcement"):
                yield self.diag(
                    f"Evaluation {ev.name!r} tests on dataset {ds.name!r} of format {fmt}; "
                    "test data must be chat or reinforcement",
                    e.location("spec", "data"),
                )


class GateUnknownSubject(ProjectRule):
    """An evaluation gate's `subject` or `beats` is not a subject of that evaluation.

    What it does
        Checks `gate.evaluation.subject` and `gate.evaluation.beats` against the evaluation's `subjects`, with a
        "did you mean".
    Why
        The gate compares recorded results per subject; a name the evaluation does not run has no results,
        so the deployment would wait forever.
    Example
        `beats: base-model` when the evaluation's subjects are `tuned` and `base`.
    """

    code = "FP322"
    name = "gate-unknown-subject"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for g in gated_deployments(project):
            subjects = list(g.evaluation.spec.subjects)
            for field in ("subject", "beats"):
                value = getattr(g.gate, field)
                if value is not None and value not in subjects:
                    yield self.diag(
                        f"gate {field} {value!r} is not a subject of Evaluation {g.evaluation.name!r} "
                        f"(its subjects: {_known(subjects)}){_hint(value, subjects)}",
                        g.location(field),
                    )


class GateUnknownGrader(ProjectRule):
    """An evaluation gate names a grader the evaluation does not have.

    What it does
        Checks the keys of `min_score` and `min_pass_rate` and the entries of `graders` against the names of
        the evaluation's graders (inline or from its graders_file), with a "did you mean".
    Why
        A bound on a grader that never runs has no score to compare, so the gate could never open.
    Example
        `min_score: {exact_match: 0.8}` when the grader is named `exact`.
    """

    code = "FP323"
    name = "gate-unknown-grader"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for g in gated_deployments(project):
            names = grader_names(g.evaluation_entry)
            if names is None:
                continue  # the graders_file did not load: reported by the loader
            where = f"Evaluation {g.evaluation.name!r} (its graders: {_known(names)})"
            for field in ("min_score", "min_pass_rate"):
                for key in getattr(g.gate, field):
                    if key not in names:
                        yield self.diag(
                            f"gate {field} names grader {key!r}, which is not a grader of {where}{_hint(key, names)}",
                            g.location(field, key, key=True),
                        )
            for i, key in enumerate(g.gate.graders):
                if key not in names:
                    yield self.diag(
                        f"gate graders names {key!r}, which is not a grader of {where}{_hint(key, names)}",
                        g.location("graders", i),
                    )


class GateModelNotCovered(ProjectRule):
    """The evaluation a deployment is gated on does not evaluate the gated model.

    What it does
        Without `subject`, some subject's deployment must serve the same `model` as the gated deployment (the
        same base-model name, or the same job and checkpoint). With `subject`, that subject's deployment must.
    Why
        A gate is a statement about the model being deployed. Results of another model (say a different job, or
        an earlier checkpoint) say nothing about it, and promoting on them ships an unevaluated model.
    Example
        `prod` deploys `{job: dpo}` and is gated on an evaluation whose subjects deploy `{job: sft}` and the
        base model: add a subject serving `{job: dpo}`, or gate on an evaluation that has one.
    """

    code = "FP324"
    name = "gate-model-not-covered"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for g in gated_deployments(project):
            mine = model_key(g.deployment.spec.model)
            models = subject_models(project, g.evaluation)
            subject = g.gate.subject
            if subject is not None:
                if subject in models and models[subject] != mine:
                    yield self.diag(
                        f"the evaluation does not cover the gated model: subject {subject!r} of Evaluation "
                        f"{g.evaluation.name!r} serves {describe_model(models[subject])}, deployment "
                        f"{g.deployment.name!r} serves {describe_model(mine)}",
                        g.location("subject"),
                    )
                continue
            if len(models) == len(g.evaluation.spec.subjects) and mine not in models.values():
                served = "; ".join(f"{s}: {describe_model(m)}" for s, m in models.items())
                yield self.diag(
                    f"the evaluation does not cover the gated model: no subject of Evaluation "
                    f"{g.evaluation.name!r} serves {describe_model(mine)} (subjects: {served})",
                    g.location("evaluation"),
                    "Add a subject whose deployment serves the gated model (e.g. a Developer deployment of it).",
                )


class GateBeatsItself(ProjectRule):
    """An evaluation gate's `beats` is the subject that stands for the gated model.

    What it does
        Without `subject`, the gate stands for the subjects whose deployment serves the gated model; `beats`
        must name another one (with `subject`, the spec itself rejects `beats` equal to it).
    Why
        A model cannot beat itself: with `by > 0` the gate never opens, with `by: 0` it always does.
    Example
        `beats: tuned` on the deployment that `tuned` samples: `beats` should be the base model's subject.
    """

    code = "FP325"
    name = "gate-beats-itself"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for g in gated_deployments(project):
            if g.gate.beats is None or g.gate.subject is not None:
                continue
            if g.gate.beats in g.standing_for(project):
                yield self.diag(
                    f"gate beats {g.gate.beats!r}, but that subject of Evaluation {g.evaluation.name!r} serves "
                    f"the gated model itself",
                    g.location("beats"),
                    "Name the subject to beat (e.g. the base model's), or set `subject` when several serve it.",
                )


class SubjectsSameDeployment(ProjectRule):
    """Every subject of an evaluation samples the same deployment (a warning).

    What it does
        Reports an evaluation with several subjects that all name one deployment.
    Why
        The subjects' results can only differ by sampling noise: a comparison such as "tuned beats base"
        measures nothing. Usually a copy-paste slip in `subjects`.
    Example
        `subjects: {tuned: {deployment: dev}, base: {deployment: dev}}`.
    """

    code = "FP326"
    name = "subjects-same-deployment"
    severity = S.WARNING
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, ev in evaluations(project):
            deployments = {s.deployment for s in ev.spec.subjects.values()}
            if len(ev.spec.subjects) > 1 and len(deployments) == 1:
                yield self.diag(
                    f"all {len(ev.spec.subjects)} subjects of Evaluation {ev.name!r} sample deployment "
                    f"{deployments.pop()!r}",
                    e.location("spec", "subjects", key=True),
                )


class BeatsSingleSubject(ProjectRule):
    """A gate uses `beats` on an evaluation that has only one subject (a warning).

    What it does
        Reports `gate.evaluation.beats` when the evaluation declares a single subject.
    Why
        "Beats" compares two subjects; with one there is nothing to compare against (the other findings on
        `beats` follow from this). Add a subject for the model to beat, typically a deployment of the base
        model.
    Example
        `beats: base` on an evaluation with `subjects: {tuned: {deployment: dev}}`.
    """

    code = "FP327"
    name = "beats-single-subject"
    severity = S.WARNING
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for g in gated_deployments(project):
            if g.gate.beats is not None and len(g.evaluation.spec.subjects) == 1:
                yield self.diag(
                    f"gate beats {g.gate.beats!r}, but Evaluation {g.evaluation.name!r} has a single subject: "
                    "add a subject to compare against (e.g. a deployment of the base model)",
                    g.location("beats"),
                )


class EvaluationOnTrainingData(ProjectRule):
    """An evaluation's test data is also a job's training or validation data (a warning).

    What it does
        Reports an Evaluation whose `data` reads rows a FineTuningJob trains or validates on: the same Dataset
        with an overlapping part (a split dataset's train or validation part, or the whole dataset), or
        another Dataset with the same source file. The job's reference is named as a further location.
    Why
        Scores on examples the model was trained on measure memorisation: the fine-tuned model looks better
        than it is and a gate on the evaluation opens for the wrong reason.
    Example
        `data: train` on an evaluation when job `sft` has `training_data: train`: keep a held-out test set.
    """

    code = "FP328"
    name = "test-data-used-for-training"
    severity = S.WARNING
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        # Indexed by dataset and by source file once, so each evaluation looks up only its own dataset.
        by_dataset: dict[str, list[tuple[str, str, frozenset[str], Location]]] = {}
        by_file: dict[str, list[tuple[str, str, str, Location]]] = {}
        for job_entry, field, ref, parts in job_data(project):
            name, where = dataset_name(ref), job_entry.location("spec", field)
            by_dataset.setdefault(name, []).append((job_entry.name, field, parts, where))
            path = _source(project, name)
            if path is not None:
                by_file.setdefault(path, []).append((name, job_entry.name, field, where))
        if not by_dataset:
            return
        for e, ev in evaluations(project):
            test_name = dataset_name(ev.spec.data)
            test_parts = parts_used(project, ev.spec.data, None)
            test_path = _source(project, test_name)
            hits = [
                (job, field, where) for job, field, parts, where in by_dataset.get(test_name, []) if parts & test_parts
            ]
            if test_path is not None:
                hits += [
                    (job, field, where) for name, job, field, where in by_file.get(test_path, []) if name != test_name
                ]
            if hits:
                named = ", ".join(f"job {job!r} {field}" for job, field, _ in hits)
                yield Diagnostic(
                    self.severity,
                    self.code,
                    f"Evaluation {ev.name!r} tests on data that is also training data ({named})",
                    "Evaluate on held-out rows: a separate Dataset, or the validation part of a split dataset "
                    "that no job validates on.",
                    e.location("spec", "data"),
                    tuple(where for _, _, where in hits),
                    len(hits),
                )


def _source(project: Project, name: str) -> str | None:
    entry = project.get("Dataset", name)
    if entry is None or not isinstance(entry.resource, Dataset):
        return None
    return str(project.resolve(entry.resource.spec.path))
