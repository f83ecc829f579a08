"""The Azure provider: openai (files, jobs) and azure-mgmt-cognitiveservices (deployments), to Azure or the
local emulator. Importing this package imports no SDK; clients are built when first used."""

from fineplan.providers.azure.connection import Connection, Tuning
from fineplan.providers.azure.provider import AzureProvider

__all__ = ["AzureProvider", "Connection", "Tuning"]
