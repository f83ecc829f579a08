"""The packaged price table and fineplan.yaml overrides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fineplan.catalog import load_catalog
from fineplan.errors import ConfigError
from fineplan.pricing import estimate_deployment, estimate_job, load_price_table
from fineplan.spec.models import Prices

MINI = "gpt-4.1-mini-2025-04-14"


def test_packaged_table_is_dated_approximate_and_in_usd() -> None:
    table = load_price_table()
    assert table.as_of == "2026-11-01"
    assert table.approximate is True
    assert table.currency == "USD"
    assert table.overridden == frozenset()
    assert table.training_per_1m_tokens[MINI] == Decimal("5")
    assert table.rft_auto_pause_usd == Decimal("5000")
    assert table.hours_per_month == 730
    assert table.developer_lifetime_hours == 24


def test_packaged_keys_match_the_catalog() -> None:
    table, catalog = load_price_table(), load_catalog()
    assert set(table.training_per_1m_tokens) <= set(catalog.models)
    assert set(table.training_type_multipliers) == set(catalog.training_types)
    # Every deployment type has exactly one kind of hosting price.
    assert set(table.hosting_per_hour) | set(table.ptu_per_hour) == set(catalog.deployment_types)
    assert not set(table.hosting_per_hour) & set(table.ptu_per_hour)
    rft_models = {m.name for m in catalog.models.values() if "reinforcement" in m.methods}
    assert rft_models == set(table.rft_per_hour) == set(table.rft_tokens_per_hour)


def test_family_override_applies_to_the_family_and_exact_name_wins() -> None:
    table = load_price_table(Prices(training_per_1m_tokens={"gpt-4.1-mini": 4.0, "gpt-4.1-2025-04-14": 20.0}))
    assert table.training_per_1m_tokens[MINI] == Decimal("4.0")
    assert table.training_per_1m_tokens["gpt-4.1-2025-04-14"] == Decimal("20.0")
    # Untouched models keep their packaged price.
    assert table.training_per_1m_tokens["gpt-4.1-nano-2025-04-14"] == Decimal("1.5")
    exact = load_price_table(Prices(training_per_1m_tokens={MINI: 4.5, "gpt-4.1-mini": 4.0}))
    assert exact.training_per_1m_tokens[MINI] == Decimal("4.5")


def test_overridden_training_price_is_used_and_marked() -> None:
    table = load_price_table(Prices(training_per_1m_tokens={"gpt-4.1-mini": 4.0}))
    est = estimate_job(table, base_model=MINI, method="supervised", training_type="global", billed_tokens=3_000_000)
    # 3,000,000 / 1M × $4.00 × 0.8 = $9.60
    assert est.usd == 9.6
    assert "fineplan.yaml" in est.basis
    assert est.approximate is False


def test_override_of_a_model_the_catalog_does_not_know() -> None:
    table = load_price_table(Prices(training_per_1m_tokens={"Qwen-32B": 2.0, "future-model-2027-01-01": 7.0}))
    qwen = estimate_job(
        table, base_model="Qwen-32B", method="supervised", training_type="global", billed_tokens=1_000_000
    )
    assert qwen.usd == 1.6  # 1M × $2.00 × 0.8
    future = estimate_job(
        table,
        base_model="future-model-2027-01-01",
        method="dpo",
        training_type="standard",
        billed_tokens=2_000_000,
    )
    assert future.usd == 14.0  # 2M × $7.00 × 1.0


def test_hosting_overrides_by_type_or_sku_and_ptu_price() -> None:
    table = load_price_table(Prices(hosting_per_hour={"GlobalStandard": 2.0, "provisioned": 3.0}, ptu_per_hour=1.5))
    glob = estimate_deployment(table, deployment_type="global_standard", capacity=5)
    assert (glob.usd_per_hour, glob.usd) == (2.0, 1460.0)  # $2.00 × 730 h
    assert glob.approximate is False
    # ptu_per_hour sets every provisioned type; a per-type hosting key wins over it.
    prov = estimate_deployment(table, deployment_type="provisioned", capacity=15)
    assert (prov.usd_per_hour, prov.usd) == (45.0, 32850.0)  # 15 × $3.00 = $45/h × 730
    gprov = estimate_deployment(table, deployment_type="global_provisioned", capacity=15)
    assert (gprov.usd_per_hour, gprov.usd) == (22.5, 16425.0)  # 15 × $1.50 = $22.50/h × 730
    # Standard was not overridden.
    std = estimate_deployment(table, deployment_type="standard", capacity=5)
    assert (std.usd_per_hour, std.approximate) == (1.7, True)


def test_rft_hourly_override() -> None:
    table = load_price_table(Prices(rft_per_hour={"o4-mini": 80.0}))
    est = estimate_job(
        table,
        base_model="o4-mini-2025-04-16",
        method="reinforcement",
        training_type="global",
        billed_tokens=None,
        rft_hours=3.0,
    )
    assert est.usd == 240.0


def test_inference_overrides_price_an_evaluation() -> None:
    packaged = load_price_table().inference_price(MINI)
    assert packaged == (MINI, Decimal("0.40"), Decimal("1.60"))
    table = load_price_table(
        Prices(inference_input_per_1m_tokens={MINI: 0.5}, inference_output_per_1m_tokens={MINI: 2.0})
    )
    assert table.inference_price(MINI) == (MINI, Decimal("0.5"), Decimal("2.0"))
    assert table.is_overridden("inference_input_per_1m_tokens", MINI)
    # A model needs both figures: an input price alone does not price it.
    only_input = load_price_table(Prices(inference_input_per_1m_tokens={"my-open-model": 0.1}))
    assert only_input.inference_price("my-open-model") is None


def test_overrides_do_not_leak_into_the_packaged_table() -> None:
    load_price_table(Prices(training_per_1m_tokens={MINI: 99.0}, hosting_per_hour={"standard": 9.0}))
    table = load_price_table()
    assert table.training_per_1m_tokens[MINI] == Decimal("5")
    assert table.hosting_per_hour["standard"] == Decimal("1.7")
    with pytest.raises(TypeError):
        table.training_per_1m_tokens[MINI] = Decimal(1)  # type: ignore[index]


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        (Prices(hosting_per_hour={"GlobalBatch": 1.0}), "unknown deployment type 'GlobalBatch'"),
        (Prices(training_per_1m_tokens={MINI: -1.0}), "cannot be negative"),
        (Prices(ptu_per_hour=-0.5), "cannot be negative"),
    ],
)
def test_bad_overrides_are_config_errors(prices: Prices, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_price_table(prices)
