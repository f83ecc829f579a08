"""FP1xx / FP2xx: codes the loader and graph builder raise. Documented here so --list-rules/--explain know them."""

from __future__ import annotations

from fineplan.diagnostics import Severity
from fineplan.lint.rule import LoaderRule


class NotAProject(LoaderRule):
    """No fineplan.yaml in the project directory.

    What it does
        Reports a directory without fineplan.yaml (or that does not exist).
    Why
        fineplan.yaml holds targets, the state backend and lint settings; without it nothing is known.
    Example
        Run `fineplan init` to scaffold one.
    """

    code = "FP100"
    name = "not-a-project"


class YamlSyntax(LoaderRule):
    """A YAML file does not parse.

    What it does
        Reports the first syntax error in a YAML file at its line and column.
    Why
        Nothing after a syntax error can be trusted.
    Example
        `spec: {path: a.jsonl` (missing closing brace).
    """

    code = "FP101"
    name = "yaml-syntax"


class DuplicateKey(LoaderRule):
    """A mapping has the same key twice.

    What it does
        Reports the second occurrence of a key, naming the line of the first.
    Why
        YAML parsers silently keep the last value; a duplicated key is almost always a mistake.
    Example
        `capacity: 10` followed by `capacity: 50` in one deployment.
    """

    code = "FP102"
    name = "duplicate-key"


class UnknownKey(LoaderRule):
    """A key is not part of the spec language (with a "did you mean").

    What it does
        Reports keys the schema does not know, suggesting the closest known one.
    Why
        A misspelt `n_epoch` would otherwise be ignored and the job trained with defaults.
    Example
        `hyperparameters: {n_epoch: 3}` → Did you mean "n_epochs"?
    """

    code = "FP103"
    name = "unknown-key"


class MissingField(LoaderRule):
    """A required field is missing.

    What it does
        Reports required fields that are absent, at the mapping that should hold them.
    Why
        Azure rejects the request later; fineplan says so at plan time.
    Example
        A FineTuningJob without `training_data`.
    """

    code = "FP104"
    name = "missing-field"


class InvalidValue(LoaderRule):
    """A value has the wrong type or is not one of the allowed values.

    What it does
        Reports values that fail the schema (type, enum, range).
    Why
        Catch `n_epochs: three` or `type: devloper` before anything is sent to Azure.
    Example
        `method: sft` (expected supervised | dpo | reinforcement).
    """

    code = "FP105"
    name = "invalid-value"


class InvalidName(LoaderRule):
    """A resource name is not a lower-case DNS label.

    What it does
        Names must match `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.
    Why
        Names become Azure deployment names, metadata values and addresses; one safe alphabet avoids surprises.
    Example
        `name: Support_SFT` → `support-sft`.
    """

    code = "FP106"
    name = "invalid-name"


class UnknownKind(LoaderRule):
    """A document has no kind or an unknown kind.

    What it does
        kind must be Dataset, FineTuningJob or Deployment.
    Why
        The kind decides which schema applies.
    Example
        `kind: Deploymnt` → Did you mean "Deployment"?
    """

    code = "FP107"
    name = "unknown-kind"


class DuplicateResource(LoaderRule):
    """Two resources of one kind share a name.

    What it does
        Reports the second declaration, naming where the first is.
    Why
        Addresses (`job.NAME`) must be unique or state could not tell them apart.
    Example
        Two `FineTuningJob` documents named `support-sft`.
    """

    code = "FP108"
    name = "duplicate-resource"


class EmptyFile(LoaderRule):
    """A spec or settings file is empty.

    What it does
        Warns about files with no documents.
    Why
        Usually a file saved before it was written, or a glob that matches the wrong files.
    Example
        An empty `specs/jobs.yaml`.
    """

    code = "FP109"
    name = "empty-file"
    severity = Severity.WARNING


class NotUtf8(LoaderRule):
    """A file is not UTF-8.

    What it does
        Reports the line and column of the first byte that does not decode.
    Why
        YAML and Azure expect UTF-8; other encodings corrupt names and prompts.
    Example
        A spec saved as Latin-1 with an accented character.
    """

    code = "FP110"
    name = "not-utf8"


