"""`fineplan [-C DIR] emulator serve`: run the local Foundry emulator in the foreground.

Without --data-dir it serves the project's embedded `local` data (DIR/.fineplan/emulator), so what the local target
holds can be inspected with the SDKs or curl; outside a project (no fineplan.yaml in DIR) it serves from a temporary
directory removed on exit, instead of creating `.fineplan/` wherever it was started. The first line printed is
`fineplan emulator listening on URL` (then the CA file with --tls); the next ones name each account served:
subscription, resource group, location and data-plane URL, which ARM URLs and
`CognitiveServicesManagementClient(subscription_id=...)` need. A project whose local target lists `accounts` has
them served, as its embedded emulator serves them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fineplan.errors import ConfigError

if TYPE_CHECKING:
    from fineplan.emulator.config import AccountSpec

API_KEY_ENV = "FINEPLAN_EMULATOR_API_KEY"  # the same variable clients of a running emulator read


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("emulator", help="run the local Foundry emulator")
    sub = parser.add_subparsers(dest="emulator_command", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="serve the Azure OpenAI data plane and ARM deployments locally")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    serve.add_argument("--data-dir", type=Path, help="where to keep data (default: the project's .fineplan/emulator)")
    serve.add_argument(
        "--speed", type=float, help="simulated seconds per real second (env FINEPLAN_EMULATOR_SPEED; default 40)"
    )
    serve.add_argument(
        "--api-key",
        help="require this key as api-key header or Bearer token (env FINEPLAN_EMULATOR_API_KEY keeps it out of "
        "the process list); default: open",
    )
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a local CA (its file is printed)")
    serve.add_argument("--faults", help='inject faults, e.g. "rate=0.1;codes=429,500;latency_ms=50"')
    serve.add_argument(
        "--quota", action="append", default=[], metavar="SKU=N", help="account quota for a SKU (repeatable)"
    )
    serve.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    serve.set_defaults(handler=run)


def _quota(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair in pairs:
        sku, sep, value = pair.partition("=")
        if not sep or not value.strip().isdigit():
            raise ConfigError(f"--quota expects SKU=N, got {pair!r}")
        out[sku.strip()] = int(value)
    return out


def run(args: argparse.Namespace) -> int:
    from fineplan.emulator.embedded import project_data_dir

    scratch: tempfile.TemporaryDirectory[str] | None = None
    data_dir = args.data_dir
    args.target_accounts = None
    if data_dir is None and (Path(args.chdir) / "fineplan.yaml").is_file():
        data_dir = project_data_dir(Path(args.chdir))
        args.target_accounts = _project_accounts(Path(args.chdir))
    elif data_dir is None:  # not in a project: keep nothing rather than litter the current directory
        scratch = tempfile.TemporaryDirectory(prefix="fineplan-emulator-")
        data_dir = Path(scratch.name)
        print(
            f"fineplan emulator: no fineplan.yaml in {Path(args.chdir).resolve()}: serving from a temporary "
            "directory removed on exit (--data-dir DIR keeps the data)",
            file=sys.stderr,
            flush=True,
        )
    try:
        return _serve(args, data_dir)
    finally:
        if scratch is not None:
            scratch.cleanup()


def _project_accounts(root: Path) -> list[AccountSpec] | None:
    """The accounts a project's default target declares, when it is a local target that lists `accounts`: served
    as the embedded emulator would serve them (None: emulator.yaml or open mode decides)."""
    from fineplan.providers.factory import emulator_accounts
    from fineplan.spec.loader import load_project
    from fineplan.spec.models import LocalTarget

    project, _ = load_project(root)
    if project is None:
        return None
    target = project.settings.targets.get(project.settings.default_target)
    return emulator_accounts(target) if isinstance(target, LocalTarget) else None


def _serve(args: argparse.Namespace, data_dir: Path) -> int:
    from fineplan.emulator.embedded import build_config
    from fineplan.emulator.faults import parse_faults
    from fineplan.emulator.server import EmulatorServer

    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    accounts = getattr(args, "target_accounts", None)
    config = build_config(
        data_dir,
        speed=args.speed,
        faults=args.faults,
        api_key=api_key,
        quota=_quota(args.quota),
        accounts=accounts,
        default_account=accounts[0].name if accounts else None,
    )
    parse_faults(config.faults)  # a bad spec stops here with a clear message
    server = EmulatorServer(
        data_dir,
        config,
        host=args.host,
        port=args.port,
        tls=args.tls,
        access_log=None if args.quiet else sys.stderr,
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C, even right away
    try:
        print(f"fineplan emulator listening on {server.url}", flush=True)
        if server.ca_path is not None:
            print(f"CA certificate: {server.ca_path}", flush=True)
        for line in server.describe_accounts():  # the subscription, resource group and account ARM URLs need
            print(line, flush=True)
        if args.host not in ("127.0.0.1", "::1", "localhost") and api_key is None:
            print("warning: serving beyond loopback without --api-key", file=sys.stderr)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
