"""One writer per data directory: an advisory `fcntl` lock held for a whole `materialize` run.

Two `make run` on the same data dir at once would interleave their writes to the warehouse and
the publication. The second run refuses at once with a clear message instead (docs/decisions.md);
the kernel releases the lock when its holder exits, even after a SIGKILL, so a killed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".materialize.lock"
BUSY_EXIT_CODE = 75
"""`materialize`'s exit status when another run holds the lock (EX_TEMPFAIL: try again later)."""


class DataDirBusy(Exception):
    """Another process holds the data directory's lock."""

    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.holder = holder
        super().__init__(
            f"another run is already writing to {root} ({holder}); not starting a second one. "
            "Wait for it to finish, then run again."
        )


@contextmanager
def data_dir_lock(root: Path) -> Iterator[Path]:
    """Hold the exclusive lock of data directory `root` for the body; raise DataDirBusy if taken.

    The lock file (`<root>/.materialize.lock`) holds the holder's process id for the message.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode(errors="replace").strip()
            raise DataDirBusy(root, f"process {holder}" if holder else "another process") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(descriptor)  # closing releases the lock
