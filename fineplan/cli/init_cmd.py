"""`fineplan init [DIR]`: scaffold a project that lints clean and applies on the local emulator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fineplan.cli.common import write
from fineplan.errors import ConfigError

_SETTINGS = """\
# fineplan project settings. Targets: `local` is the embedded Foundry emulator (no Azure account needed).
project: {name}
specs: ["specs/**/*.yaml"]
default_target: local
targets:
  local:
    type: local
  # azure:
  #   type: azure
  #   subscription_id: ${{env:AZURE_SUBSCRIPTION_ID}}
  #   resource_group: my-rg
  #   account: my-foundry
  #   endpoint: https://my-foundry.openai.azure.com
  #   api_key_env: AZURE_OPENAI_API_KEY   # the NAME of the variable, never the key
policy:
  max_training_cost_usd: 10
"""

_SPECS = """\
kind: Dataset
name: train
spec:
  path: data/train.jsonl
  format: chat
  split: {validation: 0.3, seed: 1}
---
kind: FineTuningJob
name: assistant-sft
spec:
  base_model: gpt-4.1-nano-2025-04-14
  method: supervised
  training_data: train
  validation_data: train
  hyperparameters: {n_epochs: 2}
  training_type: global
  suffix: assistant
---
kind: Deployment
name: assistant
spec:
  model: {job: assistant-sft}
  type: standard
  capacity: 1
"""

_TOPICS = [
    ("What is 2 + 2?", "4."),
    ("Name a primary colour.", "Red."),
    ("What is the capital of France?", "Paris."),
    ("How many days are in a week?", "Seven."),
    ("What is H2O?", "Water."),
    ("What is the opposite of hot?", "Cold."),
    ("How many legs does a spider have?", "Eight."),
    ("What colour is the sky on a clear day?", "Blue."),
    ("What is 10 divided by 2?", "5."),
    ("Which planet is known as the red planet?", "Mars."),
    ("What is the freezing point of water in Celsius?", "0 degrees."),
    ("How many minutes are in an hour?", "Sixty."),
    ("What gas do plants absorb?", "Carbon dioxide."),
    ("What is the largest ocean?", "The Pacific."),
    ("How many sides does a triangle have?", "Three."),
]
# Plus sums, so both parts of the split hold the 10 examples Azure asks for.
_TOPICS += [(f"What is {a} + {b}?", f"{a + b}.") for a, b in zip(range(3, 33), range(41, 71), strict=True)]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="scaffold a new project")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.chdir) / args.dir
    if root.exists() and not root.is_dir():
        raise ConfigError(f"cannot create a project in {root}: it is a file, not a directory")
    files = {
        "fineplan.yaml": _SETTINGS.format(name=_name(root)),
        "specs/main.yaml": _SPECS,
        "data/train.jsonl": "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "Answer in one short sentence."},
                        {"role": "user", "content": q},
                        {"role": "assistant", "content": a},
                    ]
                }
            )
            + "\n"
            for q, a in _TOPICS
        ),
        ".gitignore": ".fineplan/\n",
    }
    existing = [f for f in files if (root / f).exists()]
    if existing and not args.force:
        write(f"Refusing to overwrite {', '.join(existing)} (use --force).\n")
        return 1
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write(f"Created a fineplan project in {root}. Next: fineplan -C {root} plan\n")
    return 0


def _name(root: Path) -> str:
    import re

    name = re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")[:63].strip("-")
    return name or "fineplan"
