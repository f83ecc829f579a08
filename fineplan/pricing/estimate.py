"""Cost estimates for one job or one deployment, with the arithmetic spelled out for the plan's reader.

Arithmetic is done in Decimal so hand-computed figures match exactly; results are floats for the JSON plan.
Training figures are one-off; hosting figures are recurring (`usd` is per month of `hours_per_month` hours).
An estimate that cannot be made (unknown model, unknown token count) has `usd=None` and a note saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from fineplan.catalog import load_catalog
from fineplan.pricing.table import PriceTable

CostKind = Literal["training", "hosting"]
_MILLION = Decimal(1_000_000)
_CENT_HOUR = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CostEstimate:
    kind: CostKind
    usd: float | None  # training: one-off total; hosting: per month
    basis: str  # the arithmetic, e.g. "3,000,000 billed tokens × $5.00/1M … = $12.00"
    approximate: bool  # False only for a fineplan.yaml price and no heuristic (token counts: caller's)
    notes: tuple[str, ...] = ()
    usd_per_hour: float | None = None  # hosting only
    hours: float | None = None  # RFT: the hours priced
    delta: bool = False  # hosting: what an in-place change adds (or, negative, saves), not the full price

    @property
    def usd_per_month(self) -> float | None:
        return self.usd if self.kind == "hosting" else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "usd": self.usd,
            "basis": self.basis,
            "approximate": self.approximate,
            "notes": list(self.notes),
        }
        if self.kind == "hosting":
            out["usd_per_hour"] = self.usd_per_hour
            out["usd_per_month"] = self.usd
        if self.hours is not None:
            out["hours"] = self.hours
        if self.delta:
            out["delta"] = True
        return out


def format_usd(value: Decimal | float) -> str:
    """$1,241.00; sub-cent amounts keep four decimals ($0.0015) so they do not read as free."""
    amount = Decimal(str(value))
    if 0 < abs(amount) < Decimal("0.01"):
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


def estimate_job(
    price_table: PriceTable,
    *,
    base_model: str,
    method: str,
    training_type: str,
    billed_tokens: int | None,
    rft_hours: float | None = None,
) -> CostEstimate:
    """The training cost of one job.

    `base_model` is a catalog base model or a fine-tuned model name (priced as its base); for a stacked job
    whose parent has not trained yet, pass the root base model. `training_type` is a spec value
    (standard/global/developer) or its wire form (globalStandard, developerTier). `billed_tokens` is
    training-file tokens × epochs (see `fineplan.pricing.billing`). For RFT (`method="reinforcement"`),
    `rft_hours` wins over the token heuristic.
    """
    if method == "reinforcement":
        return _estimate_rft(price_table, base_model, billed_tokens, rft_hours)
    if method not in ("supervised", "dpo"):
        return _unknown("training", f"no pricing for training method {method!r}")

    tier = _training_tier(training_type)
    if tier is None or tier not in price_table.training_type_multipliers:
        return _unknown("training", f"no pricing for training type {training_type!r}")
    priced = price_table.training_price(base_model)
    if priced is None:
        return _unknown(
            "training",
            f"no training price for {base_model!r}; set prices.training_per_1m_tokens in fineplan.yaml",
        )
    if billed_tokens is None:
        return _unknown("training", "billed tokens unknown until the training data is tokenized")
    if billed_tokens < 0:
        raise ValueError(f"billed_tokens must be >= 0, got {billed_tokens}")

    model, per_million = priced
    multiplier = price_table.training_type_multipliers[tier]
    usd = Decimal(billed_tokens) / _MILLION * per_million * multiplier
    basis = (
        f"{billed_tokens:,} billed tokens × {format_usd(per_million)}/1M ({model})"
        f" × {multiplier} ({tier}) = {format_usd(usd)}"
    )
    notes: list[str] = []
    if tier == "developer":
        notes.append("Developer training is pre-emptible: cheaper, but it may take longer")
    overridden = price_table.is_overridden("training_per_1m_tokens", model)
    return CostEstimate(
        kind="training",
        usd=float(usd),
        basis=basis + (" (price from fineplan.yaml)" if overridden else ""),
        approximate=price_table.approximate and not overridden,
        notes=tuple(notes),
    )


def _estimate_rft(
    table: PriceTable, base_model: str, billed_tokens: int | None, rft_hours: float | None
) -> CostEstimate:
    priced = table.rft_price(base_model)
    if priced is None:
        return _unknown("training", f"no RFT hourly price for {base_model!r}; set prices.rft_per_hour")
    model, per_hour = priced
    pause = table.rft_auto_pause_usd
    notes = [
        f"RFT auto-pauses at ${pause:,.0f} of training charges; resume to continue",
        "grader-model tokens are billed separately at inference rates (not included)",
    ]
    if rft_hours is not None:
        if rft_hours < 0:
            raise ValueError(f"rft_hours must be >= 0, got {rft_hours}")
        hours = Decimal(str(rft_hours))
        how = f"{hours} h (given)"
        heuristic = False
    else:
        per_hour_tokens = table.rft_tokens_per_hour.get(model)
        if billed_tokens is None or per_hour_tokens is None:
            why = f"RFT hours unknown for {model!r}: give billed tokens or hours"
            return _unknown("training", why, notes)
        hours = rft_hours_estimate(table, model, billed_tokens)
        how = (
            f"{hours} h (heuristic: {billed_tokens:,} billed tokens ÷ {per_hour_tokens:,}/h,"
            f" at least {table.rft_min_hours} h)"
        )
        heuristic = True
    usd = hours * per_hour
    if usd > pause:
        pause_hours = (pause / per_hour).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        notes.insert(1, f"estimate exceeds the auto-pause: the job pauses after ~{pause_hours} h")
    overridden = table.is_overridden("rft_per_hour", model)
    return CostEstimate(
        kind="training",
        usd=float(usd),
        basis=f"{how} × {format_usd(per_hour)}/h ({model}) = {format_usd(usd)}"
        + (" (price from fineplan.yaml)" if overridden else ""),
        approximate=heuristic or (table.approximate and not overridden),
        notes=tuple(notes),
        hours=float(hours),
    )


def rft_hours_estimate(table: PriceTable, model: str, billed_tokens: int) -> Decimal:
    """Heuristic RFT hours: tokens ÷ tokens-per-hour, at least `rft_min_hours`, rounded up to 0.01 h
    (invoices bill hours to two decimals)."""
    if billed_tokens < 0:
        raise ValueError(f"billed_tokens must be >= 0, got {billed_tokens}")
    raw = Decimal(billed_tokens) / Decimal(table.rft_tokens_per_hour[model])
    return max(raw, table.rft_min_hours).quantize(_CENT_HOUR, rounding=ROUND_CEILING)


def estimate_deployment(
    price_table: PriceTable, *, deployment_type: str, capacity: int, fine_tuned: bool = True
) -> CostEstimate:
    """Hosting cost of one deployment per hour and per month (`usd`).

    `deployment_type` is a spec value (global_standard) or an ARM SKU name (GlobalStandard, DeveloperTier).
    TPM-based types pay a flat hourly fee per fine-tuned deployment whatever the capacity; base-model
    deployments of those types pay per token only (`fine_tuned=False`). Provisioned types pay per PTU-hour.
    Per-token inference charges are never included.
    """
    catalog = load_catalog()
    dtype = deployment_type if deployment_type in catalog.deployment_types else None
    if dtype is None:
        found = catalog.deployment_type_for_sku(deployment_type)
        dtype = found.name if found else None
    if dtype is None:
        return _unknown("hosting", f"no hosting price for deployment type {deployment_type!r}")
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    month = price_table.hours_per_month
    notes: list[str] = ["excludes per-token inference charges"]

    if dtype in price_table.ptu_per_hour:
        per_ptu = price_table.ptu_per_hour[dtype]
        per_hour = per_ptu * capacity
        basis = f"{capacity} PTU × {format_usd(per_ptu)}/PTU-hour = {format_usd(per_hour)}/h"
        overridden = price_table.is_overridden("ptu_per_hour", dtype)
    elif not fine_tuned:
        per_hour = Decimal(0)
        basis = f"base-model {dtype} deployment: pay per token, no hosting fee"
        overridden = False
    elif dtype in price_table.hosting_per_hour:
        per_hour = price_table.hosting_per_hour[dtype]
        basis = f"{format_usd(per_hour)}/h per fine-tuned {dtype} deployment (any capacity)"
        overridden = price_table.is_overridden("hosting_per_hour", dtype)
    else:
        why = f"no hosting price for deployment type {dtype!r}; set prices.hosting_per_hour"
        return _unknown("hosting", why)

    if dtype == "developer":
        lifetime = price_table.developer_lifetime_hours
        notes.insert(0, f"Developer: no hosting fee; Azure deletes the deployment after {lifetime} h")
    per_month = per_hour * month
    return CostEstimate(
        kind="hosting",
        usd=float(per_month),
        usd_per_hour=float(per_hour),
        basis=f"{basis} × {month} h/month = {format_usd(per_month)}/month"
        + (" (price from fineplan.yaml)" if overridden else ""),
        approximate=price_table.approximate and not overridden,
        notes=tuple(notes),
    )


def estimate_hosting_change(before: CostEstimate, after: CostEstimate, change: str) -> CostEstimate:
    """What an in-place change of a deployment (`change`, e.g. "capacity 15 → 25 PTU") does to its hosting bill:
    the difference of the two hosting estimates, per hour and per month."""
    if before.usd_per_hour is None or after.usd_per_hour is None:
        return after
    per_hour = Decimal(str(after.usd_per_hour)) - Decimal(str(before.usd_per_hour))
    per_month = None
    if after.usd is not None and before.usd is not None:
        per_month = Decimal(str(after.usd)) - Decimal(str(before.usd))
    now = f"{format_usd(after.usd_per_hour)}/h"
    if per_hour == 0:
        basis = f"{change}: hosting unchanged at {now} ({after.basis})"
    else:
        sign = "+" if per_hour > 0 else "-"
        basis = (
            f"{change}: {sign}{format_usd(abs(per_hour))}/h (was {format_usd(before.usd_per_hour)}/h, now {now})"
            f"; {after.basis}"
        )
    return CostEstimate(
        kind="hosting",
        usd=float(per_month) if per_month is not None else None,
        usd_per_hour=float(per_hour),
        basis=basis,
        approximate=before.approximate or after.approximate,
        notes=after.notes,
        delta=True,
    )


def _training_tier(training_type: str) -> str | None:
    catalog = load_catalog()
    if training_type in catalog.training_types:
        return training_type
    return catalog.training_type_from_wire(training_type)


def _unknown(kind: CostKind, why: str, extra: list[str] | None = None) -> CostEstimate:
    notes = (why, *(extra or ()))
    return CostEstimate(kind=kind, usd=None, basis="not estimated", approximate=True, notes=notes)
