"""The api-versions each plane serves, and the error Azure answers an unknown one with.

Data plane, dated style: the Azure OpenAI versions published in Azure/azure-rest-api-specs (inference and
authoring, GA and preview) up to 2025-04-01-preview. An unknown one gets 400 `BadRequest` "API version not
supported" (what Azure OpenAI answers, as reported by users in 2025). v1 style: none, `v1` or `preview`.

ARM: the Microsoft.CognitiveServices versions published in azure-rest-api-specs (stable and preview folders; the
list is what the specs repository held in 2026 and may miss some previews), including 2025-09-01, the default of
azure-mgmt-cognitiveservices 14.1.0. A well-formed unknown version gets 400 `NoRegisteredProviderFound`, a
malformed one 400 `InvalidApiVersionParameter`, in the wording ARM uses for both (from memory of ARM's answers:
plausible, not checked against a recorded response).
"""

from __future__ import annotations

import re

from fineplan.emulator.apierror import ApiError
from fineplan.emulator.http_types import Plane

DATA_PLANE_GA = ("2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21")
DATA_PLANE_PREVIEW = tuple(
    f"{v}-preview"
    for v in (
        "2023-03-15",
        "2023-06-01",
        "2023-07-01",
        "2023-08-01",
        "2023-09-01",
        "2023-10-01",
        "2023-12-01",
        "2024-02-15",
        "2024-03-01",
        "2024-04-01",
        "2024-05-01",
        "2024-07-01",
        "2024-08-01",
        "2024-09-01",
        "2024-10-01",
        "2024-12-01",
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
        "2025-04-01",
    )
)
DATA_PLANE_DATED = frozenset(DATA_PLANE_GA + DATA_PLANE_PREVIEW)
DATA_PLANE_V1 = frozenset({"v1", "preview"})  # or no api-version at all

ARM = (
    "2016-02-01-preview",
    "2017-04-18",
    "2021-04-30",
    "2021-10-01",
    "2022-03-01",
    "2022-10-01",
    "2022-12-01",
    "2023-05-01",
    "2023-10-01-preview",
    "2024-04-01-preview",
    "2024-06-01-preview",
    "2024-10-01",
    "2025-04-01-preview",
    "2025-06-01",
    "2025-07-01-preview",
    "2025-09-01",
    "2025-10-01-preview",
    "2025-12-01",
)
ARM_VERSIONS = frozenset(ARM)

_WELL_FORMED = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_MISSING = "The api-version query parameter (?api-version=) is required for all requests."


def check(plane: Plane, version: str | None, *, location: str, resource_type: str = "accounts") -> None:
    """Raise Azure's error for an api-version this plane does not serve."""
    if plane is Plane.DATA_V1:
        if version is not None and version not in DATA_PLANE_V1:
            raise ApiError(400, "BadRequest", "API version not supported")
        return
    if not version:
        raise ApiError(400, "MissingApiVersionParameter", _MISSING)
    if plane is Plane.DATA_DATED:
        if version not in DATA_PLANE_DATED:
            raise ApiError(400, "BadRequest", "API version not supported")
        return
    if version in ARM_VERSIONS:
        return
    supported = ", ".join(reversed(ARM))
    if not _WELL_FORMED.match(version):
        raise ApiError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{supported}'.",
        )
    raise ApiError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version '{version}' for type "
        f"'{resource_type}'. The supported api-versions are '{supported}'.",
    )
