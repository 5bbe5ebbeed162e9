"""The forecast's numerical stack loads on the first forecast, not when a process starts."""

from __future__ import annotations

import os
import subprocess
import sys

LOADED_AT_START = (
    "import sys, django; django.setup(); import keepwarm.urls; "
    "print(sorted(m for m in ('pandas', 'statsmodels', 'scipy') if m in sys.modules))"
)
# numpy itself is left out: openpyxl imports it when it is installed (80 ms).


def test_a_web_or_worker_process_starts_without_loading_statsmodels() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "keepwarm.settings"}
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_AT_START],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()

    assert loaded == "[]"
