"""Hand-computed training and hosting estimates."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fineplan.pricing import (
    auto_n_epochs,
    billed_tokens,
    estimate_deployment,
    estimate_job,
    format_usd,
    load_price_table,
)
from fineplan.pricing.table import PriceTable

MINI = "gpt-4.1-mini-2025-04-14"
O4 = "o4-mini-2025-04-16"
FT_MINI = f"{MINI}.ft-0ee45c42aa6b4a0c9a3f1e2d3c4b5a69-v01"


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_price_table()


@pytest.mark.parametrize(
    ("model", "method", "training_type", "tokens", "usd"),
    [
        # 1,000,000 file tokens × 3 epochs = 3M billed × $5.00/1M × 0.8 (global) = $12.00
        (MINI, "supervised", "global", 3_000_000, 12.0),
        (MINI, "supervised", "standard", 3_000_000, 15.0),  # × 1.0
        (MINI, "supervised", "developer", 3_000_000, 6.0),  # × 0.4 = half of global
        (MINI, "dpo", "globalStandard", 3_000_000, 12.0),  # wire spelling of global; DPO priced like SFT
        ("gpt-4o-2024-08-06", "supervised", "standard", 2_500_000, 62.5),  # 2.5 × $25
        ("gpt-4o-mini-2024-07-18", "supervised", "global", 1_234_567, 2.9629608),  # 1.234567 × $3 × 0.8
        ("gpt-4.1-nano-2025-04-14", "supervised", "developerTier", 10_000_000, 6.0),  # 10 × $1.50 × 0.4
        ("gpt-4.1-2025-04-14", "dpo", "global", 0, 0.0),
    ],
)
def test_training_estimates(
    table: PriceTable, model: str, method: str, training_type: str, tokens: int, usd: float
) -> None:
    est = estimate_job(table, base_model=model, method=method, training_type=training_type, billed_tokens=tokens)
    assert est.kind == "training"
    assert est.usd == usd
    assert est.approximate is True


def test_basis_spells_out_the_arithmetic(table: PriceTable) -> None:
    est = estimate_job(
        table,
        base_model=MINI,
        method="supervised",
        training_type="global",
        billed_tokens=billed_tokens(1_000_000, 3, n_examples=500),
    )
    assert est.basis == f"3,000,000 billed tokens × $5.00/1M ({MINI}) × 0.8 (global) = $12.00"


def test_fine_tuned_model_is_priced_as_its_base(table: PriceTable) -> None:
    est = estimate_job(table, base_model=FT_MINI, method="dpo", training_type="global", billed_tokens=3_000_000)
    assert est.usd == 12.0
    assert f"({MINI})" in est.basis


def test_developer_training_notes_preemption(table: PriceTable) -> None:
    est = estimate_job(table, base_model=MINI, method="supervised", training_type="developer", billed_tokens=10)
    assert any("pre-emptible" in n for n in est.notes)


@pytest.mark.parametrize(
    ("model", "method", "training_type", "tokens", "why"),
    [
        ("gpt-9-2030-01-01", "supervised", "global", 1000, "no training price for 'gpt-9-2030-01-01'"),
        ("Qwen-32B", "supervised", "global", 1000, "no training price for 'Qwen-32B'"),
        (MINI, "supervised", "global", None, "billed tokens unknown"),
        (MINI, "supervised", "regional", 1000, "no pricing for training type 'regional'"),
        (MINI, "distillation", "global", 1000, "no pricing for training method 'distillation'"),
        (MINI, "reinforcement", "global", 1000, "no RFT hourly price"),
    ],
)
def test_unpriceable_jobs_have_no_figure_and_say_why(
    table: PriceTable, model: str, method: str, training_type: str, tokens: int | None, why: str
) -> None:
    est = estimate_job(table, base_model=model, method=method, training_type=training_type, billed_tokens=tokens)
    assert est.usd is None
    assert any(why in n for n in est.notes), est.notes


@pytest.mark.parametrize(
    ("tokens", "hours", "usd"),
    [
        (120_000, 2.4, 240.0),  # 120,000 ÷ 50,000/h = 2.4 h × $100
        (10_000, 1.0, 100.0),  # 0.2 h, raised to the 1 h floor
        (100_001, 2.01, 201.0),  # 2.00002 h, rounded up to the next 0.01 h
    ],
)
def test_rft_hours_from_tokens_heuristic(table: PriceTable, tokens: int, hours: float, usd: float) -> None:
    est = estimate_job(table, base_model=O4, method="reinforcement", training_type="global", billed_tokens=tokens)
    assert (est.hours, est.usd) == (hours, usd)
    assert est.approximate is True
    assert "heuristic" in est.basis
    assert any("auto-pauses at $5,000" in n for n in est.notes)
    assert any("grader-model tokens" in n for n in est.notes)


def test_rft_given_hours_win_over_tokens(table: PriceTable) -> None:
    est = estimate_job(
        table,
        base_model=O4,
        method="reinforcement",
        training_type="global",
        billed_tokens=10**9,
        rft_hours=2.5,
    )
    assert (est.hours, est.usd) == (2.5, 250.0)
    assert est.basis == f"2.5 h (given) × $100.00/h ({O4}) = $250.00"
    assert not any("exceeds" in n for n in est.notes)


def test_rft_over_the_auto_pause_is_flagged(table: PriceTable) -> None:
    est = estimate_job(table, base_model=O4, method="reinforcement", training_type="global", billed_tokens=3_000_000)
    assert (est.hours, est.usd) == (60.0, 6000.0)  # 3M ÷ 50,000/h = 60 h × $100
    assert any("pauses after ~50.0 h" in n for n in est.notes)


@pytest.mark.parametrize(
    ("dtype", "capacity", "per_hour", "per_month"),
    [
        ("standard", 1, 1.7, 1241.0),  # $1.70 × 730 h
        ("global_standard", 50, 1.7, 1241.0),  # flat: capacity does not change the hosting fee
        ("GlobalStandard", 10, 1.7, 1241.0),  # ARM SKU spelling
        ("data_zone_standard", 10, 1.7, 1241.0),
        ("provisioned", 15, 30.0, 21900.0),  # 15 PTU × $2.00 = $30/h × 730
        ("GlobalProvisionedManaged", 20, 20.0, 14600.0),  # 20 PTU × $1.00 × 730
        ("developer", 50, 0.0, 0.0),
        ("DeveloperTier", 50, 0.0, 0.0),
    ],
)
def test_deployment_estimates(table: PriceTable, dtype: str, capacity: int, per_hour: float, per_month: float) -> None:
    est = estimate_deployment(table, deployment_type=dtype, capacity=capacity)
    assert est.kind == "hosting"
    assert (est.usd_per_hour, est.usd, est.usd_per_month) == (per_hour, per_month, per_month)


def test_developer_deployment_notes_its_24_hour_lifetime(table: PriceTable) -> None:
    est = estimate_deployment(table, deployment_type="developer", capacity=1)
    assert any("deletes the deployment after 24 h" in n for n in est.notes)
    std = estimate_deployment(table, deployment_type="standard", capacity=1)
    assert not any("24 h" in n for n in std.notes)


def test_base_model_deployment_pays_no_hosting_fee_except_ptus(table: PriceTable) -> None:
    std = estimate_deployment(table, deployment_type="global_standard", capacity=10, fine_tuned=False)
    assert (std.usd_per_hour, std.usd) == (0.0, 0.0)
    prov = estimate_deployment(table, deployment_type="provisioned", capacity=15, fine_tuned=False)
    assert prov.usd_per_hour == 30.0


def test_unknown_deployment_type_has_no_figure(table: PriceTable) -> None:
    est = estimate_deployment(table, deployment_type="GlobalBatch", capacity=1)
    assert (est.usd, est.usd_per_hour) == (None, None)
    assert "GlobalBatch" in est.notes[0]


def test_estimates_serialise_to_json(table: PriceTable) -> None:
    dep = estimate_deployment(table, deployment_type="standard", capacity=1).to_json()
    assert json.loads(json.dumps(dep))["usd_per_month"] == 1241.0
    job = estimate_job(table, base_model=O4, method="reinforcement", training_type="global", billed_tokens=120_000)
    assert json.loads(json.dumps(job.to_json()))["hours"] == 2.4


@pytest.mark.parametrize(
    ("n_examples", "epochs"),
    [(10, 10), (20, 5), (50, 3), (1, 25), (10_000, 2), (30_000, 1)],  # 100//n, 3, clamped, 25,000//n
)
def test_auto_epochs_heuristic(n_examples: int, epochs: int) -> None:
    assert auto_n_epochs(n_examples) == epochs


def test_billed_tokens() -> None:
    assert billed_tokens(1_000, 4, n_examples=50) == 4_000
    assert billed_tokens(1_000, "auto", n_examples=50) == 3_000
    assert billed_tokens(1_000, None, n_examples=10) == 10_000
    with pytest.raises(ValueError):
        billed_tokens(1_000, 0, n_examples=10)


@pytest.mark.parametrize(("value", "text"), [(1241, "$1,241.00"), (12.0, "$12.00"), (0.0015, "$0.0015"), (0, "$0.00")])
def test_format_usd(value: float, text: str) -> None:
    assert format_usd(value) == text


def test_pricing_imports_no_heavy_sdk() -> None:
    code = (
        "import sys, fineplan.pricing; print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
