"""Uploaded import files where every app machine can read them.

An upload is written to the data folder of the web server that took it
(`KEEPWARM_DATA_DIR/imports/<random>/<name>`, owner-only). When uploaded files live in an
S3-compatible bucket (KEEPWARM_S3_BUCKET), it is also put there under the same relative
name, so a jobs worker or another web server on a machine without that folder fetches
its own private copy before reading. Deleting an upload deletes both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from keepwarm.lib.private_files import open_private

LOCAL_DISK = "django.core.files.storage.FileSystemStorage"


def upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def in_bucket() -> bool:
    """True when uploaded files go to shared storage rather than this machine's disk."""
    return bool(settings.STORAGES["default"]["BACKEND"] != LOCAL_DISK)


def _stored_name(path: Path) -> str | None:
    """The upload's name in shared storage ("imports/<random>/<name>"), or None for a file
    that is not an upload (the command line's own files)."""
    if path.parent.parent != upload_dir():
        return None
    return path.relative_to(upload_dir().parent).as_posix()


def share(path: Path) -> None:
    """Put a freshly stored upload where every machine can read it (no-op on local disk)."""
    name = _stored_name(path)
    if name is None or not in_bucket():
        return
    with path.open("rb") as handle:
        default_storage.save(name, File(handle, name=path.name))


def local_file(path_text: str) -> Path:
    """The upload on this machine's disk, fetched from shared storage first if it was
    taken by another machine. A file that is nowhere is left for the reader to report."""
    path = Path(path_text)
    name = _stored_name(path)
    if path.exists() or name is None or not in_bucket() or not default_storage.exists(name):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with default_storage.open(name, "rb") as source, os.fdopen(open_private(path), "wb") as copy:
        shutil.copyfileobj(source, copy)
    return path


def kept(path_text: str) -> bool:
    """Whether any copy of the upload is still kept, here or in shared storage."""
    path = Path(path_text)
    name = _stored_name(path)
    if path.exists():
        return True
    return name is not None and in_bucket() and default_storage.exists(name)


def forget(path_text: str) -> None:
    """Delete the upload's folder here and its copy in shared storage."""
    path = Path(path_text)
    name = _stored_name(path)
    if name is None:
        return
    shutil.rmtree(path.parent, ignore_errors=True)
    if in_bucket():
        default_storage.delete(name)
