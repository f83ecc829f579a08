"""The local Foundry emulator: Azure OpenAI's fine-tuning data plane and ARM CognitiveServices deployments on one
root URL, persisted in SQLite, so the official `openai` and `azure-mgmt-cognitiveservices` SDKs work unchanged.

- `embedded.EmbeddedEmulator`: in-process, on a free loopback port (the `local` target and the test double).
- `server.EmulatorServer`: the HTTP server behind it and behind `fineplan emulator serve`.
- `faults`: fault-injection syntax (random and scripted). `config`: speed, quota and durations.

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
