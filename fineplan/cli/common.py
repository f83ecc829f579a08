"""Small helpers shared by commands: project root, output writing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fineplan.context import Context


def context(args: argparse.Namespace) -> Context:
    return Context(Path(args.chdir))


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
