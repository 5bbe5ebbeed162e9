"""Files holding personal data are readable by the account Keepwarm runs as, and no other.

A SQLite file holds every person's data and the staff's second-factor secrets; with the
usual umask of 022 SQLite creates it, and its -wal and -shm files, readable by every
local user, and so would a backup or an uploaded import be. SQLite gives a new -wal/-shm
the main file's permissions, so keeping the main file 0600 keeps all three private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

PRIVATE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private(path: Path) -> None:
    """chmod 0600 when group or others have any access; a missing file is left alone."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        os.chmod(path, PRIVATE)


def open_private(path: Path) -> int:
    """A file descriptor for writing `path` afresh, created 0600 whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.fchmod(descriptor, PRIVATE)  # an existing file keeps its mode through O_CREAT
    return descriptor


def keep_sqlite_files_private(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On every new SQLite connection (connection_created), a stat per file at most."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():  # type: ignore[attr-defined]
        return
    name = str(connection.settings_dict["NAME"])
    for suffix in SQLITE_COMPANIONS:
        make_private(Path(name + suffix))
