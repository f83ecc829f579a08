"""fineplan's state: the versioned document (model), the Backend contract, its local and Azure Blob stores, and
what keeps it true to Azure: refresh (with drift) and the edits behind `state rm` / `state mv`.

The blob backend is not imported here, so reading local state never loads the Azure SDK.
"""

from fineplan.state.backend import Backend, Lock, LockInfo
from fineplan.state.factory import open_backend
from fineplan.state.local import LocalBackend
from fineplan.state.model import FORMAT_VERSION, Intent, ResourceState, State, new_state

__all__ = [
    "FORMAT_VERSION",
    "Backend",
    "Intent",
    "LocalBackend",
    "Lock",
    "LockInfo",
    "ResourceState",
    "State",
    "new_state",
    "open_backend",
]
