"""Where a deployment's fine-tuned model comes from, and whether it may be deployed there, as Azure decides it.

- A fine-tuned model lives in the data plane of the account that trained it. It deploys into that account as
  is, and into any other account (another region, resource group or subscription of the same tenant: here, any
  account the emulator serves) only with `properties.model.source` (or `sourceAccount`) set to the training
  account's ARM id, as in Microsoft's "Cross region deployment" examples. Without it, or with an account that
  does not hold the model, Azure answers DeploymentModelNotSupported in the shape Azure uses for a model it
  cannot place ("The model 'Format:…,Name:…,Version:…' of account deployment is not supported."); the
  sentence after it naming the account that holds the model is the emulator's help, not Azure's.
- `format` must be the model's publisher format (catalog `format`: OpenAI, "Mistral AI", Meta, Alibaba,
  OpenAI-OSS); a fine-tuned model has its root base model's. Another format names no model: the same error.
- Region: a fine-tuned deployment type the region table rules out for the base model in the account's location
  gets Azure's `InvalidResourceProperties` "The specified SKU '…' for model '… …' is not supported in this region
  '…'." (Azure's wording for base models, seen in many reports; assumed the same for fine-tuned ones).

A malformed source id gets ARM's LinkedInvalidPropertyId; a well-formed one naming no account the emulator serves
gets 400 InvalidResourceProperties (the emulator's choice: Azure's exact code for this case is not documented).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fineplan.catalog.regions import Availability, load_regions
from fineplan.emulator.accounts import DEFAULT_DATA, Account, AccountRegistry, parse_account_id
from fineplan.emulator.apierror import ApiError

DeployableBase = Callable[[str, str], str | None]  # (model name, data-plane partition) -> catalog base or None


def model_text(model: Mapping[str, Any]) -> str:
    return f"Format:{model.get('format')},Name:{model.get('name')},Version:{model.get('version')}"


def not_supported(model: Mapping[str, Any], hint: str = "") -> ApiError:
    message = f"The model '{model_text(model)}' of account deployment is not supported."
    return ApiError(400, "DeploymentModelNotSupported", f"{message} {hint}".strip())


class ModelLocator:
    """Finds the base model of a fine-tuned model a deployment in `target` names, honouring `source`."""

    def __init__(
        self, accounts: AccountRegistry, deployable_base: DeployableBase, homes_of: Callable[[str], list[str]]
    ) -> None:
        self.accounts = accounts
        self.deployable_base = deployable_base
        self.homes_of = homes_of

    def fine_tuned_base(self, model: Mapping[str, Any], target: Account) -> str | None:
        """The catalog base model, or None when the model is no fine-tuned model the deployment may use."""
        name = str(model.get("name"))
        source = model.get("source") or model.get("sourceAccount")
        if source is None:
            return self.deployable_base(name, target.data)
        if not isinstance(source, str) or parse_account_id(source) is None:
            raise ApiError(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{source}' at path 'properties.model.source' is invalid. Expect fully qualified "
                "resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/"
                "{resourceProviderNamespace}/'.",
            )
        sub, rg, name_of_source = parse_account_id(source) or ("", "", "")
        account = self.accounts.get(sub, rg, name_of_source)
        if account is None:
            raise ApiError(
                400,
                "InvalidResourceProperties",
                f"The source account '{source}' of the model was not found.",
                "properties.model.source",
            )
        return self.deployable_base(name, account.data)

    def where_it_lives(self, model: Mapping[str, Any], target: Account) -> str:
        """A hint naming the accounts whose data planes hold the model (empty if none or only the target's)."""
        homes = [h for h in self.homes_of(str(model.get("name"))) if h != target.data]
        if not homes:
            return ""
        names = sorted({self._account_name(h) for h in homes})
        return (
            f"It is a fine-tuned model of account {', '.join(repr(n) for n in names)}: to deploy it here, set "
            "properties.model.source to that account's resource id."
        )

    def _account_name(self, data: str) -> str:
        return self.accounts.default.name if data == DEFAULT_DATA else data.rsplit("/", 1)[-1]


def check_format(model: dict[str, Any], expected: str) -> None:
    """Fill in a missing format; refuse one that is not the model's publisher format."""
    given = model.get("format")
    if given is None:
        model["format"] = expected
        return
    if not isinstance(given, str) or given.lower() != expected.lower():
        raise not_supported(model, f"(The format of this model is '{expected}'.)")


def check_region(sku: str, deployment_type: str, base_model: str, model: Mapping[str, Any], location: str) -> None:
    """Refuse a fine-tuned deployment type the region table rules out in `location`."""
    if load_regions().fine_tuned_deployment(deployment_type, base_model, location) is Availability.UNAVAILABLE:
        raise ApiError(
            400,
            "InvalidResourceProperties",
            f"The specified SKU '{sku}' for model '{model.get('name')} {model.get('version')}' is not supported "
            f"in this region '{location}'.",
        )
