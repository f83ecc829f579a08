"""The kind handlers and the one registry the engine dispatches through: kind → handler.

The generic kernel (`fineplan.plan.builder`, `fineplan.state.refresh`, `fineplan.apply.executor`) is handed this
registry and never names a kind itself. A new kind is registered here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from fineplan.kinds.base import KindHandler
from fineplan.kinds.dataset import DatasetKind
from fineplan.kinds.deployment import DeploymentKind
from fineplan.kinds.evaluation import EvaluationKind
from fineplan.kinds.job import JobKind
from fineplan.resource import Kind

REGISTRY: Final[Mapping[Kind, KindHandler]] = MappingProxyType(
    {h.kind: h for h in (DatasetKind(), JobKind(), DeploymentKind(), EvaluationKind())}
)

__all__ = ["REGISTRY", "KindHandler"]
