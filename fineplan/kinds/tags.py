"""The marks fineplan puts on what it creates in Azure, so state can be rebuilt from Azure and a crash between
"create" and "record" is adopted instead of repeated: job `metadata` keys and ARM deployment `tags`."""

from __future__ import annotations

from typing import Final

META_ADDRESS: Final = "fineplan_address"
META_DIGEST: Final = "fineplan_digest"
META_PROJECT: Final = "fineplan_project"
META_OP: Final = "fineplan_op"  # the journaled intent's op id: ties a job to the intent written before it
TAG_ADDRESS: Final = "fineplan-address"
TAG_DIGEST: Final = "fineplan-digest"
TAG_PROJECT: Final = "fineplan-project"
TAG_PREFIX: Final = "fineplan-"  # ARM tags fineplan owns: left out of a deployment's user tags
