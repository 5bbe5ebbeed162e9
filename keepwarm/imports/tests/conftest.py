from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# The day the fixtures were "exported": PL-1 starts a week earlier.
NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    # Uploads and SQLite progress files go under the data directory; keep tests' apart.
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def bullhorn_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "bullhorn", folder)
    return folder
