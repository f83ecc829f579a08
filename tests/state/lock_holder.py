"""A state-lock holder run as its own process by the state tests.

    python lock_holder.py local STATE_PATH TARGET
    python lock_holder.py blob CONTAINER KEY TARGET          (connection string in $HOLDER_CONNECTION_STRING)

It takes the lock for operation "apply", prints `locked <lock id>`, then answers one command per stdin line:
`write` (store a state, print `ok <serial>` or `error <Class>: <message>`), `release`, `exit`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fineplan.errors import FineplanError
from fineplan.state.backend import Backend, LockInfo
from fineplan.state.local import LocalBackend
from fineplan.state.model import new_state


def open_backend(argv: list[str]) -> Backend:
    if argv[0] == "local":
        return LocalBackend(Path(argv[1]), argv[2])
    from azure.storage.blob import BlobServiceClient

    from fineplan.state.blob import BlobBackend

    service = BlobServiceClient.from_connection_string(os.environ["HOLDER_CONNECTION_STRING"])
    return BlobBackend(service.get_container_client(argv[1]), argv[2], argv[3], lease_seconds=15)


def main(argv: list[str]) -> int:
    backend = open_backend(argv)
    lock = backend.lock(LockInfo.new("apply"))
    print(f"locked {lock.info.id}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "write":
            try:
                state = backend.read() or new_state(backend.target)
                backend.write(state)
                print(f"ok {state.serial}", flush=True)
            except FineplanError as exc:
                print(f"error {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
        elif command == "release":
            lock.release()
            print("released", flush=True)
        elif command == "exit":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
