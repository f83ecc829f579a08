"""The price table: the packaged `prices.yaml` (as-of date, approximate) merged with fineplan.yaml overrides.

Override keys (`prices:` in fineplan.yaml, `fineplan.spec.models.Prices`):
- `training_per_1m_tokens`, `rft_per_hour`: a catalog base model name, a catalog family (e.g. `gpt-4.1-mini`,
  applied to every model of that family; an exact name wins over its family), or any other model name
  (kept as given, for models the catalog does not know yet).
- `hosting_per_hour`: a deployment type (`global_standard`) or its ARM SKU name (`GlobalStandard`). For the
  provisioned types the figure is per PTU-hour.
- `ptu_per_hour`: the per-PTU-hour price of every provisioned type (a per-type `hosting_per_hour` key wins).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

from fineplan.catalog import fine_tuned_base, load_catalog
from fineplan.errors import ConfigError

if TYPE_CHECKING:
    from fineplan.spec.models import Prices


@dataclass(frozen=True, slots=True)
class PriceTable:
    as_of: str
    currency: str
    approximate: bool
    source: str
    training_per_1m_tokens: Mapping[str, Decimal]
    training_type_multipliers: Mapping[str, Decimal]
    rft_per_hour: Mapping[str, Decimal]
    rft_auto_pause_usd: Decimal
    rft_tokens_per_hour: Mapping[str, int]
    rft_min_hours: Decimal
    hosting_per_hour: Mapping[str, Decimal]  # flat per deployment (TPM-based types)
    ptu_per_hour: Mapping[str, Decimal]  # per PTU-hour (provisioned types)
    hours_per_month: int
    developer_lifetime_hours: int
    # Which entries came from fineplan.yaml, as "<section>.<key>" (e.g. "hosting_per_hour.standard").
    overridden: frozenset[str] = frozenset()
    # Inference per 1M tokens (an Evaluation's sampling and model graders).
    inference_input_per_1m_tokens: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    inference_output_per_1m_tokens: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))

    def training_price(self, model: str) -> tuple[str, Decimal] | None:
        """(priced model name, USD per 1M tokens) for a base or fine-tuned model name, or None if unpriced."""
        return _lookup(self.training_per_1m_tokens, model)

    def rft_price(self, model: str) -> tuple[str, Decimal] | None:
        return _lookup(self.rft_per_hour, model)

    def inference_price(self, model: str) -> tuple[str, Decimal, Decimal] | None:
        """(priced model, USD per 1M input tokens, per 1M output tokens), or None if unpriced."""
        found = _lookup(self.inference_input_per_1m_tokens, model)
        if found is None or found[0] not in self.inference_output_per_1m_tokens:
            return None
        return found[0], found[1], self.inference_output_per_1m_tokens[found[0]]

    def is_overridden(self, section: str, key: str) -> bool:
        return f"{section}.{key}" in self.overridden


def _lookup(prices: Mapping[str, Decimal], model: str) -> tuple[str, Decimal] | None:
    for name in (model, fine_tuned_base(model)):
        if name is not None and name in prices:
            return name, prices[name]
    return None


def money(value: float | int | str) -> Decimal:
    """A price as an exact decimal: 0.8 stays 0.8, so hand-computed figures match to the cent."""
    return Decimal(str(value))


def load_price_table(overrides: Prices | None = None) -> PriceTable:
    """The packaged table, with `overrides` (fineplan.yaml `prices:`) merged on top.

    Raises ConfigError for a negative price or a hosting key that names no deployment type.
    """
    base = _packaged()
    if overrides is None:
        return base
    training = dict(base.training_per_1m_tokens)
    rft = dict(base.rft_per_hour)
    hosting = dict(base.hosting_per_hour)
    ptu = dict(base.ptu_per_hour)
    overridden: set[str] = set()

    inference_in = dict(base.inference_input_per_1m_tokens)
    inference_out = dict(base.inference_output_per_1m_tokens)
    for section, target, given in (
        ("training_per_1m_tokens", training, overrides.training_per_1m_tokens),
        ("rft_per_hour", rft, overrides.rft_per_hour),
        ("inference_input_per_1m_tokens", inference_in, overrides.inference_input_per_1m_tokens),
        ("inference_output_per_1m_tokens", inference_out, overrides.inference_output_per_1m_tokens),
    ):
        for name, value in _expand_models(given):
            target[name] = _non_negative(f"prices.{section}.{name}", value)
            overridden.add(f"{section}.{name}")

    if overrides.ptu_per_hour is not None:
        every_ptu = _non_negative("prices.ptu_per_hour", overrides.ptu_per_hour)
        for dtype in ptu:
            ptu[dtype] = every_ptu
            overridden.add(f"ptu_per_hour.{dtype}")
    for key, value in overrides.hosting_per_hour.items():
        dtype = _deployment_type(key)
        price = _non_negative(f"prices.hosting_per_hour.{key}", value)
        if dtype in ptu:
            ptu[dtype] = price
            overridden.add(f"ptu_per_hour.{dtype}")
        else:
            hosting[dtype] = price
            overridden.add(f"hosting_per_hour.{dtype}")

    return PriceTable(
        as_of=base.as_of,
        currency=base.currency,
        approximate=base.approximate,
        source=base.source,
        training_per_1m_tokens=MappingProxyType(training),
        training_type_multipliers=base.training_type_multipliers,
        rft_per_hour=MappingProxyType(rft),
        rft_auto_pause_usd=base.rft_auto_pause_usd,
        rft_tokens_per_hour=base.rft_tokens_per_hour,
        rft_min_hours=base.rft_min_hours,
        hosting_per_hour=MappingProxyType(hosting),
        ptu_per_hour=MappingProxyType(ptu),
        hours_per_month=base.hours_per_month,
        developer_lifetime_hours=base.developer_lifetime_hours,
        overridden=frozenset(overridden),
        inference_input_per_1m_tokens=MappingProxyType(inference_in),
        inference_output_per_1m_tokens=MappingProxyType(inference_out),
    )


def _expand_models(given: Mapping[str, float]) -> list[tuple[str, float]]:
    """Family keys become one entry per catalog model of that family; exact names come after, so they win."""
    catalog = load_catalog()
    by_family: dict[str, list[str]] = {}
    for info in catalog.models.values():
        by_family.setdefault(info.family, []).append(info.name)
    families = [(m, p) for k, p in given.items() if k not in catalog.models for m in by_family.get(k, ())]
    exact = [(k, p) for k, p in given.items() if k not in by_family or k in catalog.models]
    return families + exact


def _deployment_type(key: str) -> str:
    catalog = load_catalog()
    if key in catalog.deployment_types:
        return key
    dtype = catalog.deployment_type_for_sku(key)
    if dtype is None:
        known = ", ".join(catalog.deployment_types)
        raise ConfigError(f"prices.hosting_per_hour: unknown deployment type {key!r} (known: {known})")
    return dtype.name


def _non_negative(where: str, value: float) -> Decimal:
    if value < 0:
        raise ConfigError(f"{where}: a price cannot be negative ({value})")
    return money(value)


@functools.cache
def _packaged() -> PriceTable:
    text = resources.files("fineplan.pricing").joinpath("prices.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)

    def prices(section: str) -> Mapping[str, Decimal]:
        return MappingProxyType({str(k): money(v) for k, v in raw[section].items()})

    return PriceTable(
        as_of=str(raw["as_of"]),
        currency=str(raw["currency"]),
        approximate=bool(raw["approximate"]),
        source=" ".join(str(raw.get("source", "")).split()),
        training_per_1m_tokens=prices("training_per_1m_tokens"),
        training_type_multipliers=prices("training_type_multipliers"),
        rft_per_hour=prices("rft_per_hour"),
        rft_auto_pause_usd=money(raw["rft_auto_pause_usd"]),
        rft_tokens_per_hour=MappingProxyType({str(k): int(v) for k, v in raw["rft_tokens_per_hour"].items()}),
        rft_min_hours=money(raw["rft_min_hours"]),
        hosting_per_hour=prices("hosting_per_hour"),
        ptu_per_hour=prices("ptu_per_hour"),
        hours_per_month=int(raw["hours_per_month"]),
        developer_lifetime_hours=load_catalog().limits["developer_deployment_lifetime_hours"],
        inference_input_per_1m_tokens=prices("inference_input_per_1m_tokens"),
        inference_output_per_1m_tokens=prices("inference_output_per_1m_tokens"),
    )
