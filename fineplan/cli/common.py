"""Small helpers shared by commands: the engine for `-C DIR`, output writing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fineplan.engine import Engine


def engine(args: argparse.Namespace) -> Engine:
    """The facade for the project in `-C DIR`, on the target `--target` names (imported on use: start-up)."""
    from fineplan.engine import Engine

    return Engine(Path(args.chdir), getattr(args, "target_name", None))


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
