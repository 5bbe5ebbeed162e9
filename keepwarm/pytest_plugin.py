"""The test suite's own data folder, set before Django reads its settings.

Loaded by pytest ahead of everything else (`-p keepwarm.pytest_plugin` in pyproject.toml),
because settings.py derives the database file, uploads, imports, static files and the
erasure journal from KEEPWARM_DATA_DIR when it is first imported, and pytest-django
imports it before any conftest runs. Every test, and every command a test starts, then
writes under a temporary folder removed at the end, never into a real installation's.
At the end the real folder's listing is compared with the one at the start, and any
difference fails the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REAL_DATA_DIR = Path(
    os.environ.get("KEEPWARM_DATA_DIR") or Path(__file__).resolve().parent.parent / "data"
).resolve()
TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="keepwarm-test-data-")).resolve()
os.environ["KEEPWARM_DATA_DIR"] = str(TEST_DATA_DIR)


# What a Keepwarm server running from the same checkout (`make demo` beside `make test`)
# writes there by itself: its database with SQLite's side files, and collected static files.
SERVER_OWN = ("keepwarm.sqlite3", "static")


def listing(folder: Path) -> set[str]:
    """Every file and folder under `folder`, as paths relative to it, less SERVER_OWN."""
    if not folder.is_dir():
        return set()
    found = (str(p.relative_to(folder)) for p in folder.rglob("*"))
    return {path for path in found if not path.startswith(SERVER_OWN)}


_BEFORE = listing(REAL_DATA_DIR) if REAL_DATA_DIR.exists() else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(TEST_DATA_DIR, ignore_errors=True)
    after = listing(REAL_DATA_DIR) if REAL_DATA_DIR.exists() else None
    if after == _BEFORE:
        return
    added = sorted((after or set()) - (_BEFORE or set()))
    removed = sorted((_BEFORE or set()) - (after or set()))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep(
            "=",
            f"The test run changed the real data folder {REAL_DATA_DIR}: "
            f"added {added[:10] or 'the folder itself'}, removed {removed[:10]}",
            red=True,
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
