"""Hypothesis: junk lines never crash the validator (no exception, no internal-error finding)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineplan.datasets.check import check_dataset
from fineplan.datasets.formats import FORMATS
from fineplan.datasets.quick import first_error
from fineplan.datasets.scan import ScanConfig, scan_stream

pytestmark = pytest.mark.slow  # fuzzing: hundreds of generated datasets per test


def scaled(examples: int) -> int:
    """`examples` under the default and CI hypothesis profiles (100 examples), ten times more under `long`."""
    return max(1, examples * settings.default.max_examples // 100)


KEYS = [
    "messages",
    "role",
    "content",
    "tool_calls",
    "tool_call_id",
    "weight",
    "name",
    "function",
    "arguments",
    "id",
    "type",
    "text",
    "image_url",
    "url",
    "detail",
    "tools",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "input",
    "preferred_output",
    "non_preferred_output",
    "parameters",
]
ROLES = ["system", "developer", "user", "assistant", "tool", "function", "bot", ""]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from([*ROLES, "text", "image_url", "function", "{}", "data:image/png;base64,xx"]),
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=10,
)


def _almost_valid() -> st.SearchStrategy[dict[str, Any]]:
    message = st.fixed_dictionaries(
        {"role": st.sampled_from(ROLES), "content": JSONISH},
        optional={k: JSONISH for k in ("weight", "tool_calls", "tool_call_id", "name", "function_call")},
    )
    msgs = st.lists(message, max_size=5)
    return st.one_of(
        st.fixed_dictionaries({"messages": msgs}, optional={"tools": JSONISH, "parallel_tool_calls": JSONISH}),
        st.fixed_dictionaries(
            {"input": st.fixed_dictionaries({"messages": msgs}), "preferred_output": msgs, "non_preferred_output": msgs}
        ),
    )


LINES = st.lists(
    st.one_of(
        st.binary(max_size=60),
        JSONISH.map(lambda v: json.dumps(v).encode()),
        _almost_valid().map(lambda v: json.dumps(v).encode()),
    ).map(lambda b: b.replace(b"\n", b" ")),
    min_size=1,
    max_size=8,
)


@settings(max_examples=scaled(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES, fmt=st.sampled_from(FORMATS))
def test_junk_never_crashes_the_scanner(lines: list[bytes], fmt: str) -> None:
    data = b"\n".join(lines)
    for exact in (False, True):
        part = scan_stream(io.BytesIO(data), 0, len(data), ScanConfig(fmt, 65536, "o200k_base", exact))
        assert "FP499" not in part.findings.counts, part.findings.samples.get("FP499")
        assert part.lines == len(lines) - (lines[-1] == b"")  # an empty last piece is just a final newline
    result = first_error(data, fmt)
    assert result is None or (1 <= result[0] <= len(lines) and result[1].startswith("FP4"))


@settings(
    max_examples=scaled(15),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=LINES, fmt=st.sampled_from(FORMATS))
def test_junk_never_crashes_check_dataset(tmp_path: Path, lines: list[bytes], fmt: str) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = check_dataset(path, fmt)  # type: ignore[arg-type]
    assert all(d.code != "FP499" for d in report.diagnostics)
    assert report.to_json()["stats"]["examples"] <= len(lines)


SIMPLE_MESSAGE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "bot"]),
        "content": st.one_of(st.text(max_size=8), st.just("  "), st.just(""), st.integers()),
    }
)


@settings(max_examples=scaled(300), deadline=None)
@given(msgs=st.lists(SIMPLE_MESSAGE, min_size=1, max_size=6))
def test_fast_chat_path_equals_the_general_path(msgs: list[dict[str, Any]]) -> None:
    from fineplan.datasets.formats.chat import general_chat, simple_chat

    fast_calls: list[tuple[str, str]] = []
    slow_calls: list[tuple[str, str]] = []
    fast = simple_chat(msgs, lambda c, m: fast_calls.append((c, m)))
    slow = general_chat({"messages": msgs}, lambda c, m: slow_calls.append((c, m)))
    if fast is None:
        return  # not a simple example: only the general path judges it
    assert fast_calls == slow_calls
    for attr in ("p_fixed", "p_texts", "a_fixed", "a_texts", "b_fixed", "b_texts", "uncertain"):
        assert getattr(fast, attr) == getattr(slow, attr), attr
    assert fast.chars() == (slow.chars())
