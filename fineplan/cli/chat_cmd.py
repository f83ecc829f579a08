"""`fineplan chat deployment.NAME "question"`: ask a deployed model one question, on any target.

A quick manual check after apply: one chat completion through the openai SDK, on the deployment's own account
endpoint with the target's credentials. `--json` prints the answer with the model and token usage.
"""

from __future__ import annotations

import argparse
import json

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("chat", help="ask a deployed model one question (a chat completion)")
    p.add_argument("address", metavar="deployment.NAME", help="the deployment to ask, e.g. deployment.support-dev")
    p.add_argument("question", help="the user message")
    p.add_argument("--system", metavar="TEXT", help="a system message sent before the question")
    p.add_argument("--max-tokens", type=_positive, metavar="N", help="limit the answer's length in tokens")
    p.add_argument("--json", "-json", action="store_true", help="print the answer, model and usage as JSON")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    reply = engine(args).chat(args.address, args.question, system=args.system, max_tokens=args.max_tokens)
    if args.json:
        shown = {
            "deployment": args.address,
            "model": reply.model,
            "answer": reply.content,
            "finish_reason": reply.finish_reason,
            "usage": dict(reply.usage),
        }
        write(json.dumps(shown, indent=2) + "\n")
    else:
        write(reply.content.rstrip("\n") + "\n")
    return 0
