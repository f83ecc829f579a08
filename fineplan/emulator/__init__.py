"""The local Foundry emulator: Azure OpenAI's fine-tuning data plane and ARM CognitiveServices deployments on one
root URL, persisted in SQLite, so the official `openai` and `azure-mgmt-cognitiveservices` SDKs work unchanged.
It also serves chat completions on deployments, the models list and the Evals API, answered by deterministic
emulated models (a test double, not a language model): see specs/emulator.md for the rules.

- `embedded.EmbeddedEmulator`: in-process, on a free loopback port (the `local` target and the test double);
  `embedded.project_data_dir(root)` is where a project's local data lives.
- `server.EmulatorServer`: the HTTP server behind it and behind `fineplan emulator serve`.
- `faults`: fault-injection syntax (random and scripted). `config`: speed, quota, durations, `emulator.yaml`.

Pointing the SDKs at it (`url` is the root, e.g. http://127.0.0.1:PORT):

    openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key=KEY)  # {url}/openai/...
    openai.OpenAI(base_url=f"{url}/openai/v1/", api_key=KEY)                                # {url}/openai/v1/...
    CognitiveServicesManagementClient(credential, sub, base_url=url, polling_interval=0,
                                      authentication_policy=<a policy setting "Authorization: Bearer KEY">)

Any key works unless the emulator was given one; on ARM the key is the bearer token. Every ARM account lives at
the same root and shares the root's fine-tuned models (one data plane per emulator). Over `tls=True` the azure
SDK's own bearer policy works too: pass `connection_verify=<ca_path>`.

Importing this package is cheap: no SDK is imported, and the server starts only when asked.
"""

from __future__ import annotations

__all__ = ["EmbeddedEmulator", "project_data_dir"]


def __getattr__(name: str) -> object:
    # Lazy, so `import fineplan.emulator` stays cheap for the CLI's parser.
    if name in __all__:
        from fineplan.emulator import embedded

        return getattr(embedded, name)
    raise AttributeError(name)
