"""Plan-time cost estimates: a packaged, approximate price table (overridable in fineplan.yaml), an estimator.

table = load_price_table(settings.prices)
job = estimate_job(table, base_model="gpt-4.1-mini-2025-04-14", method="supervised",
                   training_type="global", billed_tokens=3_000_000)      # usd 12.0
dep = estimate_deployment(table, deployment_type="global_standard", capacity=10)  # 1.70/h, 1241.0/month
summary = summarize(added=[job, dep])
"""

from fineplan.pricing.billing import auto_n_epochs, billed_tokens
from fineplan.pricing.estimate import (
    CostEstimate,
    estimate_deployment,
    estimate_hosting_change,
    estimate_job,
    format_usd,
    rft_hours_estimate,
)
from fineplan.pricing.summary import CostSummary, over_budget, summarize
from fineplan.pricing.table import PriceTable, load_price_table

__all__ = [
    "CostEstimate",
    "CostSummary",
    "PriceTable",
    "auto_n_epochs",
    "billed_tokens",
    "estimate_deployment",
    "estimate_hosting_change",
    "estimate_job",
    "format_usd",
    "load_price_table",
    "over_budget",
    "rft_hours_estimate",
    "summarize",
]
