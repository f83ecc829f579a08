"""Identifiers shaped as Azure shapes them: `file-` / `ftjob-` / `ftevent-` + 32 hex, `ftckpt_` + 24 alphanumerics,
`eval_` / `evalrun_` / `outputitem_` + 32 hex."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def _hex32() -> str:
    return secrets.token_hex(16)


def new_file_id() -> str:
    return f"file-{_hex32()}"


def new_job_id() -> str:
    return f"ftjob-{_hex32()}"


def new_event_id() -> str:
    return f"ftevent-{_hex32()}"


def new_checkpoint_id() -> str:
    return "ftckpt_" + "".join(secrets.choice(_ALNUM) for _ in range(24))


def new_eval_id() -> str:
    return f"eval_{_hex32()}"


def new_eval_run_id() -> str:
    return f"evalrun_{_hex32()}"


def new_output_item_id() -> str:
    return f"outputitem_{_hex32()}"


def new_operation_id() -> str:
    return _hex32()


def job_hex(job_id: str) -> str:
    """`ftjob-0ee45c42…` → `0ee45c42…`, the part Azure puts into the fine-tuned model's name."""
    return job_id.removeprefix("ftjob-")
