"""The GitOps kit: the workflow does what its README promises, it installs a fineplan that exists (a tag of the
repository, not an unpublished release), the release workflow builds and checks one, and the pre-commit hooks run
fineplan lint."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from fineplan import __version__
from fineplan.render.markdown import MARKER
from fineplan.spec.loader import load_settings


@pytest.fixture(scope="module")
def workflow(repo_root: Path) -> dict[str, Any]:
    return yaml.safe_load((repo_root / "examples/gitops/.github/workflows/fineplan.yml").read_text("utf-8"))


@pytest.fixture(scope="module")
def release(repo_root: Path) -> dict[str, Any]:
    return yaml.safe_load((repo_root / "examples/gitops/release.yml").read_text("utf-8"))


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_triggers(workflow: dict[str, Any]) -> None:
    on = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in on and on["push"]["branches"] == ["main"]


def test_pull_request_lints_with_sarif_upload(workflow: dict[str, Any]) -> None:
    lint = workflow["jobs"]["lint"]
    assert "fineplan lint --format sarif > fineplan.sarif" in _runs(lint)
    assert "github/codeql-action/upload-sarif" in _uses(lint)
    assert lint["permissions"]["security-events"] == "write"


def test_pull_request_plan_is_one_sticky_comment(workflow: dict[str, Any]) -> None:
    plan = workflow["jobs"]["plan"]
    assert "fineplan plan --detailed-exitcode -out plan.bin --format markdown > plan.md" in _runs(plan)
    script = next(s["with"]["script"] for s in plan["steps"] if s.get("uses", "").startswith("actions/github-script"))
    assert MARKER in script  # the marker the Markdown renderer writes first
    assert "updateComment" in script and "createComment" in script
    assert plan["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def test_merge_to_main_applies_the_saved_plan_with_oidc(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    assert "-out plan.bin" in _runs(jobs["apply-plan"])
    apply = jobs["apply"]
    assert apply["needs"] == "apply-plan"
    assert "fineplan apply plan.bin" in _runs(apply)
    assert "azure/login" in _uses(apply) and apply["permissions"]["id-token"] == "write"
    login = next(s for s in apply["steps"] if s.get("uses", "").startswith("azure/login"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC: no client secret


def test_example_settings_use_blob_state_and_a_budget(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000001")
    diags: list[Any] = []
    settings, _ = load_settings(repo_root / "examples" / "gitops", diags)
    assert diags == []
    assert settings.state.backend == "azure_blob"
    assert settings.targets[settings.default_target].type == "azure"
    assert settings.policy.max_training_cost_usd == 100


def test_every_job_installs_fineplan_from_the_repository_at_a_tag(workflow: dict[str, Any]) -> None:
    spec = workflow["env"]["FINEPLAN_PIP"]
    # A PEP 508 direct reference to a tag (vX.Y.Z) of a Git repository: no release is on PyPI yet.
    assert re.fullmatch(r"fineplan @ git\+https://github\.com/OWNER/fineplan@v\d+\.\d+\.\d+", spec), spec
    assert spec.endswith(f"@v{__version__}")  # the release this checkout documents
    installs = [line for job in workflow["jobs"].values() for line in _runs(job).splitlines() if "pip install" in line]
    assert installs and all(line.strip() == 'pip install "${FINEPLAN_PIP}"' for line in installs), installs
    assert len(installs) == sum("fineplan " in _runs(job) for job in workflow["jobs"].values())  # each job using it


def test_release_builds_both_and_checks_the_wheel_in_a_clean_venv(release: dict[str, Any]) -> None:
    assert release[True]["push"]["tags"] == ["v*"]
    build = _runs(release["jobs"]["build"])
    assert re.search(r'pip install "build==\d+\.\d+\.\d+"', build) and "python -m build" in build
    venv, install, version = (build.index(s) for s in ("-m venv", 'pip" install dist/*.whl', "--version)"))
    assert venv < install < version  # installed into the new venv, then run from it
    assert '!= "fineplan ${GITHUB_REF_NAME#v}"' in build  # the wheel's version is the tag's
    assert release["jobs"]["github-release"]["needs"] == "build"
    assert "gh release create" in _runs(release["jobs"]["github-release"])


def test_pre_commit_hooks(repo_root: Path) -> None:
    hooks = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text("utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert by_id["fineplan-lint"]["entry"] == "fineplan lint"
    assert by_id["fineplan-lint-specs"]["entry"] == "fineplan lint --no-datasets"
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
