"""Entry point. Each command lives in its own module under fineplan.cli with `register(subparsers)`.

Commands must not import the Azure/OpenAI SDKs at module level: `--version`, `lint` and `validate` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from fineplan import __version__
from fineplan.errors import DiagnosticsError, FineplanError

# Module names under fineplan.cli; a missing module is skipped so commands can land one by one.
COMMAND_MODULES = (
    "init_cmd",
    "validate_cmd",
    "lint_cmd",
    "schema_cmd",
    "dataset_cmd",
    "emulator_cmd",
    "plan_cmd",
    "apply_cmd",
    "destroy_cmd",
    "show_cmd",
    "output_cmd",
    "state_cmd",
    "import_cmd",
    "job_cmd",
    "chat_cmd",
    "unlock_cmd",
)

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (as Terraform's do): 2 means "changes" under `plan --detailed-exitcode`."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fineplan",
        description="Plan and apply fine-tuning jobs and deployments on Azure AI Foundry.",
    )
    parser.add_argument("--version", action="version", version=f"fineplan {__version__}")
    parser.add_argument("-C", dest="chdir", metavar="DIR", default=".", help="run as if started in DIR")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--no-color", action="store_true", help="never use colour (NO_COLOR is honoured too)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"fineplan.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fineplan.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 1
    if args.no_color:
        os.environ["NO_COLOR"] = "1"
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("Interrupted.", file=sys.stderr)
        return 130
    except DiagnosticsError as exc:
        if args.debug:
            raise
        from fineplan.render.diagnostics_text import render_diagnostics

        sys.stderr.write(render_diagnostics(exc.diagnostics))
        return exc.exit_code
    except FineplanError as exc:
        if args.debug:
            raise
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug in fineplan: say so briefly; --debug shows the traceback
        if args.debug:
            raise
        print(f"Internal error: {type(exc).__name__}: {exc}\n(re-run with --debug for the traceback)", file=sys.stderr)
        return 1


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