class DocumentTooLarge(LoaderRule):
    """A YAML document expands to too many nodes (alias bomb) or aliases itself.

    What it does
        Stops expanding once a document exceeds 200,000 nodes, or when an alias refers to itself.
    Why
        "Billion laughs" documents exhaust memory; fineplan reads untrusted pull requests.
    Example
        Nine levels of anchors that each repeat the previous one nine times.
    """

    code = "FP111"
    name = "document-too-large"


class NoSpecFiles(LoaderRule):
    """The spec globs matched no file.

    What it does
        Warns when `specs` in fineplan.yaml matches nothing.
    Why
        An empty project plans to destroy everything it manages.
    Example
        `specs: ["spec/*.yaml"]` when the folder is `specs/`.
    """

    code = "FP112"
    name = "no-spec-files"
    severity = Severity.WARNING


class NotAMapping(LoaderRule):
    """A document is not a mapping.

    What it does
        Each spec document must be a mapping with kind, name and spec; fineplan.yaml holds exactly one mapping.
    Why
        Lists or scalars at the top level cannot describe a resource.
    Example
        A document that is just `- kind: Dataset`.
    """

    code = "FP113"
    name = "not-a-mapping"


class UndefinedEnvVar(LoaderRule):
    """`${env:VAR}` names a variable that is not set.

    What it does
        Reports interpolations in fineplan.yaml whose variable is unset and has no `:-default`.
    Why
        An empty subscription id or account name would target the wrong thing.
    Example
        `subscription_id: ${env:AZURE_SUBSCRIPTION_ID}` with the variable unset.
    """

    code = "FP114"
    name = "undefined-env-var"


class UnsafeYaml(LoaderRule):
    """A YAML tag asks for something safe loading does not allow.

    What it does
        Reports tags such as `!!python/object` or `!!omap`.
    Why
        fineplan loads YAML safely only: specs can come from untrusted pull requests.
    Example
        `model: !!python/name:os.system`.
    """

    code = "FP115"
    name = "unsafe-yaml"


class InvalidJsonFile(LoaderRule):
    """A grader or response-format file is not a JSON object.

    What it does
        Reports JSON syntax errors at their line and column.
    Why
        Azure takes these files verbatim.
    Example
        A trailing comma in `grader.json`.
    """

    code = "FP116"
    name = "invalid-json-file"


class DanglingReference(LoaderRule):
    """A reference names a resource that is not declared.

    What it does
        Checks training_data, validation_data, `{job: ...}` base models and deployment models.
    Why
        A typo in a reference would otherwise only fail at apply time.
    Example
        `training_data: suport-train` → Did you mean "support-train"?
    """

    code = "FP201"
    name = "dangling-reference"
    group = "references"


class DependencyCycle(LoaderRule):
    """Resources depend on each other in a cycle.

    What it does
        Reports the cycle path, e.g. job.a -> job.b -> job.a.
    Why
        A job cannot be trained on top of its own result.
    Example
        Two jobs each naming the other as `base_model: {job: ...}`.
    """

    code = "FP202"
    name = "dependency-cycle"
    group = "references"


class PathOutsideRoot(LoaderRule):
    """A file path leaves the project root.

    What it does
        Dataset paths, grader and response-format files must resolve inside the project (symlinks followed).
    Why
        A pull request must not be able to upload `~/.ssh/id_rsa` as training data.
    Example
        `path: ../../secrets.jsonl`.
    """

    code = "FP203"
    name = "path-outside-root"
    group = "references"


class FileNotFound(LoaderRule):
    """A referenced file does not exist or is not a regular file.

    What it does
        Reports dataset, grader and response-format paths that are missing, and says what a path is when it is
        not a regular file (a directory, a FIFO, a socket or a device), without ever opening it.
    Why
        Upload would fail at apply time; a FIFO would block any reader and a device would never end.
    Example
        `path: data/train.jsonl` when the file is `data/training.jsonl`.
    """

    code = "FP204"
    name = "file-not-found"
    group = "references"
